# Debug registers are each guest's own: four guests at once in Bochs, giving each other the CPU. Two check
# guests load different DR0-DR3/DR6/DR7 values and breakpoints, yield (STI;HLT) hundreds of times and must
# always read back their own values and see their breakpoints fire exactly as set; a third guest keeps
# writing DR0-DR3 = 0 between yields; a fourth traces itself with the emulated PT backend through INT 0x80
# in a loop (ptvisor borrows DR0 for a breakpoint on the handler) and must find no stepping TF in its
# interrupt frames, with a trace libipt decodes to exactly the flow ptvisor executed.
source "$(dirname "$0")/lib.sh"
G=build/guest
INT80=30000
CLOBBER=2000
guest_iso "$TMP/dregs.iso" $G/dregs.elf $G/ptwork.elf <<MODS
dregs.elf name=dr-a -- role=check seed=1 rounds=200 bp_rounds=20
dregs.elf name=dr-b -- role=check seed=2 rounds=200 bp_rounds=20
dregs.elf name=dr-clobber -- role=clobber rounds=$CLOBBER
ptwork.elf name=pt-int80 pt_riplog=on -- case=int80 iterations=$INT80
MODS
tools/run-bochs.sh --iso "$TMP/dregs.iso" --serial "$TMP/serial.log" --timeout 300
rc=$?
L=$TMP/serial.log
keep_log "$L" dregs.serial.log
expect_status "$rc" 0 "all four guests end with status 0"
for g in dr-a dr-b; do
  for r in DR0-DR3 DR6 DR7 DR0-DR3/DR6/DR7; do
    expect "$L" "^\[$g\] PASS: $r read back 200 of 200 rounds after a yield" "$g: $r are its own after 200 yields"
  done
  expect "$L" "^\[$g\] PASS: no #DB from the data breakpoints they armed \(0\)" "$g: no stray data breakpoint hit"
  expect "$L" "^\[$g\] PASS: execute breakpoints hit 40 of 40 calls, slot named in DR6" "$g: instruction breakpoints fire, right DR6.Bn"
  expect "$L" "^\[$g\] PASS: data write breakpoint hit 20 of 20 writes, slot named in DR6" "$g: write breakpoint fires, right DR6.Bn"
  expect "$L" "^\[$g\] PASS: breakpoint not enabled in DR7 hit 0 times in 20 calls" "$g: a disabled breakpoint stays quiet"
  expect "$L" "^\[$g\] PASS: no #DB outside the calls and writes \(0\)" "$g: no spurious #DB"
  guest_done "$L" "$g" 10
done
expect "$L" "^\[dr-clobber\] dregs: clobbered DR0-DR3/DR6/DR7 in $CLOBBER rounds" "the clobbering guest ran all its rounds"
expect "$L" 'guest dr-clobber: stopped: .*\(status 0,' "the clobbering guest ends with status 0"
expect "$L" "^\[pt-int80\] PASS: int \\\$0x80 handler ran $INT80 times" "traced guest: the INT 0x80 handler ran every time"
expect "$L" "^\[pt-int80\] PASS: no TF visible in $INT80 of $INT80 int \\\$0x80 frames" "traced guest: no stepping TF in its interrupt frames"
guest_done "$L" pt-int80 17

# The guests ran interleaved: the clobbering guest started before and ended after the others' work.
c_start=$(line_of "$L" '^\[dr-clobber\] dregs: role=clobber')
c_end=$(line_of "$L" '^\[dr-clobber\] dregs: clobbered')
t_start=$(line_of "$L" '^\[pt-int80\] ptwork: case=int80')
t_stop=$(line_of "$L" 'guest pt-int80: PT tracing stopped')
a_start=$(line_of "$L" '^\[dr-a\] dregs: role=check')
b_start=$(line_of "$L" '^\[dr-b\] dregs: role=check')
a_done=$(line_of "$L" '^\[dr-a\] done:')
b_done=$(line_of "$L" '^\[dr-b\] done:')
if [ "$a_start" -gt 0 ] && [ "$b_start" -gt 0 ] && [ "$a_start" -lt "$b_done" ] && [ "$b_start" -lt "$a_done" ]; then
  pass "the two check guests ran at the same time"
else
  fail "the check guests did not overlap (dr-a $a_start-$a_done, dr-b $b_start-$b_done)"
fi
if [ "$c_start" -gt 0 ] && [ "$a_done" -gt 0 ] && [ "$b_done" -gt 0 ] && [ "$c_start" -lt "$a_done" ] &&
   [ "$c_start" -lt "$b_done" ] && [ "$a_done" -lt "$c_end" ] && [ "$b_done" -lt "$c_end" ]; then
  pass "the clobbering guest ran all through the check guests' rounds"
else
  fail "no overlap of clobber ($c_start-$c_end) and check guests (done at $a_done, $b_done)"
fi
if [ "$t_start" -gt 0 ] && [ "$c_start" -gt 0 ] && [ "$t_start" -lt "$a_done" ] && [ "$t_start" -lt "$b_done" ] &&
   [ "$t_stop" -gt "$t_start" ] && [ "$t_stop" -lt "$c_end" ]; then
  pass "the traced guest traced its INT loop while the others ran"
else
  fail "no overlap of tracing ($t_start-$t_stop) with the others (clobber ends $c_end, checks done $a_done, $b_done)"
fi
rm -rf build/test-logs/pt-int80
python3 tools/ptverify.py "$L" pt-int80 $G/ptwork.elf --outdir build/test-logs/pt-int80
# pt-riplog counts only what ptvisor stepped: a handler that ran unseen is missing from both flows alike.
# Every INT must enter the handler in the decoded flow.
h=$(nm $G/ptwork.elf | awk '$3 == "ptw_int80_entry" { print $1 }')
entries=$(grep -cx "$(printf '%#x' $((16#${h:-0})))" build/test-logs/pt-int80/ips.txt 2>/dev/null)
if [ -n "$h" ] && [ "${entries:-0}" -eq "$INT80" ]; then
  pass "the decoded flow enters the INT 0x80 handler $INT80 times"
else
  fail "the decoded flow enters the INT 0x80 handler ${entries:-0} times, expected $INT80 (handler 0x$h)"
fi
