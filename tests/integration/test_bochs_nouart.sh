# A machine without a UART must not hang: the serial probe fails and ptvisor still runs to power-off.
source "$(dirname "$0")/lib.sh"
make_iso "$TMP/nouart.iso" ""
tools/run-bochs.sh --iso "$TMP/nouart.iso" --no-uart --log "$TMP/bochs.log" --timeout 120
rc=$?
if [ "$rc" -eq 124 ]; then fail "boot without a UART timed out"; else pass "boot without a UART ends (no hang)"; fi
expect "$TMP/bochs.log" 'Shutdown port: shutdown requested' "ptvisor reached power-off through the Bochs shutdown port"
