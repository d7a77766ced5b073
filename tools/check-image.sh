#!/usr/bin/env bash
# Checks that the multiboot2 header lies in the first 32 KiB of the ELF (Multiboot2 spec 3.1.1).
set -euo pipefail
elf=$1
off=$(python3 - "$elf" <<'PY'
import struct, sys
data = open(sys.argv[1], 'rb').read(32768)
for i in range(0, len(data) - 16, 8):
    magic, arch, length, csum = struct.unpack_from('<IIII', data, i)
    if magic == 0xe85250d6 and (magic + arch + length + csum) & 0xffffffff == 0:
        print(i); break
else:
    print(-1)
PY
)
if [ "$off" -lt 0 ]; then
  echo "check-image: no valid multiboot2 header in the first 32 KiB of $elf" >&2
  exit 1
fi
