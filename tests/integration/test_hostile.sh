# A hostile guest beside a victim: guest/hostile.c fuzzes every input a guest controls (CPUID, MSRs,
# port and string I/O, MMIO, hypercalls, PT output configurations with TraceEn, XSETBV, CR writes),
# seeded and reproducible (seed= on its command line; HOSTILE_SEED overrides the test's). Beside it
# ptwork traces itself through the emulated PT backend with a memory pattern to keep. Passes when
# ptvisor ends normally (no status 3/4, no hang), the fuzzer sees no architectural mismatch, the
# victim's pattern is intact and its trace decodes (libipt) to exactly the flow ptvisor executed.
source "$(dirname "$0")/lib.sh"
G=build/guest
SEED=${HOSTILE_SEED:-20261206}
guest_iso "$TMP/hostile.iso" $G/hostile.elf $G/ptwork.elf <<MODS
hostile.elf name=hostile mem=16M -- seed=$SEED scale=100 addr16=on
ptwork.elf name=victim pt_riplog=on -- case=topa iterations=900 pattern=on
MODS
tools/run-bochs.sh --iso "$TMP/hostile.iso" --serial "$TMP/serial.log" --timeout 240
rc=$?
L=$TMP/serial.log
keep_log "$L" hostile.serial.log
if [ "$rc" -eq 124 ] || [ "$rc" -eq 125 ]; then fail "ptvisor hung or never reported a status (rc $rc)"; else pass "ptvisor ended (rc $rc)"; fi
expect_status "$rc" 0 "ptvisor ends with status 0: both guests ended with status 0, no VMM failure (3/4)"
expect_not "$L" '^ptvisor: (PANIC|panic|unexpected exception|.*invariant)' "no panic or VMM exception report"
expect "$L" "^\[hostile\] hostile: seed=$SEED " "the fuzzer ran with seed $SEED"
tr -d '\r' <"$L" | grep -aE '^\[hostile\] hostile: (class |topa: )' | sed 's/^\[hostile\] /  /'
expect "$L" '^\[hostile\] hostile: done: seed=[0-9]+, [0-9]+ inputs, 0 mismatches' "the fuzzer finished with no architectural mismatch"
for c in cpuid msr io string-io string-io-addr16 mmio hypercall topa xsetbv cr; do
  expect "$L" "^\[hostile\] hostile: class $c: [1-9][0-9]* inputs" "class $c was fuzzed"
done
expect "$L" '^\[hostile\] hostile: topa: [0-9]+ configurations, [1-9][0-9]* traced .* [1-9][0-9]* moved the output' "random PT configurations were traced and wrote output"
expect "$L" '^\[victim\] PASS: memory pattern intact: 0 of' "the victim's memory pattern is intact"
guest_done "$L" victim 27
python3 tools/ptverify.py "$L" victim $G/ptwork.elf --outdir build/test-logs/hostile-victim
