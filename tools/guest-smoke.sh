#!/usr/bin/env bash
# Boots test guests directly under GRUB in QEMU TCG, without ptvisor: a check of their entry code,
# multiboot parsing and serial output. Usage: tools/guest-smoke.sh [GUEST...] (default: hello hello-mb1).
# Per guest: builds build/guest/GUEST.elf, an ISO that loads it with multiboot2 or multiboot (from its
# header), runs QEMU (60 s limit) and prints the serial log and a verdict. Exits non-zero if any failed.
# A guest named triplefault is expected to end in a reset (QEMU -no-reboot exits 0) after its message.
set -uo pipefail
cd "$(dirname "$0")/.."
guests=("$@")
[ ${#guests[@]} -gt 0 ] || guests=(hello hello-mb1)
timeout_s=${PTV_SMOKE_TIMEOUT:-60}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bad=0

run_one() { # guest
  local g=$1 elf=build/guest/$1.elf cmd stage iso serial rc status verdict
  make -s "$elf" || { echo "smoke $g: build failed"; return 1; }
  if grub-file --is-x86-multiboot2 "$elf"; then cmd=multiboot2
  elif grub-file --is-x86-multiboot "$elf"; then cmd=multiboot
  else echo "smoke $g: no multiboot header GRUB accepts"; return 1
  fi
  stage=$work/$g.d iso=$work/$g.iso serial=$work/$g.serial
  mkdir -p "$stage/boot/grub"
  cp "$elf" "$stage/boot/"
  cat > "$stage/boot/grub/grub.cfg" <<EOT
serial --unit=0 --speed=115200 --word=8 --parity=no --stop=1
terminal_output serial
set timeout=0
menuentry "$g" {
	$cmd /boot/$g.elf smoke-test -- peer=none
	boot
}
EOT
  grub-mkrescue -o "$iso" --install-modules="multiboot multiboot2 normal configfile serial terminal iso9660" \
    --fonts= --locales= --themes= "$stage" >/dev/null 2>"$work/$g.mkrescue" \
    || { cat "$work/$g.mkrescue"; return 1; }
  : > "$serial"
  timeout -k 5 "$timeout_s" qemu-system-x86_64 -accel tcg -cdrom "$iso" -boot d -m 64 \
    -serial "file:$serial" -display none -monitor none -no-reboot \
    -device isa-debug-exit,iobase=0xf4,iosize=4 </dev/null >"$work/$g.qemu" 2>&1
  rc=$?
  # GRUB draws its screen with escape sequences and no final newline: cut the log at the guest's first line.
  tr -d '\r' < "$serial" | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g' | grep -a -v '^\s*$' \
    | sed -E 's/.*(hello from|no ptvisor|about to triple|PASS: |FAIL: )/\1/' \
    | awk '/^(hello from|no ptvisor|about to triple|PASS: |FAIL: )/ { on = 1 } on' > "$serial.guest"
  echo "---- $g ($cmd) serial log ----"
  cat "$serial.guest"
  echo "----"
  if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then verdict="timed out after ${timeout_s}s"; status=timeout
  elif [ $((rc % 2)) -eq 1 ]; then status=$(((rc - 1) / 2)); verdict="isa-debug-exit status $status"
  else status=none; verdict="QEMU exited $rc without isa-debug-exit"
  fi
  local fails passes
  passes=$(grep -ac '^PASS: ' "$serial.guest"); fails=$(grep -ac '^FAIL: ' "$serial.guest")
  echo "smoke $g: $verdict, $passes PASS, $fails FAIL lines"
  if [ "$g" = triplefault ]; then
    grep -aq 'about to triple fault' "$serial.guest" && [ "$status" = none ] && [ $rc -eq 0 ] && return 0
    return 1
  fi
  [ "$status" = 0 ] && [ "$fails" -eq 0 ] && [ "$passes" -gt 0 ]
}

for g in "${guests[@]}"; do
  if run_one "$g"; then echo "smoke $g: OK"; else echo "smoke $g: FAILED"; bad=1; fi
done
exit $bad
