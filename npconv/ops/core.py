"""Keras 3's core ops: converting to and from tensors, shapes, casts, ``cond``, ``slice``.

**What an op returns.** Every tensor-valued op in ``npconv.ops`` returns an
``npconv.autograd.Tensor``, as Keras's ops return backend tensors; a Tensor converts to a NumPy
array with ``ops.convert_to_numpy(t)``, ``numpy.asarray(t)`` or ``t.numpy()``. Ops on Tensors
that require a gradient record the graph, so they are differentiable inside a ``Lambda`` layer
or a custom layer's ``call``; on plain arrays and numbers they just compute. ``shape``,
``ndim`` and ``size`` return Python values (a tuple, an int).

**Conversion.** ``convert_to_tensor`` follows Keras's dtype rules for Python values: floats
become ``backend.floatx()`` (float32), ints ``int32``, bools ``bool``; NumPy arrays keep their
dtype.
"""

from __future__ import annotations

import builtins
import numbers

import numpy as np

from .. import backend
from ..autograd import Tensor
from ..functions import array as _array
from ..functions import numeric as _numeric

__all__ = [
    "convert_to_tensor",
    "convert_to_numpy",
    "is_tensor",
    "shape",
    "ndim",
    "size",
    "cast",
    "dtype",
    "stop_gradient",
    "cond",
    "slice",
    "dynamic_slice",
]


def _symbolic_error(name, x):
    return TypeError(
        f"npconv.ops.{name} got a symbolic {type(x).__name__} (from keras.Input): npconv's ops "
        "compute eagerly; put the op inside a Lambda layer or a custom layer's call()"
    )


def _is_symbolic(x) -> bool:
    return type(x).__name__ == "KerasTensor"


def _python_array(x, dtype=None):
    """A Python value (number, list, tuple) as an array with Keras's default dtypes."""
    if dtype is not None:
        return np.asarray(x, dtype=_dtype_name(dtype))
    a = np.asarray(x)
    if a.dtype == np.float64:
        return a.astype(backend.floatx())
    if a.dtype == np.int64:
        return a.astype(np.int32)
    return a


def _dtype_name(dtype):
    """A dtype argument (``'float32'``, ``np.float32``, ``np.dtype``) as a NumPy dtype."""
    if dtype is None:
        return None
    if isinstance(dtype, str) and dtype == "float":
        return np.dtype(backend.floatx())
    return np.dtype(dtype)


def tensor(x, name="convert_to_tensor") -> Tensor:
    """``x`` as a Tensor: a Tensor itself, an array wrapped without a copy, a Python value
    converted with Keras's dtypes."""
    if isinstance(x, Tensor):
        return x
    if x is None:
        # NumPy would make an object array of it and answer NaN; None is most often a
        # gradient that did not flow (GradientTape.gradient of an unconnected source)
        raise TypeError(
            f"npconv.ops.{name} got None where a tensor was expected (a gradient that is None "
            "because the target does not depend on that source?)"
        )
    if _is_symbolic(x):
        raise _symbolic_error(name, x)
    if isinstance(x, np.ndarray):
        return Tensor(x)
    if isinstance(x, np.generic):
        return Tensor(np.asarray(x))
    if isinstance(x, (list, tuple)) and any(isinstance(v, Tensor) for v in x):
        return stack_tensors(x)
    return Tensor(_python_array(x))


def stack_tensors(values):
    """A list mixing Tensors and numbers, stacked along a new first axis (differentiably)."""
    parts = [_array.reshape(tensor(v), (1, *np.shape(v))) for v in values]
    return _array.concatenate(parts, axis=0)


def convert_to_tensor(x, dtype=None, sparse=None, ragged=None) -> Tensor:
    """``x`` as an npconv Tensor of ``dtype`` (a Tensor of that dtype is returned as is; a
    cast of a Tensor stays differentiable)."""
    t = tensor(x)
    if dtype is not None and t.dtype != _dtype_name(dtype):
        return cast(t, dtype)
    return t


def convert_to_numpy(x):
    """``x`` as a NumPy array (a Tensor's data, not a copy)."""
    if isinstance(x, Tensor):
        return x.data
    if _is_symbolic(x):
        raise _symbolic_error("convert_to_numpy", x)
    return np.asarray(x)


def is_tensor(x) -> bool:
    """True for an npconv Tensor (Keras: a backend-native tensor)."""
    return isinstance(x, Tensor)


def shape(x) -> tuple:
    """The shape as a tuple of ints (``None`` for a symbolic tensor's batch axis)."""
    return tuple(x.shape) if hasattr(x, "shape") else np.shape(x)


def ndim(x) -> int:
    return len(shape(x))


def size(x) -> int:
    """The number of elements, as a Python int (Keras returns a scalar tensor; npconv's
    Tensor has no ``__int__``, so the int is what code can use)."""
    return int(np.prod(shape(x), dtype=np.int64))


def dtype(x) -> str:
    """The dtype name as a string (``'float32'``)."""
    return np.dtype(tensor(x).dtype).name


def cast(x, dtype) -> Tensor:
    """``x`` cast to ``dtype``. Float-to-float casts pass the gradient (cast back); casts to
    integers or bools are not differentiable."""
    t = tensor(x, "cast")
    target = _dtype_name(dtype)
    if t.dtype == target:
        return t
    if np.issubdtype(target, np.floating) and np.issubdtype(t.dtype, np.floating):
        return _numeric.cast(t, target)
    return Tensor(t.data.astype(target))


def stop_gradient(variable) -> Tensor:
    """The same values, cut from the graph: no gradient flows back through it."""
    return Tensor(convert_to_numpy(variable))


def cond(pred, true_fn, false_fn):
    """``true_fn()`` if ``pred`` else ``false_fn()``: npconv runs eagerly, so the predicate is
    read now and only the chosen branch runs (and records its graph)."""
    flag = bool(np.asarray(convert_to_numpy(pred)).reshape(()))
    return true_fn() if flag else false_fn()


def slice(inputs, start_indices, shape):  # noqa: A001 - Keras's name
    """``inputs[start : start + shape]`` on every axis (Keras's ``ops.slice``; ``shape`` entries
    of -1 mean "to the end"); differentiable."""
    t = tensor(inputs, "slice")
    starts = [int(s) for s in np.asarray(convert_to_numpy(start_indices)).reshape(-1)]
    sizes = [int(s) for s in np.asarray(convert_to_numpy(shape)).reshape(-1)]
    if len(starts) != t.ndim or len(sizes) != t.ndim:
        raise ValueError(
            f"slice: start_indices and shape need one entry per axis of the input "
            f"(rank {t.ndim}), got {starts} and {sizes}"
        )
    index = tuple(
        builtins.slice(s, None if n == -1 else s + n) for s, n in zip(starts, sizes)
    )
    return _array.getitem(t, index)


dynamic_slice = slice


def _is_number(x) -> bool:
    return isinstance(x, numbers.Number) and not isinstance(x, bool)
