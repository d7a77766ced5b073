#!/usr/bin/env python3
"""Extracts PTV-TRACE frames (docs/trace-format.md) from a ptvisor serial log into OUTDIR/<name>.pt.

Usage: tools/ptextract.py [-o OUTDIR] [--source NAME] LOG|-
Prints a JSON summary on stdout; exit 0 = all frames good, 2 = a frame failed or none found,
1 = usage or I/O error.
"""
import argparse
import base64
import binascii
import json
import os
import re
import sys
import zlib

LINE_BYTES = 72
PREFIX_RE = re.compile(r'^\[([^\]\s]+)\] (.*)$')
BEGIN_RE = re.compile(r'^PTV-TRACE-BEGIN (\S+) name=([A-Za-z0-9_.-]{1,32}) bytes=([0-9]{1,10}) '
                      r'crc32=([0-9a-fA-F]{8})$')
END_RE = re.compile(r'^PTV-TRACE-END name=(\S+) lines=([0-9]{1,10})$')
DATA_RE = re.compile(r'^D ([0-9]{1,10}) ([A-Za-z0-9+/=]{1,96})$')


class FrameError(Exception):
    pass


class Frame:
    def __init__(self, source, lineno, name, size, crc):
        self.source, self.first_line = source, lineno
        self.name, self.size, self.crc = name, size, crc
        self.chunks = []

    def add(self, lineno, seq, text):
        if seq != len(self.chunks):
            want = len(self.chunks)
            what = 'missing line' if seq > want else 'repeated or out-of-order line'
            raise FrameError(f'{what}: got D {seq}, expected D {want} (log line {lineno})')
        try:
            chunk = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError) as e:
            raise FrameError(f'bad base64 in D {seq} (log line {lineno}): {e}') from None
        last = (seq + 1) * LINE_BYTES >= self.size
        if len(chunk) != LINE_BYTES and not last or len(chunk) == 0 or len(text) % 4:
            raise FrameError(f'D {seq} carries {len(chunk)} bytes (log line {lineno}): '
                             f'line cut or corrupted')
        self.chunks.append(chunk)

    def finish(self, lineno, name, lines):
        if name != self.name:
            raise FrameError(f'END name={name} does not match BEGIN name={self.name} '
                             f'(log line {lineno})')
        want_lines = (self.size + LINE_BYTES - 1) // LINE_BYTES
        if lines != len(self.chunks) or lines != want_lines:
            raise FrameError(f'END says lines={lines}, saw {len(self.chunks)} D lines, '
                             f'{self.size} bytes need {want_lines} (log line {lineno})')
        data = b''.join(self.chunks)
        if len(data) != self.size:
            raise FrameError(f'decoded {len(data)} bytes, header says bytes={self.size}')
        crc = zlib.crc32(data) & 0xffffffff
        if crc != self.crc:
            raise FrameError(f'CRC mismatch: data has crc32={crc:08x}, header says {self.crc:08x}')
        return data


def split_source(line):
    m = PREFIX_RE.match(line)
    return (m.group(1), m.group(2)) if m else ('', line)


def unique_path(outdir, name, used):
    n = used.get(name, 0) + 1
    used[name] = n
    return os.path.join(outdir, f'{name}.pt' if n == 1 else f'{name}.{n}.pt')


def extract(lines, outdir, only_source):
    open_frames, frames, errors, used = {}, [], [], {}
    failed = set()   # sources whose frame failed: their D lines and END are skipped quietly

    def error(lineno, source, name, msg):
        errors.append({'line': lineno, 'source': source, 'name': name, 'error': msg})

    for lineno, raw in enumerate(lines, 1):
        source, body = split_source(raw.replace('\r', '').rstrip('\n'))
        if only_source is not None and source != only_source:
            continue
        frame = open_frames.get(source)
        try:
            if source in failed and not body.startswith('PTV-TRACE-BEGIN'):
                if body.startswith('PTV-TRACE-END'):
                    failed.discard(source)
                continue
            if body.startswith('PTV-TRACE-BEGIN'):
                failed.discard(source)
                if frame:
                    open_frames.pop(source)
                    error(frame.first_line, source, frame.name,
                          f'truncated frame: new BEGIN at log line {lineno} before END '
                          f'(got {len(frame.chunks)} D lines)')
                m = BEGIN_RE.match(body)
                if not m:
                    raise FrameError(f'malformed header: {body[:100]!r}')
                if m.group(1) != 'v1':
                    raise FrameError(f'unsupported frame version {m.group(1)}')
                if m.group(2).startswith('.'):
                    raise FrameError(f'bad frame name {m.group(2)!r}')
                open_frames[source] = Frame(source, lineno, m.group(2), int(m.group(3)),
                                            int(m.group(4), 16))
            elif frame is None:
                if body.startswith('PTV-TRACE-END'):
                    raise FrameError('END without BEGIN')
            elif body.startswith('PTV-TRACE-END'):
                open_frames.pop(source)
                m = END_RE.match(body)
                if not m:
                    raise FrameError(f'malformed trailer: {body[:100]!r}')
                data = frame.finish(lineno, m.group(1), int(m.group(2)))
                path = unique_path(outdir, frame.name, used)
                with open(path, 'wb') as f:
                    f.write(data)
                frames.append({'name': frame.name, 'source': source, 'bytes': frame.size,
                               'crc32': f'{frame.crc:08x}', 'lines': len(frame.chunks),
                               'file': path, 'first_line': frame.first_line})
            elif body.startswith('D '):
                m = DATA_RE.match(body)
                if not m:
                    raise FrameError(f'malformed data line (log line {lineno}): {body[:100]!r}')
                frame.add(lineno, int(m.group(1)), m.group(2))
            elif body.startswith('PTV-TRACE-'):
                raise FrameError(f'unknown frame line: {body[:100]!r}')
        except FrameError as e:
            bad = open_frames.pop(source, None) or frame
            if not body.startswith('PTV-TRACE-END'):
                failed.add(source)
            error(bad.first_line if bad else lineno, source, bad.name if bad else None, str(e))
    for source, frame in open_frames.items():
        error(frame.first_line, source, frame.name,
              f'truncated frame: log ended after {len(frame.chunks)} of '
              f'{(frame.size + LINE_BYTES - 1) // LINE_BYTES} D lines, no END')
    return frames, errors


def main():
    ap = argparse.ArgumentParser(description='Extract PTV-TRACE frames from a serial log.')
    ap.add_argument('-o', '--outdir', default='.', help='directory for <name>.pt files')
    ap.add_argument('--source', help='only frames from lines prefixed "[SOURCE] "')
    ap.add_argument('log', help='serial log, or - for stdin')
    args = ap.parse_args()
    try:
        os.makedirs(args.outdir, exist_ok=True)
        if args.log == '-':
            text = sys.stdin.buffer.read()
        else:
            with open(args.log, 'rb') as f:
                text = f.read()
        lines = text.decode('latin-1').split('\n')
        frames, errors = extract(lines, args.outdir, args.source)
    except OSError as e:
        print(f'ptextract: {e}', file=sys.stderr)
        return 1
    for e in errors:
        where = f'frame {e["name"]!r}' if e['name'] else 'log'
        src = f' from [{e["source"]}]' if e['source'] else ''
        print(f'ptextract: error: {where}{src} at line {e["line"]}: {e["error"]}', file=sys.stderr)
    if not frames and not errors:
        print(f'ptextract: error: no PTV-TRACE frame in {args.log}', file=sys.stderr)
    json.dump({'frames': frames, 'errors': errors}, sys.stdout)
    sys.stdout.write('\n')
    return 0 if frames and not errors else 2


if __name__ == '__main__':
    sys.exit(main())
