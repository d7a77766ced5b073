# Differential conformance: the conformance kernel (guest/conf*.c) boots once straight from GRUB on bare
# Bochs, the reference (the CPU model every other run uses), and again under ptvisor as guests, one per
# area or part of an area, so that a guest ptvisor stops costs only its own lines. Each check prints one
# verdict line "conf: AREA[/PART]: ..." naming architectural outcomes only. Every part's lines must be
# identical in both runs: any difference fails and is shown as the bare and ptvisor lines (all of them
# also in build/test-logs/conformance.diff). Where Bochs itself departs from the SDM the kernel leaves the
# check out of its verdicts (the comments there say which and why). Where ptvisor departs on purpose, the
# check is in tests/integration/conformance-limits.txt, each a README limit: counted and shown, not failed.
source "$(dirname "$0")/lib.sh"
G=build/guest
AREAS="exceptions apic msr cr strio mem tsc apicbase"
# Guests per ptvisor run (GUEST_MAX is 8): an area, or area/part for the areas split into parts.
RUNS=("exceptions apic msr cr/regs cr/lm strio tsc apicbase"
  "mem/moves mem/alu mem/bits mem/locked mem/strings mem/stack mem/paged mem/sse")
# Parts ptvisor stops on purpose (a README limit), with what the stop must say.
declare -A STOPS=([mem-sse]="instruction ptvisor does not emulate")
LIMITS=$(dirname "$0")/conformance-limits.txt
# limited FILE: drops the lines of checks listed in $LIMITS.
limited() { grep -avF -f <(grep -v '^#' "$LIMITS") "$1" || true; }

bare_iso "$TMP/bare.iso" $G/conf.elf </dev/null || { fail "bare image could not be built"; exit 1; }
tools/run-bochs.sh --iso "$TMP/bare.iso" --serial "$TMP/bare.log" --timeout 90
rc=$?
keep_log "$TMP/bare.log" conformance-bare.serial.log
# Bare, nothing prints ptvisor's status line: run-bochs says 125 after the kernel's power-off, 124 on timeout.
if [ "$rc" -eq 124 ]; then fail "bare run timed out"; else pass "bare run ended (run-bochs status $rc)"; fi
expect "$TMP/bare.log" "^conf-done: 8 areas" "bare run: the kernel ran all 8 areas and powered off"
expect_not "$TMP/bare.log" "^conf: [a-z/]+: unexpected" "bare run: no unexpected exception in the reference"
tr -d '\r' <"$TMP/bare.log" | grep -a '^conf: ' >"$TMP/bare.txt"

: >"$TMP/guest.txt"
for i in "${!RUNS[@]}"; do
  for spec in ${RUNS[$i]}; do
    part=
    [ "$spec" != "${spec#*/}" ] && part=" part=${spec#*/}"
    echo "conf.elf name=conf-${spec//\//-} -- area=${spec%%/*}$part"
  done | guest_iso "$TMP/guest$i.iso" $G/conf.elf
  tools/run-bochs.sh --iso "$TMP/guest$i.iso" --serial "$TMP/guest$i.log" --timeout 150
  rc=$?
  keep_log "$TMP/guest$i.log" "conformance-guest$i.serial.log"
  if [ "$rc" -eq 124 ]; then fail "ptvisor run $i timed out"; else pass "ptvisor run $i ended (status $rc)"; fi
  for spec in ${RUNS[$i]}; do
    name=conf-${spec//\//-}
    if [ -n "${STOPS[${name#conf-}]:-}" ]; then
      expect "$TMP/guest$i.log" "guest $name: stopped: .*${STOPS[${name#conf-}]}" \
        "guest $name stopped by ptvisor as the README's limits say"
    else
      expect "$TMP/guest$i.log" "guest $name: stopped: wrote \"Shutdown\"" "guest $name ended by its own power-off"
    fi
    tr -d '\r' <"$TMP/guest$i.log" | grep -a "^\[$name\] conf: " | sed 's/^\[[^]]*\] //' >>"$TMP/guest.txt"
  done
done

mkdir -p build/test-logs
: >build/test-logs/conformance.diff
total=0 limited_total=0
for a in $AREAS; do
  grep -aE "^conf: $a(/[a-z]+)?: " "$TMP/bare.txt" >"$TMP/bare-all-$a.txt"
  grep -aE "^conf: $a(/[a-z]+)?: " "$TMP/guest.txt" >"$TMP/guest-all-$a.txt"
  limited "$TMP/bare-all-$a.txt" >"$TMP/bare-$a.txt"
  limited "$TMP/guest-all-$a.txt" >"$TMP/guest-$a.txt"
  n=$(wc -l <"$TMP/bare-$a.txt")
  l=$(($(wc -l <"$TMP/bare-all-$a.txt") - n))
  total=$((total + n)) limited_total=$((limited_total + l))
  [ "$l" -gt 0 ] && echo "conformance: $a: $l check(s) left out as README limits:" &&
    grep -aF -f <(grep -v '^#' "$LIMITS") "$TMP/bare-all-$a.txt" | sed 's/^/      bare:    /' &&
    { grep -aF -f <(grep -v '^#' "$LIMITS") "$TMP/guest-all-$a.txt" || echo "(none: the guest was stopped)"; } |
    sed 's/^/      ptvisor: /' 
  if [ "$n" -eq 0 ]; then
    fail "conformance: $a: no verdict lines in the bare run"
  elif cmp -s "$TMP/bare-$a.txt" "$TMP/guest-$a.txt"; then
    pass "conformance: $a $n checks identical"
  else
    diff -U0 "$TMP/bare-$a.txt" "$TMP/guest-$a.txt" | grep -a '^[-+]conf' >"$TMP/diff-$a.txt"
    d=$(grep -c '^-' "$TMP/diff-$a.txt")
    fail "conformance: $a: $d of $n bare lines differ under ptvisor ($(wc -l <"$TMP/guest-$a.txt") lines there)"
    sed -e 's/^-/      bare:    /' -e 's/^+/      ptvisor: /' "$TMP/diff-$a.txt"
    cat "$TMP/diff-$a.txt" >>build/test-logs/conformance.diff
  fi
done
echo "conformance: $total checks compared, $limited_total left out as README limits"
