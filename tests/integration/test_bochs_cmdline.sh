# Bad and unusual command-line options are reported by name and ignored; the boot goes on.
source "$(dirname "$0")/lib.sh"
make_iso "$TMP/cmd.iso" "foo=bar pt_mode=bogus loglevel=loud console=serial,nope nakedword pt_mode=system pt_backend=hw loglevel=debug"
tools/run-bochs.sh --iso "$TMP/cmd.iso" --serial "$TMP/serial.log" --timeout 120
rc=$?
keep_log "$TMP/serial.log" bochs-cmdline.serial.log
expect_status "$rc" 0 "boot with bad options still completes"
expect "$TMP/serial.log" "cmdline: unknown option 'foo' ignored" "unknown option named"
expect "$TMP/serial.log" "cmdline: bad value 'bogus' for pt_mode" "bad pt_mode value named"
expect "$TMP/serial.log" "cmdline: bad value 'loud' for loglevel" "bad loglevel value named"
expect "$TMP/serial.log" "cmdline: bad value 'serial,nope' for console" "bad console list named"
expect "$TMP/serial.log" "nakedword" "option without '=' named"
expect "$TMP/serial.log" 'ptvisor: debug: ' "loglevel=debug took effect"
expect "$TMP/serial.log" 'pt_mode in force: .*requested system' "pt_mode=system request reported"
expect "$TMP/serial.log" 'no Intel PT' "fallback reason names the missing Intel PT"
expect "$TMP/serial.log" 'VMXON succeeded' "VMXON still succeeds"
