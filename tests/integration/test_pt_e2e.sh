# Emulated Intel PT end to end: two guests trace themselves at once in Bochs (ToPA with two tables and
# three regions, and single-range output); each trace is decoded by Intel's libipt and must equal the
# instruction flow ptvisor executed, and contain only that guest's own code addresses.
source "$(dirname "$0")/lib.sh"
G=build/guest
guest_iso "$TMP/pt.iso" $G/ptwork.elf $G/ptwork-hi.elf <<'MODS'
ptwork.elf name=pt-a pt_riplog=on -- case=topa iterations=900 longmode=on
ptwork-hi.elf name=pt-b pt_riplog=on -- case=single iterations=400
MODS
tools/run-bochs.sh --iso "$TMP/pt.iso" --serial "$TMP/serial.log" --timeout 300
rc=$?
L=$TMP/serial.log
keep_log "$L" pt-e2e.serial.log
expect_status "$rc" 0 "both tracing guests end with status 0"
expect "$L" 'guest PT backend emulated' "the emulated backend is chosen on a CPU without PT in VMX operation"
expect "$L" 'PT for guest pt-a: 14H.0 00000001 00000007 00000007 14H.1 00000002 003f0001' "documented leaf 0x14 exposed"
guest_done "$L" pt-a 26
guest_done "$L" pt-b 16
a_first=$(line_of "$L" '^\[pt-b\] ptwork: case')
a_stop=$(line_of "$L" 'guest pt-a: PT tracing stopped')
if [ "$a_first" -gt 0 ] && [ "$a_first" -lt "$a_stop" ]; then pass "pt-b started while pt-a was tracing"; else fail "no overlap ($a_first, $a_stop)"; fi
python3 tools/ptverify.py "$L" pt-a $G/ptwork.elf --outdir build/test-logs/pt-a
python3 tools/ptverify.py "$L" pt-b $G/ptwork-hi.elf --outdir build/test-logs/pt-b
