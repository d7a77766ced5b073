#!/usr/bin/env python3
"""Compares two Intel PT traces packet for packet, TSC payloads aside.

Usage: ptcompare.py A.pt B.pt [--ptdecode BIN]
The block and step engines of the emulated backend must write the same packets for the same guest run;
only TSC packets may differ in their payload (they carry the time the VMM spent). Prints one PASS:/FAIL:
line and exits 1 on a difference, naming the first differing packet.
"""
import subprocess, sys

def packets(ptdecode, path):
    r = subprocess.run([ptdecode, "--packets", path], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"FAIL: {ptdecode} --packets {path}: {r.stderr.strip()}")
    out = []
    for line in r.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0].startswith("0x"):
            out.append((int(parts[0], 16), parts[1], line))
    return out

def main():
    args = sys.argv[1:]
    ptdecode = "build/ptdecode"
    if "--ptdecode" in args:
        i = args.index("--ptdecode")
        ptdecode = args[i + 1]
        del args[i:i + 2]
    a, b = args
    da, db = open(a, "rb").read(), open(b, "rb").read()
    pa, pb = packets(ptdecode, a), packets(ptdecode, b)
    # TSC payloads (bytes 1-7 of each 8-byte TSC packet) are masked; everything else must match byte for byte.
    ma, mb = bytearray(da), bytearray(db)
    for pk, buf in ((pa, ma), (pb, mb)):
        for off, kind, _ in pk:
            if kind == "tsc":
                buf[off + 1:off + 8] = bytes(7)
    if len(pa) != len(pb) or ma != mb:
        n = next((i for i, (x, y) in enumerate(zip(pa, pb)) if x[1] != y[1] or
                  (x[1] != "tsc" and da[x[0]:x[0] + 1] != db[y[0]:y[0] + 1])), min(len(pa), len(pb)))
        ctx = lambda p: p[n][2] if n < len(p) else "(end)"
        print(f"FAIL: {a} and {b} differ ({len(da)} / {len(db)} bytes, {len(pa)} / {len(pb)} packets); "
              f"first difference near packet {n}: '{ctx(pa)}' vs '{ctx(pb)}'")
        return 1
    tsc = sum(1 for _, k, _ in pa if k == "tsc")
    print(f"PASS: {a} and {b} identical packet for packet ({len(da)} bytes, {len(pa)} packets, {tsc} TSC payloads aside)")
    return 0

sys.exit(main())
