#!/usr/bin/env python3
"""Checks a guest's Intel PT trace against ptvisor's ground truth.

Usage: ptverify.py LOG NAME ELF [--ptdecode BIN] [--outdir DIR] [--prefix]
Extracts the framed trace NAME from the serial LOG (tools/ptextract.py), reconstructs the instruction flow with
tools/ptdecode (Intel's libipt) against ELF, and compares it with the "pt-riplog NAME count=... fnv=..." line ptvisor
printed for that guest: the count and FNV-1a-64 hash (a 64-bit word per IP) of every instruction IP it traced. --prefix accepts a decoded
flow that is a prefix of the traced one (a STOP region ended the output). Prints PASS:/FAIL: lines, exits 1 on failure.
"""
import json, os, re, struct, subprocess, sys

def fnv(ips):
    # FNV-1a-64 with each IP taken as one 64-bit word (ptvisor hashes a word per instruction, not 8 bytes).
    h = 0xcbf29ce484222325
    for ip in ips:
        h = ((h ^ ip) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h

def elf_ranges(path):
    data = open(path, "rb").read()
    cls = data[4]
    out = []
    if cls == 1:
        phoff, = struct.unpack_from("<I", data, 28); phentsize, phnum = struct.unpack_from("<HH", data, 42)
        for i in range(phnum):
            p_type, off, vaddr, paddr, filesz, memsz = struct.unpack_from("<IIIIII", data, phoff + i * phentsize)
            if p_type == 1:
                out.append((vaddr, vaddr + memsz))
    else:
        phoff, = struct.unpack_from("<Q", data, 32); phentsize, phnum = struct.unpack_from("<HH", data, 54)
        for i in range(phnum):
            p_type, flags, off, vaddr, paddr, filesz, memsz = struct.unpack_from("<IIQQQQQ", data, phoff + i * phentsize)
            if p_type == 1:
                out.append((vaddr, vaddr + memsz))
    return out

def main():
    args = sys.argv[1:]
    opts = {"--ptdecode": "build/ptdecode", "--outdir": None}
    prefix = "--prefix" in args
    args = [a for a in args if a != "--prefix"]
    pos = []
    i = 0
    while i < len(args):
        if args[i] in opts:
            opts[args[i]] = args[i + 1]; i += 2
        else:
            pos.append(args[i]); i += 1
    log, name, elf = pos
    outdir = opts["--outdir"] or os.path.join("build", "pt-" + name)
    os.makedirs(outdir, exist_ok=True)
    ok = True
    def check(cond, what):
        nonlocal ok
        print(("PASS: " if cond else "FAIL: ") + what)
        ok = ok and cond
    r = subprocess.run([sys.executable, "tools/ptextract.py", "-o", outdir, "--source", name, log],
                       capture_output=True, text=True)
    summary = json.loads(r.stdout or "{}")
    frames = [f for f in summary.get("frames", []) if f["name"] == name]
    check(r.returncode == 0 and frames, f"{name}: framed trace extracted, CRC32 verified ({frames[0]['bytes'] if frames else 0} bytes)")
    if not frames:
        return 1
    trace = frames[0]["file"]
    d = subprocess.run([opts["--ptdecode"], "--ips-only", "--elf", elf, trace], capture_output=True, text=True)
    check(d.returncode == 0, f"{name}: libipt decodes the trace without error" + (f" ({d.stderr.strip()})" if d.returncode else ""))
    ips = [int(l, 16) for l in d.stdout.split()]
    truth = None
    for line in open(log, errors="replace"):
        m = re.search(r"pt-riplog (\S+) count=(\d+) fnv=([0-9a-f]+) first=([0-9a-f]+) last=([0-9a-f]+)", line)
        if m and m.group(1) == name:
            truth = (int(m.group(2)), int(m.group(3), 16), int(m.group(4), 16), int(m.group(5), 16))
    check(truth is not None, f"{name}: ptvisor printed its ground truth (pt-riplog)")
    if truth:
        count, h, first, last = truth
        if prefix:
            check(0 < len(ips) <= count and ips[0] == first,
                  f"{name}: decoded flow ({len(ips)} instructions) is a prefix of the {count} traced")
        else:
            check(len(ips) == count, f"{name}: decoded {len(ips)} instructions, ptvisor traced {count}")
            check(fnv(ips) == h, f"{name}: decoded flow equals the executed flow (FNV-1a {fnv(ips):016x} vs {h:016x})")
    ranges = elf_ranges(elf)
    outside = [ip for ip in ips if not any(a <= ip < b for a, b in ranges)]
    check(ips and not outside, f"{name}: every decoded IP lies in its own image "
          f"{', '.join(f'[{a:#x},{b:#x})' for a, b in ranges)}" + (f" (first outside: {outside[0]:#x})" if outside else ""))
    with open(os.path.join(outdir, "ips.txt"), "w") as f:
        f.write("".join(f"{ip:#x}\n" for ip in ips))
    return 0 if ok else 1

if __name__ == "__main__":
    sys.exit(main())
