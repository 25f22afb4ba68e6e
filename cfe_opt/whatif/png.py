"""PNG bytes of a canvas that changes a few bands at a time (the live package figure).

A what-if change redraws a row or two of the package figure; encoding the whole image again
(PIL, zlib on every row) costs about as much as the redraw. ``BandedPng`` keeps each band of
``BAND`` pixel rows compressed on its own (and its Adler-32) and compresses again only the
bands whose pixels changed since the last image. The bands' deflate streams join into one
zlib stream: each band is compressed with no history (a fresh compressor) and ends on a byte
boundary with the window reset (a full flush), so a decoder reads them as consecutive blocks;
one empty final block closes the stream, and the stream's Adler-32 is the bands' combined.
Rows carry PNG filter 0 (none), 8-bit RGB; the file is an ordinary PNG (signature, IHDR, one
IDAT, IEND), lossless.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

BAND = 16  # pixel rows per band
LEVEL = 1  # zlib level: fastest (the figure is flat colour and text; level 6 saves ~10%)
_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_ZLIB_HEADER = b"\x78\x01"  # deflate, 32K window, fastest (a multiple of 31, as RFC 1950 asks)
_FINAL_BLOCK = zlib.compressobj(LEVEL, zlib.DEFLATED, -15).flush()  # an empty last block


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(data, zlib.crc32(kind))))


class BandedPng:
    """An encoder kept with one canvas: ``encode(rgba)`` gives the PNG of the pixels."""

    def __init__(self) -> None:
        self._last: np.ndarray | None = None  # the pixels last encoded
        self._bands: list[tuple[bytes, int, int]] = []  # deflate stream, Adler-32, length

    def encode(self, rgba: np.ndarray) -> bytes:
        """The PNG (RGB, the alpha channel dropped) of an (height, width, 4) uint8 array."""
        height, width = rgba.shape[0], rgba.shape[1]
        tops = range(0, height, BAND)
        if self._last is None or self._last.shape != rgba.shape:
            dirty = list(range(len(tops)))
            self._bands = [(b"", 1, 0)] * len(tops)
        else:
            changed = (rgba != self._last).any(axis=(1, 2))  # by pixel row
            dirty = [i for i, top in enumerate(tops) if changed[top:top + BAND].any()]
        for i in dirty:
            pixels = rgba[tops[i]:tops[i] + BAND, :, :3]
            rows = np.zeros((pixels.shape[0], 1 + 3 * width), dtype=np.uint8)  # 0: no filter
            rows[:, 1:] = pixels.reshape(pixels.shape[0], 3 * width)
            raw = rows.tobytes()
            compressor = zlib.compressobj(LEVEL, zlib.DEFLATED, -15)
            self._bands[i] = (compressor.compress(raw) + compressor.flush(zlib.Z_FULL_FLUSH),
                              zlib.adler32(raw), len(raw))
        self._last = rgba.copy()
        adler = 1  # of no bytes
        for _stream, band_adler, length in self._bands:
            adler = adler32_combine(adler, band_adler, length)
        data = b"".join([_ZLIB_HEADER, *(band[0] for band in self._bands), _FINAL_BLOCK,
                         struct.pack(">I", adler)])
        header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
        return b"".join([_SIGNATURE, _chunk(b"IHDR", header), _chunk(b"IDAT", data),
                         _chunk(b"IEND", b"")])


_BASE = 65521  # the largest prime below 2^16 (RFC 1950)


def adler32_combine(first: int, second: int, length: int) -> int:
    """The Adler-32 of two byte strings joined, from each one's and the second's length (as
    zlib's adler32_combine, which Python's zlib module does not offer)."""
    rem = length % _BASE
    sum1 = first & 0xFFFF
    sum2 = (rem * sum1) % _BASE
    sum1 = (sum1 + (second & 0xFFFF) + _BASE - 1) % _BASE
    sum2 = (sum2 + (first >> 16) + (second >> 16) + _BASE - rem) % _BASE
    return sum1 | (sum2 << 16)
