#!/usr/bin/env bash
# Boots the Linux test image (build/linux: vmlinuz + initrd.cpio.gz, `make linux-image`) on bare Bochs,
# no ptvisor, with GRUB's linux/initrd commands: the reference for the same image as a ptvisor guest.
# Bochs has no Intel PT, so a complete run ends with "ptv-linux: no intel_pt" and exit status 2.
# Usage: tools/run-linux-bare.sh [--image DIR] [--serial FILE] [--timeout S] [--megs M] [--console]
#                                [--append "OPTIONS"]   (added to the kernel command line)
# Prints the wall time to "ptv-linux: init", the uptime and TSC (instructions) there; exit status: the image's
# (the last "ptv-linux: exit status N"), 124 on timeout, 125 when no status line appeared.
set -uo pipefail
image=build/linux serial="" timeout_s=900 megs=512 console="" append=""
while [ $# -gt 0 ]; do
  case $1 in
    --image) image=$2; shift ;;
    --serial) serial=$2; shift ;;
    --timeout) timeout_s=$2; shift ;;
    --megs) megs=$2; shift ;;
    --console) console=--console ;;
    --append) append=$2; shift ;;
    *) echo "run-linux-bare: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
image=$(realpath "$image")
[ -f "$image/vmlinuz" ] && [ -f "$image/initrd.cpio.gz" ] ||
  { echo "run-linux-bare: no vmlinuz and initrd.cpio.gz in $image (make linux-image)" >&2; exit 2; }
[ -n "$serial" ] && serial=$(realpath "$serial")

# lib.sh provides bare_iso (and a $TMP removed on exit); it changes to the tree's root.
. "$(dirname "$0")/../tests/integration/lib.sh"
[ -n "$serial" ] || serial=$TMP/serial.log
: >"$serial"

# Not acpi=off: with only the BIOS's MP table the kernel gets no timer tick in Bochs (its printk
# time stays at 0.137 s); with ACPI the PIT reaches it through the I/O APIC. PTV_LINUX_CMDLINE
# replaces these defaults (--append still adds to it).
cmdline="${PTV_LINUX_CMDLINE:-console=ttyS0 earlyprintk=serial nokaslr} $append"
echo "$image/initrd.cpio.gz" | BARE_LINUX=1 bare_iso "$TMP/linux.iso" "$image/vmlinuz" "$cmdline" || exit 2

# Notes the wall time at which the init line appears (the serial log is a plain file).
start=$EPOCHREALTIME
(
  while ! grep -aq '^ptv-linux: init' "$serial" 2>/dev/null; do sleep 0.5; done
  awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "run-linux-bare: ptv-linux: init after %.1f s wall\n", b - a }' >&2
) &
watcher=$!

# Bochs' tigerlake model #GPs on MSRs it does not know; Linux reads some without _safe.
PTV_BOCHS_IGNORE_BAD_MSRS=${PTV_BOCHS_IGNORE_BAD_MSRS:-1} tools/run-bochs.sh --iso "$TMP/linux.iso" \
  --serial "$serial" --timeout "$timeout_s" --megs "$megs" $console
rc=$?
kill "$watcher" 2>/dev/null
wait "$watcher" 2>/dev/null

uptime=$(tr -d '\r' <"$serial" | sed -n 's/^ptv-linux: uptime \(.*\)$/\1/p' | head -n 1)
[ -n "$uptime" ] && echo "run-linux-bare: at init: uptime $uptime" >&2
[ $rc -eq 124 ] && exit 124
status=$(tr -d '\r' <"$serial" | sed -n 's/^ptv-linux: exit status \([0-9]*\)$/\1/p' | tail -n 1)
if [ -z "$status" ]; then
  echo "run-linux-bare: no 'ptv-linux: exit status' line; the serial log ends:" >&2
  tail -n 5 "$serial" >&2
  exit 125
fi
exit "$status"
