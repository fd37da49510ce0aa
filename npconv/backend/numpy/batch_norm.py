"""Batch normalization in training mode on the CPU: the statistics in one pass over the data,
the output in one more, and the backward in two.

``functions.normalization.BatchNormTrain`` states the arithmetic; this module is how it runs
fast on NumPy arrays. The data is viewed as ``(A, C, B)``: ``C`` the channels, ``A`` the
product of the axes before the channel axis and ``B`` of those after it (``B = 1`` for
channels-last data, the common case: then each row of the ``(A, C)`` matrix is one position).
Rows are taken a cache-sized block at a time (``BLOCK`` elements), blocks are spread over
npconv's threads (``threads.parallel``), and every per-channel sum is a BLAS matrix-vector
product with a vector of ones, which reads the block once at memory speed (a NumPy reduction
over the leading axis of a 16-channel block runs 16-element inner loops, several times slower).

Forward (``train_forward``): for each block, ``d = x - K`` (``K`` per channel: the mean of the
first block, so ``d`` is of the order of the spread and ``E[d^2] - E[d]^2`` does not cancel as
``E[x^2] - E[x]^2`` would for data far from zero), then the sums of ``d`` and ``d * d``, each
block's in the array's dtype and their total in float64. Then

    mean = K + sum(d) / n,   var = sum(d * d) / n - (sum(d) / n)^2      (biased, as Keras)
    y = x * scale + shift,   scale = gamma / sqrt(var + eps),  shift = beta - mean * scale

block by block (``relu=True``: ``max(y, 0)`` in the same pass, for a ReLU that follows).

Backward (``train_backward``), ``g`` the upstream gradient (masked by ``y > 0`` for a fused
ReLU): one pass for the two channel sums and the first term of ``gx``,

    d_beta = sum(g),   d_gamma = sum(g * (x - mean)) * inv,   gx = g * gamma * inv

and one pass adding the rest, ``gx += (x - mean) * p + q`` with ``p = -gamma * inv^2 * d_gamma
/ n`` and ``q = -gamma * inv * d_beta / n`` per channel. ``x_hat`` is never stored: it is
recomputed in cache from ``x`` (which the op keeps instead).
"""

from __future__ import annotations

import math

import numpy as np

from . import threads
from .threads import blas_threads, parallel, scratch

__all__ = ["applies", "channel_view", "train_forward", "train_backward"]

BLOCK = 1 << 16  # elements per block: 256 KiB of float32, which stays in a core's L2 cache
WIDE = 1024  # channels-last rows are grouped k at a time into rows of about this many elements


def applies(x) -> bool:
    """Whether these kernels take ``x``: a non-empty NumPy float32/float64 array."""
    return isinstance(x, np.ndarray) and x.dtype in (np.float32, np.float64) and x.size > 0


def channel_view(x, axis):
    """``x`` as a C-contiguous ``(A, C, B)`` array (a view when ``x`` is contiguous)."""
    shape = x.shape
    a, b = math.prod(shape[:axis]), math.prod(shape[axis + 1:])
    return np.ascontiguousarray(x).reshape(a, shape[axis], b)


class _Part:
    """Rows ``lo:hi`` of an ``(A, C, B)`` array, seen so that NumPy's inner loops are long.

    Channels last (``B = 1``): ``k`` consecutive rows form one row of ``k * C`` elements and
    per-channel vectors are tiled ``k`` times (a ``(m, 16)`` block times a 16-vector runs
    16-element inner loops, a third slower than 1,024-element ones). Otherwise ``k = 0``: the
    ``(m, C, B)`` block as it is, vectors shaped ``(1, C, 1)``."""

    def __init__(self, lo, hi, k, c, b):
        self.lo, self.hi, self.k, self.c, self.b = lo, hi, k, c, b
        self.width = k * c if k else c * b
        self.rows = (hi - lo) // k if k else hi - lo

    def view(self, arr3):
        block = arr3[self.lo:self.hi]
        return block.reshape(self.rows, self.width) if self.k else block

    def vector(self, v, dtype):
        if not self.k:
            return np.asarray(v, dtype).reshape(1, self.c, 1)
        out = np.empty(self.width, dtype)  # v tiled k times (np.tile costs 10x more here)
        out.reshape(self.k, self.c)[...] = v
        return out

    def sums(self, block, ones):
        """Per-channel sums of ``block`` (rows of this part's view), in its dtype."""
        m = block.shape[0]
        if self.k:
            return (ones[:m] @ block).reshape(self.k, self.c).sum(axis=0)
        if self.b == 1:
            return ones[:m] @ block.reshape(m, self.c)
        return ones[:m] @ (block.reshape(m * self.c, self.b) @ ones[:self.b]).reshape(m, self.c)


def _parts(a, c, b):
    if b > 1 or c >= WIDE:
        return [_Part(0, a, 0, c, b)]
    k = max(1, min(WIDE // c, a))
    main = a // k * k
    parts = [_Part(0, main, k, c, b)]
    if main < a:
        parts.append(_Part(main, a, 1, c, b))
    return parts


def _blocks(fn, part):
    """Run ``fn(part, lo, hi)`` over blocks of rows of ``part``'s view (about ``BLOCK``
    elements each), spread over npconv's threads; returns the per-block results in order."""
    rows = max(1, BLOCK // part.width)

    def piece(lo, hi):
        return [fn(part, i, min(i + rows, hi)) for i in range(lo, hi, rows)]

    if part.rows <= rows or threads.num_threads() == 1:
        return piece(0, part.rows)  # the caller holds BLAS at one thread (_one_blas_thread)
    return [r for out in parallel(piece, part.rows, min_size=rows, grain=rows) for r in out]


def _total(sums):
    """The float64 sum of a list of per-channel sums."""
    if len(sums) == 1:
        return sums[0].astype(np.float64)
    return np.add.reduce(np.asarray(sums, np.float64), axis=0)


def _one_blas_thread(kernel):
    """Run ``kernel`` with BLAS at one thread, as ``threads.parallel`` runs its pieces (here
    set once per call rather than once per pass, which for a small input costs more than the
    arithmetic)."""
    def run(*args, **kwargs):
        previous = blas_threads(1)
        try:
            return kernel(*args, **kwargs)
        finally:
            if previous is not None and previous != 1:
                blas_threads(previous)

    run.__name__, run.__doc__ = kernel.__name__, kernel.__doc__
    return run


def _each(fn, parts):
    return [r for part in parts for r in _blocks(fn, part)]


def _ones(c, b, dtype):
    """Enough ones for any block's sums: blocks have at most ``BLOCK // (c * b)`` rows."""
    return np.ones(max(BLOCK // (c * b), b, 1), dtype)


def _scratch(key, block, dtype):
    return scratch(key, block.size, dtype).reshape(block.shape)


@_one_blas_thread
def train_forward(x3, gamma, beta, epsilon, relu=False):
    """Batch statistics and output of ``x3`` (``(A, C, B)``, contiguous).

    Returns ``(y3, mean, var, inv)``: the output (a new ``(A, C, B)`` array), the batch mean
    and biased variance in float64 and ``inv = 1 / sqrt(var + epsilon)`` in ``x3``'s dtype.
    ``gamma`` / ``beta``: ``(C,)`` arrays or ``None``."""
    a, c, b = x3.shape
    dtype = x3.dtype
    parts = _parts(a, c, b)
    ones = _ones(c, b, dtype)
    first = x3[:max(1, BLOCK // (c * b))]
    k0 = _Part(0, first.shape[0], 0, c, b).sums(first, ones) / (first.shape[0] * b)  # K

    def stats(part, lo, hi):
        xb = part.view(x3)[lo:hi]
        d = _scratch("bn_block", xb, dtype)
        np.subtract(xb, vectors[part][0], out=d)
        s1 = part.sums(d, ones)
        np.multiply(d, d, out=d)
        return s1, part.sums(d, ones)

    vectors = {p: [p.vector(k0, dtype)] for p in parts}
    sums = _each(stats, parts)
    n = a * b
    s1 = _total([s[0] for s in sums]) / n
    s2 = _total([s[1] for s in sums]) / n
    mean = k0.astype(dtype).astype(np.float64) + s1
    var = np.maximum(s2 - s1 * s1, 0.0)
    inv64 = 1.0 / np.sqrt(var + epsilon)
    scale = inv64 if gamma is None else inv64 * gamma
    shift = -mean * scale
    if beta is not None:
        shift += beta
    y3 = np.empty_like(x3)
    vectors = {p: (p.vector(scale, dtype), p.vector(shift, dtype)) for p in parts}

    def output(part, lo, hi):
        yb = part.view(y3)[lo:hi]
        scale_v, shift_v = vectors[part]
        np.multiply(part.view(x3)[lo:hi], scale_v, out=yb)
        yb += shift_v
        if relu:
            np.maximum(yb, 0, out=yb)

    _each(output, parts)
    return y3, mean, var, inv64.astype(dtype)


@_one_blas_thread
def train_backward(x3, y3, gy3, mean, inv, gamma, need_x, relu=False):
    """Gradients of ``train_forward`` for the upstream gradient ``gy3`` (``(A, C, B)``).

    ``mean``: the batch mean (float64, as ``train_forward`` returns it: ``x - mean`` is taken
    with it rounded to the dtype, and the rounding is corrected in float64 through ``d_beta``),
    ``inv``: ``1 / sqrt(var + eps)`` (both ``(C,)``), ``y3``: the
    forward's output (read only with ``relu=True``, for the ReLU's mask), ``need_x``: whether
    to compute ``gx``. Returns ``(gx3 or None, d_gamma, d_beta)``, the last two ``(C,)`` in
    float64."""
    a, c, b = x3.shape
    dtype = x3.dtype
    parts = _parts(a, c, b)
    ones = _ones(c, b, dtype)
    inv64 = inv.astype(np.float64)
    s = inv64 if gamma is None else inv64 * gamma
    gx3 = np.empty_like(x3) if need_x else None
    mean = np.asarray(mean, np.float64)
    rounded = mean.astype(dtype)
    off = rounded - mean  # x - mean = (x - rounded) + off
    vectors = {p: (p.vector(rounded, dtype), p.vector(s, dtype)) for p in parts}

    def upstream(part, lo, hi):
        """The block's upstream gradient: ``gy``, or ``gy * (y > 0)`` in a scratch buffer."""
        g = part.view(gy3)[lo:hi]
        if not relu:
            return g
        return np.multiply(g, part.view(y3)[lo:hi] > 0, out=_scratch("bn_grad", g, dtype))

    def sums(part, lo, hi):
        g = upstream(part, lo, hi)
        mean_v, s_v = vectors[part]
        xb = part.view(x3)[lo:hi]
        d = _scratch("bn_block", xb, dtype)
        s_beta = part.sums(g, ones)
        np.subtract(xb, mean_v, out=d)
        np.multiply(d, g, out=d)
        if need_x:
            np.multiply(g, s_v, out=part.view(gx3)[lo:hi])
        return s_beta, part.sums(d, ones)

    out = _each(sums, parts)
    d_beta = _total([o[0] for o in out])
    d_gamma = _total([o[1] for o in out]) + off * d_beta
    d_gamma *= inv64
    if need_x:
        n = a * b
        p = -s * inv64 * d_gamma / n
        q = -s * d_beta / n + p * off
        vectors = {pt: (pt.vector(rounded, dtype), pt.vector(p, dtype), pt.vector(q, dtype))
                   for pt in parts}

        def rest(part, lo, hi):
            mean_v, p_v, q_v = vectors[part]
            xb = part.view(x3)[lo:hi]
            d = _scratch("bn_block", xb, dtype)
            np.subtract(xb, mean_v, out=d)
            d *= p_v
            d += q_v
            part.view(gx3)[lo:hi] += d

        _each(rest, parts)
    return gx3, d_gamma, d_beta
