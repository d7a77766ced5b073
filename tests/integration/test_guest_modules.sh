# Modules attached to guests (module-of=NAME): copied into that guest's RAM and listed in its multiboot2
# or multiboot1 information, whether their lines come before or after the guest's; the kernels are linked
# at 0x8000, where the boot information used to be, and it moves out of their way. A module naming no
# guest, one attached twice and one too large for its guest are refused by name, the other guests run.
# The same kernels booted by GRUB itself on bare Bochs print the same verdict lines.
source "$(dirname "$0")/lib.sh"
G=build/guest
printf 'greeting=hello from a module\nanswer=42\n' >"$TMP/conf.txt"
python3 -c 'import sys; sys.stdout.buffer.write(bytes((i * 7 + 3) % 251 for i in range(10000)))' >"$TMP/blob.bin"
: >"$TMP/empty.bin"
head -c $((2 << 20)) /dev/zero >"$TMP/big.bin" # as large as all of a 2 MiB guest's RAM
# FNV-1a 32 of a file, as the guest computes it.
fnv() { python3 -c 'import sys
h = 0x811c9dc5
for b in open(sys.argv[1], "rb").read(): h = ((h ^ b) * 0x01000193) & 0xffffffff
print("0x%08x" % h)' "$1"; }

guest_iso "$TMP/mods.iso" $G/modules.elf $G/modules-mb1.elf "$TMP/conf.txt" "$TMP/blob.bin" "$TMP/empty.bin" \
  "$TMP/big.bin" <<'MODS'
conf.txt module-of=mods2 -- config v1
modules.elf name=mods2 -- expect=3
blob.bin module-of=mods2 -- blob data
empty.bin module-of=mods2
modules-mb1.elf name=mods1 mem=4M -- expect=3
conf.txt module-of=mods1 -- config v1
blob.bin module-of=mods1 -- blob data
empty.bin module-of=mods1
conf.txt module-of=nobody
blob.bin module-of=mods1 module-of=mods2
modules.elf name=small mem=2M -- expect=1
big.bin module-of=small
MODS
tools/run-bochs.sh --iso "$TMP/mods.iso" --serial "$TMP/serial.log" --timeout 180
rc=$?
L=$TMP/serial.log
keep_log "$L" guest-modules.serial.log
expect_status "$rc" 1 "ptvisor reports the modules and the guest it could not load"
expect "$L" 'guests: 2 of 3 started' "three guest lines, two guests started; no module taken for a guest"
expect "$L" "module 8 \(module-of=nobody\): no guest is named 'nobody'; not loaded" "a module naming no guest is named"
expect "$L" "module 9: attached more than once \('module-of=mods1', then 'module-of=mods2'\); not loaded" \
  "a module attached twice is named"
expect "$L" "guest small: refused: module 11 \(2097152 bytes\) does not fit in a free range of its 2048 KiB of RAM" \
  "a module too large for its guest refuses that guest by name"
expect "$L" '^  module 8 +not loaded' "the summary lists the module naming no guest"
expect_not "$L" '^\[small\] ' "the refused guest never ran"
for g in mods2 mods1; do
  expect "$L" "guest $g: image \[0x8000, 0x[0-9a-f]+\], boot information at 0x[0-9a-f]+, 3 module\(s\)" \
    "guest $g: the kernel linked at 0x8000 loads with its 3 modules"
  line=$(tr -d '\r' <"$L" | grep -aoE "guest $g: image \[0x8000, 0x[0-9a-f]+\], boot information at 0x[0-9a-f]+" | head -n 1)
  end=$(sed -E 's/.*, (0x[0-9a-f]+)\], .*/\1/' <<<"$line")
  info=$(sed -E 's/.* at (0x[0-9a-f]+)$/\1/' <<<"$line")
  if [ -n "$line" ] && [ $((info)) -gt $((end)) ] && [ $((info % 4096)) -eq 0 ]; then
    pass "guest $g: boot information at $info, the first page above the image (ends $end)"
  else
    fail "guest $g: boot information '$info' vs image end '$end'"
  fi
  expect "$L" "guest $g: module [0-9]+: \[0x100000, 0x100027\) 39 bytes" "guest $g: the first module at 1 MiB"
  expect "$L" "guest $g: module [0-9]+: \[0x101000, 0x103710\) 10000 bytes" "guest $g: the next on the next free page"
  expect "$L" "^\[$g\] modules: 0: string \"config v1\" size 39 fnv1a $(fnv "$TMP/conf.txt")" \
    "guest $g: module 0 has its string, size and bytes"
  expect "$L" "^\[$g\] modules: 0: first line \"greeting=hello from a module\"" "guest $g reads its configuration"
  expect "$L" "^\[$g\] modules: 1: string \"blob data\" size 10000 fnv1a $(fnv "$TMP/blob.bin")" \
    "guest $g: module 1 has its string, size and bytes"
  expect "$L" "^\[$g\] modules: 2: string \"\" size 0 fnv1a $(fnv "$TMP/empty.bin")" "guest $g: the empty module"
  expect "$L" "guest $g: stopped: wrote 0 to the isa-debug-exit port" "guest $g exits with status 0"
done
expect "$L" '^\[mods2\] modules: multiboot2 kernel linked at 0x8000' "mods2 reads multiboot2 information"
expect "$L" '^\[mods1\] modules: multiboot1 kernel linked at 0x8000' "mods1 reads multiboot1 information"
guest_done "$L" mods2 16
guest_done "$L" mods1 16
expect_not "$L" 'PANIC|unexpected exception' "no VMM crash"

# The same kernels with the same modules, booted by GRUB on bare Bochs: the same verdicts, line for line.
for proto in 2 1; do
  k=$G/modules.elf g=mods2
  [ $proto = 1 ] && k=$G/modules-mb1.elf g=mods1
  BARE_MB=$proto bare_iso "$TMP/bare$proto.iso" "$k" expect=3 <<MODS
$TMP/conf.txt config v1
$TMP/blob.bin blob data
$TMP/empty.bin
MODS
  tools/run-bochs.sh --iso "$TMP/bare$proto.iso" --serial "$TMP/bare$proto.log" --timeout 120 2>/dev/null
  keep_log "$TMP/bare$proto.log" "guest-modules-bare-mb$proto.serial.log"
  verdicts "$TMP/bare$proto.log" >"$TMP/bare$proto.v"
  verdicts "$L" $g >"$TMP/ptv$proto.v"
  if [ -s "$TMP/bare$proto.v" ] && grep -q '^done: 16 passed, 0 failed' "$TMP/bare$proto.v" &&
    cmp -s "$TMP/bare$proto.v" "$TMP/ptv$proto.v"; then
    pass "multiboot$proto: GRUB on bare Bochs and ptvisor give $(basename "$k") the same $(wc -l <"$TMP/bare$proto.v") verdict lines"
  else
    fail "multiboot$proto: bare and ptvisor verdicts differ: $(diff "$TMP/bare$proto.v" "$TMP/ptv$proto.v" | head -n 4 | tr '\n' ' ')"
  fi
done
