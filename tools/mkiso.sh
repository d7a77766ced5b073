#!/usr/bin/env bash
# Builds the hybrid BIOS + UEFI GRUB image: tools/mkiso.sh OUT.iso ptvisor.elf [guest modules...]
# Environment: PTV_GRUB_TIMEOUT (menu seconds, default 1), PTV_CMDLINE (extra options for every entry),
# PTV_MODULES_CFG (a file of extra grub.cfg 'module2' lines for the default entry, used by tests).
set -euo pipefail
out=$1 elf=$2
shift 2
timeout=${PTV_GRUB_TIMEOUT:-1}
extra=${PTV_CMDLINE:-}
selftest_cfg=$(dirname "$0")/selftest-pt.cfg

stage=$(mktemp -d)
log=$(mktemp)
trap 'rm -rf "$stage" "$log"' EXIT
mkdir -p "$stage/boot/grub"
cp "$elf" "$stage/boot/ptvisor.elf"
modlines=""
for m in "$@"; do
  cp "$m" "$stage/boot/"
done
if [ -n "${PTV_MODULES_CFG:-}" ]; then
  modlines=$(cat "$PTV_MODULES_CFG")
fi

entry() { # title options [modules]
  cat <<EOT
menuentry "$1" {
	multiboot2 /boot/ptvisor.elf $2
${3-$modlines}
	boot
}
EOT
}

{
  cat <<EOT
serial --unit=0 --speed=115200 --word=8 --parity=no --stop=1
terminal_input serial console
terminal_output serial console
set timeout=$timeout
set default=0
insmod all_video
EOT
  entry "ptvisor (pt_mode=host-guest)" "pt_mode=host-guest $extra"
  entry "ptvisor (pt_mode=host)" "pt_mode=host $extra"
  entry "ptvisor (pt_mode=system)" "pt_mode=system $extra"
  entry "ptvisor (pt_mode=host-guest, debug log)" "pt_mode=host-guest loglevel=debug $extra"
  entry "ptvisor (no guests: CPU probe and VMXON only)" "$extra" ""
  # selftest=pt: PASS/FAIL lines for the hardware PT path with a ptwork guest tracing itself (README).
  st_opts=$(grep -v '^#' "$selftest_cfg" | sed -n 1p)
  st_mod=$(grep -v '^#' "$selftest_cfg" | sed -n 2p)
  entry "ptvisor (Intel PT silicon self-test: selftest=pt)" "$st_opts $extra" "	module2 /boot/$st_mod"
} > "$stage/boot/grub/grub.cfg"

mods="multiboot2 normal configfile echo serial terminal iso9660 fat
      part_acorn part_amiga part_apple part_bsd part_dfly part_dvh part_gpt part_msdos part_plan part_sun part_sunpc
      all_video video gfxterm search search_fs_file test"
grub-mkrescue -o "$out" --install-modules="$(echo $mods)" --fonts= --locales= --themes= \
  --compress=xz "$stage" >/dev/null 2>"$log" || { cat "$log" >&2; exit 1; }
echo "iso: $out ($(stat -c %s "$out") bytes)"
