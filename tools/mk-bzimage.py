#!/usr/bin/env python3
"""Writes a synthetic bzImage for loader tests: a Linux boot protocol setup header and a payload.

usage: mk-bzimage.py OUT [field=value ...]  (fields: version, loadflags, setup_sects, jump_disp,
pref_address, init_size, cmdline_size, initrd_max, kernel_align, payload)
The defaults are those of Debian 12's 6.1 kernel; `payload` is the size in bytes of the
protected-mode part (filled with HLT, so a guest entered there halts with IF=0 and stops).
"""
import struct
import sys

fields = dict(version=0x020F, loadflags=0x01, setup_sects=4, jump_disp=0x6A, pref_address=0x1000000,
              init_size=0x3F98000, cmdline_size=0x7FF, initrd_max=0x7FFFFFFF, kernel_align=0x200000,
              payload=4096)
for arg in sys.argv[2:]:
    key, value = arg.split("=", 1)
    if key not in fields:
        sys.exit(f"mk-bzimage: unknown field {key}")
    fields[key] = int(value, 0)

sects = fields["setup_sects"] or 4
setup = bytearray((sects + 1) * 512)
setup[0x1F1] = fields["setup_sects"]
struct.pack_into("<H", setup, 0x1FE, 0xAA55)
setup[0x200] = 0xEB
setup[0x201] = fields["jump_disp"]
setup[0x202:0x206] = b"HdrS"
struct.pack_into("<H", setup, 0x206, fields["version"])
setup[0x211] = fields["loadflags"]
struct.pack_into("<I", setup, 0x214, 0x100000)
struct.pack_into("<I", setup, 0x22C, fields["initrd_max"])
struct.pack_into("<I", setup, 0x230, fields["kernel_align"])
setup[0x234] = 1
struct.pack_into("<I", setup, 0x238, fields["cmdline_size"])
struct.pack_into("<Q", setup, 0x258, fields["pref_address"])
struct.pack_into("<I", setup, 0x260, fields["init_size"])
with open(sys.argv[1], "wb") as f:
    f.write(bytes(setup) + b"\xf4" * fields["payload"])
