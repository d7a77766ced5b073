source "$(dirname "$0")/lib.sh"
# $1 = outside on/off, $2 = extra args
guest_iso "$TMP/m.iso" build/guest/ptring.elf <<MODS
ptring.elf name=pt-ring pt_riplog=on pt_outside=$1 -- iterations=400 $2
MODS
tools/run-bochs.sh --iso "$TMP/m.iso" --serial "$TMP/s.log" --timeout 200
cp "$TMP/s.log" /tmp/skipm/$1-$3.log
