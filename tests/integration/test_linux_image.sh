# The Linux test image built from Debian packages (tools/mk-linux-image.sh), checked without booting it:
# a bzImage, an initramfs whose /init, busybox, perf and every library perf loads are there and work on
# this host, and a workload whose printed call order is the one its seed gives.
source "$(dirname "$0")/lib.sh"
OUT=build/linux
tools/mk-linux-image.sh "$OUT" >"$TMP/build.log" 2>&1
rc=$?
if [ $rc -eq 3 ]; then
  skip "the Debian package index or archive cannot be reached ($(tail -n 1 "$TMP/build.log"))"
  exit 0
fi
expect_status "$rc" 0 "tools/mk-linux-image.sh builds the image"
[ $rc -eq 0 ] || { cat "$TMP/build.log"; exit 1; }
tail -n 1 "$TMP/build.log"

# Boot protocol: 0xAA55 at 0x1FE and "HdrS" at 0x202 (Documentation/arch/x86/boot.rst).
flag=$(od -An -tx1 -j510 -N2 "$OUT/vmlinuz" | tr -d ' ')
magic=$(dd if="$OUT/vmlinuz" bs=1 skip=514 count=4 2>/dev/null)
if [ "$flag" = 55aa ] && [ "$magic" = HdrS ]; then pass "vmlinuz is a bzImage"; else fail "vmlinuz: boot flag '$flag', magic '$magic'"; fi

# The archive, read by cpio itself (an independent reader of the newc format).
zcat "$OUT/initrd.cpio.gz" | cpio -itv --quiet >"$TMP/list" 2>"$TMP/cpio.err"
expect_status $? 0 "cpio reads the initramfs"
for f in init calls.awk workload bin/busybox usr/bin/perf lib64/ld-linux-x86-64.so.2 lib/x86_64-linux-gnu/libc.so.6; do
  expect "$TMP/list" "^-.* $f\$" "initramfs has /$f"
done
while read -r name major minor; do
  expect "$TMP/list" "^c.* $major, *$minor .* dev/$name\$" "initramfs has the device node /dev/$name ($major:$minor)"
done <<'DEVS'
console 5 1
ttyS0 4 64
null 1 3
port 1 4
DEVS
expect_not "$TMP/list" '^[^dcl-]' "only directories, files, links and character devices"
expect_not "$TMP/list" '^.{10} +[0-9]+ +([^r]|r[^o]|ro[^o]|roo[^t])' "every entry owned by root"
# tools/mkcpio.py: the same tree gives the same bytes (mtime 0, sorted entries).
python3 tools/mkcpio.py "$OUT/initramfs" "$TMP/again.cpio.gz" --dev dev/console:c:5:1 --dev dev/ttyS0:c:4:64 \
  --dev dev/null:c:1:3:666 --dev dev/port:c:1:4
if cmp -s "$TMP/again.cpio.gz" "$OUT/initrd.cpio.gz"; then pass "the initramfs is reproducible"; else fail "a second mkcpio.py run differs"; fi

root=$TMP/root
mkdir -p "$root"
(cd "$root" && zcat "$ROOT/$OUT/initrd.cpio.gz" | cpio -idm --quiet --nonmatching 'dev/*') 2>"$TMP/extract.err"
expect_status $? 0 "the initramfs unpacks (device nodes left out)"

# perf's libraries: every DT_NEEDED of perf and of each library is in the image.
libdir=$root/lib/x86_64-linux-gnu
missing=""
for obj in "$root/usr/bin/perf" "$libdir"/*; do
  for so in $(readelf -d "$obj" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
    [ -e "$libdir/$so" ] || missing="$missing $so"
  done
done
if [ -z "$missing" ]; then pass "every library perf and its libraries need is in the image"; else fail "missing:$missing"; fi
# The loader resolves them all from the image, not from this host, and perf runs with them.
loader=$root/lib64/ld-linux-x86-64.so.2
"$loader" --inhibit-cache --library-path "$libdir" --list "$root/usr/bin/perf" >"$TMP/ldd" 2>&1
outside=$(grep '=>' "$TMP/ldd" | grep -v "=> $root/" || true)
if [ -z "$outside" ] && [ -s "$TMP/ldd" ]; then pass "perf's libraries resolve inside the image"; else fail "resolved elsewhere: $outside"; fi
ver=$("$loader" --inhibit-cache --library-path "$libdir" "$root/usr/bin/perf" --version 2>&1)
kver=$(cat "$OUT/kernel-version")
if [[ $ver =~ ^perf\ version\ 6\.1\. ]] && [[ $kver =~ ^6\.1\. ]]; then
  pass "perf runs from the image: $ver (kernel $kver)"
else
  fail "perf --version gave '$ver' (kernel $kver)"
fi

# busybox provides every applet /init uses.
"$root/bin/busybox" --list >"$TMP/applets"
missing=""
for a in sh mount cat cut sed awk tail wc dd printf sleep setsid cttyhack poweroff; do
  grep -qx "$a" "$TMP/applets" || missing="$missing $a"
done
if [ -z "$missing" ]; then pass "busybox has the applets /init uses"; else fail "busybox lacks:$missing"; fi
if "$root/bin/busybox" sh -n "$root/init"; then pass "/init parses (busybox sh -n)"; else fail "/init has a syntax error"; fi

# The workload: static, its four functions real symbols, its output the seed's LCG order, twice the same.
w=$root/workload
if readelf -l "$w" | grep -q INTERP; then fail "workload is dynamically linked"; else pass "workload is static"; fi
syms=$(nm "$w" | awk '$2 == "T" && $3 ~ /^(alpha|beta|zeta|delta)$/ { print $3 }' | sort | tr '\n' ' ')
if [ "$syms" = "alpha beta delta zeta " ]; then pass "workload's functions are symbols"; else fail "workload symbols: '$syms'"; fi
out1=$("$w"); rc1=$?
out2=$("$w")
expect_status "$rc1" 0 "workload exits 0"
# The same generator written again here: x = x * 1664525 + 1013904223 mod 2^32, function (x >> 24) % 4.
want=$(python3 -c '
x, names, out = 0x5eed1234, ["alpha", "beta", "zeta", "delta"], []
for _ in range(40):
    x = (x * 1664525 + 1013904223) % 2**32
    out.append(names[(x >> 24) % 4])
print("workload: calls " + " ".join(out))')
if [ "$out1" = "$want" ]; then pass "workload prints the 40 calls its seed gives"; else fail "workload printed '$out1', expected '$want'"; fi
if [ "$out1" = "$out2" ]; then pass "workload output is deterministic"; else fail "two runs differ"; fi

# /calls.awk on a listing in perf script's form (FROM_IP FROM_SYM[+OFF] => TO_IP TO_SYM[+OFF]), with the
# C library's calls, a return and an unknown target mixed in; busybox's awk, as in the image.
cat >"$TMP/script.out" <<'LISTING'
            401c2e _start+0x2e =>           401b40 __libc_start_main
            4017d4 main+0x34 =>           401745 zeta
            4016e8 main+0x48 =>           401760 delta+0x0
            401770 delta+0x10 =>           4016ec main+0x4c
            4017d4 main+0x34 =>           401700 alpha
            4016e8 main+0x48 =>                0 [unknown]
            4017f0 main+0x80 =>           40a100 printf
            4017d4 main+0x34 =>           401720 beta
LISTING
got=$("$root/bin/busybox" awk -f "$root/calls.awk" "$TMP/script.out")
if [ "$got" = "zeta delta alpha beta" ]; then pass "/calls.awk lists the workload's calls in order"; else fail "/calls.awk gave '$got'"; fi
