#!/usr/bin/env bash
# Counts, exactly, the instructions ptvisor executes for one VM exit, with the Bochs debugger's
# instruction trace: it boots the exitprobe guest, lets the first exit of the given kind pass (so
# caches and lazy state are warm), then traces from vmx_exit to the VMRESUME that ends the next one.
# Usage: tools/trace-exit.sh cpuid|vmcall [ISO]   Prints: "<kind> <count>" and keeps the trace in build/.
set -euo pipefail
cd "$(dirname "$0")/.."
kind=$1
iso=${2:-}
elf=build/ptvisor.elf
case $kind in
  cpuid) handler=handle_cpuid ;;
  vmcall) handler=handle_vmcall ;;
  *) echo "trace-exit: kind must be cpuid or vmcall" >&2; exit 2 ;;
esac
sym() { nm "$elf" | awk -v s="$1" '$3 == s { print "0x" $1 }'; }
exit_addr=$(sym vmx_exit)
handler_addr=$(sym "$handler")
# awk reads to the end: leaving early would kill objdump with SIGPIPE, which pipefail turns into a failure.
resume_addr=0x$(objdump -d --no-show-raw-insn "$elf" | awk '/\tvmresume/ && !found { sub(":", "", $1); print $1; found = 1 }')
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -z "$iso" ]; then
  iso=$work/probe.iso
  printf '\tmodule2 /boot/exitprobe.elf name=probe\n' >"$work/mods.cfg"
  PTV_GRUB_TIMEOUT=0 PTV_MODULES_CFG="$work/mods.cfg" tools/mkiso.sh "$iso" "$elf" build/guest/exitprobe.elf >/dev/null
fi
cat >"$work/cmds" <<EOT
lb $handler_addr
c
d 1
lb $resume_addr
c
lb $exit_addr
trace on
c
c
trace off
quit
EOT
cat >"$work/bochsrc" <<EOT
megs: 256
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/vgabios/vgabios.bin
cpu: model=tigerlake, count=1, ips=50000000, reset_on_triple_fault=0, ignore_bad_msrs=0
ata0-master: type=cdrom, path="$(realpath "$iso")", status=inserted
boot: cdrom
com1: enabled=1, mode=file, dev="$work/serial.log"
display_library: sdl2
log: $work/bochs.log
info: action=ignore
EOT
SDL_VIDEODRIVER=dummy timeout -s INT -k 10 120 bochs -q -f "$work/bochsrc" -rc "$work/cmds" >"$work/trace.out" 2>&1 </dev/null || true
mkdir -p build
# Trace lines look like "(0).[icount] [0x...phys] sel:lin (ctxt): mnemonic ; bytes".
python3 - "$work/trace.out" "$exit_addr" "$resume_addr" >"build/trace-exit-$kind.txt" <<'PY'
import re, sys
start, stop = int(sys.argv[2], 16), int(sys.argv[3], 16)
on = False
for line in open(sys.argv[1], errors="replace"):
    m = re.match(r"\(0\)\.\[\d+\] \[0x[0-9a-f]+\] [0-9a-f]+:([0-9a-f]+) ", line)
    if not m:
        continue
    addr = int(m.group(1), 16)
    on = on or addr == start
    if on:
        sys.stdout.write(line)
        if addr == stop:
            break
PY
count=$(wc -l <"build/trace-exit-$kind.txt")
last=$(tail -n 1 "build/trace-exit-$kind.txt")
if [ "$count" -lt 20 ] || [[ $last != *vmresume* ]]; then
  echo "trace-exit: could not isolate one $kind exit (got $count lines)" >&2
  exit 1
fi
echo "$kind $count"
