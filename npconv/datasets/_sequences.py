"""What ``imdb`` and ``reuters`` share: reading their ``.npz`` files of word-index sequences
without trusting them, and Keras's preprocessing of those sequences.

Keras stores each data set's sequences as a 1-D ``object`` array of Python lists of ints, which
NumPy can only save as a pickle inside the ``.npy`` member. npconv reads such a member through
:class:`~npconv.datasets._formats.RestrictedUnpickler` (NumPy arrays and plain containers only),
then checks the result is what the data sets hold: a 1-D object array, as long as its header
says, of lists of non-negative ints. Every other member must be a plain numeric array, read with
``allow_pickle=False``. The archive itself is read through ``npconv.io.safe_zip.SafeZip``
(plain member names, sizes within limits, no zip bombs).
"""

from __future__ import annotations

import io
import json
import os
import pickle
import warnings

import numpy as np

from ..io import limits
from ..io.errors import ModelFileError
from ..io.npy import NpyError, read_npy
from ..io.safe_zip import SafeZip
from ._errors import DatasetFormatError, UnsafePickleError
from ._formats import RestrictedUnpickler

__all__ = ["read_sequence_npz", "read_word_index", "shuffle", "shift", "prepare", "remove_long_seq"]

_MAX_WORD = 2**31 - 1  # indices must fit the int32 that pad_sequences makes by default


def _header(data: bytes, where: str):
    f = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(f)
        if version not in ((1, 0), (2, 0), (3, 0)):
            raise ValueError(f"unsupported .npy format version {version}")
        read = np.lib.format.read_array_header_1_0 if version[0] == 1 else (
            np.lib.format.read_array_header_2_0
        )  # 3.0 differs from 2.0 only in the header's text encoding
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            shape, _fortran, dtype = read(f, max_header_size=limits.MAX_NPY_HEADER)
    except Exception as exc:
        problem = f"not a valid .npy array ({type(exc).__name__}: {exc})"
        raise DatasetFormatError(where, problem) from exc
    return shape, dtype, f


def _check_sequences(array, shape, where):
    if not isinstance(array, np.ndarray) or array.dtype != object or array.shape != shape:
        got = (f"{array.dtype} {array.shape}" if isinstance(array, np.ndarray)
               else type(array).__name__)  # fmt: skip
        raise DatasetFormatError(where, f"expected an object array {shape} of lists, got {got}")
    for i, seq in enumerate(array):
        if type(seq) is not list or not all(
            type(w) is int and 0 <= w <= _MAX_WORD for w in seq
        ):
            raise DatasetFormatError(
                where,
                f"item {i} is not a list of word indices (non-negative ints below 2**31): "
                f"{type(seq).__name__}",
            )
    return array


def _read_member(data: bytes, where: str):
    shape, dtype, f = _header(data, where)
    if not dtype.hasobject:
        try:
            array = read_npy(data)
        except NpyError as exc:
            raise DatasetFormatError(where, str(exc)) from exc
        if array.dtype.kind not in "iu":
            raise DatasetFormatError(where, f"has dtype {array.dtype}, expected integers")
        return array
    if dtype != np.dtype(object) or len(shape) != 1:
        raise DatasetFormatError(where, f"has dtype {dtype} {shape}; expected 1-D sequences")
    try:
        array = RestrictedUnpickler(f, where).load()
    except UnsafePickleError:
        raise
    except Exception as exc:  # UnpicklingError, EOFError, ValueError from a damaged stream
        raise DatasetFormatError(where, f"damaged pickle ({type(exc).__name__}: {exc})") from exc
    return _check_sequences(array, tuple(shape), where)


def read_sequence_npz(path, keys) -> dict:
    """``{key: array}`` for ``keys`` of the ``.npz`` at ``path``: the object arrays of
    sequences through the restricted unpickler, checked; integer label arrays as plain ``.npy``.
    Raises :class:`DatasetFormatError` (or :class:`UnsafePickleError`) naming the file."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as f, SafeZip(f, path) as archive:
            missing = [k for k in keys if f"{k}.npy" not in archive]
            if missing:
                held = ", ".join(n[:-4] for n in archive.names() if n.endswith(".npy"))
                raise DatasetFormatError(
                    path, f"lacks {', '.join(missing)} (holds {held or 'nothing'})"
                )
            return {k: _read_member(archive.read(f"{k}.npy"), f"{path}:{k}") for k in keys}
    except ModelFileError as exc:
        raise DatasetFormatError(path, f"not a readable .npz archive ({exc})") from exc
    except pickle.UnpicklingError as exc:  # pragma: no cover - caught in _read_member
        raise DatasetFormatError(path, str(exc)) from exc


def read_word_index(path) -> dict:
    """The ``{word: index}`` dict of a ``*_word_index.json`` file, checked to be one."""
    path = os.fspath(path)
    if os.path.getsize(path) > limits.MAX_JSON_BYTES:
        raise DatasetFormatError(path, f"is larger than {limits.MAX_JSON_BYTES} bytes")
    try:
        with open(path, encoding="utf-8") as f:
            index = json.load(f)
    except (ValueError, UnicodeDecodeError) as exc:
        raise DatasetFormatError(path, f"is not valid JSON ({exc})") from exc
    if not isinstance(index, dict) or not all(
        isinstance(k, str) and type(v) is int for k, v in index.items()
    ):
        raise DatasetFormatError(path, "is not a JSON object of word -> integer index")
    return index


def shuffle(rng, xs, labels):
    """``xs`` and ``labels`` in the order of one ``rng.shuffle`` of their indices (Keras's)."""
    if len(xs) != len(labels):
        raise ValueError(f"{len(xs)} sequences but {len(labels)} labels")
    indices = np.arange(len(xs))
    rng.shuffle(indices)
    return xs[indices], labels[indices]


def remove_long_seq(maxlen, seq, label):
    """Keep the sequences strictly shorter than ``maxlen`` (Keras's rule) and their labels."""
    kept = [(x, y) for x, y in zip(seq, label) if len(x) < maxlen]
    return [x for x, _ in kept], [y for _, y in kept]


def shift(xs, start_char, index_from):
    """Prefix ``start_char`` (unless None) and add ``index_from`` to every word index."""
    if start_char is not None:
        return [[start_char] + [w + index_from for w in x] for x in xs]
    return [[w + index_from for w in x] for x in xs]


def prepare(xs, num_words, skip_top, oov_char):
    """Words outside ``[skip_top, num_words)`` become ``oov_char``, or are dropped when it is
    None; ``num_words`` None (or 0) keeps every word, as in Keras."""
    if not num_words:
        num_words = max((max(x) for x in xs if x), default=0)
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
    return [[w for w in x if skip_top <= w < num_words] for x in xs]
