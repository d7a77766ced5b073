# Boots the release image through OVMF + GRUB EFI in QEMU TCG: the UEFI path and the clean "no VMX" exit.
source "$(dirname "$0")/lib.sh"
make_iso "$TMP/uefi.iso" ""
tools/run-qemu-uefi.sh --iso "$TMP/uefi.iso" --serial "$TMP/serial.log" --timeout 180
rc=$?
keep_log "$TMP/serial.log" uefi-boot.serial.log
expect_status "$rc" 2 "QEMU/OVMF run ends with the no-VMX status through isa-debug-exit"
expect "$TMP/serial.log" '^ptvisor: ptvisor .* starting' "banner printed after ExitBootServices"
expect "$TMP/serial.log" 'UEFI' "UEFI boot recognised"
expect "$TMP/serial.log" 'EFI memory map' "EFI memory map seen"
expect "$TMP/serial.log" 'framebuffer.*RGB' "GOP framebuffer found"
expect "$TMP/serial.log" 'ACPI.*(RSDP|XSDT)' "ACPI tables found"
expect "$TMP/serial.log" 'IA32_VMX_MISC\[14\]|CPUID.1:ECX.VMX' "probe table printed"
expect "$TMP/serial.log" 'no VMX: ' "no-VMX reason printed"
expect "$TMP/serial.log" '^ptvisor: exit status 2' "exit status line"
expect_not "$TMP/serial.log" 'PANIC|unexpected exception' "no crash"
