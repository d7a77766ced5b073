#!/usr/bin/env python3
"""Packs a directory into a gzip-compressed newc cpio archive, the format of a Linux initramfs.

Usage: tools/mkcpio.py ROOT OUT [--dev PATH:c|b:MAJOR:MINOR[:MODE]]...

Every entry is owned by root with mtime 0, in sorted order, so the same tree gives the same bytes.
Device nodes are written as archive entries (--dev), so no root rights and no mknod are needed:
the kernel creates them when it unpacks the archive (Documentation/driver-api/early-userspace/
buffer-format.rst describes the format).
"""
import gzip
import os
import stat
import sys

NEWC_MAGIC = b"070701"


def header(name, mode, size, ino, nlink=1, rdev=(0, 0)):
    """One newc header (13 8-digit hex fields) plus the NUL-terminated name, padded to 4 bytes."""
    fields = [ino, mode, 0, 0, nlink, 0, size, 0, 0, rdev[0], rdev[1], len(name) + 1, 0]
    head = NEWC_MAGIC + b"".join(b"%08x" % f for f in fields) + name + b"\0"
    return head + b"\0" * (-len(head) % 4)


def entries(root):
    """(archive name, host path) for every directory, file and link under root, parents first."""
    out = []
    for top, dirs, files in os.walk(root):
        dirs.sort()
        rel = os.path.relpath(top, root)
        for name in sorted(dirs + files):
            path = os.path.join(top, name)
            arc = name if rel == "." else os.path.join(rel, name)
            out.append((arc, path))
    return out


def parse_dev(spec):
    parts = spec.split(":")
    if len(parts) not in (4, 5) or parts[1] not in ("c", "b"):
        sys.exit("mkcpio: bad --dev '%s' (PATH:c|b:MAJOR:MINOR[:MODE])" % spec)
    kind = stat.S_IFCHR if parts[1] == "c" else stat.S_IFBLK
    mode = int(parts[4], 8) if len(parts) == 5 else 0o600
    return parts[0].lstrip("/"), kind | mode, (int(parts[2]), int(parts[3]))


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    root, out, rest = argv[1], argv[2], argv[3:]
    devs = []
    while rest:
        if rest[0] != "--dev" or len(rest) < 2:
            sys.exit("mkcpio: unknown argument '%s'" % rest[0])
        devs.append(parse_dev(rest[1]))
        rest = rest[2:]

    ino = 1
    seen = set()
    with open(out + ".tmp", "wb") as raw, gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0, compresslevel=9) as gz:
        for arc, path in entries(root):
            st = os.lstat(path)
            name = arc.encode()
            seen.add(arc)
            if stat.S_ISLNK(st.st_mode):
                data = os.readlink(path).encode()
            elif stat.S_ISREG(st.st_mode):
                with open(path, "rb") as f:
                    data = f.read()
            elif stat.S_ISDIR(st.st_mode):
                data = b""
            else:
                sys.exit("mkcpio: %s is neither file, directory nor link" % path)
            gz.write(header(name, st.st_mode, len(data), ino, 2 if stat.S_ISDIR(st.st_mode) else 1))
            gz.write(data + b"\0" * (-len(data) % 4))
            ino += 1
        for arc, mode, rdev in devs:
            if os.path.dirname(arc) and os.path.dirname(arc) not in seen:
                sys.exit("mkcpio: no directory %s in %s for device %s" % (os.path.dirname(arc), root, arc))
            gz.write(header(arc.encode(), mode, 0, ino, 1, rdev))
            ino += 1
        gz.write(header(b"TRAILER!!!", 0, 0, 0, 1))
    os.replace(out + ".tmp", out)


if __name__ == "__main__":
    main(sys.argv)
