#!/usr/bin/env bash
# Boots an image headless in Bochs (CPU model tigerlake: VMX, EPT, unrestricted guest, VPID).
# Usage: tools/run-bochs.sh --iso FILE [--serial FILE] [--console] [--timeout S] [--cpus N] [--megs M]
#                           [--log FILE] [--no-uart] [--interactive | --input-script FILE]
# --console streams the serial port to the terminal. --interactive makes the terminal the serial console
# (typing goes to COM1; Ctrl-] ends the run); --input-script types into COM1 by a serial-relay.py script. Exit status: 0 when the serial log shows
# "ptvisor: exit status 0", the reported status otherwise, 124 on timeout, 125 when no status line appeared.
set -uo pipefail
iso="" serial="" console=0 uart=1 interactive=0 script="" timeout_s=${PTV_BOCHS_TIMEOUT:-120} cpus=1 megs=512 log=""
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
    --interactive) interactive=1 ;;
    --input-script) script=$2; shift ;;
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

com1="com1: enabled=$uart, mode=file, dev=\"$serial\""
port=""
if [ $interactive -eq 1 ] || [ -n "$script" ]; then
  # COM1 becomes a TCP server that serial-relay.py connects to: it logs the output and types the input.
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  com1="com1: enabled=1, mode=socket-server, dev=localhost:$port"
fi
here=$(dirname "$0")

cat > "$work/bochsrc" <<EOT
megs: $megs
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/vgabios/vgabios.bin
cpu: model=tigerlake, count=$cpus, ips=${PTV_BOCHS_IPS:-50000000}, reset_on_triple_fault=0, ignore_bad_msrs=${PTV_BOCHS_IGNORE_BAD_MSRS:-0}
ata0-master: type=cdrom, path="$(realpath "$iso")", status=inserted
boot: cdrom
$com1
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
if [ $interactive -eq 1 ]; then
  SDL_VIDEODRIVER=dummy timeout -s INT -k 10 "$timeout_s" \
    bochs -q -f "$work/bochsrc" -rc "$work/cmds" >"$work/stdout" 2>&1 </dev/null &
  bochs_pid=$!
  "$here/serial-relay.py" "$port" "$serial" --interactive
  kill -INT "$bochs_pid" 2>/dev/null
  wait "$bochs_pid"
  rc=$?
else
  relay_pid=""
  if [ -n "$script" ]; then
    "$here/serial-relay.py" "$port" "$serial" --script "$script" &
    relay_pid=$!
  fi
  SDL_VIDEODRIVER=dummy timeout -s INT -k 10 "$timeout_s" \
    bochs -q -f "$work/bochsrc" -rc "$work/cmds" >"$work/stdout" 2>&1 </dev/null
  rc=$?
  [ -n "$relay_pid" ] && wait "$relay_pid"
fi
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
