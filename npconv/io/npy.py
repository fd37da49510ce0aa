"""Arrays as ``.npy`` bytes, written and read with ``allow_pickle=False``.

Reading checks the header before anything is allocated: the dtype must be a plain number or
bool (an ``object`` dtype means a pickle, which is refused without being unpickled), and the
shape times the item size must equal the bytes the member really holds — so a header claiming
10^12 elements costs nothing. Only then does ``np.lib.format.read_array`` parse the member.
"""

from __future__ import annotations

import io
import math
import warnings

import numpy as np

from . import limits

__all__ = ["write_npy", "read_npy", "NpyError"]

_KINDS = "biufc"  # bool, signed, unsigned, float, complex


class NpyError(ValueError):
    """What is wrong with a member's ``.npy`` bytes (the caller adds the file and member)."""


def write_npy(fileobj, array) -> None:
    np.lib.format.write_array(fileobj, np.asarray(array), allow_pickle=False)


def read_npy_header(data: bytes):
    """``(shape, dtype)`` of ``.npy`` bytes, checked against their length."""
    f = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(f)
        if version not in ((1, 0), (2, 0)):
            raise NpyError(f"unsupported .npy format version {version}")
        read = getattr(np.lib.format, f"read_array_header_{version[0]}_0")
        with warnings.catch_warnings():
            # the header is a Python literal parsed by ast.literal_eval: a damaged one can make
            # the parser warn (invalid escapes) before it fails
            warnings.simplefilter("ignore")
            header = read(f, max_header_size=limits.MAX_NPY_HEADER)
    except NpyError:
        raise
    except Exception as e:  # NumPy raises ValueError/TypeError/SyntaxError on bad headers
        raise NpyError(f"not a valid .npy array ({type(e).__name__}: {e})") from e
    shape, _fortran, dtype = header
    if dtype.hasobject:
        raise NpyError("holds Python objects (a pickle); npconv never unpickles, so it is refused")
    if dtype.kind not in _KINDS or dtype.fields is not None or dtype.subdtype is not None:
        raise NpyError(f"has dtype {dtype}; only numbers and bools are read")
    if any(not isinstance(d, int) or d < 0 for d in shape):
        raise NpyError(f"has an invalid shape {shape!r}")
    claimed = math.prod(shape) * dtype.itemsize
    held = len(data) - f.tell()
    if claimed != held:
        raise NpyError(
            f"header says shape {tuple(shape)} of {dtype} ({claimed} bytes), but the member "
            f"holds {held} bytes of data"
        )
    return tuple(shape), dtype


def read_npy(data: bytes) -> np.ndarray:
    """The array in ``.npy`` bytes, after ``read_npy_header``'s checks."""
    read_npy_header(data)
    try:
        return np.lib.format.read_array(
            io.BytesIO(data), allow_pickle=False, max_header_size=limits.MAX_NPY_HEADER
        )
    except Exception as e:
        raise NpyError(f"not a valid .npy array ({type(e).__name__}: {e})") from e
