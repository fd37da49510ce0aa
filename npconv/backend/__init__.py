"""The array backend: one place that says which array library, dtype and layout npconv uses.

Everything above this package asks here instead of importing NumPy directly for policy:

- ``xp``: the array namespace: NumPy, or CuPy when the CuPy backend was chosen at import.
- ``backend()`` / ``set_backend()`` / ``kernels()``: the active backend (``'numpy'``,
  ``'cupy'``, ``'generic'``; from ``NPCONV_BACKEND`` or ``KERAS_BACKEND``) and its kernel
  module; ``array_namespace()``, ``to_numpy()``: which library an array belongs to, and a NumPy
  copy of it (``backend.selection``).
- ``floatx()`` / ``set_floatx()``: the default float type, ``'float32'`` as in Keras.
- ``epsilon()``: the fuzz factor Keras uses in losses and optimizers (1e-7).
- ``image_data_format()`` / ``set_image_data_format()``: ``'channels_last'`` (NHWC) by default.
- ``rng()`` / ``set_seed()``: the one random generator every random draw comes from.
- ``num_threads()`` / ``set_num_threads()``: how many threads npconv's ops run on
  (``backend.numpy.threads``).

The module is importable as Keras's ``K`` (``from npconv import backend as K``): Keras 2's
backend functions (``K.int_shape``, ``K.sum``, ``K.gradients``, ``K.clear_session``, ...) live in
``backend.keras2`` and are looked up here on first use, since they sit above autograd.
"""

from __future__ import annotations

import numpy as np

from . import selection as _selection
from .numpy.threads import num_threads, set_num_threads
from .selection import (
    array_namespace,
    backend,
    kernels,
    kernels_for,
    set_backend,
    to_backend,
    to_numpy,
)

xp = np
set_backend(_selection.default_backend())  # rebinds xp: CuPy for 'cupy', else NumPy

__all__ = [
    "xp",
    "backend",
    "set_backend",
    "kernels",
    "kernels_for",
    "array_namespace",
    "to_numpy",
    "to_backend",
    "floatx",
    "set_floatx",
    "epsilon",
    "set_epsilon",
    "image_data_format",
    "set_image_data_format",
    "normalize_data_format",
    "rng",
    "set_seed",
    "noise_rng",
    "set_noise_stream",
    "cast_to_floatx",
    "num_threads",
    "set_num_threads",
]

_FLOATX = "float32"
_EPSILON = 1e-7
_IMAGE_DATA_FORMAT = "channels_last"
_VALID_FLOATX = ("float16", "float32", "float64")
_VALID_FORMATS = ("channels_last", "channels_first")
_rng = np.random.default_rng()  # on the host, whatever the backend
_noise = None  # this rank's noise generator under a data-parallel distribution, else None
_noise_key = None


def floatx() -> str:
    """The default float type as a string, ``'float32'`` unless changed."""
    return _FLOATX


def set_floatx(value: str) -> None:
    """Set the default float type: one of ``'float16'``, ``'float32'``, ``'float64'``."""
    global _FLOATX
    value = str(value)
    if value not in _VALID_FLOATX:
        raise ValueError(f"floatx must be one of {_VALID_FLOATX}, got {value!r}")
    _FLOATX = value


def epsilon() -> float:
    """The fuzz factor used to keep logs and divisions finite (Keras's 1e-7)."""
    return _EPSILON


def set_epsilon(value: float) -> None:
    global _EPSILON
    _EPSILON = float(value)


def image_data_format() -> str:
    """``'channels_last'`` (batch, *spatial, channels) or ``'channels_first'`` (batch, channels,
    *spatial): the layout layers use when their ``data_format`` argument is ``None``."""
    return _IMAGE_DATA_FORMAT


def set_image_data_format(data_format: str) -> None:
    global _IMAGE_DATA_FORMAT
    _IMAGE_DATA_FORMAT = normalize_data_format(data_format)


def normalize_data_format(data_format: str | None) -> str:
    """``None`` -> the global default; otherwise check and return the value."""
    if data_format is None:
        return _IMAGE_DATA_FORMAT
    value = str(data_format).lower()
    if value not in _VALID_FORMATS:
        raise ValueError(
            f"data_format must be 'channels_last' or 'channels_first', got {data_format!r}"
        )
    return value


def rng():
    """The process-wide random generator (a ``numpy.random.Generator``)."""
    return _rng


def set_seed(seed: int | None) -> None:
    """Reseed the generator every npconv random draw comes from."""
    global _rng
    _rng = np.random.default_rng(seed)
    set_noise_stream(_noise_key)


def noise_rng():
    """The generator that noise is drawn from (dropout masks, Gaussian noise, augmentation):
    ``rng()`` itself, except under a data-parallel distribution, where each rank draws from a
    stream of its own, derived from the seed and the rank (``set_noise_stream``), while
    ``rng()`` (weights, the data order) stays the same on every rank."""
    return _noise if _noise is not None else _rng


def set_noise_stream(key) -> None:
    """Draw noise from a stream derived from ``rng()``'s seed and ``key`` (a rank), or from
    ``rng()`` itself when ``key`` is None. Called by ``npconv.distribution``."""
    global _noise, _noise_key
    _noise_key = key
    if key is None:
        _noise = None
        return
    seed = _rng.bit_generator.seed_seq
    _noise = np.random.default_rng(
        np.random.SeedSequence(seed.entropy, spawn_key=tuple(seed.spawn_key) + (int(key),))
    )


def cast_to_floatx(x):
    """``x`` as an array of the default float type (no copy when it already is one)."""
    return xp.asarray(x, dtype=_FLOATX)


def _keras2():
    import importlib

    return importlib.import_module(f"{__name__}.keras2")


def __getattr__(name):
    # Keras 2's K functions, loaded on first use (keras2 imports autograd and ops)
    if not name.startswith("_") and name != "keras2":
        keras2 = _keras2()
        if name in keras2.__all__:
            return getattr(keras2, name)
    raise AttributeError(f"module 'npconv.backend' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_keras2().__all__))
