#!/usr/bin/env bash
# Boots the Linux test image (build/linux, `make linux-image`) as a ptvisor guest in Bochs. By default the
# terminal is the guest's serial console (input=serial) and /init leaves you at a busybox shell with perf
# (ptvtest=interactive); Ctrl-] ends the run. --test runs the image's own perf intel_pt test instead and
# exits with ptvisor's status.
# Usage: tools/run-linux.sh [--test] [--image DIR] [--mem SIZE] [--timeout S] [--serial FILE]
#                           [--append "KERNEL OPTIONS"] [--script FILE]
# --script types into the shell by a serial-relay.py script (expect/send lines) instead of the terminal.
set -uo pipefail
image=build/linux mem=384M timeout_s=3600 serial="" append="" mode=interactive script=""
while [ $# -gt 0 ]; do
  case $1 in
    --test) mode=test ;;
    --image) image=$2; shift ;;
    --mem) mem=$2; shift ;;
    --timeout) timeout_s=$2; shift ;;
    --serial) serial=$2; shift ;;
    --append) append=$2; shift ;;
    --script) script=$(realpath "$2"); shift ;;
    *) echo "run-linux: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
image=$(realpath "$image")
[ -f "$image/vmlinuz" ] && [ -f "$image/initrd.cpio.gz" ] ||
  { echo "run-linux: no vmlinuz and initrd.cpio.gz in $image (make linux-image)" >&2; exit 2; }
[ -n "$serial" ] && serial=$(realpath "$serial")

# lib.sh provides guest_iso (and a $TMP removed on exit); it changes to the tree's root.
. "$(dirname "$0")/../tests/integration/lib.sh"
[ -f "$ELF" ] || { echo "run-linux: no $ELF (make iso)" >&2; exit 2; }

# ptvisor gives the guest an MP table, an I/O APIC and the TSC rate in CPUID: no ACPI, PCI or PIT needed.
cmdline="console=ttyS0 earlyprintk=serial acpi=off pci=off tsc=reliable clocksource=tsc nokaslr $append"
opts="name=linux mem=$mem"
if [ $mode = interactive ]; then
  opts="$opts input=serial"
  cmdline="$cmdline ptvtest=interactive"
fi
guest_iso "$TMP/linux.iso" "$image/vmlinuz" "$image/initrd.cpio.gz" <<EOT
vmlinuz $opts -- $cmdline
initrd.cpio.gz initrd-of=linux
EOT
args=(--iso "$TMP/linux.iso" --timeout "$timeout_s" --megs 768)
[ -n "$serial" ] && args+=(--serial "$serial")
if [ $mode = interactive ] && [ -n "$script" ]; then
  args+=(--input-script "$script")
elif [ $mode = interactive ]; then
  echo "run-linux: booting Debian's kernel under ptvisor in Bochs (a few minutes); Ctrl-] ends the run" >&2
  args+=(--interactive)
else
  args+=(--console)
fi
exec tools/run-bochs.sh "${args[@]}"
