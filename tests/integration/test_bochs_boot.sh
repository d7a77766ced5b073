# Boots the release image in Bochs (BIOS, VMX CPU): probe table, bit 14, VMXON/VMXOFF, clean exit.
source "$(dirname "$0")/lib.sh"
make_iso "$TMP/boot.iso" ""
start=$EPOCHREALTIME
tools/run-bochs.sh --iso "$TMP/boot.iso" --serial "$TMP/serial.log" --timeout 120
rc=$?
secs=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
keep_log "$TMP/serial.log" bochs-boot.serial.log
echo "boot time in Bochs: ${secs} s wall"
expect_status "$rc" 0 "Bochs boot exits with status 0"
expect "$TMP/serial.log" '^ptvisor: ptvisor .* starting' "banner printed"
expect "$TMP/serial.log" "boot by 'GRUB" "boot loader named"
expect "$TMP/serial.log" 'BIOS' "BIOS boot recognised"
expect "$TMP/serial.log" 'memory: [0-9]+ MiB usable' "memory map summarised"
expect "$TMP/serial.log" 'GenuineIntel' "CPU vendor in probe table"
expect "$TMP/serial.log" 'IA32_VMX_BASIC' "VMX basic in probe table"
expect "$TMP/serial.log" 'IA32_VMX_MISC\[14\] \(Intel PT in VMX operation\): no' "bit 14 line spelled out"
expect "$TMP/serial.log" 'pt_mode in force: ' "pt_mode decision printed"
expect "$TMP/serial.log" 'VMXON succeeded' "VMXON succeeded"
expect "$TMP/serial.log" 'VMXOFF succeeded' "VMXOFF succeeded"
expect "$TMP/serial.log" '^ptvisor: exit status 0' "exit status line"
expect_not "$TMP/serial.log" 'error:|PANIC|unexpected exception' "no errors on a clean boot"
