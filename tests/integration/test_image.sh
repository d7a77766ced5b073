# The release image is one hybrid ISO: El Torito BIOS and UEFI boot images, an MBR for dd'd USB sticks,
# a grub.cfg entry per pt_mode, and a multiboot2 header where GRUB looks for it.
source "$(dirname "$0")/lib.sh"
[ -f "$ISO" ] || { fail "no $ISO (make iso)"; exit 1; }
size=$(stat -c %s "$ISO")
echo "image size: $size bytes"
report=$(xorriso -indev "$ISO" -report_el_torito plain 2>&1)
if grep -q 'El Torito boot img :   [0-9]  BIOS' <<<"$report"; then pass "BIOS El Torito image"; else fail "BIOS El Torito image"; fi
if grep -q 'El Torito boot img :   [0-9]  UEFI' <<<"$report"; then pass "UEFI El Torito image"; else fail "UEFI El Torito image"; fi
if grep -q 'MBR' <<<"$report"; then pass "MBR for USB sticks (isohybrid)"; else fail "MBR for USB sticks (isohybrid)"; fi
sig=$(od -An -tx1 -j510 -N2 "$ISO" | tr -d ' ')
if [ "$sig" = 55aa ]; then pass "boot signature 55aa"; else fail "boot signature is '$sig'"; fi
xorriso -osirrox on -indev "$ISO" -extract /boot/grub/grub.cfg "$TMP/grub.cfg" >/dev/null 2>&1
for mode in host-guest host system; do
  expect "$TMP/grub.cfg" "multiboot2 /boot/ptvisor.elf pt_mode=$mode" "menu entry for pt_mode=$mode"
done
if tools/check-image.sh "$ELF"; then pass "multiboot2 header in the first 32 KiB"; else fail "multiboot2 header"; fi
if [ "$size" -lt $((16 << 20)) ]; then pass "image under 16 MiB ($size bytes)"; else fail "image is $size bytes"; fi
