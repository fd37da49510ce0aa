"""More of Keras 3's ``keras.ops``: the trigonometric and hyperbolic functions and their
inverses, rolls and rotations, NaN-skipping reductions, percentiles, the shrink activations,
``depth_to_space`` and friends (``ops.arccos(x)``, ``ops.roll(x, 1, axis=-1)``).

Each is written from the ops of ``ops.numpy`` and ``ops.nn`` where it can be (then its gradient
is theirs), or from ``functions.elementwise`` (a function and its derivative side by side).
Not differentiable, as in ``ops.numpy``: ``trunc``, ``isclose``/``allclose``, ``median``,
``percentile``/``quantile``, ``multi_hot``, ``empty``/``empty_like``.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .. import backend
from ..functions import elementwise as _elementwise
from .core import cast, convert_to_numpy, convert_to_tensor, tensor
from .numpy import (
    _axis,
    _const,
    _float_tensor,
    _pair,
    add,
    divide,
    equal,
    exp,
    flip,
    isnan,
    log,
    log10,
    maximum,
    minimum,
    multiply,
    reshape,
    split,
    sqrt,
    square,
    subtract,
    sum,  # noqa: A004 - Keras's name
    take,
    tanh,
    transpose,
    where,
    zeros,
    zeros_like,
)
from .numpy import abs as _abs
from .numpy import max as _max
from .numpy import mean as _mean
from .numpy import min as _min

__all__ = [
    "array", "copy", "tan", "arcsin", "arccos", "arctan", "arctan2", "sinh", "cosh",
    "arcsinh", "arccosh", "arctanh", "exp2", "cbrt", "trunc", "hypot", "logaddexp",
    "deg2rad", "rad2deg", "divide_no_nan", "roll", "fliplr", "flipud", "rot90", "diff",
    "fmax", "fmin", "ptp", "empty", "empty_like", "isclose", "allclose", "median",
    "percentile", "quantile", "nansum", "nanmean", "nanmax", "nanmin", "select", "get_item",
    "celu", "hard_tanh", "hard_shrink", "soft_shrink", "tanh_shrink", "squareplus", "glu",
    "threshold", "psnr", "multi_hot", "depth_to_space", "space_to_depth",
]


def array(x, dtype=None):
    return convert_to_tensor(x, dtype)


def copy(x):
    return multiply(tensor(x, "copy"), 1)


def _unary(name):
    def op(x):
        return _elementwise.unary(name, _float_tensor(x, name))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"``numpy.{name}``, elementwise, differentiable."
    return op


tan = _unary("tan")
arcsin = _unary("arcsin")
arccos = _unary("arccos")
arctan = _unary("arctan")
sinh = _unary("sinh")
cosh = _unary("cosh")
arcsinh = _unary("arcsinh")
arccosh = _unary("arccosh")
arctanh = _unary("arctanh")
exp2 = _unary("exp2")
cbrt = _unary("cbrt")


def arctan2(x1, x2):
    a, b = _pair(x1, x2, "arctan2")
    if not np.issubdtype(a.dtype, np.floating):
        a, b = cast(a, backend.floatx()), cast(b, backend.floatx())
    return _elementwise.arctan2(a, b)


def trunc(x):
    return _const(np.trunc(convert_to_numpy(tensor(x, "trunc"))))


def hypot(x1, x2):
    return sqrt(add(square(x1), square(x2)))


def logaddexp(x1, x2):
    """``log(exp(x1) + exp(x2))`` without overflow: the larger one taken out first."""
    top = maximum(x1, x2)
    return add(top, log(add(exp(subtract(x1, top)), exp(subtract(x2, top)))))


def deg2rad(x):
    return multiply(_float_tensor(x, "deg2rad"), math.pi / 180.0)


def rad2deg(x):
    return multiply(_float_tensor(x, "rad2deg"), 180.0 / math.pi)


def divide_no_nan(x1, x2):
    """``x1 / x2``, and 0 where ``x2`` is 0."""
    a, b = _pair(x1, x2, "divide_no_nan")
    zero = equal(b, 0)
    return where(zero, 0.0, divide(a, where(zero, 1.0, b)))


def roll(x, shift, axis=None):
    """``numpy.roll``: elements shifted along ``axis`` (the flattened array when ``None``),
    those leaving one end coming back at the other; differentiable (a gather)."""
    t = tensor(x, "roll")
    if axis is None:
        return reshape(roll(reshape(t, (-1,)), shift, 0), t.shape)
    shifts = (shift,) if isinstance(shift, numbers.Integral) else tuple(shift)
    axes = (axis,) if isinstance(axis, numbers.Integral) else tuple(axis)
    if len(shifts) == 1 and len(axes) > 1:
        shifts = shifts * len(axes)
    for s, a in zip(shifts, axes):
        n = t.shape[a]
        t = take(t, (np.arange(n) - int(s)) % n, axis=a)
    return t


def fliplr(x):
    return flip(x, 1)


def flipud(x):
    return flip(x, 0)


def rot90(array, k=1, axes=(0, 1)):  # noqa: A002 - Keras's name
    """``numpy.rot90``: rotated by 90 degrees ``k`` times in the plane of ``axes``."""
    t = tensor(array, "rot90")
    k %= 4
    if k == 0:
        return t
    if k == 2:
        return flip(flip(t, axes[0]), axes[1])
    order = list(range(t.ndim))
    order[axes[0]], order[axes[1]] = order[axes[1]], order[axes[0]]
    if k == 1:
        return transpose(flip(t, axes[1]), order)
    return flip(transpose(t, order), axes[1])


def diff(a, n=1, axis=-1):
    t = tensor(a, "diff")
    for _ in range(n):
        size = t.shape[axis]
        t = subtract(take(t, np.arange(1, size), axis=axis),
                     take(t, np.arange(0, size - 1), axis=axis))
    return t


def fmax(x1, x2):
    return maximum(x1, x2)


def fmin(x1, x2):
    return minimum(x1, x2)


def ptp(x, axis=None, keepdims=False):
    return subtract(_max(x, axis=axis, keepdims=keepdims), _min(x, axis=axis, keepdims=keepdims))


def empty(shape, dtype=None):
    return zeros(shape, dtype=dtype)


def empty_like(x, dtype=None):
    return zeros_like(x, dtype=dtype)


def isclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    return _const(np.isclose(convert_to_numpy(tensor(x1, "isclose")),
                             convert_to_numpy(tensor(x2, "isclose")), rtol, atol, equal_nan))


def allclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    return _const(np.allclose(convert_to_numpy(tensor(x1, "allclose")),
                              convert_to_numpy(tensor(x2, "allclose")), rtol, atol, equal_nan))


def median(x, axis=None, keepdims=False):
    return _const(np.median(convert_to_numpy(tensor(x, "median")), axis=_axis(axis),
                            keepdims=keepdims).astype(_float_dtype(x)))


def percentile(x, q, axis=None, method="linear", keepdims=False):
    return _const(np.percentile(convert_to_numpy(tensor(x, "percentile")), q, axis=_axis(axis),
                                method=method, keepdims=keepdims).astype(_float_dtype(x)))


def quantile(x, q, axis=None, method="linear", keepdims=False):
    return _const(np.quantile(convert_to_numpy(tensor(x, "quantile")), q, axis=_axis(axis),
                              method=method, keepdims=keepdims).astype(_float_dtype(x)))


def _float_dtype(x):
    dtype = tensor(x).dtype
    return dtype if np.issubdtype(dtype, np.floating) else np.dtype(backend.floatx())


def nansum(x, axis=None, keepdims=False):
    t = tensor(x, "nansum")
    return sum(where(isnan(t), 0.0, t), axis=axis, keepdims=keepdims)


def nanmean(x, axis=None, keepdims=False):
    t = tensor(x, "nanmean")
    count = sum(cast(equal(isnan(t), False), t.dtype), axis=axis, keepdims=keepdims)
    return divide(nansum(t, axis=axis, keepdims=keepdims), count)


def nanmax(x, axis=None, keepdims=False):
    t = tensor(x, "nanmax")
    return _max(where(isnan(t), -np.inf, t), axis=axis, keepdims=keepdims)


def nanmin(x, axis=None, keepdims=False):
    t = tensor(x, "nanmin")
    return _min(where(isnan(t), np.inf, t), axis=axis, keepdims=keepdims)


def select(condlist, choicelist, default=0):
    """``numpy.select``: where the first true condition of ``condlist`` holds, its choice."""
    out = default
    for condition, choice in reversed(list(zip(condlist, choicelist))):
        out = where(condition, choice, out)
    return tensor(out)


def get_item(x, key):
    return tensor(x, "get_item")[key]


def celu(x, alpha=1.0):
    t = _float_tensor(x, "celu")
    negative = multiply(subtract(exp(divide(minimum(t, 0.0), alpha)), 1.0), alpha)
    return where(t > 0, t, negative)


def hard_tanh(x):
    return maximum(minimum(_float_tensor(x, "hard_tanh"), 1.0), -1.0)


def hard_shrink(x, threshold=0.5):
    t = _float_tensor(x, "hard_shrink")
    return where(_abs(t) > threshold, t, 0.0)


def soft_shrink(x, threshold=0.5):
    t = _float_tensor(x, "soft_shrink")
    return where(t > threshold, subtract(t, threshold),
                 where(t < -threshold, add(t, threshold), 0.0))


def tanh_shrink(x):
    t = _float_tensor(x, "tanh_shrink")
    return subtract(t, tanh(t))


def squareplus(x, b=4):
    t = _float_tensor(x, "squareplus")
    return divide(add(t, sqrt(add(square(t), b))), 2.0)


def glu(x, axis=-1):
    """The gated linear unit: the first half of ``axis`` times the sigmoid of the second."""
    from .nn import sigmoid

    a, b = split(_float_tensor(x, "glu"), 2, axis=axis)
    return multiply(a, sigmoid(b))


def threshold(x, threshold, default_value):  # noqa: A002 - Keras's names
    t = _float_tensor(x, "threshold")
    return where(t > threshold, t, default_value)


def psnr(x1, x2, max_val):
    """The peak signal-to-noise ratio in dB, ``20 log10(max_val) - 10 log10(mse)``."""
    mse = _mean(square(subtract(x1, x2)))
    return subtract(20.0 * math.log10(max_val), multiply(log10(mse), 10.0))


def multi_hot(inputs, num_classes=None, axis=-1, dtype=None, sparse=False, **kwargs):
    """1 for each class id present along the last axis of ``inputs``, as ``axis``
    (``num_classes`` may be given as ``num_tokens``, Keras's older name)."""
    num_classes = kwargs.pop("num_tokens", num_classes)
    ids = convert_to_numpy(tensor(inputs, "multi_hot")).astype(np.int64)
    if ids.ndim == 0:
        ids = ids[None]
    out = np.zeros((*ids.shape[:-1], int(num_classes)), dtype=dtype or backend.floatx())
    np.put_along_axis(out, ids, 1, axis=-1)
    if axis not in (-1, out.ndim - 1):
        out = np.moveaxis(out, -1, axis)
    return _const(out)


def depth_to_space(x, block_size, data_format="channels_last"):
    """Channels moved into ``block_size`` x ``block_size`` spatial blocks (pixel shuffle)."""
    t = tensor(x, "depth_to_space")
    b = int(block_size)
    if data_format == "channels_first":
        n, c, h, w = t.shape
        t = reshape(t, (n, b, b, c // (b * b), h, w))
        return reshape(transpose(t, (0, 3, 4, 1, 5, 2)), (n, c // (b * b), h * b, w * b))
    n, h, w, c = t.shape
    t = reshape(t, (n, h, w, b, b, c // (b * b)))
    return reshape(transpose(t, (0, 1, 3, 2, 4, 5)), (n, h * b, w * b, c // (b * b)))


def space_to_depth(x, block_size, data_format="channels_last"):
    """``depth_to_space`` undone: each ``block_size`` x ``block_size`` block into channels."""
    t = tensor(x, "space_to_depth")
    b = int(block_size)
    if data_format == "channels_first":
        n, c, h, w = t.shape
        t = reshape(t, (n, c, h // b, b, w // b, b))
        return reshape(transpose(t, (0, 3, 5, 1, 2, 4)), (n, c * b * b, h // b, w // b))
    n, h, w, c = t.shape
    t = reshape(t, (n, h // b, b, w // b, b, c))
    return reshape(transpose(t, (0, 1, 3, 2, 4, 5)), (n, h // b, w // b, c * b * b))
