# selftest=pt in Bochs (no Intel PT): the self-test entry's command line and guest (tools/selftest-pt.cfg)
# say that the hardware PT path cannot be tested here and why, print no PASS/FAIL line, and the
# ptwork guest still traces itself on the emulated backend.
source "$(dirname "$0")/lib.sh"
G=build/guest
opts=$(grep -v '^#' tools/selftest-pt.cfg | sed -n 1p)
mod=$(grep -v '^#' tools/selftest-pt.cfg | sed -n 2p)
echo "$mod" | PTV_TEST_CMDLINE="$opts" guest_iso "$TMP/st.iso" $G/ptwork.elf
tools/run-bochs.sh --iso "$TMP/st.iso" --serial "$TMP/serial.log" --timeout 240
rc=$?
L=$TMP/serial.log
keep_log "$L" pt-selftest.serial.log
expect_status "$rc" 0 "the self-test boot ends with status 0"
expect "$L" 'PT self-test: the hardware PT path cannot be tested on this CPU: it lacks CPUID\.7\.EBX\[25\] CPUID\.14H:ECX\[0\]-ToPA IA32_VMX_MISC\[14\]' \
  "the self-test names the missing capabilities"
expect "$L" 'PT self-test: no PASS/FAIL lines; guests get the emulated PT backend' "and says what runs instead"
expect_not "$L" 'PT self-test: (PASS|FAIL)' "no PASS/FAIL line without the hardware path"
expect "$L" '^\[pt-selftest\] done: [0-9]+ passed, 0 failed' "the ptwork guest traced itself (emulated backend)"
