#!/usr/bin/python3
"""Decodes a PNG with the standard library only (zlib) and prints JSON statistics.

Usage: png_stats.py FILE [#rrggbb ...]
Prints {"width", "height", "colors", "non_white", "near": {"#rrggbb": pixels within a
Chebyshev distance of 40 of that colour}}. Supports 8-bit greyscale, RGB, RGBA and grey+alpha,
non-interlaced (what headless Chromium writes); anything else exits with status 2.
"""
import json
import struct
import sys
import zlib


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def decode(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit("not a PNG")
    pos, idat, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + length
    width, height, depth, ctype, _, _, interlace = header
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(ctype)
    if depth != 8 or channels is None or interlace != 0:
        print(f"unsupported PNG: depth {depth} colour type {ctype} interlace {interlace}",
              file=sys.stderr)
        sys.exit(2)
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    rows, prev, i = [], bytearray(stride), 0
    for _ in range(height):
        ftype = raw[i]
        line = bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        if ftype == 1:
            for x in range(channels, stride):
                line[x] = (line[x] + line[x - channels]) & 0xFF
        elif ftype == 2:
            for x in range(stride):
                line[x] = (line[x] + prev[x]) & 0xFF
        elif ftype == 3:
            for x in range(stride):
                left = line[x - channels] if x >= channels else 0
                line[x] = (line[x] + ((left + prev[x]) >> 1)) & 0xFF
        elif ftype == 4:
            for x in range(stride):
                left = line[x - channels] if x >= channels else 0
                upleft = prev[x - channels] if x >= channels else 0
                line[x] = (line[x] + paeth(left, prev[x], upleft)) & 0xFF
        rows.append(bytes(line))
        prev = line
    return width, height, channels, rows


def main():
    width, height, channels, rows = decode(sys.argv[1])
    targets = [(c, int(c[1:3], 16), int(c[3:5], 16), int(c[5:7], 16)) for c in sys.argv[2:]]
    counts = {}
    for row in rows:
        for x in range(0, len(row), channels):
            px = row[x:x + 3] if channels >= 3 else bytes([row[x]] * 3)
            counts[px] = counts.get(px, 0) + 1
    near = {}
    for name, r, g, b in targets:
        near[name] = sum(n for px, n in counts.items()
                         if max(abs(px[0] - r), abs(px[1] - g), abs(px[2] - b)) <= 40)
    print(json.dumps({
        "width": width,
        "height": height,
        "colors": len(counts),
        "non_white": width * height - counts.get(b"\xff\xff\xff", 0),
        "near": near,
    }))


if __name__ == "__main__":
    main()
