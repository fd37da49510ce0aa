"""Dropout (Srivastava et al. 2014) and DropConnect (Wan et al. 2013) as differentiable ops.

Both are *inverted*: in training, each element survives with probability ``1 - rate`` and the
survivors are scaled by ``1 / (1 - rate)``, so the expected value is unchanged and inference is
the identity — no rescaling at test time. The mask is drawn from ``npconv.backend.noise_rng()`` (so
``set_seed`` makes runs repeat) unless a ``seed`` is given, and is one array of ``x``'s dtype
holding ``0`` or ``1 / (1 - rate)``; backward multiplies the upstream gradient by the same mask.
"""

from __future__ import annotations

import math
import numbers

from ..autograd import Function, as_tensor
from ..backend import noise_rng as backend_rng
from ..backend import xp
from ..backend.numpy.threads import parallel, scratch
from . import _on_device

__all__ = ["dropout", "drop_connect", "dropout_mask", "Dropout", "BlockDropout"]


def _check_rate(rate, name):
    if isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not 0.0 <= rate < 1.0:
        raise ValueError(f"{name} rate must be a number in [0, 1), got {rate!r}")
    return float(rate)


def _generator(seed):
    if seed is None:
        return backend_rng()
    if isinstance(seed, xp.random.Generator):
        return seed
    return xp.random.default_rng(seed)


def _noise_shape(noise_shape, shape):
    """Keras's ``noise_shape``: ``None`` entries take ``x``'s size; every entry must be 1 (the
    mask is shared along that axis) or ``x``'s size."""
    if noise_shape is None:
        return tuple(shape)
    noise_shape = tuple(noise_shape)
    if len(noise_shape) != len(shape):
        raise ValueError(
            f"dropout noise_shape {noise_shape} must have one entry per axis of the input "
            f"of shape {tuple(shape)}"
        )
    out = tuple(n if m is None else int(m) for m, n in zip(noise_shape, shape))
    for m, n in zip(out, shape):
        if m not in (1, n):
            raise ValueError(
                f"dropout noise_shape {noise_shape} does not broadcast to the input of shape "
                f"{tuple(shape)}: each entry must be None, 1 or the input's size"
            )
    return out


# The mask is drawn in blocks of MASK_BLOCK elements, block i from its own generator seeded by
# the i-th of a run of seeds drawn from the caller's generator, so blocks can be drawn on
# npconv's threads (NumPy's generators release the GIL) and the mask depends on the seed only,
# never on the number of threads. Each element keeps iff a uniform 32-bit integer is at least
# round(rate * 2**32) (exact to 2**-32), from the raw 64-bit draws: 1.7x faster than
# ``random(dtype=float32) >= rate`` here, before the threads' 2x on two cores.
MASK_BLOCK = 1 << 18
# Elementwise products smaller than this stay on the calling thread.
PARALLEL_MIN = 1 << 16


class _Draws:
    """The random blocks of one mask of ``n`` elements: seeds drawn now from the caller's
    generator, and ``keep(b, out)`` writing block ``b``'s keep/drop bits (any thread)."""

    def __init__(self, n, rate, seed):
        self.n = n
        self.blocks = -(-n // MASK_BLOCK)
        self.seeds = _generator(seed).integers(0, 2**63, size=self.blocks, dtype=xp.int64)
        self.threshold = xp.uint32(min(round(rate * 2.0**32), 2**32 - 1))

    def span(self, b):
        return b * MASK_BLOCK, min(self.n, (b + 1) * MASK_BLOCK)

    def keep(self, b, out):
        lo, hi = self.span(b)
        raw = xp.random.PCG64(int(self.seeds[b])).random_raw((hi - lo + 1) // 2)
        xp.greater_equal(raw.view(xp.uint32)[: hi - lo], self.threshold, out=out)
        return out


def dropout_mask(shape, rate, dtype, seed=None):
    """An array of ``shape`` holding ``0`` with probability ``rate``, else ``1 / (1 - rate)``."""
    dtype = xp.dtype(dtype)
    if not xp.issubdtype(dtype, xp.floating):
        dtype = xp.dtype(xp.float64)
    draws = _Draws(math.prod(shape), rate, seed)
    mask = xp.empty(draws.n, dtype=dtype)
    scale = dtype.type(1.0 / (1.0 - rate))

    def piece(b0, b1):
        for b in range(b0, b1):
            lo, hi = draws.span(b)
            keep = draws.keep(b, scratch("dropout.keep", hi - lo, bool))
            xp.multiply(keep, scale, out=mask[lo:hi])

    parallel(piece, draws.blocks)
    return mask.reshape(shape)


def _product(a, mask):
    """``a * mask`` (mask broadcasting to ``a``), on npconv's threads when both are large."""
    if a.shape != mask.shape or a.size < PARALLEL_MIN or not (
            a.flags.c_contiguous and mask.flags.c_contiguous):
        return a * mask
    out = xp.empty(a.shape, dtype=xp.result_type(a.dtype, mask.dtype))
    fa, fm, fo = a.reshape(-1), mask.reshape(-1), out.reshape(-1)

    def piece(lo, hi):
        xp.multiply(fa[lo:hi], fm[lo:hi], out=fo[lo:hi])

    parallel(piece, a.size, min_size=PARALLEL_MIN)
    return out


class Dropout(Function):
    """``x * mask`` for a fixed ``mask`` that broadcasts to ``x`` (size 1 or ``x``'s size on
    every axis, so the product has ``x``'s shape)."""

    def __init__(self, mask):
        self.mask = mask

    def forward(self, x):
        return _product(x, self.mask)

    def backward(self, gy):
        return _product(gy, self.mask)


class BlockDropout(Function):
    """``x * mask`` with a mask of x's own shape (plain dropout), fused: each block of the mask
    is drawn, scaled and applied while it is in cache, on npconv's threads, and only its keep
    bits (one byte an element) are kept for the backward, which rebuilds each block's scaled
    mask the same way. The same numbers as ``Dropout(dropout_mask(...))``, with a quarter of its
    memory (the bits, not a float32 mask); measured on cifar10_cnn's (512, 32, 32, 32) float32
    activations, 2 threads, forward + backward: 43.0 -> 40.2 ms (best of 6, three alternated
    runs; the random draws are most of what is left), mask 67 -> 17 MB."""

    def __init__(self, rate, seed):
        self.rate, self.seed = rate, seed

    def forward(self, x):
        self.draws = draws = _Draws(x.size, self.rate, self.seed)
        self.scale = x.dtype.type(1.0 / (1.0 - self.rate))
        keep = xp.empty(x.size, dtype=bool)
        out = self._apply(x, keep, lambda b, lo, hi: draws.keep(b, keep[lo:hi]))
        self.keep = keep if self.needs_grad[0] else None
        return out

    def backward(self, gy):
        keep = self.keep
        gx = self._apply(xp.ascontiguousarray(gy), keep, lambda b, lo, hi: keep[lo:hi])
        self.release("keep")
        return gx

    def _apply(self, a, keep, bits):
        """``a * keep * scale``, block by block on the threads; ``bits(b, lo, hi)`` gives
        block b's keep bits (drawing them, in the forward)."""
        scale, draws = self.scale, self.draws
        out = xp.empty(a.shape, dtype=xp.result_type(a.dtype, scale))
        fa, fo = a.reshape(-1), out.reshape(-1)

        def piece(b0, b1):
            for b in range(b0, b1):
                lo, hi = draws.span(b)
                mask = scratch("dropout.mask", hi - lo, scale.dtype)
                xp.multiply(bits(b, lo, hi), scale, out=mask)
                xp.multiply(fa[lo:hi], mask, out=fo[lo:hi])

        parallel(piece, draws.blocks)
        return out


def dropout(x, rate, training=True, noise_shape=None, seed=None):
    """Inverted dropout: in training zero each value with probability ``rate`` and scale the
    rest by ``1 / (1 - rate)``; the identity when ``training`` is false or ``rate == 0``.

    ``noise_shape`` (Keras's): the shape of the mask, ``None`` entries meaning ``x``'s size; a 1
    shares one draw along that axis — ``(batch, 1, 1, channels)`` drops whole feature maps
    (``SpatialDropout2D``). ``seed``: ``None`` draws from ``npconv.backend.rng()``; an int gives
    the same mask on every call (as a Keras integer seed does); a ``numpy.random.Generator`` is
    used as is.
    """
    rate = _check_rate(rate, "dropout")
    x = as_tensor(x)
    shape = _noise_shape(noise_shape, x.shape)
    if not training or rate == 0.0:
        return x
    if type(x.data) is not _on_device.ndarray and _on_device.other_library(x):
        return _on_device.dropout(x, rate, shape, seed)  # the mask drawn by x's backend
    floating = xp.issubdtype(x.dtype, xp.floating)
    if floating and shape == tuple(x.shape) and x.data.flags.c_contiguous:
        return BlockDropout(rate, seed)(x)
    dtype = x.dtype if floating else xp.dtype("float32")
    return Dropout(dropout_mask(shape, rate, dtype, seed))(x)


def drop_connect(kernel, rate, training=True, seed=None):
    """DropConnect (Wan et al. 2013): drop *weights*, not activations.

    In training, each entry of ``kernel`` is zeroed with probability ``rate`` and the others
    scaled by ``1 / (1 - rate)`` — one fresh mask per call, i.e. per batch, shared by the batch's
    samples (the paper's per-sample masks cost a weight matrix per sample; per-batch masks are
    what common implementations use). The gradient reaches only the kept weights.

    At inference the kernel is returned unchanged: the mean-field weight ``E[mask * W] = W``.
    (The paper instead averages the layer's output over a Gaussian moment-matched
    approximation of the masked pre-activations; the mean-field choice is the common one and
    keeps inference a plain dense/conv layer.)
    """
    rate = _check_rate(rate, "drop_connect")
    kernel = as_tensor(kernel)
    if not training or rate == 0.0:
        return kernel
    return Dropout(dropout_mask(kernel.shape, rate, kernel.dtype, seed))(kernel)
