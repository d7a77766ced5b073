# Malformed guest images and module options are refused or ignored by name; the good guest still runs.
source "$(dirname "$0")/lib.sh"
head -c 300 build/guest/hello.elf >"$TMP/trunc.elf"
head -c 8192 /dev/urandom >"$TMP/random.bin"
printf '\177ELF\002\001\001' >"$TMP/tiny.elf"
guest_iso "$TMP/bad.iso" build/guest/hello.elf "$TMP/trunc.elf" "$TMP/random.bin" "$TMP/tiny.elf" <<'MODS'
trunc.elf name=trunc
random.bin name=random
tiny.elf name=tiny
hello.elf name=hello mem=banana colour=blue
hello.elf name=big mem=4G
MODS
tools/run-bochs.sh --iso "$TMP/bad.iso" --serial "$TMP/serial.log" --timeout 120
rc=$?
L=$TMP/serial.log
keep_log "$L" bad-guests.serial.log
expect_status "$rc" 1 "ptvisor reports that some guests could not run"
expect "$L" 'guest trunc: refused: ' "truncated ELF refused by name"
expect "$L" 'guest random: refused: ' "random bytes refused by name"
expect "$L" 'guest tiny: refused: ' "7-byte ELF refused by name"
expect "$L" "bad value 'banana' for mem" "bad mem= value named"
expect "$L" "unknown option 'colour'" "unknown module option named"
expect "$L" "bad value '4G' for mem" "absurd memory size named"
guest_done "$L" hello 28
expect "$L" 'guests: 2 of 5 started' "only the good images started"
expect_not "$L" 'PANIC|unexpected exception' "no VMM crash"
