"""Max and average pooling kernels in the array API standard (channels last, N-d).

Padding follows TensorFlow: a padded position is never part of a window, so max pooling pads
with ``-inf`` and average pooling divides by the number of real inputs in each window
(``count_include_pad=False``). Max pooling also returns, per output, the offset (0..K-1,
row-major in the window) of the element it took: the first maximum, as ``argmax`` defines it,
so a tied maximum's gradient goes to one element, the first in window order (TensorFlow's rule,
and the NumPy backend's).
"""

from __future__ import annotations

import math

from ..selection import array_namespace, check_same_device
from .windows import add_windows, windows


def _ones(pool):
    """No dilation: a pooling window is contiguous."""
    return (1,) * len(pool)


def max_pool_forward(x, pool, strides, pads):
    """``(y, argmax)``: ``x`` ``(N, *spatial, C)`` -> ``y`` ``(N, *out, C)`` and ``argmax``
    (same shape, integer offsets into the window)."""
    xp = array_namespace(x)
    cols = windows(x, pool, strides, _ones(pool), pads, fill=-xp.inf)  # (N, *out, K, C)
    return xp.max(cols, axis=-2), xp.argmax(cols, axis=-2)


def max_pool_backward(gy, argmax, x_shape, pool, strides, pads):
    """The input gradient of ``max_pool_forward``: ``gy`` sent to each window's chosen
    element (summed where overlapping windows chose the same one)."""
    xp = array_namespace(gy, argmax)
    check_same_device(gy, argmax, name="max_pool_backward")
    k = math.prod(pool)
    picks = xp.arange(k, device=gy.device)
    picks = xp.reshape(picks, (k, 1))
    chosen = xp.expand_dims(argmax, axis=-2) == picks  # (N, *out, K, C)
    cols = xp.where(chosen, xp.expand_dims(gy, axis=-2), xp.zeros((), dtype=gy.dtype,
                                                                    device=gy.device))
    return add_windows(cols, tuple(x_shape[1:-1]), pool, strides, _ones(pool), pads)


def _counts(xp, spatial, pool, strides, pads, dtype, device):
    """Real inputs per window, ``(1, *out, 1)``."""
    ones = xp.ones((1, *spatial, 1), dtype=dtype, device=device)
    return xp.sum(windows(ones, pool, strides, _ones(pool), pads), axis=-2)


def avg_pool_forward(x, pool, strides, pads):
    """The mean of each window's real inputs: ``(N, *spatial, C)`` -> ``(N, *out, C)``."""
    xp = array_namespace(x)
    cols = windows(x, pool, strides, _ones(pool), pads)
    count = _counts(xp, x.shape[1:-1], pool, strides, pads, x.dtype, x.device)
    return xp.sum(cols, axis=-2) / count


def avg_pool_backward(gy, x_shape, pool, strides, pads):
    """The input gradient of ``avg_pool_forward``: each window's ``gy / count`` spread over its
    real inputs."""
    xp = array_namespace(gy)
    spatial = tuple(x_shape[1:-1])
    count = _counts(xp, spatial, pool, strides, pads, gy.dtype, gy.device)
    g = xp.expand_dims(gy / count, axis=-2)
    k = math.prod(pool)
    cols = xp.broadcast_to(g, (*gy.shape[:-1], k, gy.shape[-1]))
    return add_windows(cols, spatial, pool, strides, _ones(pool), pads)
