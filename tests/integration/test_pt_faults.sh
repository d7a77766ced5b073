# Emulated Intel PT fault cases, four guests at once: a ToPA STOP region, and output that points outside the
# guest (the ToPA table, a ToPA region) or a malformed ToPA entry. Each gets the hardware-defined outcome
# (STATUS.Stopped or STATUS.Error, trace stopped), nothing is written outside the guest, and the others go on.
# A fifth takes its ToPA PMI as an NMI (LVT PC in NMI delivery mode, as Linux's perf programs it).
source "$(dirname "$0")/lib.sh"
G=build/guest
guest_iso "$TMP/ptf.iso" $G/ptwork.elf <<'MODS'
ptwork.elf name=pt-stop pt_riplog=on -- case=stop iterations=900
ptwork.elf name=pt-out -- case=outside iterations=50
ptwork.elf name=pt-region -- case=region-outside iterations=50
ptwork.elf name=pt-rsvd -- case=reserved iterations=50
ptwork.elf name=pt-nmi -- case=topa-nmi iterations=900
MODS
tools/run-bochs.sh --iso "$TMP/ptf.iso" --serial "$TMP/serial.log" --timeout 300
rc=$?
L=$TMP/serial.log
keep_log "$L" pt-faults.serial.log
expect_status "$rc" 0 "all five guests end with status 0"
expect "$L" 'guest pt-stop: PT tracing stopped: a ToPA STOP region filled \(IA32_RTIT_STATUS.Stopped set\) \(4096 bytes written' "STOP: exactly the 4 KiB region written, then tracing stopped"
expect "$L" '^\[pt-stop\] PASS: IA32_RTIT_STATUS.Stopped set by the STOP region' "STOP: the guest reads Stopped"
expect "$L" '^\[pt-stop\] PASS: OUTPUT_MASK_PTRS stays on the STOP entry with offset = region size' "STOP: output pointers as the SDM defines them"
expect "$L" 'guest pt-out: PT output error at GPA 0x7fff0000: ToPA table outside guest RAM' "ToPA table outside the guest: operational error named"
expect "$L" 'guest pt-region: PT output error at GPA 0x7fff0000: ToPA output region outside guest RAM' "ToPA region outside the guest: operational error named"
expect "$L" 'guest pt-rsvd: PT output error at GPA 0xa00000: ToPA entry with reserved bits set' "reserved ToPA entry bits: operational error named"
for g in pt-out pt-region pt-rsvd; do
  expect "$L" "^\[$g\] PASS: IA32_RTIT_STATUS.Error set by the bad output configuration" "$g: the guest reads STATUS.Error"
  expect "$L" "^\[$g\] PASS: no trace byte written" "$g: no trace byte written"
done
for g in pt-stop pt-out pt-region pt-rsvd; do
  expect "$L" "^\[$g\] PASS: memory after the output buffers untouched" "$g: memory past its buffers untouched"
  expect "$L" "^\[$g\] done: [0-9]+ passed, 0 failed" "$g: all its checks passed"
done
expect "$L" '^\[pt-nmi\] PASS: exactly one PMI NMI while tracing' "ToPA PMI with LVT PC in NMI mode: one NMI"
expect "$L" '^\[pt-nmi\] PASS: IA32_PERF_GLOBAL_STATUS\[55\] \(ToPA PMI\) set when the INT region filled' "NMI PMI: the vPMU's GLOBAL_STATUS[55] set"
expect "$L" '^\[pt-nmi\] PASS: IA32_PERF_GLOBAL_STATUS_RESET\[55\] clears it' "NMI PMI: _STATUS_RESET[55] clears it"
expect "$L" "^\[pt-nmi\] done: [0-9]+ passed, 0 failed" "pt-nmi: all its checks passed"
python3 tools/ptverify.py "$L" pt-stop $G/ptwork.elf --prefix --outdir build/test-logs/pt-stop
