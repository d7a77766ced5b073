#!/usr/bin/env bash
# Installs what ptvisor needs to build, boot and test on Debian/Ubuntu. Idempotent; quiet when all is there.
set -euo pipefail

# package : a file that shows it is installed (a glob where the path holds a version)
need=(
  "gcc:/usr/bin/gcc"                       # C compiler (VMM and host tests; -fanalyzer for make analyze)
  "binutils:/usr/bin/ld"                   # linker
  "make:/usr/bin/make"
  "nasm:/usr/bin/nasm"                     # entry and exit-stub assembly
  "grub-common:/usr/bin/grub-mkrescue"     # ISO builder
  "grub-pc-bin:/usr/lib/grub/i386-pc/multiboot2.mod"     # BIOS GRUB
  "grub-efi-amd64-bin:/usr/lib/grub/x86_64-efi/multiboot2.mod" # UEFI GRUB
  "xorriso:/usr/bin/xorriso"               # ISO 9660 + El Torito for grub-mkrescue
  "mtools:/usr/bin/mformat"                # EFI system partition image for grub-mkrescue
  "bochs:/usr/bin/bochs-bin"               # the VMX CPU we test on
  "bochs-sdl:/usr/lib/x86_64-linux-gnu/bochs/plugins/libbx_sdl2_gui.so.0.0.0" # headless display (SDL dummy driver)
  "bochsbios:/usr/share/bochs/BIOS-bochs-latest"
  "vgabios:/usr/share/vgabios/vgabios.bin"
  "qemu-system-x86:/usr/bin/qemu-system-x86_64"          # UEFI boot and KVM runs
  "ovmf:/usr/share/ovmf/OVMF.fd"           # UEFI firmware for QEMU
  "libcmocka-dev:/usr/include/cmocka.h"    # unit-test framework
  "libipt-dev:/usr/include/intel-pt.h"     # Intel's PT decoder, for trace decoding
  "libcapstone-dev:/usr/include/capstone/capstone.h"     # independent x86 decoder for cross-checks
  "python3:/usr/bin/python3"               # test and benchmark scripts
  "gdb:/usr/bin/gdb"                       # stops QEMU at power_off for the framebuffer screenshot test
  "clang-format-14:/usr/bin/clang-format-14"  # C layout check (tools/format.sh); .clang-format is tuned for 14
  "clang-14:/usr/bin/clang-14"             # host fuzzers (tests/fuzz): -fsanitize=fuzzer,address,undefined
  "libclang-rt-14-dev:/usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a" # libFuzzer, ASan, UBSan runtimes for clang-14
  "libc6-dev:/usr/lib/x86_64-linux-gnu/libc.a"  # static C library for the Linux image's workload
  "cpio:/usr/bin/cpio"                     # reads the Linux image's initramfs in its test
)

missing=()
for item in "${need[@]}"; do
  pkg=${item%%:*}
  probe=${item#*:}
  compgen -G "$probe" >/dev/null || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}"
if ! command -v apt-get >/dev/null; then
  echo "deps: no apt-get here; install these packages by hand: ${missing[*]}" >&2
  exit 1
fi
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
