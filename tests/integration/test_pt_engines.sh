# The emulated PT backend's two engines on the same workloads, in one Bochs run: each traced test guest
# runs twice, with pt_engine=block (the default: whole blocks natively) and pt_engine=step (every
# instruction single-stepped, the reference). Both traces must be identical packet for packet (TSC
# payloads aside), ptvisor's ground truth (count and hash of every traced IP) equal, and libipt's decode
# of each equal to it. Covered: calls, returns, indirect jumps, Jcc (ptwork topa), a ToPA STOP region, the
# ToPA PMI as an NMI, 32/64-bit mode switches and a CR3 write (longmode), INT n with its handler
# (int80), user/kernel transitions with SYSCALL/SYSRET, IRET, a #PF and self-IPIs (ptring), and code that
# rewrites itself just ahead of where it runs (smc: the ground truths and traces must agree; libipt
# decodes from the ELF's bytes, which the guest changed, so it is not asked), and returns to addresses no
# CALL pushed (retmod: the block engine predicts RETs from its stack model, and each sequence there
# changes the return address or the stack in a way the prediction must see; a wrong one shows here).
source "$(dirname "$0")/lib.sh"
G=build/guest
guest_iso "$TMP/eng.iso" $G/ptwork.elf <<'MODS'
ptwork.elf name=b-topa pt_riplog=on -- case=single iterations=150
ptwork.elf name=s-topa pt_riplog=on pt_engine=step -- case=single iterations=150
ptwork.elf name=b-lm pt_riplog=on -- case=single iterations=50 longmode=on
ptwork.elf name=s-lm pt_riplog=on pt_engine=step -- case=single iterations=50 longmode=on
ptwork.elf name=b-smc pt_riplog=on -- case=smc iterations=40
ptwork.elf name=s-smc pt_riplog=on pt_engine=step -- case=smc iterations=40
ptwork.elf name=b-retmod pt_riplog=on -- case=retmod iterations=40
ptwork.elf name=s-retmod pt_riplog=on pt_engine=step -- case=retmod iterations=40
MODS
tools/run-bochs.sh --iso "$TMP/eng.iso" --serial "$TMP/serial.log" --timeout 300
rc=$?
L=$TMP/serial.log
keep_log "$L" pt-engines.serial.log
expect_status "$rc" 0 "all tracing guests end with status 0"
riplog() { tr -d '\r' <"$L" | grep -a "pt-riplog $1 " | sed 's/.*count=/count=/' | md5sum | cut -c1-12; }
expect_not "$L" "off the decoded path" "the block engine never lost its path (no RET went elsewhere than predicted)"
expect "$L" "pt-stats b-topa .* rets=[1-9]" "b-topa: RETs ran inside blocks, predicted from the stack"
# A Jcc's two successors run on to a breakpoint each (forks); with pt_fork=off every Jcc stops the block.
expect "$L" "pt-stats b-topa .* forks=[1-9]" "b-topa: paths forked at Jcc"
expect "$L" "pt-stats b-retmod .* forks=[1-9]" "b-retmod: paths forked at Jcc"
for c in topa lm smc retmod; do
  for e in b s; do
    expect "$L" "^\[$e-$c\] done: [0-9]+ passed, 0 failed" "$e-$c: all its checks passed"
  done
  expect "$L" "pt-stats b-$c .* engine=block blocks=[1-9]" "b-$c ran blocks natively"
  b=$(riplog b-$c)
  s=$(riplog s-$c)
  if [ -n "$b" ] && [ "$b" = "$s" ]; then pass "$c: same ground truth in both engines (digest $b)"; else fail "$c: ground truth block '$b' vs step '$s'"; fi
  elf=$G/ptwork.elf
  for e in b s; do
    if [ $c = smc ]; then
      python3 tools/ptextract.py -o build/test-logs/pt-eng --source $e-$c "$L" >/dev/null
    else
      python3 tools/ptverify.py "$L" $e-$c $elf --outdir build/test-logs/pt-eng
    fi
  done
  python3 tools/ptcompare.py build/test-logs/pt-eng/b-$c.pt build/test-logs/pt-eng/s-$c.pt
done

# pt_fork=off (a guest of its own run: eight guests at most per run): the same trace as stepping.
guest_iso "$TMP/nofork.iso" $G/ptwork.elf <<'MODS'
ptwork.elf name=n-topa pt_riplog=on pt_fork=off -- case=single iterations=150
MODS
tools/run-bochs.sh --iso "$TMP/nofork.iso" --serial "$TMP/nofork.log" --timeout 120
expect_status $? 0 "n-topa (pt_fork=off) ends with status 0"
N=$TMP/nofork.log
keep_log "$N" pt-engines-nofork.serial.log
expect "$N" "pt-stats n-topa .* forks=0 " "n-topa (pt_fork=off): no fork"
expect "$N" "^\[n-topa\] done: [0-9]+ passed, 0 failed" "n-topa: all its checks passed"
n=$(tr -d '\r' <"$N" | grep -a "pt-riplog n-topa " | sed 's/.*count=/count=/' | md5sum | cut -c1-12)
if [ "$n" = "$(riplog s-topa)" ]; then pass "pt_fork=off: same ground truth as the step engine"; else fail "pt_fork=off: ground truth differs from the step engine's"; fi
python3 tools/ptverify.py "$N" n-topa $G/ptwork.elf --outdir build/test-logs/pt-eng
python3 tools/ptcompare.py build/test-logs/pt-eng/n-topa.pt build/test-logs/pt-eng/s-topa.pt
