"""Which backend runs the kernels, which array library an array belongs to, and moving arrays
back to NumPy.

Three backends, each a folder of kernels with the same entry points (``conv_forward``,
``conv_backward``, ``max_pool_forward``, ... ; see ``npconv/backend/generic/__init__.py``):

- ``'numpy'`` (the default): NumPy arrays, npconv's CPU plans (``npconv.backend.numpy``);
- ``'cupy'``: CuPy arrays on an NVIDIA GPU (``npconv.backend.cupy``), CuPy imported only when
  this backend is chosen;
- ``'generic'``: kernels written against the Python array API standard alone
  (``npconv.backend.generic``), which run on any conforming library (NumPy, CuPy,
  ``array_api_strict``); the CuPy backend falls back on them, and the CI runs them on CPU.

The backend is chosen once, at import, from ``NPCONV_BACKEND``, else from Keras's
``KERAS_BACKEND`` when that names one of ours (``KERAS_BACKEND=numpy``; a Keras-only name such
as ``'tensorflow'`` is ignored), else ``'numpy'``; ``set_backend(name)`` changes it later. As in
Keras, modules that did ``from npconv.backend import xp`` keep the namespace of import time, so
to run a whole program on a GPU set ``NPCONV_BACKEND=cupy`` before importing npconv.
"""

from __future__ import annotations

import importlib
import os

import numpy as np

__all__ = [
    "BACKENDS",
    "backend",
    "set_backend",
    "kernels",
    "kernels_for",
    "to_backend",
    "array_namespace",
    "device_of",
    "check_same_device",
    "to_numpy",
    "default_backend",
]

BACKENDS = ("numpy", "cupy", "generic")
CUPY_INSTALL = "pip install cupy-cuda12x (or cupy-cuda13x for CUDA 13)"

_active = "numpy"


def default_backend(environ=None) -> str:
    """The backend named by ``NPCONV_BACKEND``, else by ``KERAS_BACKEND`` when it is one of
    ours, else ``'numpy'``. An unknown ``NPCONV_BACKEND`` is an error (a typo should not fall
    back silently); an unknown ``KERAS_BACKEND`` belongs to Keras and is ignored."""
    environ = os.environ if environ is None else environ
    name = environ.get("NPCONV_BACKEND", "").strip().lower()
    if name:
        if name not in BACKENDS:
            raise ValueError(f"NPCONV_BACKEND must be one of {BACKENDS}, got {name!r}")
        return name
    keras = environ.get("KERAS_BACKEND", "").strip().lower()
    return keras if keras in BACKENDS else "numpy"


def backend() -> str:
    """The active backend's name: ``'numpy'``, ``'cupy'`` or ``'generic'`` (Keras's
    ``keras.backend.backend()``)."""
    return _active


def _import_cupy():
    try:
        return importlib.import_module("cupy")
    except ImportError as err:
        raise ImportError(
            f"npconv backend 'cupy' needs CuPy, which is not installed ({err}); install the "
            f"wheel matching your CUDA: {CUPY_INSTALL}"
        ) from err


def set_backend(name: str) -> str:
    """Make ``name`` (``'numpy'``, ``'cupy'`` or ``'generic'``) the active backend and return
    it; ``'cupy'`` without CuPy installed raises an ImportError naming the pip package. Also
    rebinds ``npconv.backend.xp`` (CuPy for ``'cupy'``, NumPy otherwise: the generic kernels take
    their namespace from their inputs)."""
    global _active
    value = str(name).strip().lower()
    if value not in BACKENDS:
        raise ValueError(f"set_backend: backend must be one of {BACKENDS}, got {name!r}")
    if value == "cupy":
        _import_cupy()
    _active = value
    from .. import backend as package

    package.xp = namespace()
    return value


def namespace():
    """The active backend's array module: CuPy for ``'cupy'``, NumPy otherwise."""
    return _import_cupy() if _active == "cupy" else np


def kernels(name: str | None = None):
    """The kernel module of backend ``name`` (default: the active one), holding the entry
    points ``conv_forward``, ``conv_backward``, ``max_pool_forward``, ... : ``npconv.backend.numpy``
    (the CPU convolution plans), ``npconv.backend.cupy`` or ``npconv.backend.generic``."""
    name = _active if name is None else name
    if name not in BACKENDS:
        raise ValueError(f"kernels: backend must be one of {BACKENDS}, got {name!r}")
    if name == "cupy":
        _import_cupy()
        return importlib.import_module("npconv.backend.cupy")
    return importlib.import_module(f"npconv.backend.{name}")


def kernels_for(*arrays):
    """The kernel module for these arrays' library, whatever the active backend: CuPy's for
    CuPy arrays, the generic kernels for any other array-API library (``array_api_strict``),
    and ``kernels('numpy')`` for NumPy arrays. What a function calls when it must run on the
    arrays it was given (the op tests on ``array_api_strict``); arrays of two libraries raise
    the TypeError of ``array_namespace``."""
    xp = array_namespace(*arrays)
    if xp is np:
        return kernels("numpy")
    if getattr(xp, "__name__", "") == "npconv.backend.cupy.xp":
        return kernels("cupy")
    return kernels("generic")


def to_backend(a):
    """``a`` (a NumPy array, or anything ``asarray`` takes) as an array of the active backend:
    copied to the current GPU under ``'cupy'`` (once per batch, by the training loop), as it is
    otherwise."""
    if _active == "cupy":
        return _import_cupy().asarray(a)
    return a


# --- which library and device an array lives on ---------------------------------------------


def _library(a) -> str:
    """A short name for the array library of ``a`` (for error messages)."""
    module = type(a).__module__.split(".")[0]
    return "numpy" if module == "numpy" else module


def _namespace_of(a):
    if isinstance(a, np.ndarray | np.generic):
        return np
    if _library(a) == "cupy":  # CuPy with the standard's spellings (backend/cupy/namespace.py)
        return importlib.import_module("npconv.backend.cupy.namespace").namespace
    get = getattr(a, "__array_namespace__", None)
    if get is not None:
        return get()
    raise TypeError(f"expected an array (NumPy, CuPy or array API), got {type(a).__name__}")


def array_namespace(*arrays):
    """The array-API namespace shared by ``arrays`` (``None`` and Python scalars are skipped),
    as ``array_api_compat.array_namespace`` does: NumPy for NumPy arrays, CuPy (through
    ``backend/cupy/namespace.py``, which adds the standard's spellings) for CuPy arrays,
    ``array_api_strict`` for its arrays. Arrays of two libraries raise a TypeError that names
    both (a NumPy array handed to a CuPy op: move it with ``cupy.asarray`` first)."""
    found, first = None, None
    for a in arrays:
        if a is None or isinstance(a, bool | int | float | complex):
            continue
        ns = _namespace_of(a)
        if found is None:
            found, first = ns, a
        elif ns is not found:
            raise TypeError(
                f"arrays from two array libraries in one operation: {_library(first)} "
                f"{type(first).__name__} {tuple(first.shape)} and {_library(a)} "
                f"{type(a).__name__} {tuple(a.shape)}; move them to one backend first "
                f"(npconv.backend.to_numpy, or cupy.asarray)"
            )
    if found is None:
        raise TypeError("array_namespace: no array among the arguments")
    return found


def device_of(a):
    """The device ``a`` lives on, for comparing and for messages: ``'cpu'`` for NumPy arrays,
    ``'cuda:N'`` for CuPy arrays on GPU ``N``, ``a.device`` otherwise."""
    if isinstance(a, np.ndarray | np.generic):
        return "cpu"
    if _library(a) == "cupy":
        return f"cuda:{a.device.id}"
    return a.device


def check_same_device(*arrays, name: str = "operation"):
    """The one device all ``arrays`` live on; a ValueError naming both devices if two differ
    (npconv never copies between devices behind the caller's back)."""
    found, first = None, None
    for a in arrays:
        if a is None or isinstance(a, bool | int | float | complex):
            continue
        dev = device_of(a)
        if first is None:
            found, first = dev, a
        elif dev != found:
            raise ValueError(
                f"{name}: arrays on two devices: {tuple(first.shape)} on {found!r} and "
                f"{tuple(a.shape)} on {dev!r}; move them to one device first"
            )
    return found


def to_numpy(a, copy: bool = False):
    """``a`` as a NumPy array, whatever library or device it lives on: NumPy arrays as they are
    (no copy unless ``copy``), CuPy arrays copied from the GPU (``.get()``), other array-API
    arrays through DLPack or the buffer protocol. ``model.save`` and ``get_weights`` return
    these; ``copy=True`` never shares memory with ``a`` (what ``get_weights`` hands out)."""
    if isinstance(a, np.ndarray):
        return a.copy() if copy else a
    if copy:
        out = to_numpy(a)
        return out if _library(a) == "cupy" else out.copy()  # .get() is already a new array
    if isinstance(a, np.generic | bool | int | float | complex | list | tuple):
        return np.asarray(a)
    data = getattr(a, "data", None)
    if data is not None and type(a).__name__ in ("Tensor", "Variable"):  # npconv's own
        return to_numpy(data)
    get = getattr(a, "get", None)
    if _library(a) == "cupy" and get is not None:
        return get()
    try:
        return np.from_dlpack(a)
    except (TypeError, ValueError, RuntimeError, BufferError):
        pass
    try:
        return np.asarray(a)
    except (TypeError, ValueError, RuntimeError) as err:
        raise TypeError(
            f"to_numpy: cannot copy a {_library(a)} {type(a).__name__} to NumPy ({err})"
        ) from err
