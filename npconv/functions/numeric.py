"""More NumPy-like functions with gradients: the ones ``npconv.ops`` needs beyond ``array``.

Each class is one op, forward and backward side by side, as in ``array``: elementwise math
(``log1p``, ``sin``, ``cos``, ``erf``, a tensor-valued ``power``), selection (``where``,
``take``, ``take_along_axis``), reductions with a subgradient (``amax``/``amin``, ``prod``,
``cumsum``), and shape ops whose backward is a different shape op (``repeat``, ``tile``,
``flip``, ``split``, ``cast``). Ops that are built from others (``tensordot``, ``var``, ``norm``)
live in ``npconv.ops``, where the composition is the explanation.

Gradient conventions are TensorFlow's: ``amax``/``amin`` share the gradient equally among tied
extremes (``tf.reduce_max``), ``where`` sends it to the chosen branch, ``cast`` casts it back.
"""

from __future__ import annotations

import math

from ..autograd import Function
from ..backend import xp
from .array import sum_to

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _axes(axis, ndim):
    """``axis`` (None, int or tuple) as a sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    axis = axis if isinstance(axis, (tuple, list)) else (axis,)
    return tuple(sorted(int(a) % ndim for a in axis)) if ndim else ()


def _keep(g, shape, axes):
    """Re-insert the reduced ``axes`` of ``g`` as size-1 axes, so it broadcasts to ``shape``."""
    for a in axes:
        g = xp.expand_dims(g, a)
    return g


class Log1p(Function):
    def forward(self, x):
        self.x = x
        return xp.log1p(x)

    def backward(self, gy):
        return gy / (1 + self.x)


class Sin(Function):
    def forward(self, x):
        self.x = x
        return xp.sin(x)

    def backward(self, gy):
        return gy * xp.cos(self.x)


class Cos(Function):
    def forward(self, x):
        self.x = x
        return xp.cos(x)

    def backward(self, gy):
        return -gy * xp.sin(self.x)


class Erf(Function):
    """The error function; ``d erf(x) / dx = 2 / sqrt(pi) * exp(-x^2)``."""

    def forward(self, x):
        from .activations import erf

        self.x = x
        return erf(x)

    def backward(self, gy):
        return gy * (_TWO_OVER_SQRT_PI * xp.exp(-self.x * self.x)).astype(gy.dtype, copy=False)


class PowerTensor(Function):
    """``a ** b`` with both operands variable: ``d/da = b a^(b-1)``, ``d/db = a^b log(a)``."""

    def forward(self, a, b):
        self.a, self.b = a, b
        self.y = a**b
        return self.y

    def backward(self, gy):
        a, b = self.a, self.b
        ga = sum_to(gy * b * a ** (b - 1), a.shape) if self.needs_grad[0] else None
        gb = None
        if self.needs_grad[1]:
            with xp.errstate(divide="ignore", invalid="ignore"):
                logs = xp.where(a > 0, xp.log(xp.where(a > 0, a, 1)), 0)
            gb = sum_to(gy * self.y * logs, b.shape)
        return ga, gb


class Where(Function):
    """``condition ? x1 : x2``; ``condition`` is a constant held by the op."""

    def __init__(self, condition):
        self.condition = condition

    def forward(self, a, b):
        self.shapes = a.shape, b.shape
        return xp.where(self.condition, a, b)

    def backward(self, gy):
        zero = xp.zeros((), dtype=gy.dtype)
        ga = sum_to(xp.where(self.condition, gy, zero), self.shapes[0])
        gb = sum_to(xp.where(self.condition, zero, gy), self.shapes[1])
        return ga, gb


class Cast(Function):
    """``x.astype(dtype)``; the gradient is cast back to the input's dtype."""

    def __init__(self, dtype):
        self.dtype = dtype

    def forward(self, x):
        self.in_dtype = x.dtype
        return x.astype(self.dtype)

    def backward(self, gy):
        return gy.astype(self.in_dtype)


class Extremum(Function):
    """``amax``/``amin`` over ``axis``; tied extremes share the gradient equally (as TF)."""

    def __init__(self, kind, axis=None, keepdims=False):
        self.kind, self.axis, self.keepdims = kind, axis, keepdims

    def forward(self, x):
        reduce = xp.max if self.kind == "max" else xp.min
        y = reduce(x, axis=self.axis, keepdims=True)
        self.axes = _axes(self.axis, x.ndim)
        self.mask = x == y
        return y if self.keepdims else xp.squeeze(y, axis=self.axes)

    def backward(self, gy):
        if not self.keepdims:
            gy = _keep(gy, self.mask.shape, self.axes)
        count = self.mask.sum(axis=self.axes, keepdims=True)
        return (self.mask * (gy / count)).astype(gy.dtype, copy=False)


class Prod(Function):
    """Product over ``axis``. The gradient of each factor is the product of all the others,
    computed as exclusive cumulative products from both sides, so zeros are exact (no
    division by the factor)."""

    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        self.x = x
        self.axes = _axes(self.axis, x.ndim)
        return xp.prod(x, axis=self.axis, keepdims=self.keepdims)

    def backward(self, gy):
        x, axes = self.x, self.axes
        rest = tuple(a for a in range(x.ndim) if a not in axes)
        perm = rest + axes
        moved = xp.transpose(x, perm).reshape([x.shape[a] for a in rest] + [-1])
        ones = xp.ones(moved.shape[:-1] + (1,), dtype=x.dtype)
        left = xp.cumprod(xp.concatenate([ones, moved[..., :-1]], axis=-1), axis=-1)
        right = xp.cumprod(xp.concatenate([ones, moved[..., :0:-1]], axis=-1), axis=-1)
        others = (left * right[..., ::-1]).reshape([x.shape[a] for a in perm])
        others = xp.transpose(others, xp.argsort(perm))
        if not self.keepdims:
            gy = _keep(gy, x.shape, axes)
        return gy * others


class Cumsum(Function):
    """Running sum along ``axis`` (``None``: of the flattened array); backward is the running
    sum of the gradient taken from the other end."""

    def __init__(self, axis=None):
        self.axis = axis

    def forward(self, x):
        self.shape = x.shape
        return xp.cumsum(x, axis=self.axis)

    def backward(self, gy):
        axis = 0 if self.axis is None else self.axis
        g = xp.flip(xp.cumsum(xp.flip(gy, axis), axis=axis), axis)
        return g.reshape(self.shape)


class Repeat(Function):
    """``numpy.repeat``; backward sums each run of copies back onto its source element."""

    def __init__(self, repeats, axis=None):
        self.repeats, self.axis = repeats, axis

    def forward(self, x):
        self.shape = x.shape
        return xp.repeat(x, self.repeats, axis=self.axis)

    def backward(self, gy):
        axis = 0 if self.axis is None else self.axis % len(self.shape)
        n = 1 if self.axis is None else self.shape[axis]
        if self.axis is None:
            n = int(xp.prod(self.shape))
        reps = xp.broadcast_to(xp.asarray(self.repeats).reshape(-1), (n,))
        ends = xp.cumsum(reps)
        starts = ends - reps
        csum = xp.cumsum(gy, axis=axis)
        zero_shape = list(gy.shape)
        zero_shape[axis] = 1
        csum = xp.concatenate([xp.zeros(zero_shape, dtype=gy.dtype), csum], axis=axis)
        g = xp.take(csum, ends, axis=axis) - xp.take(csum, starts, axis=axis)
        return g.reshape(self.shape)


class Tile(Function):
    """``numpy.tile``; backward folds the copies back and sums them."""

    def __init__(self, reps):
        self.reps = tuple(int(r) for r in reps)

    def forward(self, x):
        self.shape = x.shape
        return xp.tile(x, self.reps)

    def backward(self, gy):
        reps = (1,) * (gy.ndim - len(self.reps)) + self.reps
        shape = (1,) * (gy.ndim - len(self.shape)) + tuple(self.shape)
        folded = gy.reshape([d for pair in zip(reps, shape) for d in pair])
        g = folded.sum(axis=tuple(range(0, 2 * gy.ndim, 2)))
        return g.reshape(self.shape)


class Flip(Function):
    def __init__(self, axis=None):
        self.axis = axis

    def forward(self, x):
        return xp.flip(x, self.axis)

    def backward(self, gy):
        return xp.flip(gy, self.axis)


class Split(Function):
    """``numpy.split`` into several outputs; backward concatenates their gradients."""

    def __init__(self, indices_or_sections, axis=0):
        self.indices, self.axis = indices_or_sections, axis

    def forward(self, x):
        return tuple(xp.split(x, self.indices, axis=self.axis))

    def backward(self, *gys):
        return xp.concatenate(gys, axis=self.axis)


class Take(Function):
    """``numpy.take``; backward scatter-adds (repeated indices accumulate)."""

    def __init__(self, indices, axis=None):
        self.indices, self.axis = indices, axis

    def forward(self, x):
        self.shape = x.shape
        return xp.take(x, self.indices, axis=self.axis)

    def backward(self, gy):
        if self.axis is None:
            g = xp.zeros(int(xp.prod(self.shape)), dtype=gy.dtype)
            xp.add.at(g, self.indices.reshape(-1), gy.reshape(-1))
            return g.reshape(self.shape)
        axis = self.axis % len(self.shape)
        g = xp.zeros(self.shape, dtype=gy.dtype)
        moved = xp.moveaxis(g, axis, 0)  # a view: writes land in g
        k = self.indices.ndim
        gm = xp.moveaxis(gy, tuple(range(axis, axis + k)), tuple(range(k)))
        xp.add.at(moved, self.indices, gm)
        return g


class TakeAlongAxis(Function):
    """``numpy.take_along_axis``; backward scatter-adds along ``axis``."""

    def __init__(self, indices, axis):
        self.indices, self.axis = indices, axis

    def forward(self, x):
        self.shape = x.shape
        return xp.take_along_axis(x, self.indices, axis=self.axis)

    def backward(self, gy):
        g = xp.zeros(self.shape, dtype=gy.dtype)
        axis = self.axis % len(self.shape)
        index = list(xp.ix_(*[xp.arange(n) for n in self.indices.shape]))
        index[axis] = self.indices
        xp.add.at(g, tuple(index), gy)
        return g


def log1p(x):
    return Log1p()(x)


def sin(x):
    return Sin()(x)


def cos(x):
    return Cos()(x)


def erf(x):
    return Erf()(x)


def power_tensor(a, b):
    return PowerTensor()(a, b)


def where(condition, a, b):
    return Where(xp.asarray(condition, dtype=bool))(a, b)


def cast(x, dtype):
    return Cast(dtype)(x)


def amax(x, axis=None, keepdims=False):
    return Extremum("max", axis, keepdims)(x)


def amin(x, axis=None, keepdims=False):
    return Extremum("min", axis, keepdims)(x)


def prod(x, axis=None, keepdims=False):
    return Prod(axis, keepdims)(x)


def cumsum(x, axis=None):
    return Cumsum(axis)(x)


def repeat(x, repeats, axis=None):
    return Repeat(repeats, axis)(x)


def tile(x, reps):
    return Tile(reps)(x)


def flip(x, axis=None):
    return Flip(axis)(x)


def split(x, indices_or_sections, axis=0):
    return Split(indices_or_sections, axis)(x)


def take(x, indices, axis=None):
    return Take(xp.asarray(indices), axis)(x)


def take_along_axis(x, indices, axis):
    return TakeAlongAxis(xp.asarray(indices), axis)(x)


class Einsum(Function):
    """``numpy.einsum`` with explicit or implicit output, no ellipsis. The gradient of each
    operand is another einsum: the output's gradient with the other operands, contracted onto
    this operand's letters; a letter only this operand has (summed away alone) is broadcast
    back. An operand with a repeated letter (a diagonal) is not supported."""

    def __init__(self, subscripts):
        subscripts = subscripts.replace(" ", "")
        if "." in subscripts:
            raise ValueError(f"einsum: '...' is not supported by npconv, got {subscripts!r}")
        if "->" in subscripts:
            ins, out = subscripts.split("->")
        else:
            ins = subscripts
            letters = ins.replace(",", "")
            out = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
        self.ins, self.out = ins.split(","), out
        for s in self.ins:
            if len(set(s)) != len(s):
                raise ValueError(
                    f"einsum: repeated indices within one operand ({s!r}) are not supported"
                )

    def forward(self, *xs):
        if len(xs) != len(self.ins):
            raise ValueError(
                f"einsum: {len(self.ins)} operands in the subscripts, {len(xs)} given"
            )
        self.xs = xs
        return xp.einsum(",".join(self.ins) + "->" + self.out, *xs, optimize=True)

    def backward(self, gy):
        grads = []
        for i, s in enumerate(self.ins):
            if not self.needs_grad[i]:
                grads.append(None)
                continue
            others = [(t, x) for j, (t, x) in enumerate(zip(self.ins, self.xs)) if j != i]
            seen = set(self.out).union(*[set(t) for t, _ in others])
            kept = "".join(c for c in s if c in seen)
            spec = ",".join([self.out] + [t for t, _ in others]) + "->" + kept
            g = xp.einsum(spec, gy, *[x for _, x in others], optimize=True)
            if kept != s:
                shape = [self.xs[i].shape[k] if c in seen else 1 for k, c in enumerate(s)]
                g = xp.broadcast_to(g.reshape(shape), self.xs[i].shape).copy()
            grads.append(g.astype(self.xs[i].dtype, copy=False))
        return tuple(grads)


def einsum(subscripts, *operands):
    return Einsum(subscripts)(*operands)
