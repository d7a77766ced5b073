# A million exits: exact exit accounting, no frame leak, no drift.
source "$(dirname "$0")/lib.sh"
guest_iso "$TMP/stress.iso" build/guest/stress.elf <<'MODS'
stress.elf name=stress
MODS
tools/run-bochs.sh --iso "$TMP/stress.iso" --serial "$TMP/serial.log" --timeout 300
rc=$?
keep_log "$TMP/serial.log" stress.serial.log
expect_status "$rc" 0 "stress run exits 0"
guest_done "$TMP/serial.log" stress 16
expect "$TMP/serial.log" '^\[stress\] PASS: 1000000 loop exits counted exactly' "1,000,000 exits counted exactly"
expect "$TMP/serial.log" '^\[stress\] PASS: vmm_free_frames unchanged' "no frame leak"
expect "$TMP/serial.log" 'guest stress: stopped: .*status 0, 100[0-9]{4} exits' "VMM counted about a million exits"
