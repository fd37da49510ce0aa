"""``SafeZip``: read members of an untrusted zip into memory, within limits, never to disk.

Before any member is read, the whole directory is checked: member names must be plain relative
paths (no ``..``, no absolute paths, no backslashes or drive letters), unique, unencrypted,
stored or deflated; declared sizes must be consistent (a stored member's data must lie inside
the file, and all stored data together must fit in it, which also rules out overlapping
members; a deflated member cannot claim more than deflate can produce) and within the caps of
``npconv.io.limits``. Reading a member then costs at most its declared size, and its CRC-32 is
verified by ``zipfile`` as the last byte is read.

Every failure, whatever ``zipfile``/``zlib`` raised, becomes a ``ModelFileError`` naming the
file and the member.
"""

from __future__ import annotations

import os
import re
import zipfile

from . import limits
from .errors import ModelFileError

__all__ = ["SafeZip"]

_NAME = re.compile(r"[A-Za-z0-9_.\-]+(/[A-Za-z0-9_.\-]+)*/?")
_LOCAL_HEADER = 30  # fixed part of a zip local file header


class SafeZip:
    """An open, validated zip; ``read(name)`` returns a member's bytes."""

    def __init__(self, fileobj, path):
        self.path = path
        fileobj.seek(0, os.SEEK_END)
        self.file_size = fileobj.tell()
        fileobj.seek(0)
        try:
            self._zip = zipfile.ZipFile(fileobj)
            infos = self._zip.infolist()
        except Exception as e:  # zipfile raises many types on damaged input
            raise ModelFileError(path, f"not a valid zip file ({_describe(e)})") from e
        self._infos = self._check_directory(infos)

    def _check_directory(self, infos):
        if len(infos) > limits.MAX_MEMBERS:
            raise self._error(f"the zip lists {len(infos)} members (at most {limits.MAX_MEMBERS})")
        by_name, used, inflated, total = {}, 0, 0, 0
        for info in infos:
            name = info.filename
            if not _NAME.fullmatch(name) or any(p in (".", "..") for p in name.split("/")):
                raise self._error(
                    f"member name {name!r} is not a plain relative path (it could point outside "
                    "the folder); refused"
                )
            if name in by_name:
                raise self._error(f"member {name!r} appears twice")
            if info.flag_bits & 0x1:
                raise self._error(f"member {name!r} is encrypted")
            if info.header_offset + info.compress_size > self.file_size:
                raise self._error(f"member {name!r} claims data past the end of the file")
            used += _LOCAL_HEADER + len(name) + info.compress_size
            if info.compress_type == zipfile.ZIP_STORED:
                if info.compress_size != info.file_size:
                    raise self._error(f"member {name!r} is stored but its two sizes differ")
            elif info.compress_type == zipfile.ZIP_DEFLATED:
                if info.file_size > max(info.compress_size, 1) * limits.MAX_DEFLATE_RATIO:
                    raise self._error(
                        f"member {name!r} claims {info.file_size} bytes from "
                        f"{info.compress_size} compressed ones (a zip bomb?)"
                    )
                inflated += info.file_size
            else:
                raise self._error(
                    f"member {name!r} uses compression method {info.compress_type}; only stored "
                    "and deflated members are read"
                )
            total += info.file_size
            by_name[name] = info
        if used > self.file_size:
            raise self._error("the members' data does not fit in the file (overlapping members?)")
        if inflated > limits.MAX_INFLATED_BYTES:
            raise self._error(
                f"deflated members would inflate to {inflated} bytes (limit "
                f"{limits.MAX_INFLATED_BYTES}: npconv.io.limits.MAX_INFLATED_BYTES)"
            )
        if total > limits.MAX_TOTAL_BYTES:
            raise self._error(
                f"members total {total} bytes (limit {limits.MAX_TOTAL_BYTES}: "
                "npconv.io.limits.MAX_TOTAL_BYTES)"
            )
        return by_name

    def _error(self, problem):
        return ModelFileError(self.path, problem)

    def names(self):
        return list(self._infos)

    def __contains__(self, name):
        return name in self._infos

    def size(self, name) -> int:
        return self._infos[name].file_size

    def read(self, name, limit=None) -> bytes:
        """The bytes of member ``name`` (a ``ModelFileError`` if it is missing, bigger than
        ``limit``, or damaged)."""
        info = self._infos.get(name)
        if info is None:
            raise self._error(f"member {name!r} is missing")
        if limit is not None and info.file_size > limit:
            raise self._error(f"member {name!r} has {info.file_size} bytes (limit {limit})")
        try:
            with self._zip.open(info) as f:
                data = f.read(info.file_size + 1)
        except Exception as e:
            raise self._error(f"member {name!r} is damaged ({_describe(e)})") from e
        if len(data) != info.file_size:
            raise self._error(
                f"member {name!r} holds {len(data)} bytes, its header says {info.file_size}"
            )
        return data

    def close(self):
        self._zip.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _describe(e):
    text = str(e)
    return f"{type(e).__name__}: {text}" if text else type(e).__name__
