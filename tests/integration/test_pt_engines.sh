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
