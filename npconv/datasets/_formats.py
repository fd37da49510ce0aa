"""Readers for the formats the data sets come in, each checking what it reads.

- IDX (MNIST, Fashion-MNIST), gzip-compressed or not: magic number, element type, number of
  dimensions, per-item shape and exact data length are checked.
- ``.npz`` archives (Keras's ``mnist.npz``, the bundled digits): read with
  ``allow_pickle=False``; keys, dtypes and shapes are checked.
- CIFAR python batches (pickles): read only through :class:`RestrictedUnpickler`, which admits
  NumPy arrays and plain containers and refuses everything else before it can run. Batches are
  read from a folder or straight out of the ``.tar.gz`` archive, member by member, without
  extracting anything to disk.

A file that fails a check raises :class:`DatasetFormatError` naming it.
"""

from __future__ import annotations

import gzip
import os
import pickle
import posixpath
import struct
import zlib

import numpy as np

from ._errors import DatasetFormatError, UnsafePickleError

__all__ = [
    "read_idx",
    "read_idx_split",
    "read_npz_split",
    "RestrictedUnpickler",
    "read_cifar_batch",
    "read_cifar_folder",
    "read_cifar_archive",
]

_GZIP_MAGIC = b"\x1f\x8b"
# IDX element-type codes (third byte of the magic number) and their big-endian dtypes.
_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_READ_ERRORS = (OSError, EOFError, zlib.error)


# ---------------------------------------------------------------------------------------- IDX


def _open_binary(path):
    """The file, transparently gunzipped when it starts with the gzip magic (whatever its name)."""
    f = open(path, "rb")
    try:
        magic = f.read(2)
        f.seek(0)
    except OSError:
        f.close()
        raise
    if magic == _GZIP_MAGIC:
        return gzip.GzipFile(fileobj=f, mode="rb"), f
    return f, None


_CHUNK = 1 << 24


def _read_at_most(f, nbytes) -> bytearray:
    """Up to ``nbytes`` from ``f``, grown chunk by chunk (never allocated up front)."""
    data = bytearray()
    while len(data) < nbytes:
        chunk = f.read(min(_CHUNK, nbytes - len(data)))
        if not chunk:
            break
        data += chunk
    return data


def read_idx(path, item_shape=(), dtype_code=0x08) -> np.ndarray:
    """Read an IDX file: items of shape ``item_shape`` with element type ``dtype_code``
    (0x08 = unsigned byte). Returns a writable native-endian array ``(count, *item_shape)``."""
    item_shape = tuple(int(d) for d in item_shape)
    ndim_expected = 1 + len(item_shape)
    f, raw = _open_binary(path)
    try:
        head = f.read(4)
        if len(head) < 4:
            raise DatasetFormatError(path, f"too short for an IDX file ({len(head)} bytes)")
        if head[0] != 0 or head[1] != 0 or head[2] not in _IDX_TYPES:
            raise DatasetFormatError(
                path,
                f"not an IDX file: magic number 0x{head.hex()} (expected "
                f"0x0000{dtype_code:02x}{ndim_expected:02x})",
            )
        code, ndim = head[2], head[3]
        if code != dtype_code:
            raise DatasetFormatError(
                path, f"IDX element type 0x{code:02x}, expected 0x{dtype_code:02x}"
            )
        if ndim != ndim_expected:
            raise DatasetFormatError(
                path, f"IDX file of {ndim} dimensions, expected {ndim_expected}"
            )
        dims_raw = f.read(4 * ndim)
        if len(dims_raw) < 4 * ndim:
            raise DatasetFormatError(path, "truncated inside the IDX header")
        dims = struct.unpack(f">{ndim}I", dims_raw)
        if dims[1:] != item_shape:
            raise DatasetFormatError(path, f"items of shape {dims[1:]}, expected {item_shape}")
        dtype = np.dtype(_IDX_TYPES[code])
        nbytes = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
        # The header's word is not trusted with memory: read in bounded chunks, so a header
        # promising terabytes costs only what the file really holds before it is caught.
        data = _read_at_most(f, nbytes)
        if len(data) < nbytes:
            raise DatasetFormatError(
                path,
                f"truncated: the header promises {dims[0]} items ({nbytes} bytes of data), "
                f"the file holds {len(data)} bytes",
            )
        out = np.frombuffer(data, dtype=dtype).reshape(dims)
        if f.read(1):
            raise DatasetFormatError(path, f"data continues after the {dims[0]} items promised")
    except _READ_ERRORS as exc:
        raise DatasetFormatError(path, f"cannot be read ({exc}); damaged or truncated") from exc
    finally:
        f.close()
        if raw is not None:
            raw.close()
    return out.astype(out.dtype.newbyteorder("="), copy=False)


def _check_labels(path, y, n_items, num_classes):
    if y.shape != (n_items,):
        raise DatasetFormatError(path, f"{y.shape[0] if y.ndim else 0} labels for {n_items} images")
    if y.size and int(y.max()) >= num_classes:
        raise DatasetFormatError(
            path, f"label {int(y.max())} out of range for {num_classes} classes"
        )


def read_idx_split(images_path, labels_path, item_shape=(28, 28), num_classes=10):
    """One split (images uint8 ``(N, *item_shape)``, labels uint8 ``(N,)``) from two IDX files
    whose counts must agree."""
    x = read_idx(images_path, item_shape)
    y = read_idx(labels_path, ())
    _check_labels(labels_path, y, x.shape[0], num_classes)
    return x, y


# ---------------------------------------------------------------------------------------- npz


def read_npz_split(path, item_shape=(28, 28), num_classes=10):
    """``((x_train, y_train), (x_test, y_test))`` from an ``.npz`` archive holding those four
    keys (Keras's ``mnist.npz`` layout), read with ``allow_pickle=False``."""
    try:
        archive = np.load(path, allow_pickle=False)
    except ValueError as exc:  # not an archive: NumPy took it for a pickle
        raise DatasetFormatError(path, f"not an .npz archive ({exc})") from exc
    except Exception as exc:  # zipfile.BadZipFile, OSError, EOFError, zlib.error
        raise DatasetFormatError(path, f"not a readable .npz archive ({exc})") from exc
    if not hasattr(archive, "files"):
        raise DatasetFormatError(path, "holds a single .npy array, expected an .npz archive")
    with archive:
        missing = [k for k in ("x_train", "y_train", "x_test", "y_test") if k not in archive]
        if missing:
            raise DatasetFormatError(
                path, f"lacks {', '.join(missing)} (holds {', '.join(archive.files) or 'nothing'})"
            )
        splits = []
        for part in ("train", "test"):
            try:
                x = archive[f"x_{part}"]
                y = archive[f"y_{part}"]
            except ValueError as exc:  # object arrays need pickle: refused
                raise DatasetFormatError(path, f"x_{part}/y_{part} unreadable ({exc})") from exc
            except Exception as exc:  # BadZipFile (CRC), EOFError, zlib.error
                raise DatasetFormatError(path, f"damaged member x_{part}/y_{part} ({exc})") from exc
            if not isinstance(x, np.ndarray) or not isinstance(y, np.ndarray):
                raise DatasetFormatError(path, f"x_{part}/y_{part} is not a .npy array")
            if x.dtype != np.uint8 or x.ndim != 1 + len(item_shape) or x.shape[1:] != item_shape:
                raise DatasetFormatError(
                    path,
                    f"x_{part} is {x.dtype} {x.shape}, expected uint8 (N, "
                    f"{', '.join(map(str, item_shape))})",
                )
            if y.dtype.kind not in "ui":
                raise DatasetFormatError(path, f"y_{part} has dtype {y.dtype}, expected integers")
            if y.size and int(y.min()) < 0:
                raise DatasetFormatError(path, f"y_{part} holds negative labels")
            _check_labels(path, y, x.shape[0], num_classes)
            splits.append((x, y.astype(np.uint8, copy=False)))
    return splits[0], splits[1]


# ------------------------------------------------------------------------------------- pickles


def _latin1_encode(text, encoding="latin1"):
    """Stand-in for ``_codecs.encode``: Python 3 pickles ``bytes`` at protocol 2 as
    ``_codecs.encode(str, 'latin1')``. Only that exact use is admitted."""
    if not isinstance(text, str) or str(encoding).lower().replace("-", "") != "latin1":
        raise pickle.UnpicklingError("_codecs.encode admitted only as encode(str, 'latin1')")
    return text.encode("latin-1")


def _empty_bytes(*args):
    """Stand-in for ``bytes``: Python 3 pickles ``b''`` at protocol 2 as ``bytes()``."""
    if args:
        raise pickle.UnpicklingError("bytes admitted only as bytes()")
    return b""


def _reconstruct_empty():
    """Stand-in for ``multiarray._reconstruct``: NumPy pickles every array as
    ``_reconstruct(ndarray, (0,), b'b')`` followed by its state, so only that empty start is
    admitted (a forged shape cannot make the unpickler allocate memory before the state's data,
    whose length NumPy checks, arrives)."""
    reconstruct = np.ndarray((0,), np.uint8).__reduce__()[0]

    def _reconstruct(subtype, shape, dtype):
        if subtype is not np.ndarray or tuple(shape) != (0,):
            raise pickle.UnpicklingError(
                "multiarray._reconstruct admitted only as _reconstruct(ndarray, (0,), ...)"
            )
        return reconstruct(subtype, shape, dtype)

    return _reconstruct


def _allowed_globals():
    reconstruct = _reconstruct_empty()
    return {
        ("numpy.core.multiarray", "_reconstruct"): reconstruct,  # files from NumPy < 2
        ("numpy._core.multiarray", "_reconstruct"): reconstruct,  # files from NumPy >= 2
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
        ("_codecs", "encode"): _latin1_encode,
        ("builtins", "bytes"): _empty_bytes,
        ("__builtin__", "bytes"): _empty_bytes,
    }


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that rebuilds NumPy arrays, dicts, lists, tuples, strings, bytes and numbers
    and nothing else.

    ``find_class`` admits only the globals a NumPy array needs (``multiarray._reconstruct`` in
    its NumPy 1 and 2 spellings, ``numpy.ndarray``, ``numpy.dtype``) and the two a Python 3
    protocol-2 pickle uses for ``bytes`` (``_codecs.encode(s, 'latin1')``, ``bytes()``), each
    through a stand-in that accepts only that use. Any other global (``os.system``,
    ``builtins.open``, ``subprocess.Popen``, ...) raises :class:`UnsafePickleError` naming the
    file, before it is called. Strings from Python 2 pickles come back as ``bytes``
    (``encoding='bytes'``), as Keras reads the CIFAR files.
    """

    def __init__(self, file, name="<pickle>"):
        super().__init__(file, encoding="bytes")
        self.name = str(name)
        self._allowed = _allowed_globals()

    def find_class(self, module, name):
        try:
            return self._allowed[(module, name)]
        except KeyError:
            raise UnsafePickleError(
                self.name,
                f"refused: its pickle asks for {module}.{name}, and npconv only unpickles NumPy "
                "arrays and plain containers. The file is damaged or has been tampered with; "
                "delete it and fetch it again",
            ) from None

    def persistent_load(self, pid):
        raise UnsafePickleError(self.name, "refused: its pickle uses persistent ids")


def _decode_keys(d):
    return {(k.decode("latin-1") if isinstance(k, bytes) else k): v for k, v in d.items()}


def read_cifar_batch(fileobj, name, label_key="labels", num_classes=10):
    """One CIFAR python batch (a pickled dict with ``data`` uint8 ``(N, 3072)`` and a label
    list) from an open binary file. Returns ``(x uint8 (N, 3, 32, 32), labels int64 (N,))``."""
    try:
        obj = RestrictedUnpickler(fileobj, name).load()
    except DatasetFormatError:
        raise
    except Exception as exc:  # any failure of a malformed pickle: report the file
        raise DatasetFormatError(name, f"not a readable CIFAR batch ({exc!r})") from exc
    if not isinstance(obj, dict):
        raise DatasetFormatError(name, f"holds a {type(obj).__name__}, expected a CIFAR dict")
    d = _decode_keys(obj)
    data = d.get("data")
    if (
        not isinstance(data, np.ndarray)
        or data.dtype != np.uint8
        or data.ndim != 2
        or (data.shape[1] != 3 * 32 * 32)
    ):
        what = f"{data.dtype} {data.shape}" if isinstance(data, np.ndarray) else repr(type(data))
        raise DatasetFormatError(name, f"'data' is {what}, expected uint8 (N, 3072)")
    if label_key not in d:
        raise DatasetFormatError(name, f"lacks '{label_key}' (holds {', '.join(map(str, d))})")
    try:
        labels = np.asarray(d[label_key])
    except Exception as exc:
        raise DatasetFormatError(name, f"'{label_key}' is not a list of labels") from exc
    if labels.dtype.kind not in "ui" or labels.shape != (data.shape[0],):
        raise DatasetFormatError(
            name,
            f"'{label_key}' is {labels.dtype} {labels.shape}, expected {data.shape[0]} integers",
        )
    if labels.size and (int(labels.min()) < 0 or int(labels.max()) >= num_classes):
        raise DatasetFormatError(name, f"'{label_key}' outside 0..{num_classes - 1}")
    return data.reshape(data.shape[0], 3, 32, 32), labels.astype(np.int64, copy=False)


def read_cifar_folder(folder, members, label_key="labels", num_classes=10):
    """``{member: (x, labels)}`` for batch files in an extracted CIFAR folder."""
    out = {}
    for member in members:
        path = os.path.join(folder, member)
        with open(path, "rb") as f:
            out[member] = read_cifar_batch(f, path, label_key, num_classes)
    return out


def read_cifar_archive(path, top, members, label_key="labels", num_classes=10):
    """``{member: (x, labels)}`` read straight out of the CIFAR ``.tar.gz`` at ``path`` from the
    regular files ``top/member``; nothing is extracted to disk. Links, devices and paths outside
    ``top`` are ignored."""
    import tarfile

    wanted = {f"{top}/{m}": m for m in members}
    out = {}
    try:
        tar = tarfile.open(path, "r:*")
    except (tarfile.TarError, *_READ_ERRORS) as exc:
        raise DatasetFormatError(path, f"not a readable tar archive ({exc})") from exc
    try:
        with tar:
            for info in tar:
                member = wanted.get(posixpath.normpath(info.name))
                if member is None or member in out or not info.isfile():
                    continue
                f = tar.extractfile(info)
                out[member] = read_cifar_batch(f, f"{path}:{info.name}", label_key, num_classes)
                if len(out) == len(wanted):
                    break
    except (tarfile.TarError, *_READ_ERRORS) as exc:
        raise DatasetFormatError(path, f"damaged or truncated archive ({exc})") from exc
    missing = [name for name, m in wanted.items() if m not in out]
    if missing:
        raise DatasetFormatError(
            path, f"lacks {', '.join(missing)} (is it the right archive, or truncated?)"
        )
    return out
