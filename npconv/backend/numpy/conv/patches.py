"""The forward's GEMM layouts: ``im2col``, ``kmajor``, ``pairs`` and ``pointwise``, each a
forward (``y = patches @ kernel`` for one chunk) and the kernel gradient from the same patches
(``gkernel += patches^T @ gy``).

Per chunk, with ``M`` its output positions and ``G`` groups of ``Cg`` channels and ``Fg``
filters (``K`` kernel offsets):

    im2col   cols (M, G, K*Cg)  = copy of the as_strided windows of x
             y    (M, G*Fg)     = cols @ W        one GEMM per group, in place (``by_group``)
    kmajor   cols (K + 1, M)    = the windows copied offset by offset, plus a row of ones;
             y    (M, F)        = cols^T @ [W; bias]      (one input channel)
    pairs    cols (M/2, K/k * (k + 1) * C): one row per two neighbouring output pixels
             y    (M/2, 2F)     = cols @ W2       W2 holds each pixel's copy of W, and zeros
             gW   = the two pixels' blocks of cols^T @ gy (as (M/2, 2F)), added
    pointwise (1x1) cols (M, C) = x itself (stride 1) or a copy of its strided view
             y    (M, F)        = cols @ W
    kn2row   z    (K*F, P)      = W^T @ x^T      every padded position P times every offset
             y                  = sum over offsets o of z[o] shifted by o     (few filters)

The patches are a copy, not the strided view itself, because BLAS needs rows it can read in
place; the chunk keeps that copy in cache (``plan.CHUNK_BYTES``).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..threads import scratch

__all__ = ["Im2col", "Kmajor", "Kn2row", "Pairs", "Pointwise", "PATCHES", "by_group",
           "strided"]


def strided(a, shape, strides):
    """The strided view of ``a`` (read only by the callers). ``ndarray(buffer=a)`` when ``a`` is
    contiguous: several times cheaper than ``as_strided``, which a small step calls ~20 times."""
    if a.flags.c_contiguous:
        return np.ndarray(shape, a.dtype, a, 0, strides)
    return as_strided(a, shape, strides, writeable=False)


def by_group(a, groups):
    """``(..., M, G * n)`` -> the view ``(..., G, M, n)``: group g's columns as one matrix.

    Its rows are strided but its columns contiguous, which BLAS takes as is (a leading
    dimension larger than the row), so grouped GEMMs read and write in place.
    """
    *lead, m, gn = a.shape
    if groups == 1:
        return a[..., None, :, :]  # cheaper than moveaxis
    return np.moveaxis(a.reshape(*lead, m, groups, gn // groups), -2, -3)


class Im2col:
    """The general plan: a patch row per output position, one GEMM per group."""

    name = "im2col"

    @staticmethod
    def kernel_matrix(plan, kernel, bias):
        """``(*k, Cg, G*Fg)`` -> ``(G, K*Cg, Fg)``, and the bias left to add (all of it)."""
        w = kernel.reshape(plan.kcount * plan.cg, plan.groups, plan.fg).transpose(1, 0, 2)
        return np.ascontiguousarray(w, dtype=plan.dtype), bias

    @staticmethod
    def patches(plan, xc, buf):
        """The patches of the chunk ``xc`` (channels last, padded), copied into ``buf`` as
        ``(M, G, K*Cg)`` and returned as the ``(G, M, K*Cg)`` view the grouped GEMMs take."""
        sb, *ss, sc = xc.strides
        shape = (xc.shape[0], *plan.out, plan.groups, *plan.ksize, plan.cg)
        strides = (sb, *(s * st for s, st in zip(ss, plan.strides)), plan.cg * sc,
                   *(s * d for s, d in zip(ss, plan.dilation)), sc)
        windows = strided(xc, shape, strides)
        cols = buf[: windows.size].reshape(windows.shape)
        np.copyto(cols, windows)
        return by_group(cols.reshape(-1, plan.groups * plan.kcount * plan.cg), plan.groups)

    @classmethod
    def forward(cls, plan, xc, w, yc, buf):
        """``yc`` (``(M, F)``) = the chunk's patches @ ``w`` (from ``kernel_matrix``)."""
        np.matmul(cls.patches(plan, xc, buf), w, out=by_group(yc, plan.groups))

    @classmethod
    def kernel_grad(cls, plan, xc, gyc, part, buf):
        """``part`` (``(G, K*Cg, Fg)``) = the chunk's patches^T @ ``gyc`` (``(M, F)``)."""
        cols = cls.patches(plan, xc, buf)
        return np.matmul(cols.transpose(0, 2, 1), by_group(gyc, plan.groups), out=part)


class Kmajor(Im2col):
    """One input channel: K-entry rows are too short to copy fast one by one, so the patches are
    copied kernel offset by kernel offset as ``(K, M)`` (rows of whole output lines) and BLAS
    takes the transposed view. The forward adds a row of ones and the bias as the kernel's last
    row, so the bias rides in the GEMM (its K + 1 columns cost less than a pass over y)."""

    name = "kmajor"

    @staticmethod
    def kernel_matrix(plan, kernel, bias):
        w, _ = Im2col.kernel_matrix(plan, kernel, None)
        if bias is None:
            return w, None
        return np.concatenate([w, bias.reshape(1, 1, -1).astype(plan.dtype)], axis=1), None

    @staticmethod
    def patches(plan, xc, buf, ones=False):
        """``(1, M, K)`` (``ones``: ``(1, M, K + 1)``, its last column ones), a view of the
        ``(K, M)`` copy in ``buf``."""
        sb, *ss, _ = xc.strides
        shape = (*plan.ksize, xc.shape[0], *plan.out)
        strides = (*(s * d for s, d in zip(ss, plan.dilation)), sb,
                   *(s * st for s, st in zip(ss, plan.strides)))
        windows = strided(xc, shape, strides)
        m = windows.size // plan.kcount
        cols = buf[: (plan.kcount + ones) * m].reshape(plan.kcount + ones, m)
        np.copyto(cols[: plan.kcount].reshape(windows.shape), windows)
        if ones:
            cols[plan.kcount].fill(1)
        return cols.T[None]

    @classmethod
    def forward(cls, plan, xc, w, yc, buf):
        ones = w.shape[1] == plan.kcount + 1  # the bias row (kernel_matrix)
        np.matmul(cls.patches(plan, xc, buf, ones), w, out=yc[None])


class Pairs(Im2col):
    """Few filters or tiny patches: each patch row covers two neighbouring output pixels along
    the last axis, ``k + 1`` input columns (one contiguous run of x) instead of two runs of
    ``k``, and one GEMM twice as wide against a kernel holding each pixel's copy of the weights
    (and zeros): its ``(M/2, 2F)`` product is y itself. The kernel gradient comes from the same
    rows."""

    name = "pairs"

    @staticmethod
    def kernel_matrix(plan, kernel, bias):
        """``(*k, C, F)`` -> ``(1, K/k * (k + 1) * C, 2F)``: pixel q of the pair reads columns
        q .. q + k - 1 of the pair's k + 1, and zeros elsewhere."""
        *_, kl, c, f = kernel.shape
        w = kernel.reshape(-1, kl, c, f)
        pair = np.zeros((w.shape[0], kl + 1, c, 2, f), dtype=plan.dtype)
        pair[:, :kl, :, 0] = w
        pair[:, 1:, :, 1] = w
        return pair.reshape(1, -1, 2 * f), bias

    @staticmethod
    def pair_patches(plan, xc, buf):
        """The chunk's pair rows, ``(M/2, K/k * (k + 1) * C)``, copied into ``buf``."""
        sb, *ss, sc = xc.strides
        *sk, kl = plan.ksize
        shape = (xc.shape[0], *plan.out[:-1], plan.out[-1] // 2, *sk, (kl + 1) * plan.cin)
        strides = (sb, *(s * st for s, st in zip(ss[:-1], plan.strides[:-1])), 2 * ss[-1],
                   *(s * d for s, d in zip(ss[:-1], plan.dilation[:-1])), sc)
        windows = strided(xc, shape, strides)
        cols = buf[: windows.size].reshape(windows.shape)
        np.copyto(cols, windows)
        return cols.reshape(-1, math.prod(shape[len(plan.out) + 1:]))

    @classmethod
    def forward(cls, plan, xc, w, yc, buf):
        m = yc.shape[0]
        np.matmul(cls.pair_patches(plan, xc, buf)[None], w,
                  out=yc.reshape(m // 2, 2 * plan.filters)[None])

    @classmethod
    def kernel_grad(cls, plan, xc, gyc, part, buf):
        """``part`` (``(1, K*C, F)``) = the kernel gradient from the pair rows: their product
        with gy's pixel pairs, ``(K/k * (k + 1) * C, 2F)``, holds for each pixel of the pair
        the gradient of the columns it read; pixel 0 read columns 0 .. k - 1, pixel 1 columns
        1 .. k, and the two sum to the kernel's."""
        cols = cls.pair_patches(plan, xc, buf)
        f, kl, c = plan.filters, plan.ksize[-1], plan.cin
        both = scratch("conv.pairgrad", cols.shape[1] * 2 * f, plan.dtype)
        both = np.matmul(cols.T, gyc.reshape(-1, 2 * f), out=both.reshape(cols.shape[1], 2 * f))
        both = both.reshape(-1, kl + 1, c, 2, f)
        np.add(both[:, :kl, :, 0], both[:, 1:, :, 1], out=part.reshape(-1, kl, c, f))
        return part


class Pointwise(Im2col):
    """A 1x1 kernel (one group, no padding): the patch matrix is x itself, ``(M, C)``, read in
    place when x is (stride 1, channels last), else x's strided view copied once, so the
    forward and the kernel gradient are one GEMM each."""

    name = "pointwise"

    @staticmethod
    def patches(plan, xc, buf):
        if xc.flags.c_contiguous and all(s == 1 for s in plan.strides):
            return xc.reshape(1, -1, plan.cin)
        return Im2col.patches(plan, xc, buf)


class Kn2row(Im2col):
    """Few filters for many channels (an autoencoder's or a segmentation net's last layer, one
    to a few filters): apply every kernel offset's ``(C, F)`` slice to every padded input
    position first, one GEMM giving ``K*F`` values a position, then sum the ``K`` planes, each
    shifted by its offset ("kn2row", Vasudevan et al. 2017). Nothing of size ``K*C`` a position
    is written, where im2col writes (and the GEMM reads) that many. Stride 1, one group. The
    planes come out offset-major, ``(K, F, b, *padded)``, so each shifted sum adds long runs.
    The kernel gradient is im2col's."""

    name = "kn2row"

    @staticmethod
    def kernel_matrix(plan, kernel, bias):
        """``(*k, C, F)`` -> ``(K*F, C)``, and the bias left to add."""
        w = kernel.reshape(plan.kcount, plan.cin, plan.filters).transpose(0, 2, 1)
        return np.ascontiguousarray(w.reshape(-1, plan.cin), dtype=plan.dtype), bias

    @staticmethod
    def forward(plan, xc, w, yc, buf):
        b, f, spatial = xc.shape[0], plan.filters, xc.shape[1:-1]
        positions = math.prod(spatial) * b
        z = scratch("conv.kn2row", w.shape[0] * positions, plan.dtype)
        z = np.matmul(w, xc.reshape(positions, plan.cin).T, out=z.reshape(-1, positions))
        z = z.reshape(plan.kcount, f, b, *spatial)
        if f == 1:
            acc = yc.reshape(1, b, *plan.out)
        else:
            acc = scratch("conv.kn2row_sum", yc.size, plan.dtype).reshape(f, b, *plan.out)
        ranges = itertools.product(*(range(k) for k in plan.ksize))
        for o, offset in enumerate(ranges):
            window = z[(o, slice(None), slice(None)) + tuple(
                slice(i * d, i * d + n) for i, d, n in zip(offset, plan.dilation, plan.out))]
            if o == 0:
                np.copyto(acc, window)
            else:
                np.add(acc, window, out=acc)
        if f > 1:
            yc.reshape(b, *plan.out, f)[...] = np.moveaxis(acc, 0, -1)


PATCHES = {plan.name: plan for plan in (Im2col, Kmajor, Kn2row, Pairs, Pointwise)}
