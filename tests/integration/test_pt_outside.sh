# No stepping where nothing can be traced: ptring traced with CR3 filtering (process A only), once with the
# native runs (pt_outside=on, the default) and once stepped throughout (pt_outside=off, the step engine as
# the oracle), as two guests of one boot, both without the outside view of the CPL filter (pt_cpl=off; a
# third guest has both and must write the same trace). Both traces must be the same bytes and decode with libipt to the
# instructions ptvisor traced (TSC payloads aside: the two guests share the CPU's time). With the filter each
# sched-in also loads the other process's CR3 and back while TraceEn=1: in a period of process B (TraceEn set
# while CR3 is B's) just those two MOVs to CR3 are stepped (the first exits the native run: CR3-load
# exiting), and the whole run must take far fewer exits than the oracle.
source "$(dirname "$0")/lib.sh"
G=build/guest
N=128
guest_iso "$TMP/outside.iso" $G/ptring.elf <<MODS
ptring.elf name=ring-on pt_riplog=on pt_cpl=off -- iterations=$N cr3filter=on
ptring.elf name=ring-off pt_riplog=on pt_outside=off pt_cpl=off -- iterations=$N cr3filter=on
ptring.elf name=ring-both pt_riplog=on -- iterations=$N cr3filter=on
MODS
tools/run-bochs.sh --iso "$TMP/outside.iso" --serial "$TMP/serial.log" --timeout 120
rc=$?
L=$TMP/serial.log
keep_log "$L" pt-outside.serial.log
expect_status "$rc" 0 "both tracing guests end with status 0"
guest_done "$L" ring-on 29
guest_done "$L" ring-off 29
guest_done "$L" ring-both 29
for g in on off both; do
  python3 tools/ptverify.py "$L" ring-$g $G/ptring.elf --outdir build/test-logs/pt-outside-$g
done
A=build/test-logs/pt-outside-on/ring-on.pt
B=build/test-logs/pt-outside-off/ring-off.pt
packets() { build/ptdecode --packets "$1" 2>&1 | sed 's/tsc=0x[0-9a-f]*/tsc=_/'; }
if [ -s "$A" ] && [ "$(stat -c %s "$A")" = "$(stat -c %s "$B")" ] && [ "$(packets "$A")" = "$(packets "$B")" ]; then
  pass "native runs and the step engine wrote the same $(stat -c %s "$A") bytes, packet for packet (TSC values aside)"
else
  fail "the traces differ (or are missing): $A $B"
fi
# With the outside view too (pt_cpl=on, the default) the kernel also runs natively: the same bytes.
C=build/test-logs/pt-outside-both/ring-both.pt
if [ -s "$C" ] && [ "$(packets "$C")" = "$(packets "$B")" ]; then
  pass "with the outside view as well: the same packets"
else
  fail "with the outside view as well the trace differs (or is missing): $C $B"
fi
riplog() { tr -d '\r' <"$L" | grep -a "pt-riplog $1 " | tail -1 | sed 's/.*count=//'; }
if [ -n "$(riplog ring-on)" ] && [ "$(riplog ring-on)" = "$(riplog ring-off)" ]; then pass "same traced instructions: count=$(riplog ring-on)"; else fail "traced instructions differ: $(riplog ring-on) vs $(riplog ring-off)"; fi
# Per tracing period: "steps exits outside outside_exits"; sums over all periods.
stats() { tr -d '\r' <"$L" | grep -a "pt-stats $1 " | sed 's/.*steps=\([0-9]*\).*exits=\([0-9]*\) tsc.*outside=\([0-9]*\) outside_exits=\([0-9]*\)/\1 \2 \3 \4/'; }
read -r np nb bmax <<<"$(stats ring-on | awk '$1 == 2 && $3 == 2 && $4 == 1 { n++; if ($2 > m) m = $2 } END { print NR, n + 0, m + 0 }')"
S=$((N / 16 + (N % 16 >= 8 ? 1 : 0)))
# Process B runs from every odd sched-in to the next sched-out: S/2 periods, each with 2 steps, 2 native
# runs and 1 CR3-load exit.
if [ "$nb" -eq $((S / 2)) ] && [ "$bmax" -le 40 ]; then
  pass "$nb periods of process B ran natively but for the 2 CR3 loads: at most $bmax exits each"
else
  fail "$nb of $np periods ran natively but for 2 steps (expected $((S / 2))), up to $bmax exits"
fi
sum() { stats "$1" | awk -v c="$2" '{ s += $c } END { print s + 0 }'; }
on_x=$(sum ring-on 2) off_x=$(sum ring-off 2) on_s=$(sum ring-on 1) off_s=$(sum ring-off 1)
echo "exits: native runs $on_x, stepped $off_x; steps $on_s vs $off_s; CR3-load exits $(sum ring-on 4)"
if [ "$off_x" -gt 0 ] && [ $((on_x * 10)) -lt $((off_x * 7)) ]; then pass "$on_x exits instead of $off_x"; else fail "$on_x exits, stepped $off_x"; fi
if [ "$(sum ring-off 3)" -eq 0 ]; then pass "pt_outside=off never runs natively"; else fail "pt_outside=off ran natively"; fi
