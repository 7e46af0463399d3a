"""Write the default pass images (run once; the PNGs are committed beside this script).

Plain zlib keeps it free of an imaging library: a flat brand colour with a lighter band, which
is enough for Wallet to accept the pass. A program replaces them with its own artwork.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent

# Apple's point sizes for a storeCard; @2x doubles them.
SIZES = {
    "icon": (29, 29),
    "logo": (160, 50),
    "strip": (375, 123),
}
BRAND = (0x1E, 0x3A, 0x5F)
BAND = (0xF2, 0xB1, 0x34)


def png(width: int, height: int, pixel) -> bytes:
    """An 8-bit RGB PNG whose pixel colour is pixel(x, y)."""
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter type: none
        for x in range(width):
            rows.extend(pixel(x, y))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + chunk(b"IEND", b"")
    )


def main() -> None:
    for name, (w, h) in SIZES.items():
        for suffix, scale in (("", 1), ("@2x", 2)):
            width, height = w * scale, h * scale
            band_top, band_bottom = height * 2 // 5, height * 3 // 5

            def pixel(_x: int, y: int, top: int = band_top, bottom: int = band_bottom):
                return BAND if top <= y < bottom else BRAND

            (HERE / f"{name}{suffix}.png").write_bytes(png(width, height, pixel))


if __name__ == "__main__":
    main()
