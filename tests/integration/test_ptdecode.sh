# tools/ptdecode against traces written with libipt's own encoder (build/mktrace) for small code blobs
# assembled here: the reconstructed IP list matches the hand-computed flow, the packet dump and JSON
# are exact, corrupt traces exit 2 naming the offset and libipt's error, bad usage exits 1, and mutated
# or random traces never crash a sanitizer build.
source "$(dirname "$0")/lib.sh"
PD=build/ptdecode
MK=build/mktrace
if [ ! -x $PD ] || [ ! -x $MK ]; then make -s $PD $MK >/dev/null 2>&1; fi
[ -x $PD ] && [ -x $MK ] || { fail "build/ptdecode and build/mktrace do not build"; exit 1; }
for t in nasm ld python3; do command -v $t >/dev/null || { skip "$t not installed"; exit 0; }; done

# One code blob, three ways: flat 64-bit binary, ELF64 and (32-bit code) ELF32.
blob() {   # blob BITS: the test program; the conditional branches go T,T,N (loop) then T (je)
  local ax=rax bx=rbx
  [ "$1" = 32 ] && ax=eax bx=ebx
  cat <<ASM
bits $1
global start
start:  mov ecx, 3
.loop:  dec ecx
        jnz short .loop
        call func
        cmp eax, 1
        je short .skip
        nop
.skip:  mov $ax, target
        jmp $ax
func:   mov eax, 1
        ret
target: nop
        jmp $bx
ASM
}
{ echo "org 0x1000"; blob 64; } >"$TMP/b64.asm"
blob 64 >"$TMP/e64.asm"
blob 32 >"$TMP/e32.asm"
nasm -f bin "$TMP/b64.asm" -o "$TMP/b64.bin" 2>/dev/null &&
nasm -f elf64 "$TMP/e64.asm" -o "$TMP/e64.o" && ld -m elf_x86_64 -Ttext=0x401000 -e start --build-id=none "$TMP/e64.o" -o "$TMP/e64.elf" &&
nasm -f elf32 "$TMP/e32.asm" -o "$TMP/e32.o" && ld -m elf_i386 -Ttext=0x100000 -e start --build-id=none "$TMP/e32.o" -o "$TMP/e32.elf" ||
  { fail "assembling the test blobs"; exit 1; }

# Executed instruction offsets (nasm listing): mov, 3x(dec, jnz), call, func: mov, ret, cmp, je, (nop
# skipped), mov, jmp rax -> target: nop, jmp rbx. 64-bit: "mov rax, imm64" is 10 bytes, dec ecx 2.
OFF64="0 5 7 5 7 5 7 9 0x20 0x25 0xe 0x11 0x14 0x1e 0x26 0x27"
OFF32="0 5 6 5 6 5 6 8 0x1a 0x1f 0xd 0x10 0x13 0x18 0x20 0x21"
ips() { for o in $2; do printf '0x%x\n' $(($1 + o)); done; }
ips 0x1000 "$OFF64" >"$TMP/want64"
# The trace: PSB+, MODE.Exec and TIP.PGE, the four conditional outcomes plus a compressed RET (T),
# the indirect JMP's target, and a TIP.PGD for the last JMP leaving the traced range.
trace64() {  # trace64 OUT BASE [EXTRA...]
  local out=$1 base=$2; shift 2
  $MK "$out" psb psbend mode.exec=64 tip.pge=$base tnt=TTNTT tip=$(printf '0x%x' $((base + 0x26))) \
    tip.pgd=0x5000 "$@"
}
trace64 "$TMP/t64.pt" 0x1000 || fail "mktrace"

$PD --ips-only --image "$TMP/b64.bin:0x1000" "$TMP/t64.pt" >"$TMP/got64" 2>"$TMP/err"
rc=$?
if [ $rc -eq 0 ] && cmp -s "$TMP/got64" "$TMP/want64"; then pass "raw image: IP list matches the flow (16 instructions)"
else fail "raw image: status $rc, got $(tr '\n' ' ' <"$TMP/got64") $(cat "$TMP/err")"; fi

$PD --image "$TMP/b64.bin:0x1000" "$TMP/t64.pt" >"$TMP/flow.txt" 2>&1
expect_status $? 0 "text flow"
cat >"$TMP/flow.want" <<'TXT'
[enabled ip=0x1000]
[exec_mode mode=64 ip=0x1000]
0x0000000000001000  other
0x0000000000001005  other
0x0000000000001007  cond_jump
0x0000000000001005  other
0x0000000000001007  cond_jump
0x0000000000001005  other
0x0000000000001007  cond_jump
0x0000000000001009  call
0x0000000000001020  other
0x0000000000001025  return
0x000000000000100e  other
0x0000000000001011  cond_jump
0x0000000000001014  other
0x000000000000101e  jump
0x0000000000001026  other
0x0000000000001027  jump
[disabled ip=0x5000]
# summary: instructions=16 events=3 trace_bytes=42 errors=0
TXT
if diff -u "$TMP/flow.want" "$TMP/flow.txt" >"$TMP/flow.diff"; then pass "text flow: classes, events and summary exact"
else fail "text flow differs: $(head -c 600 "$TMP/flow.diff")"; fi

$PD --json --image "$TMP/b64.bin:0x1000" "$TMP/t64.pt" >"$TMP/flow.json" 2>&1
python3 - "$TMP/flow.json" <<'PY' && pass "JSON flow: one object per line, exact first instruction and summary" || fail "JSON flow"
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1])]
assert objs[0] == {"event": "enabled", "ip": "0x1000"}, objs[0]
assert objs[2] == {"ip": "0x1000", "iclass": "other", "mode": 64, "size": 5}, objs[2]
assert [o["ip"] for o in objs if "iclass" in o][-1] == "0x1027"
assert objs[-2] == {"event": "disabled", "ip": "0x5000"}, objs[-2]
s = objs[-1]["summary"]
assert (s["instructions"], s["events"], s["errors"], s["trace_bytes"]) == (16, 3, 0, 42), s
PY

# Packet dump, text and JSON.
$PD --packets "$TMP/t64.pt" >"$TMP/pkt.txt" 2>&1
expect_status $? 0 "packet dump"
cat >"$TMP/pkt.want" <<'TXT'
0x00000000  psb
0x00000010  psbend
0x00000012  mode     leaf=exec mode=64
0x00000014  tip.pge  ipc=sext48 ip=0x1000
0x0000001b  tnt.8    bits=5 tnt=TTNTT
0x0000001c  tip      ipc=sext48 ip=0x1026
0x00000023  tip.pgd  ipc=sext48 ip=0x5000
# summary: packets=7 trace_bytes=42 skipped_bytes=0 errors=0
TXT
if diff -u "$TMP/pkt.want" "$TMP/pkt.txt" >"$TMP/pkt.diff"; then pass "packet dump text exact"
else fail "packet dump differs: $(head -c 600 "$TMP/pkt.diff")"; fi
$PD --packets --json "$TMP/t64.pt" >"$TMP/pkt.json" 2>&1
python3 - "$TMP/pkt.json" <<'PY' && pass "packet dump JSON" || fail "packet dump JSON"
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1])]
assert [o.get("type") for o in objs[:-1]] == ["psb", "psbend", "mode", "tip.pge", "tnt.8", "tip", "tip.pgd"]
assert objs[0] == {"offset": "0x0", "type": "psb", "size": 16}, objs[0]
assert objs[4] == {"offset": "0x1b", "type": "tnt.8", "size": 1, "bits": 5, "tnt": "TTNTT"}, objs[4]
assert objs[5]["ip"] == "0x1026" and objs[5]["ipc"] == "sext48"
assert objs[-1]["summary"]["packets"] == 7
PY

# Every packet type the encoder writes, with its payload fields, in the text dump.
$MK "$TMP/all.pt" psb tsc=0x1234 cbr=40 pip=0xabc000 mode.exec=32 fup=0x1000/16 psbend pad mtc=7 cyc=9 \
  tnt=TNTNTNTNTN ovf stop tip=0xffffffff81000000/64 tip=none tip.pge=0x2000/32 tip.pgd=0x3000/48
$PD --packets "$TMP/all.pt" >"$TMP/all.txt" 2>&1
cat >"$TMP/all.want" <<'TXT'
0x00000000  psb
0x00000010  tsc      tsc=0x1234
0x00000018  cbr      ratio=40
0x0000001c  pip      cr3=0xabc000 nr=0
0x00000024  mode     leaf=exec mode=32
0x00000026  fup      ipc=update16 ip=0x1000
0x00000029  psbend
0x0000002b  pad
0x0000002c  mtc      ctc=0x7
0x0000002e  cyc      value=0x9
0x0000002f  tnt.64   bits=10 tnt=TNTNTNTNTN
0x00000037  ovf
0x00000039  stop
0x0000003b  tip      ipc=full ip=0xffffffff81000000
0x00000044  tip      ipc=suppressed
0x00000045  tip.pge  ipc=update32 ip=0x2000
0x0000004a  tip.pgd  ipc=update48 ip=0x3000
# summary: packets=17 trace_bytes=81 skipped_bytes=0 errors=0
TXT
if diff -u "$TMP/all.want" "$TMP/all.txt" >"$TMP/all.diff"; then pass "packet dump of every encoded packet type"
else fail "packet types differ: $(head -c 600 "$TMP/all.diff")"; fi

# A RET that is not compressed takes its target from a TIP instead of a TNT bit.
$MK "$TMP/tipret.pt" psb psbend mode.exec=64 tip.pge=0x1000 tnt=TTN tip=0x100e tnt=T tip=0x1026 tip.pgd=0x5000
$PD --ips-only --image "$TMP/b64.bin:0x1000" "$TMP/tipret.pt" >"$TMP/got" 2>&1
if cmp -s "$TMP/got" "$TMP/want64"; then pass "uncompressed RET via TIP"; else fail "uncompressed RET: $(tr '\n' ' ' <"$TMP/got")"; fi

# Two traced stretches (disable, PSB, enable again) give the flow twice; junk before the first PSB
# is skipped and counted.
$MK "$TMP/two.pt" raw=0a0b0c psb psbend mode.exec=64 tip.pge=0x1000 tnt=TTNTT tip=0x1026 tip.pgd=0x5000 \
  psb psbend tip.pge=0x1000 tnt=TTNTT tip=0x1026 tip.pgd=0x5000
cat "$TMP/want64" "$TMP/want64" >"$TMP/want"
$PD --ips-only --image "$TMP/b64.bin:0x1000" "$TMP/two.pt" >"$TMP/got" 2>&1
if cmp -s "$TMP/got" "$TMP/want"; then pass "two traced stretches"; else fail "two stretches: $(tr '\n' ' ' <"$TMP/got")"; fi
$PD --json --image "$TMP/b64.bin:0x1000" "$TMP/two.pt" 2>/dev/null | tail -n 1 |
  grep -q '"skipped_bytes":3,"packets":0,"instructions":32,"events":5,"errors":0' &&
  pass "bytes before the first PSB skipped" || fail "skipped bytes / two-stretch summary"

# An asynchronous stop (FUP of the first untraced instruction, TIP.PGD without IP), as a WRMSR
# clearing TraceEn produces: the flow ends before the CALL.
$MK "$TMP/stop.pt" psb psbend mode.exec=64 tip.pge=0x1000 tnt=TTN fup=0x1009 tip.pgd=none
$PD --image "$TMP/b64.bin:0x1000" "$TMP/stop.pt" >"$TMP/got" 2>&1
if [ "$(grep -c '^0x' "$TMP/got")" = 7 ] && grep -q '^0x0000000000001007  cond_jump$' <(grep '^0x' "$TMP/got" | tail -n 1) &&
   grep -q '^\[async_disabled at=0x1009\]$' "$TMP/got"; then pass "asynchronous stop: 7 instructions, then async_disabled"
else fail "asynchronous stop: $(tr '\n' ' ' <"$TMP/got")"; fi

# ELF64 at its link address, and relocated by a bias.
trace64 "$TMP/e64.pt" 0x401000
ips 0x401000 "$OFF64" >"$TMP/want"
$PD --ips-only --elf "$TMP/e64.elf" "$TMP/e64.pt" >"$TMP/got" 2>&1
if cmp -s "$TMP/got" "$TMP/want"; then pass "ELF64 PT_LOAD segments"; else fail "ELF64: $(tr '\n' ' ' <"$TMP/got")"; fi
trace64 "$TMP/e64b.pt" 0x501000
ips 0x501000 "$OFF64" >"$TMP/want"
$PD --ips-only --elf "$TMP/e64.elf:0x100000" "$TMP/e64b.pt" >"$TMP/got" 2>&1
if cmp -s "$TMP/got" "$TMP/want"; then pass "ELF64 with a load bias"; else fail "ELF64 bias: $(tr '\n' ' ' <"$TMP/got")"; fi

# ELF32, 32-bit code (a multiboot guest's view).
$MK "$TMP/e32.pt" psb psbend mode.exec=32 tip.pge=0x100000 tnt=TTNTT tip=0x100020 tip.pgd=0x5000
ips 0x100000 "$OFF32" >"$TMP/want"
$PD --ips-only --elf "$TMP/e32.elf" "$TMP/e32.pt" >"$TMP/got" 2>&1
if cmp -s "$TMP/got" "$TMP/want"; then pass "ELF32, 32-bit mode"; else fail "ELF32: $(tr '\n' ' ' <"$TMP/got")"; fi
$PD --json --elf "$TMP/e32.elf" "$TMP/e32.pt" 2>/dev/null | grep -q '"ip":"0x100000","iclass":"other","mode":32' &&
  pass "ELF32 instructions decode in 32-bit mode" || fail "ELF32 mode in JSON"

# Corrupt traces: exit 2, the offset and libipt's error string on stderr.
corrupt() {  # corrupt NAME PTDECODE-ARGS... -- MESSAGE
  local name=$1 file; shift
  local args=() msg
  file=$(tr -c 'A-Za-z0-9\n' _ <<<"$name")
  while [ "$1" != -- ]; do args+=("$1"); shift; done
  msg=$2
  $PD "${args[@]}" >"$TMP/$file.out" 2>"$TMP/$file.err"
  local rc=$?
  if [ $rc -eq 2 ] && grep -qF -- "$msg" "$TMP/$file.err"; then pass "$name: exit 2, '$msg'"
  else fail "$name: status $rc, stderr: $(head -c 300 "$TMP/$file.err")"; fi
}
$MK "$TMP/badopc.pt" psb psbend mode.exec=64 tip.pge=0x1000 tnt=TTN raw=d9 tnt=TT tip=0x1026 tip.pgd=0x5000 psb psbend
corrupt "bad opcode (packets)" --packets "$TMP/badopc.pt" -- "error at offset 0x1c: unknown opcode"
corrupt "bad opcode (flow)" --image "$TMP/b64.bin:0x1000" "$TMP/badopc.pt" -- "error at offset 0x1c: unknown opcode"
grep -q '"tnt":"TTN"' <($PD --packets --json "$TMP/badopc.pt" 2>/dev/null) &&
  grep -q '"offset":"0x2c","type":"psb"' <($PD --packets --json "$TMP/badopc.pt" 2>/dev/null) &&
  pass "packet dump resyncs at the next PSB after the bad opcode" || fail "packet dump resync"
$MK "$TMP/extra.pt" psb psbend mode.exec=64 tip.pge=0x1000 tnt=TTNTT tnt=TT tip=0x1026 tip.pgd=0x5000
corrupt "trace/flow mismatch" --image "$TMP/b64.bin:0x1000" "$TMP/extra.pt" -- "trace stream does not match query"
corrupt "no image" "$TMP/t64.pt" -- "error at offset 0x"
head -c 4096 /dev/urandom | tr -d '\002' >"$TMP/random.pt"
corrupt "random bytes" --packets "$TMP/random.pt" -- "no PSB packet in the trace"
: >"$TMP/empty.pt"
corrupt "empty trace" "$TMP/empty.pt" -- "empty trace file"
printf 'jmp $\n' | sed 's/^/bits 64\n/' >"$TMP/loop.asm" && nasm -f bin "$TMP/loop.asm" -o "$TMP/loop.bin"
$MK "$TMP/loop.pt" psb psbend mode.exec=64 tip.pge=0x1000 tnt=T
corrupt "endless direct loop" --image "$TMP/loop.bin:0x1000" "$TMP/loop.pt" -- "no trace consumed for 16M instructions"

# Usage and I/O errors: exit 1.
usage_case() {  # usage_case NAME ARGS...
  local name=$1; shift
  $PD "$@" >/dev/null 2>&1
  expect_status $? 1 "$name"
}
usage_case "no arguments"
usage_case "missing trace file" "$TMP/nope.pt"
usage_case "--image without an address" --image "$TMP/b64.bin" "$TMP/t64.pt"
usage_case "missing image file" --image "$TMP/nope.bin:0x1000" "$TMP/t64.pt"
usage_case "--elf on a non-ELF file" --elf "$TMP/b64.bin" "$TMP/t64.pt"
usage_case "--ips-only with --json" --ips-only --json "$TMP/t64.pt"
usage_case "bad --cpu" --cpu 6/x "$TMP/t64.pt"
$PD --cpu 6/85/4 --ips-only --image "$TMP/b64.bin:0x1000" "$TMP/t64.pt" 2>/dev/null | cmp -s - "$TMP/want64" &&
  pass "--cpu family/model/stepping" || fail "--cpu 6/85/4"

# --bench: decodes for at least half a second and reports the rates.
out=$($PD --bench --image "$TMP/b64.bin:0x1000" "$TMP/t64.pt" 2>&1)
if [[ $out =~ runs=([0-9]+).*seconds=([0-9.]+).*MB/s=([0-9.]+).*insns/s=([0-9]+).*insns_per_run=16 ]] &&
   [ "${BASH_REMATCH[1]}" -gt 1 ] && python3 -c "import sys; sys.exit(float('${BASH_REMATCH[2]}') < 0.5)"; then
  pass "bench: ${BASH_REMATCH[1]} runs, ${BASH_REMATCH[3]} MB/s, ${BASH_REMATCH[4]} insns/s"
else fail "bench output: $out"; fi
$PD --bench --packets --json "$TMP/t64.pt" 2>/dev/null | grep -q '"bench":{"mode":"packets"' &&
  pass "bench JSON (packets)" || fail "bench JSON"
corrupt "bench on a corrupt trace" --bench --image "$TMP/b64.bin:0x1000" "$TMP/badopc.pt" -- "unknown opcode"

# Fuzz: truncated, bit-flipped and random traces through an ASan/UBSan build: status 0 or 2 only.
if gcc -std=gnu11 -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all tools/ptdecode/{main,names,packets,flow,image,bench}.c \
     -lipt -o "$TMP/ptdecode-asan" 2>"$TMP/asan-build.err"; then
  python3 - "$TMP" <<'PY'
import os, random, sys
tmp = sys.argv[1]
random.seed(1234)
seeds = [open(os.path.join(tmp, f), 'rb').read() for f in ('t64.pt', 'tipret.pt', 'badopc.pt')]
for i in range(150):
    s = bytearray(random.choice(seeds))
    kind = i % 3
    if kind == 0:
        s = s[:random.randrange(len(s) + 1)]
    elif kind == 1:
        for _ in range(random.randint(1, 4)):
            p = random.randrange(16, len(s))
            s[p] ^= 1 << random.randrange(8)
    else:
        s = s[:16] + bytes(random.randrange(256) for _ in range(random.randint(0, 200)))
    open(os.path.join(tmp, f'fuzz{i}.pt'), 'wb').write(s)
PY
  bad=0
  for i in $(seq 0 149); do
    for mode in --packets --flow; do
      timeout 20 "$TMP/ptdecode-asan" $mode --image "$TMP/b64.bin:0x1000" "$TMP/fuzz$i.pt" >/dev/null 2>"$TMP/fz.err"
      rc=$?
      if { [ $rc -ne 0 ] && [ $rc -ne 2 ]; } || grep -qE 'AddressSanitizer|runtime error' "$TMP/fz.err"; then
        bad=$((bad + 1)); echo "fuzz$i $mode: status $rc $(head -c 200 "$TMP/fz.err")"
        cp "$TMP/fuzz$i.pt" build/test-logs/ 2>/dev/null
      fi
    done
  done
  if [ $bad -eq 0 ]; then pass "fuzz: 300 decodes of mutated traces under ASan/UBSan"; else fail "fuzz: $bad bad runs"; fi
  # Truncated ELF files: a clean usage error (1), never a crash.
  bad=0
  for n in 0 3 16 40 52 60 84 100 116 200 4096 4100; do
    head -c $n "$TMP/e32.elf" >"$TMP/cut.elf"
    "$TMP/ptdecode-asan" --elf "$TMP/cut.elf" "$TMP/t64.pt" >/dev/null 2>"$TMP/fz.err"
    rc=$?
    if [ $rc -gt 2 ] || grep -qE 'AddressSanitizer|runtime error' "$TMP/fz.err"; then
      bad=$((bad + 1)); echo "ELF cut at $n: status $rc $(head -c 200 "$TMP/fz.err")"
    fi
  done
  if [ $bad -eq 0 ]; then pass "fuzz: truncated ELF files"; else fail "fuzz: $bad truncated ELF files crashed"; fi
else
  fail "sanitizer build of ptdecode: $(head -c 300 "$TMP/asan-build.err")"
fi
