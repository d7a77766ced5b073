# Linux guests the loader refuses, each by name, while a good guest runs; a well-formed bzImage is
# entered at its preferred address with the zero page in ESI (its payload is HLTs: it stops at once).
source "$(dirname "$0")/lib.sh"
mk=tools/mk-bzimage.py
$mk "$TMP/old.bz" version=0x0209
$mk "$TMP/low.bz" loadflags=0
$mk "$TMP/hdr.bz" jump_disp=0x20
$mk "$TMP/big.bz"
$mk "$TMP/ok.bz" init_size=0x100000 pref_address=0x200000
$mk "$TMP/mods.bz" init_size=0x100000 pref_address=0x200000
printf 'initrd bytes' >"$TMP/rd.img"
guest_iso "$TMP/lx.iso" build/guest/hello.elf "$TMP/old.bz" "$TMP/low.bz" "$TMP/hdr.bz" "$TMP/big.bz" \
  "$TMP/ok.bz" "$TMP/mods.bz" "$TMP/rd.img" <<'MODS'
old.bz name=old mem=128M
low.bz name=low mem=128M
hdr.bz name=hdr mem=128M
big.bz name=big mem=64M
ok.bz name=ok mem=8M -- console=ttyS0 quiet
rd.img initrd-of=ok
mods.bz name=mods mem=8M
rd.img module-of=mods
hello.elf name=hello
rd.img initrd-of=hello
MODS
tools/run-bochs.sh --iso "$TMP/lx.iso" --serial "$TMP/serial.log" --timeout 120
rc=$?
L=$TMP/serial.log
keep_log "$L" linux-refusals.serial.log
expect_status "$rc" 1 "ptvisor reports that some guests could not run"
expect "$L" 'guest old: refused: Linux boot protocol 2.09 is too old \(2.10 or later is needed\)' "too old a boot protocol named"
expect "$L" 'guest low: refused: bzImage is not loadable high' "zImage refused by name"
expect "$L" 'guest hdr: refused: bzImage setup header is malformed' "short setup header refused by name"
expect "$L" 'guest big: refused: this Linux kernel needs \[0x1000000, 0x4f98000\) of RAM to start .* give the guest mem=80M or more' "too little RAM named with the size needed"
expect "$L" 'guest mods: refused: module 7 \(module-of=\) is a multiboot module; a Linux kernel takes only an initrd' "multiboot module on a Linux guest refused"
expect "$L" 'guest hello: refused: module 9 is an initrd \(initrd-of=\), but the kernel is multiboot2, not Linux' "initrd on a multiboot guest refused"
expect "$L" 'guest ok: bzImage Linux boot protocol kernel, entry 0x200000, 8 MiB RAM' "well-formed bzImage entered at its preferred address"
expect "$L" 'guest ok: module 5: \[0x100000, 0x10000c\) 12 bytes' "its initrd placed in its RAM"
expect "$L" 'guest ok: stopped: halted with interrupts disabled' "its payload ran (HLT with IF=0 stops it)"
expect "$L" 'guests: 1 of 7 started' "only the good Linux guest started"
expect_not "$L" 'PANIC|unexpected exception' "no VMM crash"
