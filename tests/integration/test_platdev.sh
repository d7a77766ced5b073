# Platform devices for Linux guests, in Bochs: a test guest programs its I/O APIC (paging off and on),
# takes COM1's THRE interrupts through pin 4 (edge; none while masked or with OUT2 off), a level pin held
# by Remote IRR until EOI, and receives a line typed on the serial console (input=serial) by RDA and
# character-timeout interrupts. A second guest asking for input=serial is refused by name.
source "$(dirname "$0")/lib.sh"
G=build/guest
PLATDEV_CHECKS=15

guest_iso "$TMP/plat.iso" $G/platdev.elf <<MODS
platdev.elf name=platdev input=serial
MODS
cat >"$TMP/typing" <<'EOF2'
expect \[platdev\] platdev: type a line and Enter
send hello ptvisor\r
EOF2
tools/run-bochs.sh --iso "$TMP/plat.iso" --serial "$TMP/serial.log" --timeout 60 --input-script "$TMP/typing"
rc=$?
L=$TMP/serial.log
keep_log "$L" platdev.serial.log
expect_status "$rc" 0 "the platform-device guest ends with status 0"
expect "$L" 'guest platdev: takes the serial input \(input=serial\)' "input=serial is announced"
expect "$L" '^\[platdev\] PASS: I/O APIC version read with paging on' "I/O APIC registers through the guest's page tables"
expect "$L" '^\[platdev\] PASS: THRE interrupt taken through I/O APIC pin 4 \(edge\)' "UART THRE interrupt through pin 4"
expect "$L" '^\[platdev\] PASS: EOI with the line still asserted delivers again' "level pin: Remote IRR and EOI"
expect "$L" "^\[platdev\] platdev: received 'hello ptvisor'" "the typed line reached the guest"
guest_done "$L" platdev $PLATDEV_CHECKS

# Two guests want the serial input: the first keeps it, the second is refused, naming the first.
guest_iso "$TMP/two.iso" $G/platdev.elf $G/hello.elf <<MODS
platdev.elf name=first input=serial -- input=no
hello.elf name=second input=serial
MODS
tools/run-bochs.sh --iso "$TMP/two.iso" --serial "$TMP/two.log" --timeout 60
rc=$?
L=$TMP/two.log
keep_log "$L" platdev-two.serial.log
expect_status "$rc" 1 "ptvisor reports the refused guest"
expect "$L" "guest second: refused: input=serial is already guest first's" "the second input=serial guest is refused by name"
guest_done "$L" first $((PLATDEV_CHECKS - 1))
