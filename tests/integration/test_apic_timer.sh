# Guest timekeeping with no calibration hardware: ptvisor measures the TSC against the PIT at boot and
# gives guests CPUID 15H/16H, ARAT, invariant TSC and TSC-deadline; a guest's local APIC timer runs in
# one-shot, periodic and TSC-deadline modes at the rate 15H promises, and a guest sleeping in HLT wakes
# at its timer, both while a second guest computes beside it and while it is alone (the host idles, by
# HLT woken by its own APIC's TSC-deadline timer, and again with idle=spin by a PAUSE loop).
source "$(dirname "$0")/lib.sh"
G=build/guest
guest_iso "$TMP/timer.iso" $G/timer.elf <<MODS
timer.elf name=clock -- role=timer sleeps=10 long_ms=300
timer.elf name=busy -- role=compute ms=150
MODS
tools/run-bochs.sh --iso "$TMP/timer.iso" --serial "$TMP/serial.log" --timeout 120
rc=$?
L=$TMP/serial.log
keep_log "$L" apic_timer.serial.log
expect_status "$rc" 0 "both guests end with status 0"
expect "$L" '^ptvisor: time: idle by HLT, woken by the local APIC' "the host idles by HLT with its APIC's TSC-deadline timer"

# Bochs' TSC counts instructions at ips=50M (tools/run-bochs.sh); its CPUID 15H says otherwise.
mhz=$(tr -d '\r' <"$L" | sed -nE 's/.*time: TSC ([0-9]+)\.[0-9]+ MHz.*/\1/p' | head -n 1)
if [ -n "$mhz" ] && [ "$mhz" -ge 49 ] && [ "$mhz" -le 51 ]; then
  pass "ptvisor measured the TSC against the PIT: $mhz MHz (Bochs runs at 50M instructions/s)"
else
  fail "TSC measured at '${mhz:-nothing}' MHz, expected about 50"
fi
expect "$L" '^\[clock\] timer: TSC 4[89][0-9]{6}|^\[clock\] timer: TSC 5[01][0-9]{6}' "the guest reads the measured TSC rate from CPUID 15H"
for c in 'CPUID.0: maximum basic leaf covers 16H' 'CPUID.15H: crystal' 'CPUID.16H: base frequency' \
  'CPUID.6:EAX\[2\] ARAT' 'CPUID.80000007H:EDX\[8\] invariant TSC' 'CPUID.1:ECX\[24\] TSC-deadline'; do
  expect "$L" "^\[clock\] PASS: $c" "guest sees $c"
done
expect "$L" '^\[clock\] PASS: one-shot: current count [0-9]+ starts at the initial count' "one-shot: CCR loaded from ICR and counting"
expect "$L" '^\[clock\] PASS: one-shot: interrupt after [0-9]+ us for 1000 us' "one-shot: interrupt after 1 ms (under 1.5 ms)"
expect "$L" '^\[clock\] PASS: one-shot: no second interrupt' "one-shot fires once"
expect "$L" '^\[clock\] PASS: one-shot: current count 0 after expiry' "one-shot: CCR 0 after expiry"
expect "$L" '^\[clock\] PASS: periodic: [0-9]+ interrupts in 50 ms at a 1 ms period' "periodic: rate within 4 % over 50 ms of TSC"
expect "$L" '^\[clock\] PASS: periodic: initial count 0 stops it' "periodic: ICR 0 stops the timer"
expect "$L" '^\[clock\] PASS: IA32_TSC_DEADLINE reads 0 and ignores writes in one-shot mode' "deadline MSR inert outside deadline mode"
expect "$L" '^\[clock\] PASS: IA32_TSC_DEADLINE holds the deadline' "deadline MSR holds the deadline"
expect "$L" '^\[clock\] PASS: TSC-deadline: interrupt [0-9]+ us after the deadline' "TSC-deadline: interrupt at the deadline (under 0.5 ms late)"
expect "$L" '^\[clock\] PASS: IA32_TSC_DEADLINE is 0 once it fired' "deadline MSR cleared when it fires"
expect "$L" '^\[clock\] PASS: HLT sleeps until the timer: 10 sleeps of 5 ms, 0 extra HLT returns' "HLT sleeps until the timer (no early returns) beside a computing guest"
expect "$L" '^\[clock\] PASS: HLT wake-ups on time' "HLT wake-ups within 2 ms of the timer beside a computing guest"
expect "$L" '^\[clock\] PASS: a 300 ms sleep in one HLT took' "a long sleep alone (host idle) ends at its timer"
expect "$L" '^\[busy\] timer: computed for 150 ms' "the computing guest ran beside the sleeper"
guest_done "$L" clock 19
# The computing guest ended while the clock guest still slept: the host idled for it.
expect_before "$L" '^\[busy\] timer: computed' '^\[clock\] done:' "the sleeper outlived the computing guest"

# idle=spin: the same sleep alone, the host waiting in a PAUSE loop.
PTV_TEST_CMDLINE=idle=spin guest_iso "$TMP/spin.iso" $G/timer.elf <<MODS
timer.elf name=clock -- role=timer sleeps=2 long_ms=100
MODS
tools/run-bochs.sh --iso "$TMP/spin.iso" --serial "$TMP/spin.log" --timeout 60
rc=$?
S=$TMP/spin.log
keep_log "$S" apic_timer_spin.serial.log
expect_status "$rc" 0 "idle=spin: the guest ends with status 0"
expect "$S" '^ptvisor: time: idle by a PAUSE loop \(idle=spin\)' "idle=spin: the host idles in a PAUSE loop"
expect "$S" '^\[clock\] PASS: a 100 ms sleep in one HLT took' "idle=spin: a sleep alone ends at its timer"
guest_done "$S" clock 19
