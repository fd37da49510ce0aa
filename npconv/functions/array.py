"""Array operations with gradients: arithmetic with broadcasting, reductions, reshapes, joins.

Each class is one op, forward and backward side by side; the lower-case function is what
layers call. Inputs may be Tensors, arrays or Python numbers. A Python number takes the dtype
of the array it meets (NumPy would promote ``float32 * 0.5`` correctly, but a 0-d float64
array would not, so we cast), keeping float32 graphs float32.
"""

from __future__ import annotations

import numbers

from ..autograd import Function, Tensor
from ..backend import xp
from ..backend.selection import array_namespace
from . import _on_device


def sum_to(g, shape):
    """Sum ``g`` down to ``shape``: the backward of broadcasting ``shape`` up to ``g.shape``."""
    if g.shape == tuple(shape):
        return g
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, n in enumerate(shape) if n == 1 and g.shape[i + lead] != 1
    )
    if _on_device.other_library(g):  # another array library: its namespace's functions
        g = array_namespace(g).sum(g, axis=axes, keepdims=True)
        return _reshape(g, shape) if lead else g
    g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape) if lead else g


def _reshape(a, shape):
    """``a.reshape(shape)``, also for arrays without the method (the array API's)."""
    if not _on_device.other_library(a):
        return a.reshape(shape)
    return array_namespace(a).reshape(a, tuple(shape))


def _operands(a, b):
    """Cast a Python number to the dtype of the Tensor/array it is combined with."""
    if isinstance(a, numbers.Number) and not isinstance(b, numbers.Number):
        a = _constant(a, b) if _on_device.other_library(b) else xp.asarray(a, dtype=_dtype(b))
    if isinstance(b, numbers.Number) and not isinstance(a, numbers.Number):
        b = _constant(b, a) if _on_device.other_library(a) else xp.asarray(b, dtype=_dtype(a))
    return a, b


def _constant(value, like):
    """``value`` as a 0-d array of ``like``'s library, device and (float) dtype."""
    data = like.data if isinstance(like, Tensor) else like
    ns = array_namespace(data)
    dtype = data.dtype if _on_device._is_float(ns, data.dtype) else ns.float32
    return ns.asarray(value, dtype=dtype, device=data.device)


def _dtype(x):
    dt = x.dtype if isinstance(x, (Tensor, xp.ndarray)) else xp.asarray(x).dtype
    return dt if xp.issubdtype(dt, xp.floating) else xp.float32


class Add(Function):
    def forward(self, a, b):
        self.shapes = a.shape, b.shape
        return a + b

    def backward(self, gy):
        sa, sb = self.shapes
        return sum_to(gy, sa), sum_to(gy, sb)


class Sub(Function):
    def forward(self, a, b):
        self.shapes = a.shape, b.shape
        return a - b

    def backward(self, gy):
        sa, sb = self.shapes
        return sum_to(gy, sa), (sum_to(-gy, sb) if self.needs_grad[1] else None)


class Mul(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, gy):
        a, b = self.a, self.b
        ga = sum_to(gy * b, a.shape) if self.needs_grad[0] else None
        gb = sum_to(gy * a, b.shape) if self.needs_grad[1] else None
        return ga, gb


class Div(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return a / b

    def backward(self, gy):
        a, b = self.a, self.b
        ga = sum_to(gy / b, a.shape) if self.needs_grad[0] else None
        gb = sum_to(-gy * a / (b * b), b.shape) if self.needs_grad[1] else None
        return ga, gb


class Neg(Function):
    def forward(self, x):
        return -x

    def backward(self, gy):
        return -gy


class Power(Function):
    """``x ** c`` for a constant exponent ``c``."""

    def __init__(self, exponent):
        self.c = exponent

    def forward(self, x):
        self.x = x
        return x**self.c

    def backward(self, gy):
        c = xp.asarray(self.c, dtype=self.x.dtype)
        return gy * c * self.x ** (c - 1)


class MatMul(Function):
    """``a @ b`` for 2-d ``a`` (n, k) and ``b`` (k, m), or batched with matching leading axes."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return a @ b

    def backward(self, gy):
        a, b = self.a, self.b
        ga = sum_to(gy @ xp.swapaxes(b, -1, -2), a.shape) if self.needs_grad[0] else None
        gb = sum_to(xp.swapaxes(a, -1, -2) @ gy, b.shape) if self.needs_grad[1] else None
        return ga, gb


class Maximum(Function):
    """Elementwise maximum; a tie sends the gradient to the first operand."""

    def forward(self, a, b):
        self.mask = a >= b
        self.shapes = a.shape, b.shape
        return xp.maximum(a, b)

    def backward(self, gy):
        sa, sb = self.shapes
        ga = sum_to(xp.where(self.mask, gy, 0).astype(gy.dtype), sa)
        gb = sum_to(xp.where(self.mask, 0, gy).astype(gy.dtype), sb)
        return ga, gb


class Minimum(Function):
    """Elementwise minimum; a tie sends the gradient to the first operand."""

    def forward(self, a, b):
        self.mask = a <= b
        self.shapes = a.shape, b.shape
        return xp.minimum(a, b)

    def backward(self, gy):
        sa, sb = self.shapes
        ga = sum_to(xp.where(self.mask, gy, 0).astype(gy.dtype), sa)
        gb = sum_to(xp.where(self.mask, 0, gy).astype(gy.dtype), sb)
        return ga, gb


class Sum(Function):
    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        self.shape = x.shape
        ns = array_namespace(x) if _on_device.other_library(x) else xp
        return ns.sum(x, axis=self.axis, keepdims=self.keepdims)

    def backward(self, gy):
        ns = array_namespace(gy) if _on_device.other_library(gy) else xp
        if not self.keepdims and self.axis is not None:
            axes = self.axis if isinstance(self.axis, tuple) else (self.axis,)
            axes = sorted(a % len(self.shape) for a in axes)
            for a in axes:
                gy = ns.expand_dims(gy, axis=a)
        g = ns.broadcast_to(gy, self.shape)
        return g.copy() if ns is xp else ns.asarray(g, copy=True)


class Mean(Sum):
    def forward(self, x):
        y = super().forward(x)
        self.count = x.size // max(y.size, 1) if x.size else 1
        if _on_device.other_library(x):
            return y / self.count
        return (y / self.count).astype(x.dtype, copy=False)

    def backward(self, gy):
        if _on_device.other_library(gy):
            return super().backward(gy / self.count)
        return super().backward(gy / xp.asarray(self.count, dtype=gy.dtype))


class Reshape(Function):
    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, x):
        self.in_shape = x.shape
        return _reshape(x, self.shape)

    def backward(self, gy):
        return _reshape(gy, self.in_shape)


class Transpose(Function):
    def __init__(self, axes=None):
        self.axes = None if axes is None else tuple(axes)

    def forward(self, x):
        return xp.transpose(x, self.axes)

    def backward(self, gy):
        if self.axes is None:
            return xp.transpose(gy)
        return xp.transpose(gy, xp.argsort(self.axes))


class BroadcastTo(Function):
    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, x):
        self.in_shape = x.shape
        return xp.broadcast_to(x, self.shape)

    def backward(self, gy):
        return sum_to(gy, self.in_shape)


class Concatenate(Function):
    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, *xs):
        self.sizes = [x.shape[self.axis] for x in xs]
        return xp.concatenate(xs, axis=self.axis)

    def backward(self, gy):
        cuts = xp.cumsum(self.sizes)[:-1]
        return tuple(xp.split(gy, cuts, axis=self.axis))


class Pad(Function):
    """Constant padding; ``pad_width`` as in ``numpy.pad``: one ``(before, after)`` per axis."""

    def __init__(self, pad_width, value=0.0):
        self.pad_width = tuple((int(a), int(b)) for a, b in pad_width)
        self.value = value

    def forward(self, x):
        return xp.pad(x, self.pad_width, mode="constant", constant_values=self.value)

    def backward(self, gy):
        index = tuple(slice(a, gy.shape[i] - b) for i, (a, b) in enumerate(self.pad_width))
        return gy[index]


class GetItem(Function):
    """``x[index]`` for basic and advanced indexing; backward scatters into zeros."""

    def __init__(self, index):
        self.index = index

    def forward(self, x):
        self.shape, self.dtype = x.shape, x.dtype
        return x[self.index]

    def backward(self, gy):
        g = xp.zeros(self.shape, dtype=gy.dtype)
        xp.add.at(g, self.index, gy)  # rare, off the hot path; handles repeated indices
        return g


class Abs(Function):
    def forward(self, x):
        self.x = x
        return xp.abs(x)

    def backward(self, gy):
        return gy * xp.sign(self.x)


class Square(Function):
    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, gy):
        return gy * (2 * self.x)


class Sqrt(Function):
    def forward(self, x):
        self.y = xp.sqrt(x)
        return self.y

    def backward(self, gy):
        return gy / (2 * self.y)


class Exp(Function):
    def forward(self, x):
        self.y = xp.exp(x)
        return self.y

    def backward(self, gy):
        return gy * self.y


class Log(Function):
    def forward(self, x):
        self.x = x
        return xp.log(x)

    def backward(self, gy):
        return gy / self.x


class Clip(Function):
    """Clip to ``[lo, hi]``; the gradient passes only where the value was inside."""

    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi

    def forward(self, x):
        self.mask = (x >= self.lo) & (x <= self.hi)
        return xp.clip(x, self.lo, self.hi)

    def backward(self, gy):
        return gy * self.mask


def add(a, b):
    return Add()(*_operands(a, b))


def sub(a, b):
    return Sub()(*_operands(a, b))


def mul(a, b):
    return Mul()(*_operands(a, b))


def div(a, b):
    return Div()(*_operands(a, b))


def neg(x):
    return Neg()(x)


def power(x, exponent):
    return Power(exponent)(x)


def matmul(a, b):
    return MatMul()(a, b)


def maximum(a, b):
    return Maximum()(*_operands(a, b))


def minimum(a, b):
    return Minimum()(*_operands(a, b))


def sum(x, axis=None, keepdims=False):  # noqa: A001 - Keras/NumPy name
    return Sum(_axis(axis), keepdims)(x)


def mean(x, axis=None, keepdims=False):
    return Mean(_axis(axis), keepdims)(x)


def _axis(axis):
    return tuple(axis) if isinstance(axis, list) else axis


def reshape(x, shape):
    return Reshape(shape)(x)


def flatten(x):
    """(batch, ...) -> (batch, prod(...)), as Keras's Flatten."""
    n = x.shape[0]
    return Reshape((n, -1))(x)


def transpose(x, axes=None):
    return Transpose(axes)(x)


def broadcast_to(x, shape):
    return BroadcastTo(shape)(x)


def concatenate(xs, axis=-1):
    return Concatenate(axis)(*xs)


def pad(x, pad_width, value=0.0):
    return Pad(pad_width, value)(x)


def getitem(x, index):
    return GetItem(index)(x)


def abs(x):  # noqa: A001
    return Abs()(x)


def square(x):
    return Square()(x)


def sqrt(x):
    return Sqrt()(x)


def exp(x):
    return Exp()(x)


def log(x):
    return Log()(x)


def clip(x, lo, hi):
    return Clip(lo, hi)(x)
