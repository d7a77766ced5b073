# The UEFI framebuffer console (real laptops often have no serial port): QEMU/OVMF is stopped under gdb at
# power_off, its screen is dumped, and the screen must show text drawn with the built-in font in the
# console's colours (light grey on black), and the glyphs of "ptvisor" at the start of a line.
source "$(dirname "$0")/lib.sh"
make_iso "$TMP/fb.iso" ""
sock=$TMP/mon.sock
port=$((20000 + RANDOM % 20000))
timeout 150 qemu-system-x86_64 -machine q35 -accel tcg -m 256 -bios /usr/share/ovmf/OVMF.fd \
  -drive file="$TMP/fb.iso",media=cdrom,format=raw,readonly=on -serial file:"$TMP/serial.log" \
  -display none -monitor unix:"$sock",server,nowait -no-reboot -nic none \
  -device isa-debug-exit,iobase=0xf4,iosize=4 -gdb tcp:127.0.0.1:$port -S >/dev/null 2>&1 &
qpid=$!
sleep 1
cat >"$TMP/shot.py" <<PY
import socket, time
s = socket.socket(socket.AF_UNIX); s.connect("$sock"); time.sleep(0.3); s.recv(4096)
s.send(b"screendump $TMP/screen.ppm\n"); time.sleep(1.5)
PY
addr=0x$(nm "$ELF" | awk '$3 == "power_off" { print $1 }')
timeout 120 gdb -batch -nx -ex "target remote 127.0.0.1:$port" -ex "hbreak *$addr" -ex continue \
  -ex "shell python3 $TMP/shot.py" "$ELF" >"$TMP/gdb.log" 2>&1
wait $qpid 2>/dev/null
if [ ! -s "$TMP/screen.ppm" ]; then
  fail "no screen dump taken (gdb: $(tail -n 2 "$TMP/gdb.log" | tr '\n' ' '))"
  exit 1
fi
python3 - "$TMP/screen.ppm" vmm/console/font.c <<'PY'
import re, sys
data = open(sys.argv[1], "rb").read()
magic, dims, maxval, px = data.split(b"\n", 3)
w, h = map(int, dims.split())
pixels = [px[i:i + 3] for i in range(0, w * h * 3, 3)]
lit = [p for p in pixels if p != b"\0\0\0"]
colours = set(lit)
frac = len(lit) / len(pixels)
def res(ok, what):
    print(("PASS: " if ok else "FAIL: ") + what)
res(0.01 < frac < 0.4, f"screen {w}x{h} holds text ({frac:.1%} of pixels lit)")
res(colours <= {b"\xaa\xaa\xaa"}, f"drawn in the console colour only ({len(colours)} colour(s))")
# The font's glyphs for 'p' 't' 'v' from font.c, rendered as the console draws them (MSB = left).
src = open(sys.argv[2]).read()
lines = src.splitlines()
def glyph(ch):
    # Each glyph is two lines of eight bytes; the first carries the comment "/* 0xNN 'c' */".
    for i, line in enumerate(lines):
        if "/* 0x%02x " % ord(ch) in line:
            vals = re.findall(r"0x[0-9a-fA-F]{2}\b", line.split("/*")[0] + lines[i + 1].split("/*")[0])
            return [int(x, 16) for x in vals[:16]]
    return None
want = [glyph(c) for c in "ptv"]
def cell(row, col):
    rows = []
    for y in range(16):
        b = 0
        for x in range(8):
            if pixels[(row * 16 + y) * w + col * 8 + x] != b"\0\0\0":
                b |= 0x80 >> x
        rows.append(b)
    return rows
found = None
if all(want):
    for row in range(h // 16):
        if [cell(row, c) for c in range(3)] == want:
            found = row
            break
res(found is not None, "a text row starts with the font's glyphs for \"ptv\"" +
    (f" (row {found})" if found is not None else "" if all(want) else " (glyphs not found in font.c)"))
PY
