"""A small writer of TensorBoard's event files, so that ``TensorBoard`` needs no TensorFlow.

An event file (``events.out.tfevents.<time>.<host>.<pid>.<n>.v2``) is a stream of TFRecords, each
one serialized ``Event`` protocol buffer:

    uint64 length | uint32 masked_crc32c(length bytes) | data | uint32 masked_crc32c(data)

(little-endian; CRC-32C, the Castagnoli polynomial, "masked" as
``((crc >> 15) | (crc << 17)) + 0xa282ead8``). The first event carries ``file_version =
"brain.Event:2"``; each later one a ``Summary`` of tagged values at a ``step``. Only the few
protobuf fields TensorBoard reads are encoded here, by hand (the wire format is: a key
``field_number << 3 | wire_type``, then a varint, a little-endian double/float, or a
length-prefixed byte string):

    Event:          wall_time = 1 (double), step = 2 (int64), file_version = 3, summary = 5
    Summary:        value = 1 (repeated)
    Summary.Value:  tag = 1, simple_value = 2 (float), image = 4, histo = 5
    Summary.Image:  height = 1, width = 2, colorspace = 3, encoded_image_string = 4 (PNG)
    HistogramProto: min = 1, max = 2, num = 3, sum = 4, sum_squares = 5, bucket_limit = 6,
                    bucket = 7 (packed doubles)

About 150 lines instead of the ``tensorboard`` package (and protobuf) as a dependency: the format
has not changed since 2015, and TensorBoard's own reader reads these files back in the tests.
Images are encoded as PNG with ``zlib`` (standard library). Event files are appended to as
training runs (as TensorFlow writes them), so they are not written atomically; each record is
flushed whole.
"""

from __future__ import annotations

import os
import socket
import struct
import time
import zlib

import numpy as np

# --- CRC-32C ----------------------------------------------------------------------------------


def _crc32c_table():
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _crc32c_table()


def crc32c(data: bytes) -> int:
    """CRC-32C (Castagnoli) of ``data``."""
    crc = 0xFFFFFFFF
    table = _TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data: bytes) -> int:
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def tfrecord(data: bytes) -> bytes:
    """``data`` framed as one TFRecord."""
    length = struct.pack("<Q", len(data))
    return (length + struct.pack("<I", masked_crc32c(length)) + data
            + struct.pack("<I", masked_crc32c(data)))


# --- protobuf wire format ---------------------------------------------------------------------


def _varint(n: int) -> bytes:
    n &= (1 << 64) - 1  # negative int64 as its two's complement, as protobuf does
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _key(field: int, wire: int) -> bytes:
    return _varint(field << 3 | wire)


def _int(field: int, value: int) -> bytes:
    return _key(field, 0) + _varint(int(value))


def _double(field: int, value: float) -> bytes:
    return _key(field, 1) + struct.pack("<d", float(value))


def _float(field: int, value: float) -> bytes:
    return _key(field, 5) + struct.pack("<f", float(value))


def _bytes(field: int, value) -> bytes:
    if isinstance(value, str):
        value = value.encode("utf-8")
    return _key(field, 2) + _varint(len(value)) + value


def _packed_doubles(field: int, values) -> bytes:
    return _bytes(field, np.asarray(values, dtype="<f8").tobytes())


def event(step: int = 0, wall_time: float | None = None, summary: bytes | None = None,
          file_version: str | None = None) -> bytes:
    """A serialized ``Event``; ``summary`` is a serialized ``Summary``."""
    out = _double(1, time.time() if wall_time is None else wall_time) + _int(2, step)
    if file_version is not None:
        out += _bytes(3, file_version)
    if summary is not None:
        out += _bytes(5, summary)
    return out


def scalar_value(tag: str, value: float) -> bytes:
    """A ``Summary.Value`` holding a scalar."""
    return _bytes(1, _bytes(1, tag) + _float(2, value))


def histogram_value(tag: str, values, bins: int = 30) -> bytes:
    """A ``Summary.Value`` holding a histogram of ``values`` in ``bins`` equal buckets (the
    right edges are ``bucket_limit``)."""
    v = np.asarray(values, dtype=np.float64).ravel()
    v = v[np.isfinite(v)]
    if v.size == 0:
        lo = hi = 0.0
        counts, limits = np.zeros(1), np.zeros(1)
    else:
        lo, hi = float(v.min()), float(v.max())
        if lo == hi:
            counts, limits = np.array([float(v.size)]), np.array([hi])
        else:
            counts, edges = np.histogram(v, bins=bins, range=(lo, hi))
            limits = edges[1:]
    histo = (_double(1, lo) + _double(2, hi) + _double(3, v.size) + _double(4, v.sum())
             + _double(5, np.dot(v, v)) + _packed_doubles(6, limits)
             + _packed_doubles(7, np.asarray(counts, dtype=np.float64)))
    return _bytes(1, _bytes(1, tag) + _bytes(5, histo))


def png(image) -> bytes:
    """``image`` ``(H, W)`` or ``(H, W, C)`` uint8, C in 1, 3, 4, as PNG bytes."""
    img = np.asarray(image, dtype=np.uint8)
    if img.ndim == 2:
        img = img[:, :, None]
    h, w, c = img.shape
    colour = {1: 0, 3: 2, 4: 6}[c]  # grey, RGB, RGBA
    raw = b"".join(b"\x00" + img[row].tobytes() for row in range(h))  # filter 0 on each row

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", w, h, 8, colour, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b""))


def image_value(tag: str, image) -> bytes:
    """A ``Summary.Value`` holding one uint8 image ``(H, W, C)``."""
    img = np.asarray(image, dtype=np.uint8)
    if img.ndim == 2:
        img = img[:, :, None]
    h, w, c = img.shape
    body = _int(1, h) + _int(2, w) + _int(3, c) + _bytes(4, png(img))
    return _bytes(1, _bytes(1, tag) + _bytes(4, body))


class EventFileWriter:
    """Append events to a new event file in ``logdir`` (created if missing)."""

    _count = 0

    def __init__(self, logdir):
        os.makedirs(logdir, exist_ok=True)
        EventFileWriter._count += 1
        name = (f"events.out.tfevents.{int(time.time())}.{socket.gethostname()}."
                f"{os.getpid()}.{EventFileWriter._count}.v2")
        self.path = os.path.join(logdir, name)
        self._file = open(self.path, "wb")  # noqa: SIM115 - closed by close()
        self._write(event(file_version="brain.Event:2"))

    def _write(self, data: bytes) -> None:
        self._file.write(tfrecord(data))

    def add_values(self, values: list[bytes], step: int) -> None:
        """Write one ``Summary`` of the serialized ``values`` at ``step``."""
        if values:
            self._write(event(step=step, summary=b"".join(values)))

    def scalar(self, tag, value, step):
        self.add_values([scalar_value(tag, value)], step)

    def histogram(self, tag, values, step):
        self.add_values([histogram_value(tag, values)], step)

    def image(self, tag, image, step):
        self.add_values([image_value(tag, image)], step)

    def flush(self):
        if not self._file.closed:
            self._file.flush()

    def close(self):
        if not self._file.closed:
            self._file.close()
