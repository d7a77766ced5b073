# One long REP OUTSB (128 KiB to an unclaimed port, 543 TSC ticks a byte in the VMM) no longer holds the
# CPU in one VM exit: ptvisor moves 4 KiB per exit and re-enters the guest at the same RIP, so the guest
# beside it keeps getting its time slices (4 Mi ticks). Before, it was frozen for the whole instruction
# (about 70 million ticks here, 2.28 billion for 4 MiB).
source "$(dirname "$0")/lib.sh"
G=build/guest
guest_iso "$TMP/rep.iso" $G/repfreeze.elf <<MODS
repfreeze.elf name=watch -- watch_mticks=250 limit_mticks=16
repfreeze.elf name=rep -- kib=128
MODS
tools/run-bochs.sh --iso "$TMP/rep.iso" --serial "$TMP/serial.log" --timeout 60
rc=$?
L=$TMP/serial.log
keep_log "$L" rep_freeze.serial.log
expect_status "$rc" 0 "both guests end with status 0"
expect "$L" '^\[rep\] repfreeze: rep outsb of 128 KiB took [0-9]+ TSC ticks in [0-9]+ exits' "the REP OUTSB ran"
expect "$L" '^\[rep\] PASS: REP OUTSB ended with ECX 0' "REP OUTSB completed with the registers the CPU leaves"
expect "$L" '^\[rep\] PASS: ptvisor took it in pieces' "at least 32 exits for 128 KiB"
expect "$L" '^\[watch\] PASS: longest time off the CPU [0-9]+ ticks, under 16 million' "the other guest was never off the CPU for 16 million ticks"
guest_done "$L" rep 2
guest_done "$L" watch 1
# The watch covered the whole instruction: the rep guest ended before the watcher's window did.
expect_before "$L" '^\[rep\] done:' '^\[watch\] done:' "the watch window covered the REP"
