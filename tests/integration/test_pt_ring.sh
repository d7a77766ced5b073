# Emulated Intel PT as Linux's perf drives it for `intel_pt//u`, in Bochs: a 64-bit guest kernel sets
# TraceEn at CPL 0 with User only; its ring-3 program makes SYSCALLs (SYSRETQ back), INT 0x80s (IRETQ
# back), takes a page fault and self-IPIs, does sched-out/sched-in system calls (TraceEn toggled, STATUS
# and the output MSRs rewritten, CR3 switched) into a ToPA of two tables and four regions, and handles
# the ToPA PMI as an NMI the way perf does. The guest checks
# that nothing of ptvisor's stepping shows (TF in R11, frames, PUSHFQ; CR2 at the #PF); the trace is
# decoded by libipt and must equal the user instructions ptvisor traced, with none of the kernel's,
# one PSB for the first enable only, TIP.PGD/TIP.PGE around every kernel entry, and no PIP. A second
# guest runs the same with pt_engine=step: its trace must be the block engine's, packet for packet.
source "$(dirname "$0")/lib.sh"
G=build/guest
N=400
guest_iso "$TMP/ring.iso" $G/ptring.elf <<MODS
ptring.elf name=pt-ring pt_riplog=on -- iterations=$N
ptring.elf name=pt-ring-step pt_riplog=on pt_engine=step -- iterations=$N
MODS
tools/run-bochs.sh --iso "$TMP/ring.iso" --serial "$TMP/serial.log" --timeout 120
rc=$?
L=$TMP/serial.log
keep_log "$L" pt-ring.serial.log
expect_status "$rc" 0 "the tracing guests end with status 0"
expect "$L" 'guest PT backend emulated' "the emulated backend is chosen"
guest_done "$L" pt-ring 28
guest_done "$L" pt-ring-step 28
S=$((N / 16 + (N % 16 >= 8 ? 1 : 0)))
n=$(tr -d '\r' <"$L" | grep -c 'guest pt-ring: PT tracing stopped: TraceEn cleared by the guest')
if [ "$n" -eq $((S + 2)) ]; then pass "TraceEn cleared $n times (the $S sched-outs, the PMI handler, the exit)"; else fail "TraceEn cleared $n times, expected $((S + 2))"; fi
python3 tools/ptverify.py "$L" pt-ring $G/ptring.elf --outdir build/test-logs/pt-ring
# The same run in the step engine (the reference): same ground truth, same packets.
python3 tools/ptverify.py "$L" pt-ring-step $G/ptring.elf --outdir build/test-logs/pt-ring
b=$(tr -d '\r' <"$L" | grep -a "pt-riplog pt-ring " | sed 's/.*count=//' | md5sum)
s=$(tr -d '\r' <"$L" | grep -a "pt-riplog pt-ring-step " | sed 's/.*count=//' | md5sum)
if [ "$b" = "$s" ]; then pass "block and step engines: same ground truth in every tracing period"; else fail "ground truths differ between the engines"; fi
expect "$L" 'pt-stats pt-ring .* engine=block blocks=[1-9]' "the block engine ran user code in blocks"
python3 tools/ptcompare.py build/test-logs/pt-ring/pt-ring.pt build/test-logs/pt-ring/pt-ring-step.pt

T=build/test-logs/pt-ring/pt-ring.pt
IPS=build/test-logs/pt-ring/ips.txt
if [ -s "$T" ] && [ -s "$IPS" ]; then
  k0=$(nm $G/ptring.elf | awk '$3 == "k_syscall" { print $1 }')
  u0=$(nm $G/ptring.elf | awk '$3 == "u_main" { print $1 }')
  bad=$(python3 -c 'import sys; lo, hi = int(sys.argv[1], 16), int(sys.argv[2], 16); print(sum(1 for l in open(sys.argv[3]) if not lo <= int(l, 16) < hi))' "$u0" "$k0" "$IPS")
  if [ "$bad" -eq 0 ]; then pass "every decoded instruction is user code (none of the kernel's)"; else fail "$bad decoded instructions outside the user program"; fi
  build/ptdecode --packets "$T" >"$TMP/pkts.txt" 2>&1
  psb=$(grep -c '  psb$' "$TMP/pkts.txt")
  pge=$(grep -c 'tip.pge' "$TMP/pkts.txt")
  pgd=$(grep -c 'tip.pgd' "$TMP/pkts.txt")
  pip=$(grep -c ' pip ' "$TMP/pkts.txt")
  echo "packets: psb=$psb tip.pge=$pge tip.pgd=$pgd pip=$pip"
  # Every kernel entry (SYSCALLs, INT 0x80s, the #PF, the self-IPIs, the PMI's NMI if it came in ring 3)
  # disables, every return to ring 3 (and the first IRETQ) enables.
  want=$((N + 1 + S + N / 4 + 1 + (N + 5) / 8))
  if [ "$pgd" -eq "$want" ] || [ "$pgd" -eq $((want + 1)) ]; then pass "TIP.PGD at each of the $pgd kernel entries"; else fail "$pgd TIP.PGD, expected $want or $((want + 1))"; fi
  if [ "$pge" -eq "$pgd" ]; then pass "TIP.PGE at each return to user code and the first IRETQ ($pge)"; else fail "$pge TIP.PGE, expected $pgd"; fi
  # PacketByteCnt is kept across sched-out/in: PSBs come from the first enable and the 2 KiB period only.
  len=$(stat -c %s "$T")
  if [ "$psb" -ge 1 ] && [ "$psb" -le $((1 + len / 2048)) ]; then pass "$psb PSBs in $len bytes: none forced by the $S sched-ins"; else fail "$psb PSBs in $len bytes"; fi
  if [ "$pip" -eq 0 ]; then pass "no PIP with IA32_RTIT_CTL.OS=0"; else fail "$pip PIP packets with OS=0"; fi
else
  fail "no extracted trace or decoded flow"
fi
