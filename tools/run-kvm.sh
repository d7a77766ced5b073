#!/usr/bin/env bash
# Boots the image under QEMU/KVM with nested VMX (-cpu host) on an Intel host.
# Usage: tools/run-kvm.sh --iso FILE [--uefi] [--timeout S]
set -uo pipefail
iso="" uefi=0 timeout_s=${PTV_QEMU_TIMEOUT:-300}
while [ $# -gt 0 ]; do
  case $1 in
    --iso) iso=$2; shift ;;
    --uefi) uefi=1 ;;
    --timeout) timeout_s=$2; shift ;;
    *) echo "run-kvm: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
[ -f "$iso" ] || { echo "run-kvm: no image '$iso' (run make iso)" >&2; exit 2; }
if [ ! -e /dev/kvm ]; then
  echo "run-kvm: /dev/kvm does not exist: this machine has no KVM (no hardware virtualization, or the" >&2
  echo "         kvm_intel module is not loaded). Use 'make run' (Bochs) instead." >&2
  exit 2
fi
if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
  echo "run-kvm: /dev/kvm is not accessible to $(id -un); add yourself to the 'kvm' group." >&2
  exit 2
fi
if ! grep -qw vmx /proc/cpuinfo; then
  echo "run-kvm: this CPU has no Intel VMX (an AMD host runs SVM; ptvisor is an Intel VT-x hypervisor)." >&2
  echo "         Use 'make run' (Bochs emulates a VMX CPU)." >&2
  exit 2
fi
nested=/sys/module/kvm_intel/parameters/nested
if [ -r $nested ] && ! grep -qE '^(Y|1)' $nested; then
  echo "run-kvm: nested VMX is off (kvm_intel nested=$(cat $nested)); enable it with" >&2
  echo "         'modprobe -r kvm_intel && modprobe kvm_intel nested=1'." >&2
  exit 2
fi
fw=()
[ $uefi -eq 1 ] && fw=(-bios /usr/share/ovmf/OVMF.fd)
timeout -k 10 "$timeout_s" qemu-system-x86_64 -machine q35 -enable-kvm -cpu host -smp 2 -m 512 "${fw[@]}" \
  -drive file="$(realpath "$iso")",media=cdrom,format=raw,readonly=on \
  -serial stdio -display none -monitor none -no-reboot \
  -device isa-debug-exit,iobase=0xf4,iosize=0x04
rc=$?
[ $((rc & 1)) -eq 1 ] && exit $((rc >> 1))
exit $rc
