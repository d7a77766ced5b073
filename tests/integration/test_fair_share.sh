# Fair shares of wall time: a guest that keeps its TSC-deadline timer armed 20000 ticks ahead and takes
# its interrupts (an exit storm whose due timer used to end the other guest's slice at once, handing it
# whole slices) runs beside a guest that only computes. Bochs' TSC counts instructions, so each guest
# measures its own time on the CPU from the gaps in its TSC reads (guest/share.c). The computing guest
# must get at least 40 % of the wall time while both run (half is fair; before the scheduler charged
# virtual time it got about a third).
source "$(dirname "$0")/lib.sh"
G=build/guest
guest_iso "$TMP/share.iso" $G/share.elf <<MODS
share.elf name=storm -- role=storm kind=timer ticks=100000000
share.elf name=compute -- role=compute ticks=80000000
MODS
tools/run-bochs.sh --iso "$TMP/share.iso" --serial "$TMP/serial.log" --timeout 120
rc=$?
L=$TMP/serial.log
keep_log "$L" fair_share.serial.log
expect_status "$rc" 0 "both guests end with status 0"
expect "$L" '^\[storm\] share: timer [0-9]+ iterations, [0-9]{3,} timer interrupts' "the storm guest took its timer interrupts"
permille=$(tr -d '\r' <"$L" | sed -nE 's/^\[compute\] share: compute .*\(([0-9]+) per mille\)/\1/p' | head -n 1)
line=$(tr -d '\r' <"$L" | grep -a '^\[compute\] share:' | head -n 1)
if [ -n "$permille" ] && [ "$permille" -ge 400 ]; then
  pass "the computing guest got $permille per mille of the wall time beside the timer storm (${line#*share: })"
else
  fail "the computing guest got ${permille:-no} per mille of the wall time beside the timer storm, at least 400 expected (${line#*share: })"
fi
