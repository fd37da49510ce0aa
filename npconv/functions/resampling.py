"""Resampling the spatial axes: nearest and bilinear upsampling, and cropping.

``upsample_nearest(x, size, axes)`` repeats every element ``size[i]`` times along ``axes[i]``
(Keras's ``UpSampling1D/2D/3D``, which call ``ops.repeat``). Its backward sums each block of
repeats back onto the element it came from: with every upsampled axis split into ``(n, size)``
(a free reshape), the sum of the ``prod(size)`` strided slices, one ``+=`` each into one
output buffer — no scatter. Measured on a (128, 28, 28, 32) float32 gradient, 2x2, five
alternated rounds on the busy 2-core machine: median 8.2 ms (2.6-16.1), against 15.8 ms
(9.0-22.3) for ``reshape(...).sum(axis=(2, 4))``.

``upsample_bilinear(x, size, axes)`` is ``tf.image.resize(..., 'bilinear')`` at the integer scale
``size`` (``UpSampling2D(interpolation='bilinear')``): half-pixel centres, so output index ``o``
on an axis of ``n`` inputs samples the input at ``src = (o + 0.5) / size - 0.5``, clamped to
``[0, n - 1]``, and blends its two neighbours ``floor(src)`` and ``floor(src) + 1`` (clamped) with
weights ``1 - frac`` and ``frac``. Being linear and separable, each axis is a matrix ``M``
``(n * size, n)`` (``bilinear_matrix``) applied along that axis; the backward applies ``M.T``.
The matrices are tiny and the products are BLAS matmuls: on (128, 14, 14, 32) float32, 2x2,
same rounds, forward median 32 ms and backward 15 ms, against 72 ms and 52 ms for computing each
output phase as two scaled slices of the edge-padded input (the elementwise form of ``M``).

``crop(x, cropping)`` keeps ``x[before : n - after]`` on each axis; its backward writes the
gradient into the kept window of a zero array (the transpose of cropping is zero padding).
"""

from __future__ import annotations

import itertools

from ..autograd import Function
from ..backend import xp

__all__ = [
    "upsample_nearest",
    "upsample_bilinear",
    "bilinear_matrix",
    "crop",
    "UpsampleNearest",
    "UpsampleBilinear",
    "Crop",
]


def _axes_sizes(name, ndim, size, axes):
    axes = tuple(int(a) % ndim for a in axes)
    size = tuple(int(s) for s in size)
    if len(size) != len(axes) or any(s < 1 for s in size):
        raise ValueError(f"{name}: size must hold one positive int per axis {axes}, got {size}")
    return size, axes


class UpsampleNearest(Function):
    """Repeat each element ``size[i]`` times along ``axes[i]``."""

    def __init__(self, size, axes):
        self.size, self.axes = size, axes

    def forward(self, x):
        self.in_shape = x.shape
        for s, a in zip(self.size, self.axes):
            if s != 1:
                x = xp.repeat(x, s, axis=a)
        return x

    def backward(self, gy):
        split, phase_axes = [], []
        factors = dict(zip(self.axes, self.size))
        for i, n in enumerate(self.in_shape):
            split.append(n)
            if i in factors:
                split.append(factors[i])
                phase_axes.append(len(split) - 1)
        g = gy.reshape(split)
        gx = None
        for phases in itertools.product(*(range(s) for s in self.size)):
            index = [slice(None)] * g.ndim
            for a, r in zip(phase_axes, phases):
                index[a] = r
            part = g[tuple(index)]
            if gx is None:
                gx = part.copy()
            else:
                gx += part
        return gx


def bilinear_matrix(n, size, dtype="float64"):
    """The ``(n * size, n)`` matrix of half-pixel bilinear upsampling by ``size`` of ``n``
    samples (``tf.image.resize`` with ``half_pixel_centers``): row ``o`` holds the weights of
    the two inputs that output ``o`` blends."""
    out = xp.arange(n * size, dtype=xp.float64)
    src = xp.clip((out + 0.5) / size - 0.5, 0.0, n - 1)
    lo = xp.floor(src).astype(xp.int64)
    hi = xp.minimum(lo + 1, n - 1)
    frac = src - lo
    m = xp.zeros((n * size, n), dtype=xp.float64)
    rows = xp.arange(n * size)
    m[rows, lo] += 1.0 - frac
    m[rows, hi] += frac
    return m.astype(dtype)


def _apply_along(x, m, axis):
    """``m @ x`` along ``axis`` of ``x`` (``m`` is ``(out, in)``, ``x.shape[axis] == in``)."""
    moved = xp.moveaxis(x, axis, -1)
    return xp.moveaxis(moved @ m.T, -1, axis)


class UpsampleBilinear(Function):
    """Half-pixel bilinear upsampling along ``axes`` by the integer factors ``size``."""

    def __init__(self, size, axes):
        self.size, self.axes = size, axes

    def forward(self, x):
        self.mats = []
        for s, a in zip(self.size, self.axes):
            m = bilinear_matrix(x.shape[a], s, x.dtype)
            self.mats.append(m)
            x = _apply_along(x, m, a)
        return xp.ascontiguousarray(x)

    def backward(self, gy):
        for m, a in zip(reversed(self.mats), reversed(self.axes)):
            gy = _apply_along(gy, m.T, a)
        return xp.ascontiguousarray(gy)


class Crop(Function):
    """``x[before_0 : n_0 - after_0, ...]`` for one ``(before, after)`` pair per axis."""

    def __init__(self, cropping):
        self.cropping = cropping

    def forward(self, x):
        self.in_shape = x.shape
        self.index = tuple(slice(a, n - b) for n, (a, b) in zip(x.shape, self.cropping))
        return x[self.index]

    def backward(self, gy):
        gx = xp.zeros(self.in_shape, dtype=gy.dtype)
        gx[self.index] = gy
        return gx


def upsample_nearest(x, size, axes):
    """Repeat each element ``size[i]`` times along ``axes[i]``: ``(n,) -> (n * size,)``."""
    size, axes = _axes_sizes("upsample_nearest", x.ndim, size, axes)
    return UpsampleNearest(size, axes)(x)


def upsample_bilinear(x, size, axes):
    """Bilinear upsampling by integer factors ``size`` along ``axes``, as
    ``tf.image.resize(..., method='bilinear')`` computes it (half-pixel centres)."""
    size, axes = _axes_sizes("upsample_bilinear", x.ndim, size, axes)
    return UpsampleBilinear(size, axes)(x)


def crop(x, cropping):
    """Remove ``cropping[i] = (before, after)`` elements from the ends of axis ``i`` (one pair
    per axis of ``x``, batch included)."""
    cropping = tuple((int(a), int(b)) for a, b in cropping)
    if len(cropping) != x.ndim:
        raise ValueError(
            f"crop: needs one (before, after) pair per axis of the input of shape "
            f"{tuple(x.shape)}, got {cropping}"
        )
    for n, (a, b) in zip(x.shape, cropping):
        if a < 0 or b < 0 or (a + b and a + b >= n):
            raise ValueError(
                f"crop: cropping {cropping} leaves nothing of the input of shape "
                f"{tuple(x.shape)} (each axis must keep at least one element)"
            )
    return Crop(cropping)(x)
