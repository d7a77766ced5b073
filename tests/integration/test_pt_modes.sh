# pt_mode=host and pt_mode=system on a CPU without Intel PT: the boot reports the fallback, and in
# host/system modes guests see no PT (CPUID.7.EBX[25]=0, RTIT MSRs #GP) even with pt=on.
source "$(dirname "$0")/lib.sh"
for mode in host system; do
  PTV_TEST_CMDLINE="pt_mode=$mode" guest_iso "$TMP/$mode.iso" build/guest/exits.elf <<'MODS'
exits.elf name=exits pt=on
MODS
  tools/run-bochs.sh --iso "$TMP/$mode.iso" --serial "$TMP/$mode.log" --timeout 180
  rc=$?
  L=$TMP/$mode.log
  keep_log "$L" "pt-mode-$mode.serial.log"
  expect_status "$rc" 0 "pt_mode=$mode: the guest's checks pass"
  expect "$L" "pt_mode in force: .*requested $mode" "pt_mode=$mode: the request and the mode in force are printed"
  expect "$L" "no Intel PT \(CPUID.7.EBX\[25\]=0\)" "pt_mode=$mode: the fallback names the missing capability"
  expect "$L" '^\[exits\] info: CPUID.7.0:EBX\[25\] \(Intel PT\) = 0' "pt_mode=$mode: the guest sees no Intel PT"
  expect "$L" '^\[exits\] PASS: RDMSR IA32_RTIT_CTL: PT not exposed to this guest' "pt_mode=$mode: RTIT MSRs #GP in the guest"
  guest_done "$L" exits 115
done
