# An existing multiboot kernel, unmodified: GRUB Invaders from Debian (multiboot1, a.out kludge, VGA text,
# PIT and keyboard ports) runs as a guest next to one of ours until its run-time limit.
source "$(dirname "$0")/lib.sh"
INV=build/third_party/invaders.elf
if ! tools/fetch-invaders.sh "$INV"; then
  skip "GRUB Invaders could not be fetched from the Debian archive"
  exit 0
fi
guest_iso "$TMP/inv.iso" "$INV" build/guest/hello.elf <<'MODS'
invaders.elf name=invaders limit=100M
hello.elf name=hello
MODS
tools/run-bochs.sh --iso "$TMP/inv.iso" --serial "$TMP/serial.log" --timeout 180
rc=$?
L=$TMP/serial.log
keep_log "$L" unmodified-kernel.serial.log
expect_status "$rc" 0 "both guests end with status 0"
expect "$L" 'guest invaders: flat multiboot1 kernel, entry 0x100024' "loaded through its multiboot1 a.out-kludge header"
expect "$L" 'guest invaders: OUT to unclaimed port 0x43 ignored' "it programs the PIT (unclaimed port reported)"
expect "$L" 'guest invaders: stopped: run-time limit of 104857600 TSC ticks reached' "it ran until its limit"
expect "$L" 'guest invaders: VGA text screen at stop' "its VGA text screen is shown"
expect "$L" '^  \|0[0-9]\| +-\*- +-\*- +-\*-' "the invaders were drawn"
guest_done "$L" hello 28
