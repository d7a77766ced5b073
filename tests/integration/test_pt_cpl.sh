# No stepping at a privilege level the CPL filter excludes: ptring (`intel_pt//u`: User only) traced four
# times in one boot, the outside view on (pt_cpl=on, the default) and off (the step engine stepping every
# kernel instruction: the oracle), in both engines. All four traces must be the same bytes (TSC payloads
# aside), decode with libipt to the user instructions ptvisor traced, with the same ground truth; with the
# view the kernel runs natively (each return to ring 3 is one EPT-violation exit handing over to the step
# engine) and the run takes far fewer exits. A second pair runs ptring's compute=20 (ptwork's loop in the
# user program between system calls) in the block engine with the view, against the step engine stepping
# the kernel: same trace; and the block engine's decoded paths outlive the kernel's native runs (reused
# where their code pages still translate as they did), so it decodes far fewer paths than it runs.
source "$(dirname "$0")/lib.sh"
G=build/guest
N=256
guest_iso "$TMP/cpl.iso" $G/ptring.elf <<MODS
ptring.elf name=cpl-b pt_riplog=on -- iterations=$N
ptring.elf name=cpl-b-off pt_riplog=on pt_cpl=off -- iterations=$N
ptring.elf name=cpl-s pt_riplog=on pt_engine=step -- iterations=$N
ptring.elf name=cpl-s-off pt_riplog=on pt_engine=step pt_cpl=off -- iterations=$N
ptring.elf name=cpl-bc pt_riplog=on -- iterations=48 compute=20
ptring.elf name=cpl-sc-off pt_riplog=on pt_engine=step pt_cpl=off -- iterations=48 compute=20
MODS
tools/run-bochs.sh --iso "$TMP/cpl.iso" --serial "$TMP/serial.log" --timeout 120
rc=$?
L=$TMP/serial.log
keep_log "$L" pt-cpl.serial.log
expect_status "$rc" 0 "the six tracing guests end with status 0"
expect "$L" 'native runs at a privilege level the CPL filter excludes' "the outside view is reported at boot"
D=build/test-logs/pt-cpl
for g in cpl-b cpl-b-off cpl-s cpl-s-off cpl-bc cpl-sc-off; do
  guest_done "$L" $g 28
  python3 tools/ptverify.py "$L" $g $G/ptring.elf --outdir $D
done
packets() { build/ptdecode --packets "$1" 2>&1 | sed 's/tsc=0x[0-9a-f]*/tsc=_/'; }
ref=$(packets $D/cpl-s-off.pt)
for g in cpl-b cpl-b-off cpl-s; do
  if [ -s $D/$g.pt ] && [ "$(stat -c %s $D/$g.pt)" = "$(stat -c %s $D/cpl-s-off.pt)" ] && [ "$(packets $D/$g.pt)" = "$ref" ]; then
    pass "$g: the same $(stat -c %s $D/$g.pt) bytes as the step engine stepping the kernel, packet for packet"
  else
    fail "$g: the trace differs from cpl-s-off's (or is missing)"
  fi
done
riplog() { tr -d '\r' <"$L" | grep -a "pt-riplog $1 " | sed 's/.*count=//' | md5sum | cut -c1-12; }
r=$(riplog cpl-s-off)
for g in cpl-b cpl-b-off cpl-s; do
  if [ "$(riplog $g)" = "$r" ]; then pass "$g: same ground truth in every tracing period ($r)"; else fail "$g: ground truth differs"; fi
done
# Per tracing period: exits, TSC, view entries (cpl=), fetch exits back to ring 3 (cpl_exits=); sums.
stats() { tr -d '\r' <"$L" | grep -a "pt-stats $1 " | sed 's/.* exits=\([0-9]*\) tsc=\([0-9]*\) .* cpl=\([0-9]*\) cpl_exits=\([0-9]*\).*/\1 \2 \3 \4/'; }
sum() { stats "$1" | awk -v c="$2" '{ s += $c } END { print s + 0 }'; }
for e in b s; do
  on_x=$(sum cpl-$e 1) off_x=$(sum cpl-$e-off 1) on_t=$(sum cpl-$e 2) off_t=$(sum cpl-$e-off 2)
  echo "engine $e: exits $on_x with the view, $off_x stepping the kernel; TSC $on_t vs $off_t; view entries $(sum cpl-$e 3), fetch exits $(sum cpl-$e 4)"
  if [ "$off_x" -gt 0 ] && [ $((on_x * 10)) -lt $((off_x * 7)) ]; then pass "engine $e: $on_x exits instead of $off_x"; else fail "engine $e: $on_x exits, $off_x without the view"; fi
  if [ "$(sum cpl-$e 3)" -gt 0 ] && [ "$(sum cpl-$e 4)" -gt 0 ]; then pass "engine $e: the kernel ran in the outside view"; else fail "engine $e: the outside view was not used"; fi
  if [ "$(sum cpl-$e-off 3)" -eq 0 ]; then pass "engine $e: pt_cpl=off never ran natively"; else fail "engine $e: pt_cpl=off ran natively"; fi
done
if [ "$(packets $D/cpl-bc.pt)" = "$(packets $D/cpl-sc-off.pt)" ] && [ -s $D/cpl-bc.pt ]; then
  pass "compute=20: the block engine with the view writes the step engine's trace, packet for packet"
else
  fail "compute=20: the traces differ"
fi
if [ "$(riplog cpl-bc)" = "$(riplog cpl-sc-off)" ]; then pass "compute=20: same ground truth"; else fail "compute=20: ground truth differs"; fi
blocks=$(tr -d '\r' <"$L" | grep -a "pt-stats cpl-bc " | sed 's/.* blocks=\([0-9]*\) .* decoded=\([0-9]*\) .*/\1 \2/' | awk '{ b += $1; d += $2 } END { print b + 0, d + 0 }')
read -r nb nd <<<"$blocks"
if [ "$nb" -gt 0 ] && [ $((nd * 5)) -lt "$nb" ]; then
  pass "compute=20: $nd paths decoded for $nb blocks run (cached paths survive the kernel's native runs)"
else
  fail "compute=20: $nd paths decoded for $nb blocks"
fi
