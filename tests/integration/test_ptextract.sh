# tools/ptextract.py against frames from a tiny independent Python encoder and from the guest's
# own writer (guest/lib/trace_dump.c built for the host by the unit test, its output passed through
# ptvisor's virtual 16550): good frames come back byte for byte; a bad CRC, a missing line, a cut
# line or a frame without END fail with exit 2.
source "$(dirname "$0")/lib.sh"
PX=tools/ptextract.py

# enc.py OUT SPEC...: writes a serial log; SPEC = prefix:name:len[:fault] (fault: crc|drop|swap|noend|cut)
cat >"$TMP/enc.py" <<'PY'
import base64, sys, zlib
def pattern(n):
    return bytes((i * 7 + 3 + (i >> 8)) & 0xff for i in range(n))
out = ['ptvisor: guest pt started\r']
for spec in sys.argv[2:]:
    prefix, name, n, *fault = spec.split(':')
    data, fault = pattern(int(n)), (fault or [''])[0]
    pre = f'[{prefix}] ' if prefix else ''
    crc = zlib.crc32(data) ^ (1 if fault == 'crc' else 0)
    lines = [f'PTV-TRACE-BEGIN v1 name={name} bytes={len(data)} crc32={crc:08x}']
    body = [f'D {i // 72} ' + base64.b64encode(data[i:i + 72]).decode() for i in range(0, len(data), 72)]
    if fault == 'drop': del body[1]
    if fault == 'swap': body[1], body[2] = body[2], body[1]
    if fault == 'cut': body[0] = body[0][:60]
    lines += body
    if fault != 'noend': lines.append(f'PTV-TRACE-END name={name} lines={(len(data) + 71) // 72}')
    out += [pre + l + ('\r' if i % 3 == 0 else '') for i, l in enumerate(lines)]
    out.append('[other] PASS: a line from another guest')
open(sys.argv[1], 'w').write('\n'.join(out) + '\n')
PY
# same.py FILE LEN: the file holds exactly pattern(LEN)
cat >"$TMP/same.py" <<'PY'
import sys
want = bytes((i * 7 + 3 + (i >> 8)) & 0xff for i in range(int(sys.argv[2])))
sys.exit(0 if open(sys.argv[1], 'rb').read() == want else 1)
PY
same() { python3 "$TMP/same.py" "$1" "$2"; }
# field JSON EXPR: evaluates EXPR on the parsed summary j
field() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"; }

# Good frames: three guests, interleaved with other lines, CRLF endings, an empty payload.
python3 "$TMP/enc.py" "$TMP/good.log" g1:alpha:1000 g2:beta:0 :raw:97 g1:alpha:72
$PX -o "$TMP/out" "$TMP/good.log" >"$TMP/good.json" 2>"$TMP/good.err"
expect_status $? 0 "good frames extract"
if same "$TMP/out/alpha.pt" 1000; then pass "alpha.pt is byte-exact (1000 bytes)"; else fail "alpha.pt differs"; fi
if same "$TMP/out/beta.pt" 0; then pass "empty payload gives an empty file"; else fail "beta.pt not empty"; fi
if same "$TMP/out/raw.pt" 97; then pass "frame without console prefix"; else fail "raw.pt differs"; fi
if same "$TMP/out/alpha.2.pt" 72; then pass "second frame of the same name goes to alpha.2.pt"; else fail "alpha.2.pt"; fi
got=$(field "$TMP/good.json" "len(j['frames']), j['frames'][0]['bytes'], j['frames'][0]['lines'], j['frames'][0]['source'], j['frames'][0]['crc32'], len(j['errors'])")
want=$(python3 -c "import zlib; d=bytes((i*7+3+(i>>8))&0xff for i in range(1000)); print(4, 1000, 14, 'g1', '%08x' % zlib.crc32(d), 0)")
if [ "$got" = "$want" ]; then pass "JSON summary ($got)"; else fail "JSON summary: $got, expected $want"; fi

# bad_case NAME SPEC MESSAGE: exit status 2 and a message naming the fault.
bad_case() {
  python3 "$TMP/enc.py" "$TMP/$1.log" "$2"
  $PX -o "$TMP/out-$1" "$TMP/$1.log" >"$TMP/$1.json" 2>"$TMP/$1.err"
  local rc=$?
  if [ $rc -eq 2 ] && grep -q -- "$3" "$TMP/$1.err"; then
    pass "$1: exit 2, '$3'"
  else
    fail "$1: status $rc, stderr: $(head -c 300 "$TMP/$1.err")"
  fi
  if [ -e "$TMP/out-$1/t.pt" ]; then fail "$1: wrote t.pt from a bad frame"; else pass "$1: no output file"; fi
}
bad_case badcrc g:t:500:crc "CRC mismatch"
bad_case missing g:t:500:drop "missing line: got D 2, expected D 1"
bad_case reorder g:t:500:swap "missing line: got D 2, expected D 1"
bad_case noend g:t:500:noend "truncated frame: log ended after 7 of 7 D lines"
bad_case cut g:t:500:cut "D 0 carries"

# A bad frame does not stop a good one from the same log.
python3 "$TMP/enc.py" "$TMP/mixed.log" g:t:300:drop g:ok:300
$PX -o "$TMP/out-mixed" "$TMP/mixed.log" >"$TMP/mixed.json" 2>/dev/null
rc=$?
if [ $rc -eq 2 ] && same "$TMP/out-mixed/ok.pt" 300; then pass "good frame kept beside a bad one"; else fail "mixed log (status $rc)"; fi
got=$(field "$TMP/mixed.json" "len(j['frames']), len(j['errors']), j['errors'][0]['name']")
if [ "$got" = "1 1 t" ]; then pass "mixed summary: one frame, one error"; else fail "mixed summary: $got"; fi

# Truncated log: the frame is cut off mid-way by the end of the file.
python3 "$TMP/enc.py" "$TMP/full.log" g:t:5000
head -n 40 "$TMP/full.log" >"$TMP/trunc.log"
$PX -o "$TMP/out-trunc" "$TMP/trunc.log" >/dev/null 2>"$TMP/trunc.err"
rc=$?
if [ $rc -eq 2 ] && grep -q "truncated frame: log ended after 38 of 70 D lines" "$TMP/trunc.err"; then
  pass "truncated log: exit 2"; else fail "truncated log: status $rc: $(cat "$TMP/trunc.err")"; fi

printf 'nothing here\n' >"$TMP/none.log"
$PX -o "$TMP/out-none" "$TMP/none.log" >/dev/null 2>"$TMP/none.err"
rc=$?
if [ $rc -eq 2 ] && grep -q "no PTV-TRACE frame" "$TMP/none.err"; then pass "log without frames: exit 2"; else fail "log without frames: status $rc"; fi
$PX -o "$TMP/out-x" "$TMP/does-not-exist.log" >/dev/null 2>&1
expect_status $? 1 "missing log file"

# The guest's writer, built for the host by the unit test, read back by ptextract.py.
if [ ! -x build/unit/test_trace_dump ]; then
  make -s build/unit/test_trace_dump >/dev/null 2>&1
fi
if [ -x build/unit/test_trace_dump ]; then
  PTV_TRACE_DUMP_OUT="$TMP/guest.raw" build/unit/test_trace_dump >/dev/null 2>&1
  cp "$TMP/guest.raw" "$TMP/guest.log"   # already as the console shows it: "[ptguest] ..."
  $PX -o "$TMP/out-guest" --source ptguest "$TMP/guest.log" >"$TMP/guest.json" 2>"$TMP/guest.err"
  expect_status $? 0 "guest writer's frames extract"
  for n in 0 1 71 72 73 95 96 97 144 65536; do
    if same "$TMP/out-guest/len$n.pt" "$n"; then pass "guest frame of $n bytes round-trips"; else fail "guest frame of $n bytes"; fi
  done
else
  fail "build/unit/test_trace_dump could not be built"
fi
