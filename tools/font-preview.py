#!/usr/bin/env python3
"""Renders the console font table in vmm/console/font.c for review.

Parses the C arrays (font_table and font_box) straight from the source, so what
you see is what the VMM draws. Prints text art by default; --png writes an
image of the whole table (or of --text rendered as the console would).

  tools/font-preview.py                       # text art of every glyph
  tools/font-preview.py --chars 'gjpqy'       # text art of a few
  tools/font-preview.py --png font.png        # table image, 4x scale
  tools/font-preview.py --png s.png --text 'ptvisor: VMX on, PT ok'
"""
import argparse
import re
import struct
import sys
import zlib

WIDTH, HEIGHT = 8, 16
FIRST, LAST = 0x20, 0x7e


def parse_array(src, name):
    """Returns the hex bytes of the initializer of `name`, in order."""
    m = re.search(r'\b' + name + r'\b[^=;]*=\s*\{', src)
    if not m:
        sys.exit('font-preview: no array %s in the source' % name)
    end = src.index('};', m.end())
    body = re.sub(r'/\*.*?\*/', '', src[m.end():end], flags=re.S)
    return [int(x, 16) for x in re.findall(r'0x([0-9a-fA-F]{1,2})\b', body)]


def load_font(path):
    src = open(path, encoding='utf-8').read()
    table = parse_array(src, 'font_table')
    box = parse_array(src, 'font_box')
    count = LAST - FIRST + 1
    if len(table) != count * HEIGHT or len(box) != HEIGHT:
        sys.exit('font-preview: expected %d table bytes and %d box bytes, got %d and %d'
                 % (count * HEIGHT, HEIGHT, len(table), len(box)))
    glyphs = {FIRST + i: table[i * HEIGHT:(i + 1) * HEIGHT] for i in range(count)}
    return glyphs, box


def glyph_of(glyphs, box, ch):
    return glyphs.get(ord(ch), box)


def text_art(glyphs, box, chars):
    """Glyphs side by side, 12 to a band, with a row-number ruler."""
    out = []
    for start in range(0, len(chars), 12):
        band = chars[start:start + 12]
        out.append('    ' + ' '.join(('%r' % c).ljust(WIDTH) for c in band))
        for row in range(HEIGHT):
            cells = []
            for c in band:
                bits = glyph_of(glyphs, box, c)[row]
                cells.append(''.join('#' if bits & (0x80 >> x) else '.' for x in range(WIDTH)))
            out.append('%2d  %s' % (row, ' '.join(cells)))
        out.append('')
    return '\n'.join(out)


def write_png(path, pixels, w, h):
    """Minimal greyscale PNG: one IDAT, filter type 0 on every scanline."""
    def chunk(kind, data):
        body = kind + data
        return struct.pack('>I', len(data)) + body + struct.pack('>I', zlib.crc32(body) & 0xffffffff)

    raw = b''.join(b'\0' + bytes(pixels[y * w:(y + 1) * w]) for y in range(h))
    png = b'\x89PNG\r\n\x1a\n'
    png += chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 0, 0, 0, 0))
    png += chunk(b'IDAT', zlib.compress(raw, 9))
    png += chunk(b'IEND', b'')
    open(path, 'wb').write(png)


def render(glyphs, box, lines, scale, grid):
    """Draws lines of characters; with grid, cells are separated by grey rules."""
    cols = max(len(line) for line in lines)
    gap = 1 if grid else 0
    cw, ch = WIDTH * scale + gap, HEIGHT * scale + gap
    w, h = cols * cw + gap, len(lines) * ch + gap
    px = [96 if grid else 0] * (w * h)
    for ty, line in enumerate(lines):
        for tx in range(cols):
            c = line[tx] if tx < len(line) else ' '
            g = glyph_of(glyphs, box, c)
            for row in range(HEIGHT):
                for col in range(WIDTH):
                    on = g[row] & (0x80 >> col)
                    for sy in range(scale):
                        base = (ty * ch + gap + row * scale + sy) * w + tx * cw + gap + col * scale
                        for sx in range(scale):
                            px[base + sx] = 255 if on else 0
    return px, w, h


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--font', default='vmm/console/font.c', help='the C source to read')
    ap.add_argument('--chars', help='only these characters (text art)')
    ap.add_argument('--png', help='write an image here instead of text art')
    ap.add_argument('--text', help='with --png: render this text (\\n separates lines) instead of the table')
    ap.add_argument('--scale', type=int, default=4, help='image pixels per font pixel (default 4)')
    args = ap.parse_args()

    glyphs, box = load_font(args.font)
    table = ''.join(chr(c) for c in range(FIRST, LAST + 1)) + '\x7f'
    if not args.png:
        print(text_art(glyphs, box, args.chars or table))
        return
    if args.text is not None:
        lines = args.text.replace('\\n', '\n').split('\n')
        px, w, h = render(glyphs, box, lines, args.scale, False)
    else:
        lines = [table[i:i + 16] for i in range(0, len(table), 16)]
        px, w, h = render(glyphs, box, lines, args.scale, True)
    write_png(args.png, px, w, h)
    print('font-preview: wrote %s (%dx%d)' % (args.png, w, h))


if __name__ == '__main__':
    main()
