"""Keras 3's NumPy-like ops (``keras.ops.add``, ``reshape``, ``sum``, ``where``, ...).

Signatures, argument names and defaults are Keras 3's (``keras/src/ops/numpy.py``); note
``concatenate(xs, axis=0)`` and ``stack(x, axis=0)`` default to axis 0 as NumPy does (Keras 2's
``K.concatenate`` used -1: see ``npconv.backend``). Every op returns an ``npconv`` Tensor (see
``npconv.ops.core``) and is differentiable where the maths is, through
``npconv.functions.array`` and ``npconv.functions.numeric``.

Not differentiable (their results are constants, as integer/boolean results are in every
framework): comparisons, logical ops, ``argmax``/``argmin``/``argsort``, ``sign``, ``floor``,
``ceil``, ``round``, ``all``/``any``, the constructors (``zeros``, ``arange``, ...).

Dtypes: Python numbers take the dtype of the tensor they meet; an integer tensor meeting a float
one is cast to that float type (Keras's ``result_type``), so float32 graphs stay float32.
"""

from __future__ import annotations

import builtins
import math
import numbers

import numpy as np

from .. import backend
from ..autograd import Tensor
from ..functions import activations as _act
from ..functions import array as _array
from ..functions import numeric as _numeric
from .core import _dtype_name, cast, convert_to_numpy, tensor

__all__ = [
    "add", "subtract", "multiply", "divide", "true_divide", "negative", "power", "matmul",
    "dot", "tensordot", "reshape", "transpose", "concatenate", "stack", "split", "sum", "mean",
    "max", "min", "amax", "amin", "prod", "argmax", "argmin", "exp", "log", "log1p", "sqrt",
    "square", "abs", "absolute", "sign", "clip", "where", "expand_dims", "squeeze", "repeat",
    "tile", "flip", "pad", "zeros", "ones", "zeros_like", "ones_like", "full", "full_like",
    "arange", "linspace", "eye", "identity", "maximum", "minimum", "equal", "not_equal",
    "greater", "greater_equal", "less", "less_equal", "logical_and", "logical_or",
    "logical_not", "all", "any", "var", "std", "cumsum", "sort", "argsort", "take",
    "take_along_axis", "broadcast_to", "ravel", "norm", "erf", "tanh", "sin", "cos", "floor",
    "ceil", "round", "moveaxis", "swapaxes", "einsum", "outer", "logsumexp", "top_k",
    "in_top_k", "rsqrt", "reciprocal", "expm1", "log2", "log10", "average", "unstack",
    "hstack", "vstack", "tril", "triu", "diag", "trace", "meshgrid", "mod", "floor_divide",
    "logical_xor", "isnan", "isinf", "isfinite", "nan_to_num", "count_nonzero",
]
__all__ = sorted(set(__all__))

_float = np.floating


def _kind(x):
    return x.dtype if isinstance(x, (Tensor, np.ndarray)) else None


def _pair(x1, x2, name):
    """Two operands as Tensors of one dtype, Keras's promotion (see the module docstring)."""
    d1, d2 = _kind(x1), _kind(x2)
    if d1 is None and d2 is None:
        a, b = tensor(x1, name), tensor(x2, name)
    elif d1 is None:
        b = tensor(x2, name)
        a = Tensor(np.asarray(x1, dtype=_number_dtype(x1, b.dtype)))
    elif d2 is None:
        a = tensor(x1, name)
        b = Tensor(np.asarray(x2, dtype=_number_dtype(x2, a.dtype)))
    else:
        a, b = tensor(x1, name), tensor(x2, name)
    if a.dtype != b.dtype:
        fa, fb = np.issubdtype(a.dtype, _float), np.issubdtype(b.dtype, _float)
        if fa and not fb:
            b = cast(b, a.dtype)
        elif fb and not fa:
            a = cast(a, b.dtype)
        else:
            common = np.result_type(a.dtype, b.dtype)
            a, b = cast(a, common), cast(b, common)
    return a, b


def _number_dtype(value, other):
    """The dtype a Python number (or list) takes beside a tensor of dtype ``other``."""
    if np.issubdtype(np.asarray(value).dtype, _float) and not np.issubdtype(other, _float):
        return backend.floatx()
    return other


def _float_tensor(x, name):
    t = tensor(x, name)
    return t if np.issubdtype(t.dtype, _float) else cast(t, backend.floatx())


def _const(values) -> Tensor:
    return Tensor(np.asarray(values))


def _axis(axis):
    return tuple(axis) if isinstance(axis, list) else axis


# ---------------------------------------------------------------------------------- arithmetic


def add(x1, x2):
    return _array.add(*_pair(x1, x2, "add"))


def subtract(x1, x2):
    return _array.sub(*_pair(x1, x2, "subtract"))


def multiply(x1, x2):
    return _array.mul(*_pair(x1, x2, "multiply"))


def divide(x1, x2):
    """True division; integer operands give ``floatx()`` (Keras's rule)."""
    a, b = _pair(x1, x2, "divide")
    if not np.issubdtype(a.dtype, _float):
        a, b = cast(a, backend.floatx()), cast(b, backend.floatx())
    return _array.div(a, b)


true_divide = divide


def negative(x):
    return _array.neg(tensor(x, "negative"))


def power(x1, x2):
    """``x1 ** x2``; a constant (Python number) exponent uses the cheaper one-input op."""
    if isinstance(x2, numbers.Number) and not isinstance(x2, bool):
        t = tensor(x1, "power")
        if isinstance(x2, float) and not np.issubdtype(t.dtype, _float):
            t = cast(t, backend.floatx())
        return _array.power(t, x2)
    return _numeric.power_tensor(*_pair(x1, x2, "power"))


def matmul(x1, x2):
    """NumPy's ``matmul``: 1-d operands are promoted to a matrix and the axis removed after."""
    a, b = _pair(x1, x2, "matmul")
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: operands must not be scalars, got shapes {a.shape}, {b.shape}")
    squeeze = []
    if a.ndim == 1:
        a = _array.reshape(a, (1, a.shape[0]))
        squeeze.append(-2)
    if b.ndim == 1:
        b = _array.reshape(b, (b.shape[0], 1))
        squeeze.append(-1)
    if a.shape[-1] != b.shape[-2]:
        raise ValueError(
            f"matmul: inner dimensions differ: {tuple(x1.shape) if hasattr(x1, 'shape') else ''}"
            f" @ {tuple(x2.shape) if hasattr(x2, 'shape') else ''} ({a.shape[-1]} vs {b.shape[-2]})"
        )
    y = _array.matmul(a, b)
    if squeeze:
        keep = [n for i, n in enumerate(y.shape) if i - y.ndim not in squeeze]
        y = _array.reshape(y, tuple(keep))
    return y


def tensordot(x1, x2, axes=2):
    """Sum of products over ``axes`` (an int ``n``: the last ``n`` of ``x1`` with the first
    ``n`` of ``x2``; or two lists of axes), as a transpose, a reshape and one matmul."""
    a, b = _pair(x1, x2, "tensordot")
    if isinstance(axes, numbers.Integral):
        ax_a = list(range(a.ndim - axes, a.ndim))
        ax_b = list(range(axes))
    else:
        ax_a, ax_b = axes
        ax_a = [ax_a] if isinstance(ax_a, numbers.Integral) else list(ax_a)
        ax_b = [ax_b] if isinstance(ax_b, numbers.Integral) else list(ax_b)
    ax_a = [i % a.ndim for i in ax_a]
    ax_b = [i % b.ndim for i in ax_b]
    for i, j in zip(ax_a, ax_b):
        if a.shape[i] != b.shape[j]:
            raise ValueError(
                f"tensordot: axis {i} of the first operand ({a.shape[i]}) does not match "
                f"axis {j} of the second ({b.shape[j]}); shapes {a.shape} and {b.shape}"
            )
    free_a = [i for i in range(a.ndim) if i not in ax_a]
    free_b = [j for j in range(b.ndim) if j not in ax_b]
    k = int(np.prod([a.shape[i] for i in ax_a], dtype=np.int64))
    out_shape = tuple(a.shape[i] for i in free_a) + tuple(b.shape[j] for j in free_b)
    am = _array.reshape(_array.transpose(a, free_a + ax_a), (-1, k))
    bm = _array.reshape(_array.transpose(b, ax_b + free_b), (k, -1))
    return _array.reshape(_array.matmul(am, bm), out_shape)


def dot(x1, x2):
    """NumPy's ``dot``: a product with a scalar, the inner product of vectors, the matrix
    product, or a sum over the last axis of ``x1`` and the second-to-last of ``x2``."""
    a, b = _pair(x1, x2, "dot")
    if a.ndim == 0 or b.ndim == 0:
        return _array.mul(a, b)
    if b.ndim == 1:
        return tensordot(a, b, axes=([a.ndim - 1], [0]))
    return tensordot(a, b, axes=([a.ndim - 1], [b.ndim - 2]))


def maximum(x1, x2):
    return _array.maximum(*_pair(x1, x2, "maximum"))


def minimum(x1, x2):
    return _array.minimum(*_pair(x1, x2, "minimum"))


def clip(x, x_min, x_max):
    """``x`` limited to ``[x_min, x_max]``; the gradient passes where ``x`` was inside."""
    t = tensor(x, "clip")
    if builtins.all(isinstance(v, numbers.Number) for v in (x_min, x_max)):
        return _array.clip(t, np.asarray(x_min, t.dtype), np.asarray(x_max, t.dtype))
    return minimum(maximum(t, x_min), x_max)


# ----------------------------------------------------------------------------- element-wise


def exp(x):
    return _array.exp(_float_tensor(x, "exp"))


def log(x):
    return _array.log(_float_tensor(x, "log"))


def log1p(x):
    return _numeric.log1p(_float_tensor(x, "log1p"))


def sqrt(x):
    return _array.sqrt(_float_tensor(x, "sqrt"))


def square(x):
    return _array.square(tensor(x, "square"))


def abs(x):  # noqa: A001 - Keras's name
    return _array.abs(tensor(x, "abs"))


absolute = abs


def erf(x):
    return _numeric.erf(_float_tensor(x, "erf"))


def tanh(x):
    return _act.tanh(_float_tensor(x, "tanh"))


def sin(x):
    return _numeric.sin(_float_tensor(x, "sin"))


def cos(x):
    return _numeric.cos(_float_tensor(x, "cos"))


def sign(x):
    return _const(np.sign(convert_to_numpy(tensor(x, "sign"))))


def floor(x):
    return _const(np.floor(convert_to_numpy(_float_tensor(x, "floor"))))


def ceil(x):
    return _const(np.ceil(convert_to_numpy(_float_tensor(x, "ceil"))))


def round(x, decimals=0):  # noqa: A001 - Keras's name
    """Round half to even (NumPy's and TensorFlow's rule)."""
    return _const(np.round(convert_to_numpy(tensor(x, "round")), decimals))


def where(condition, x1=None, x2=None):
    """``x1`` where ``condition`` else ``x2`` (differentiable in both); with only
    ``condition``, the indices of its true elements, as ``numpy.nonzero``."""
    cond = np.asarray(convert_to_numpy(tensor(condition, "where")), dtype=bool)
    if x1 is None and x2 is None:
        return tuple(Tensor(i.astype(np.int32)) for i in np.nonzero(cond))
    if x1 is None or x2 is None:
        raise ValueError("where: give both x1 and x2, or neither")
    a, b = _pair(x1, x2, "where")
    return _numeric.where(cond, a, b)


# ------------------------------------------------------------------------ comparisons, logic


def _compare(fn, x1, x2, name):
    a, b = _pair(x1, x2, name)
    return _const(fn(a.data, b.data))


def equal(x1, x2):
    return _compare(np.equal, x1, x2, "equal")


def not_equal(x1, x2):
    return _compare(np.not_equal, x1, x2, "not_equal")


def greater(x1, x2):
    return _compare(np.greater, x1, x2, "greater")


def greater_equal(x1, x2):
    return _compare(np.greater_equal, x1, x2, "greater_equal")


def less(x1, x2):
    return _compare(np.less, x1, x2, "less")


def less_equal(x1, x2):
    return _compare(np.less_equal, x1, x2, "less_equal")


def logical_and(x1, x2):
    return _compare(np.logical_and, x1, x2, "logical_and")


def logical_or(x1, x2):
    return _compare(np.logical_or, x1, x2, "logical_or")


def logical_not(x):
    return _const(np.logical_not(convert_to_numpy(tensor(x, "logical_not"))))


def all(x, axis=None, keepdims=False):  # noqa: A001
    return _const(np.all(convert_to_numpy(tensor(x, "all")), axis=_axis(axis), keepdims=keepdims))


def any(x, axis=None, keepdims=False):  # noqa: A001
    return _const(np.any(convert_to_numpy(tensor(x, "any")), axis=_axis(axis), keepdims=keepdims))


# ------------------------------------------------------------------------------- reductions


def sum(x, axis=None, keepdims=False):  # noqa: A001
    return _array.sum(tensor(x, "sum"), axis=_axis(axis), keepdims=keepdims)


def mean(x, axis=None, keepdims=False):
    """The mean; integer inputs give ``floatx()`` (Keras's rule)."""
    return _array.mean(_float_tensor(x, "mean"), axis=_axis(axis), keepdims=keepdims)


def max(x, axis=None, keepdims=False, initial=None):  # noqa: A001
    """The maximum over ``axis``; tied maxima share the gradient equally (TensorFlow's rule)."""
    y = _numeric.amax(tensor(x, "max"), axis=_axis(axis), keepdims=keepdims)
    return y if initial is None else maximum(y, initial)


def min(x, axis=None, keepdims=False, initial=None):  # noqa: A001
    """The minimum over ``axis``; tied minima share the gradient equally."""
    y = _numeric.amin(tensor(x, "min"), axis=_axis(axis), keepdims=keepdims)
    return y if initial is None else minimum(y, initial)


amax, amin = max, min


def prod(x, axis=None, keepdims=False, dtype=None):
    """The product over ``axis``; differentiable (exact also where a factor is zero)."""
    t = tensor(x, "prod")
    if dtype is not None:
        t = cast(t, dtype)
    return _numeric.prod(t, axis=_axis(axis), keepdims=keepdims)


def argmax(x, axis=None, keepdims=False):
    """Index of the first maximum (int32), over the flattened array when ``axis`` is None."""
    a = convert_to_numpy(tensor(x, "argmax"))
    return _const(np.argmax(a, axis=axis, keepdims=keepdims).astype(np.int32))


def argmin(x, axis=None, keepdims=False):
    a = convert_to_numpy(tensor(x, "argmin"))
    return _const(np.argmin(a, axis=axis, keepdims=keepdims).astype(np.int32))


def var(x, axis=None, keepdims=False):
    """Population variance ``mean(square(x - mean(x)))`` over ``axis``."""
    t = _float_tensor(x, "var")
    centred = _array.sub(t, _array.mean(t, axis=_axis(axis), keepdims=True))
    return _array.mean(_array.square(centred), axis=_axis(axis), keepdims=keepdims)


def std(x, axis=None, keepdims=False):
    """Population standard deviation, ``sqrt(var(x))``."""
    return _array.sqrt(var(x, axis=axis, keepdims=keepdims))


def cumsum(x, axis=None, dtype=None):
    t = tensor(x, "cumsum")
    if dtype is not None:
        t = cast(t, dtype)
    return _numeric.cumsum(t, axis=axis)


def norm(x, ord=None, axis=None, keepdims=False):  # noqa: A002 - Keras's name
    """Vector norms (``axis`` an int, or None on a 1-d input) and matrix norms (``axis`` a
    pair, or None on a 2-d input), as ``numpy.linalg.norm``; ``axis=None`` on other ranks
    gives the 2-norm of the flattened tensor. Differentiable except the matrix 2-norms and the
    nuclear norm (singular values), which are computed without a gradient."""
    t = _float_tensor(x, "norm")
    if axis is None:
        if t.ndim == 2 and ord is not None:
            axis = (0, 1)
        elif t.ndim == 1 or ord is None:
            y = sqrt(sum(square(t)))
            if keepdims:
                y = reshape(y, (1,) * t.ndim)
            return y
        else:
            raise ValueError(f"norm: ord={ord!r} needs a 1-d or 2-d input, got rank {t.ndim}")
    if isinstance(axis, (tuple, list)) and len(axis) == 2:
        return _matrix_norm(t, ord, tuple(a % t.ndim for a in axis), keepdims)
    if isinstance(axis, (tuple, list)):
        (axis,) = axis
    return _vector_norm(t, ord, axis, keepdims)


def _vector_norm(t, ord, axis, keepdims):  # noqa: A002
    a = _array.abs(t)
    if ord is None or ord == 2:
        return sqrt(sum(square(t), axis=axis, keepdims=keepdims))
    if ord == math.inf:
        return max(a, axis=axis, keepdims=keepdims)
    if ord == -math.inf:
        return min(a, axis=axis, keepdims=keepdims)
    if ord == 0:
        return _const(np.sum(a.data != 0, axis=axis, keepdims=keepdims).astype(t.dtype))
    if ord == 1:
        return sum(a, axis=axis, keepdims=keepdims)
    p = float(ord)
    return power(sum(power(a, p), axis=axis, keepdims=keepdims), 1.0 / p)


def _matrix_norm(t, ord, axis, keepdims):  # noqa: A002
    row, col = axis
    if ord in (None, "fro"):
        return sqrt(sum(square(t), axis=axis, keepdims=keepdims))
    if ord in (1, -1, math.inf, -math.inf):
        a = _array.abs(t)
        # ord 1: max column sum (sum over rows); ord inf: max row sum (sum over columns)
        summed_axis, other = (row, col) if ord in (1, -1) else (col, row)
        sums = sum(a, axis=summed_axis, keepdims=True)
        pick = max if ord in (1, math.inf) else min
        y = pick(sums, axis=other, keepdims=True)
        return y if keepdims else squeeze(y, axis=axis)
    if ord in (2, -2, "nuc"):
        return _const(np.linalg.norm(t.data, ord=ord, axis=axis, keepdims=keepdims))
    raise ValueError(f"norm: invalid ord {ord!r} for a matrix norm")


# ----------------------------------------------------------------------------------- shapes


def reshape(x, newshape):
    t = tensor(x, "reshape")
    shape = (newshape,) if isinstance(newshape, numbers.Integral) else tuple(
        -1 if n is None else int(n) for n in newshape
    )
    try:
        return _array.reshape(t, shape)
    except ValueError:
        raise ValueError(
            f"reshape: cannot reshape a tensor of shape {t.shape} to {shape}"
        ) from None


def transpose(x, axes=None):
    return _array.transpose(tensor(x, "transpose"), None if axes is None else tuple(axes))


def moveaxis(x, source, destination):
    t = tensor(x, "moveaxis")
    src = [int(a) % t.ndim for a in np.atleast_1d(source)]
    dst = [int(a) % t.ndim for a in np.atleast_1d(destination)]
    order = [a for a in range(t.ndim) if a not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return _array.transpose(t, tuple(order))


def swapaxes(x, axis1, axis2):
    t = tensor(x, "swapaxes")
    order = list(range(t.ndim))
    order[axis1], order[axis2] = order[axis2], order[axis1]
    return _array.transpose(t, tuple(order))


def ravel(x):
    return _array.reshape(tensor(x, "ravel"), (-1,))


def expand_dims(x, axis):
    t = tensor(x, "expand_dims")
    shape = np.expand_dims(np.empty(t.shape, dtype=np.bool_), axis).shape
    return _array.reshape(t, shape)


def squeeze(x, axis=None):
    t = tensor(x, "squeeze")
    try:
        shape = np.squeeze(np.empty(t.shape, dtype=np.bool_), axis=_axis(axis)).shape
    except ValueError:
        raise ValueError(
            f"squeeze: cannot squeeze axis {axis} of a tensor of shape {t.shape} "
            "(only axes of size 1)"
        ) from None
    return _array.reshape(t, shape)


def broadcast_to(x, shape):
    return _array.broadcast_to(tensor(x, "broadcast_to"), tuple(shape))


def concatenate(xs, axis=0):
    """Join tensors along an existing axis (Keras 3 default ``axis=0``)."""
    ts = _same_dtype([tensor(x, "concatenate") for x in xs])
    return _array.concatenate(ts, axis=axis)


def stack(x, axis=0):
    """Join tensors along a new axis."""
    ts = _same_dtype([tensor(v, "stack") for v in x])
    return _array.concatenate([expand_dims(t, axis) for t in ts], axis=axis)


def _same_dtype(ts):
    common = np.result_type(*[t.dtype for t in ts])
    return [t if t.dtype == common else cast(t, common) for t in ts]


def split(x, indices_or_sections, axis=0):
    """A list of sub-tensors, as ``numpy.split``."""
    parts = _numeric.split(tensor(x, "split"), indices_or_sections, axis=axis)
    return list(parts)


def repeat(x, repeats, axis=None):
    r = convert_to_numpy(repeats) if isinstance(repeats, Tensor) else repeats
    return _numeric.repeat(tensor(x, "repeat"), r, axis=axis)


def tile(x, repeats):
    reps = (repeats,) if isinstance(repeats, numbers.Integral) else tuple(repeats)
    return _numeric.tile(tensor(x, "tile"), reps)


def flip(x, axis=None):
    return _numeric.flip(tensor(x, "flip"), axis=_axis(axis))


def pad(x, pad_width, mode="constant", constant_values=None):
    """Pad as ``numpy.pad``: ``mode`` ``'constant'`` (with ``constant_values``), ``'reflect'``,
    ``'symmetric'``, ``'edge'``, ``'wrap'``; every mode is differentiable (a non-constant mode
    is a gather of input positions)."""
    t = tensor(x, "pad")
    widths = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (t.ndim, 2))
    if mode == "constant":
        value = 0 if constant_values is None else constant_values
        return _array.pad(t, [tuple(int(v) for v in w) for w in widths], value)
    if constant_values is not None:
        raise ValueError(f"pad: constant_values is only for mode='constant', got mode={mode!r}")
    if mode not in ("reflect", "symmetric", "edge", "wrap"):
        raise ValueError(
            f"pad: mode must be 'constant', 'reflect', 'symmetric', 'edge' or 'wrap', "
            f"got {mode!r}"
        )
    y = t
    for axis, (before, after) in enumerate(widths):
        if before or after:
            index = np.pad(np.arange(t.shape[axis]), (int(before), int(after)), mode=mode)
            y = _numeric.take(y, index, axis=axis)
    return y


def sort(x, axis=-1):
    """Sorted along ``axis``; differentiable (the gradient follows each value to its place)."""
    t = tensor(x, "sort")
    order = np.argsort(t.data, axis=axis, kind="stable")
    return _numeric.take_along_axis(t, order, axis)


def argsort(x, axis=-1):
    return _const(np.argsort(convert_to_numpy(tensor(x, "argsort")), axis=axis, kind="stable")
                  .astype(np.int32))


def take(x, indices, axis=None):
    """Elements at ``indices`` along ``axis`` (of the flattened tensor when None); negative
    indices count from the end. Differentiable in ``x``."""
    t = tensor(x, "take")
    idx = np.asarray(convert_to_numpy(indices)).astype(np.int64)
    n = t.size if axis is None else t.shape[axis]
    return _numeric.take(t, np.where(idx < 0, idx + n, idx), axis=axis)


def take_along_axis(x, indices, axis=None):
    t = tensor(x, "take_along_axis")
    idx = np.asarray(convert_to_numpy(indices)).astype(np.int64)
    if axis is None:
        t, axis = ravel(t), 0
    return _numeric.take_along_axis(t, idx, axis)


# ----------------------------------------------------------------------------- constructors


def _dt(dtype, default=None):
    return _dtype_name(dtype) or np.dtype(default or backend.floatx())


def zeros(shape, dtype=None):
    return Tensor(np.zeros(shape, dtype=_dt(dtype)))


def ones(shape, dtype=None):
    return Tensor(np.ones(shape, dtype=_dt(dtype)))


def full(shape, fill_value, dtype=None):
    """``shape`` filled with ``fill_value``; without ``dtype``, the value's Keras dtype
    (Python floats ``floatx()``, ints ``int32``)."""
    value = tensor(fill_value, "full").data
    return Tensor(np.full(shape, value, dtype=_dtype_name(dtype) or value.dtype))


def zeros_like(x, dtype=None):
    t = tensor(x, "zeros_like")
    return Tensor(np.zeros(t.shape, dtype=_dtype_name(dtype) or t.dtype))


def ones_like(x, dtype=None):
    t = tensor(x, "ones_like")
    return Tensor(np.ones(t.shape, dtype=_dtype_name(dtype) or t.dtype))


def full_like(x, fill_value, dtype=None):
    t = tensor(x, "full_like")
    value = convert_to_numpy(fill_value)
    return Tensor(np.full(t.shape, value, dtype=_dtype_name(dtype) or t.dtype))


def arange(start, stop=None, step=None, dtype=None):
    """Evenly spaced values in ``[start, stop)``; int32 for integer arguments, else floatx."""
    step = 1 if step is None else step
    values = np.arange(start, stop, step) if stop is not None else np.arange(start)
    if dtype is None:
        integral = builtins.all(
            isinstance(v, numbers.Integral) for v in (start, stop, step) if v is not None
        )
        dtype = "int32" if integral else backend.floatx()
    return Tensor(values.astype(_dtype_name(dtype)))


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    values = np.linspace(start, stop, num=num, endpoint=endpoint, retstep=retstep, axis=axis)
    if retstep:
        values, step = values
        return Tensor(values.astype(_dt(dtype))), Tensor(np.asarray(step, dtype=_dt(dtype)))
    return Tensor(values.astype(_dt(dtype)))


def eye(N, M=None, k=0, dtype=None):  # noqa: N803 - Keras's names
    return Tensor(np.eye(N, M, k, dtype=_dt(dtype)))


def identity(n, dtype=None):
    return eye(n, dtype=dtype)


# ----------------------------------------------------------------- more of keras.ops (math)


def einsum(subscripts, *operands, **kwargs):
    """Einstein summation (no ``...``); differentiable in every operand."""
    ts = _same_dtype([tensor(x, "einsum") for x in operands])
    return _numeric.einsum(subscripts, *ts)


def outer(x1, x2):
    a, b = _pair(x1, x2, "outer")
    return _array.mul(_array.reshape(a, (-1, 1)), _array.reshape(b, (1, -1)))


def logsumexp(x, axis=None, keepdims=False):
    """``log(sum(exp(x), axis))`` computed stably, as ``max + log(sum(exp(x - max)))``."""
    t = _float_tensor(x, "logsumexp")
    peak = np.max(t.data, axis=_axis(axis), keepdims=True)  # a constant: it cancels out
    peak = np.where(np.isfinite(peak), peak, 0).astype(t.dtype)
    shifted = _array.exp(_array.sub(t, peak))
    y = _array.add(_array.log(_array.sum(shifted, axis=_axis(axis), keepdims=True)), peak)
    return y if keepdims else squeeze(y, axis=_axis(axis))


def top_k(x, k, sorted=True):  # noqa: A002 - Keras's name
    """The ``k`` largest values along the last axis and their indices (int32); the values
    are differentiable. Ties keep the lower index first, as TensorFlow."""
    t = tensor(x, "top_k")
    order = np.argsort(-t.data, axis=-1, kind="stable")[..., :k]
    values = _numeric.take_along_axis(t, order, -1)
    return values, _const(order.astype(np.int32))


def in_top_k(targets, predictions, k):
    """Whether each target class is among the ``k`` highest predictions of its row (a tie
    with the k-th value counts as in, as TensorFlow)."""
    p = np.asarray(convert_to_numpy(tensor(predictions, "in_top_k")))
    t = np.asarray(convert_to_numpy(tensor(targets, "in_top_k"))).astype(np.int64)
    target_values = np.take_along_axis(p, t[:, None], axis=1)
    return _const(np.sum(p > target_values, axis=1) < k)


def rsqrt(x):
    return _array.div(1.0, sqrt(x))


def reciprocal(x):
    return _array.div(1.0, _float_tensor(x, "reciprocal"))


def expm1(x):
    return _array.sub(exp(x), 1.0)


def log2(x):
    return _array.div(log(x), math.log(2.0))


def log10(x):
    return _array.div(log(x), math.log(10.0))


def average(x, axis=None, weights=None):
    """The mean, or the ``weights``-weighted mean (``weights`` 1-d along ``axis``, or of
    ``x``'s shape)."""
    t = _float_tensor(x, "average")
    if weights is None:
        return mean(t, axis=axis)
    w = _float_tensor(weights, "average")
    if w.ndim == 1 and t.ndim > 1 and axis is not None:
        shape = [1] * t.ndim
        shape[axis] = w.shape[0]
        w = _array.reshape(w, tuple(shape))
    w = _array.broadcast_to(w, t.shape) if w.shape != t.shape else w
    return _array.div(sum(_array.mul(t, w), axis=axis), sum(w, axis=axis))


def unstack(x, num=None, axis=0):
    t = tensor(x, "unstack")
    return [squeeze(p, axis=axis) for p in split(t, t.shape[axis], axis=axis)]


def hstack(xs):
    ts = [tensor(x, "hstack") for x in xs]
    return concatenate(ts, axis=0 if ts[0].ndim == 1 else 1)


def vstack(xs):
    ts = [tensor(x, "vstack") for x in xs]
    return concatenate([reshape(t, (1, -1)) if t.ndim == 1 else t for t in ts], axis=0)


def tril(x, k=0):
    """The lower triangle of the last two axes (the rest zero); differentiable."""
    t = tensor(x, "tril")
    mask = np.tril(np.ones(t.shape[-2:], dtype=bool), k)
    return _numeric.where(mask, t, Tensor(np.zeros((), t.dtype)))


def triu(x, k=0):
    t = tensor(x, "triu")
    mask = np.triu(np.ones(t.shape[-2:], dtype=bool), k)
    return _numeric.where(mask, t, Tensor(np.zeros((), t.dtype)))


def diag(x, k=0):
    """A 1-d input as the ``k``-th diagonal of a matrix, or a matrix's ``k``-th diagonal."""
    t = tensor(x, "diag")
    if t.ndim == 1:
        n = t.shape[0] + builtins.abs(k)
        rows = np.arange(t.shape[0]) + builtins.max(-k, 0)
        cols = np.arange(t.shape[0]) + builtins.max(k, 0)
        mask = np.zeros((n, n), dtype=bool)
        mask[rows, cols] = True
        src = np.zeros((n, n), dtype=np.int64)
        src[rows, cols] = np.arange(t.shape[0])
        gathered = _numeric.take(t, src.reshape(-1), axis=0)
        return _numeric.where(mask, reshape(gathered, (n, n)), Tensor(np.zeros((), t.dtype)))
    if t.ndim != 2:
        raise ValueError(f"diag: expects a 1-d or 2-d input, got shape {t.shape}")
    rows, cols = np.nonzero(np.eye(*t.shape, k=k, dtype=bool))
    return _numeric.take(ravel(t), rows * t.shape[1] + cols)


def trace(x, offset=0, axis1=0, axis2=1):
    t = tensor(x, "trace")
    n1, n2 = t.shape[axis1], t.shape[axis2]
    mask = np.eye(n1, n2, k=offset, dtype=t.dtype)
    shape = [1] * t.ndim
    shape[axis1], shape[axis2] = n1, n2
    return sum(_array.mul(t, mask.reshape(shape)), axis=(axis1, axis2))


def meshgrid(*x, indexing="xy"):
    arrays = np.meshgrid(*[convert_to_numpy(tensor(v, "meshgrid")) for v in x], indexing=indexing)
    return [_const(a) for a in arrays]


def mod(x1, x2):
    a, b = _pair(x1, x2, "mod")
    return _const(np.mod(a.data, b.data))


def floor_divide(x1, x2):
    a, b = _pair(x1, x2, "floor_divide")
    return _const(np.floor_divide(a.data, b.data))


def logical_xor(x1, x2):
    return _compare(np.logical_xor, x1, x2, "logical_xor")


def isnan(x):
    return _const(np.isnan(convert_to_numpy(tensor(x, "isnan"))))


def isinf(x):
    return _const(np.isinf(convert_to_numpy(tensor(x, "isinf"))))


def isfinite(x):
    return _const(np.isfinite(convert_to_numpy(tensor(x, "isfinite"))))


def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    """NaN and infinities replaced; the gradient passes where the value was finite."""
    t = tensor(x, "nan_to_num")
    fixed = np.nan_to_num(t.data, nan=nan, posinf=posinf, neginf=neginf)
    return _numeric.where(np.isfinite(t.data), t, Tensor(fixed))


def count_nonzero(x, axis=None):
    return _const(np.count_nonzero(convert_to_numpy(tensor(x, "count_nonzero")), axis=axis)
                  .astype(np.int32))
