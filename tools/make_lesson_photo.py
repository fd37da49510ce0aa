"""Rebuild ``examples/data/camera.npz``, the photograph ``examples/convolution_lesson.py`` filters.

The source is scikit-image's ``skimage/data/camera.png`` (512x512, 8-bit grey), a photograph
by Lav Varshney released under CC0 (scikit-image's ``skimage.data.camera`` docstring: "No
copyright restrictions. CC0 by the photographer"). It is read from the scikit-image wheel, so
scikit-image need not be installed, and decoded here with zlib and NumPy (no Pillow):

    pip download --no-deps scikit-image==0.26.0 -d /tmp/skimage
    python tools/make_lesson_photo.py /tmp/skimage/scikit_image-0.26.0-*.whl
    # or the extracted file:  python tools/make_lesson_photo.py /path/to/camera.png

The 512x512 image is reduced to 128x128 by averaging each 4x4 block (rounded half up), and
written as ``np.savez_compressed``'s format (one uint8 member ``image``) with fixed timestamps,
so a rebuild is byte-identical: ``--check`` compares the stored file with a rebuild.
"""

from __future__ import annotations

import pathlib
import struct
import sys
import zlib

import _rebuild
import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "examples" / "data" / "camera.npz"
MEMBER = "skimage/data/camera.png"
SOURCE_SHA256 = "b0793d2adda0fa6ae899c03989482bff9a42d3d5690fc7e3648f2795d730c23a"
BLOCK = 4


def read_source(path: pathlib.Path) -> bytes:
    """The PNG bytes, from the file itself or from inside the scikit-image wheel."""
    return _rebuild.read_source(path, MEMBER, SOURCE_SHA256, "scikit-image 0.26.0's camera.png")


def decode_grey_png(data: bytes) -> np.ndarray:
    """Decode an 8-bit greyscale, non-interlaced PNG (all camera.png is) to uint8 (H, W)."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit("not a PNG file")
    pos, idat, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    if (depth, colour, interlace) != (8, 0, 0):
        raise SystemExit(f"expected 8-bit grey non-interlaced, got {header}")
    raw = np.frombuffer(zlib.decompress(b"".join(idat)), dtype=np.uint8)
    rows = raw.reshape(height, width + 1)
    out = np.zeros((height + 1, width), dtype=np.int64)  # row 0: the zero row above the top
    for y in range(height):  # undo each row's PNG filter (bpp = 1)
        kind, line, up = rows[y, 0], rows[y, 1:].astype(np.int64), out[y]
        if kind == 0:
            cur = line
        elif kind == 2:  # Up
            cur = (line + up) % 256
        elif kind in (1, 3, 4):  # Sub, Average, Paeth depend on the pixel to the left
            cur = np.zeros(width, dtype=np.int64)
            for x in range(width):
                left = cur[x - 1] if x else 0
                upper_left = up[x - 1] if x else 0
                if kind == 1:
                    pred = left
                elif kind == 3:
                    pred = (left + up[x]) // 2
                else:
                    p = left + up[x] - upper_left
                    pa, pb, pc = abs(p - left), abs(p - up[x]), abs(p - upper_left)
                    pred = left if pa <= pb and pa <= pc else (up[x] if pb <= pc else upper_left)
                cur[x] = (line[x] + pred) % 256
        else:
            raise SystemExit(f"unknown PNG filter type {kind} in row {y}")
        out[y + 1] = cur
    return out[1:].astype(np.uint8)


def downsample(image: np.ndarray, block: int = BLOCK) -> np.ndarray:
    """The mean of each ``block x block`` square, rounded half up, as uint8."""
    h, w = image.shape
    sums = image.astype(np.int64).reshape(h // block, block, w // block, block).sum(axis=(1, 3))
    n = block * block
    return ((sums + n // 2) // n).astype(np.uint8)


archive_bytes = _rebuild.archive_bytes


def build(source: pathlib.Path) -> bytes:
    photo = decode_grey_png(read_source(source))
    if photo.shape != (512, 512):
        raise SystemExit(f"expected a 512x512 photograph, got {photo.shape}")
    return archive_bytes({"image": downsample(photo)})


def main(argv=None):
    return _rebuild.main(argv, __doc__.split("\n\n")[0], "camera.png or the scikit-image wheel",
                         OUT, build)


if __name__ == "__main__":
    sys.exit(main())
