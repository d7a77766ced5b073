#!/usr/bin/env bash
# Boots an image through OVMF + GRUB EFI in QEMU (TCG: no VMX, so this exercises the UEFI path and
# the "no VMX" exit). Usage: tools/run-qemu-uefi.sh --iso FILE [--serial FILE] [--console] [--timeout S]
# Exit status: the status ptvisor reported through isa-debug-exit, 124 on timeout, 125 without one.
set -uo pipefail
iso="" serial="" console=0 timeout_s=${PTV_QEMU_TIMEOUT:-120}
while [ $# -gt 0 ]; do
  case $1 in
    --iso) iso=$2; shift ;;
    --serial) serial=$2; shift ;;
    --console) console=1 ;;
    --timeout) timeout_s=$2; shift ;;
    *) echo "run-qemu-uefi: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
[ -f "$iso" ] || { echo "run-qemu-uefi: no image '$iso' (run make iso)" >&2; exit 2; }
fw=/usr/share/ovmf/OVMF.fd
[ -f "$fw" ] || { echo "run-qemu-uefi: OVMF firmware $fw missing (tools/deps.sh installs ovmf)" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
[ -n "$serial" ] || serial=$work/serial.log
: > "$serial"
tailpid=""
if [ $console -eq 1 ]; then
  tail -n +1 -f "$serial" --pid=$$ &
  tailpid=$!
fi
start=$EPOCHREALTIME
timeout -k 10 "$timeout_s" qemu-system-x86_64 -machine q35 -accel tcg -m 256 -bios "$fw" \
  -drive file="$(realpath "$iso")",media=cdrom,format=raw,readonly=on \
  -serial file:"$serial" -display none -monitor none -no-reboot -nic none \
  -device isa-debug-exit,iobase=0xf4,iosize=0x04 >"$work/stdout" 2>&1 </dev/null
rc=$?
end=$EPOCHREALTIME
[ -n "$tailpid" ] && { sleep 0.3; kill "$tailpid" 2>/dev/null; wait "$tailpid" 2>/dev/null; }
awk -v a="$start" -v b="$end" 'BEGIN { printf "run-qemu-uefi: %.1f s wall\n", b - a }' >&2
if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
  echo "run-qemu-uefi: timed out after ${timeout_s}s" >&2
  exit 124
fi
# isa-debug-exit makes QEMU exit with (status << 1) | 1; 0 means it left some other way (e.g. triple fault).
if [ $((rc & 1)) -eq 1 ]; then
  exit $((rc >> 1))
fi
echo "run-qemu-uefi: QEMU exited $rc without an isa-debug-exit status" >&2
exit 125
