#!/usr/bin/env bash
# Boots an image headless in Bochs (CPU model tigerlake: VMX, EPT, unrestricted guest, VPID).
# Usage: tools/run-bochs.sh --iso FILE [--serial FILE] [--console] [--timeout S] [--cpus N] [--megs M]
#                           [--log FILE] [--no-uart]
# --console streams the serial port to the terminal. Exit status: 0 when the serial log shows
# "ptvisor: exit status 0", the reported status otherwise, 124 on timeout, 125 when no status line appeared.
set -uo pipefail
iso="" serial="" console=0 uart=1 timeout_s=${PTV_BOCHS_TIMEOUT:-120} cpus=1 megs=512 log=""
while [ $# -gt 0 ]; do
  case $1 in
    --iso) iso=$2; shift ;;
    --serial) serial=$2; shift ;;
    --console) console=1 ;;
    --timeout) timeout_s=$2; shift ;;
    --cpus) cpus=$2; shift ;;
    --megs) megs=$2; shift ;;
    --log) log=$2; shift ;;
    --no-uart) uart=0 ;;
    *) echo "run-bochs: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
[ -f "$iso" ] || { echo "run-bochs: no image '$iso' (run make iso)" >&2; exit 2; }
command -v bochs >/dev/null || { echo "run-bochs: bochs is not installed (tools/deps.sh installs it)" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
[ -n "$serial" ] || serial=$work/serial.log
[ -n "$log" ] || log=$work/bochs.log
: > "$serial"

cat > "$work/bochsrc" <<EOT
megs: $megs
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/vgabios/vgabios.bin
cpu: model=tigerlake, count=$cpus, ips=${PTV_BOCHS_IPS:-50000000}, reset_on_triple_fault=0, ignore_bad_msrs=0
ata0-master: type=cdrom, path="$(realpath "$iso")", status=inserted
boot: cdrom
com1: enabled=$uart, mode=file, dev="$serial"
display_library: sdl2
clock: sync=none, time0=946681200
log: "$log"
panic: action=fatal
error: action=report
info: action=ignore
debug: action=ignore
EOT
printf 'continue\nquit\n' > "$work/cmds"

tailpid=""
if [ $console -eq 1 ]; then
  tail -n +1 -f "$serial" --pid=$$ &
  tailpid=$!
fi
start=$EPOCHREALTIME
SDL_VIDEODRIVER=dummy timeout -s INT -k 10 "$timeout_s" \
  bochs -q -f "$work/bochsrc" -rc "$work/cmds" >"$work/stdout" 2>&1 </dev/null
rc=$?
end=$EPOCHREALTIME
[ -n "$tailpid" ] && { sleep 0.3; kill "$tailpid" 2>/dev/null; wait "$tailpid" 2>/dev/null; }
awk -v a="$start" -v b="$end" 'BEGIN { printf "run-bochs: %.1f s wall\n", b - a }' >&2

if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
  echo "run-bochs: timed out after ${timeout_s}s" >&2
  exit 124
fi
status=$(grep -ao 'ptvisor: exit status [0-9]*' "$serial" | tail -n 1 | awk '{print $4}')
if [ -z "$status" ]; then
  echo "run-bochs: no exit status line in the serial log (bochs exited $rc)" >&2
  tail -n 5 "$log" >&2
  exit 125
fi
exit "$status"
