#!/usr/bin/env bash
# Fetches an existing, unmodified multiboot kernel for the guest tests: GRUB Invaders (Debian package
# grub-invaders, /boot/invaders.exec), extracted without installing it. Usage: tools/fetch-invaders.sh OUT.elf
set -euo pipefail
out=$1
[ -s "$out" ] && exit 0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
if ! apt-get download grub-invaders >/dev/null 2>&1; then
  SUDO=
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq >/dev/null 2>&1 || true
  apt-get download grub-invaders >/dev/null 2>&1 || { echo "fetch-invaders: cannot download grub-invaders" >&2; exit 1; }
fi
dpkg-deb -x grub-invaders_*.deb root
cd - >/dev/null
mkdir -p "$(dirname "$out")"
cp "$work/root/boot/invaders.exec" "$out"
