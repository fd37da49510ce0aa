"""``conv_pool``: a convolution's output max-pooled chunk by chunk, while it is in cache.

For inference (``functions.conv.conv_max_pool``): a ``Conv*D`` followed by a
``MaxPooling*D(pool, strides=pool, padding='valid')``. The bias and a ReLU run after the pooling,
on a fraction of the values: max commutes with adding the same bias and with ReLU (both
monotone, rounding included), so the numbers are the two ops' bit for bit.
"""

from __future__ import annotations

import math

import numpy as np

from ..threads import scratch

__all__ = ["max_pool_chunk"]


def max_pool_chunk(a, pool, out):
    """``out`` = the maximum over each ``pool`` window of ``a`` (``(b, *spatial, C)``; windows
    tile it from the start, a remainder left out, as 'valid' pooling with strides equal to the
    pool), one spatial axis at a time: the rows first, whose slices are long contiguous runs,
    then the rest on arrays already cut by the first. Returns ``out``."""
    r = len(pool)
    for axis, p in enumerate(pool, start=1):
        n = a.shape[axis] // p
        shape = (*a.shape[:axis], n, *a.shape[axis + 1:])
        dst = out if axis == r else scratch(f"conv.pool{axis}", math.prod(shape),
                                            a.dtype).reshape(shape)
        lead = (slice(None),) * axis

        def take(q, a=a, lead=lead, n=n, p=p):
            return a[lead + (slice(q, q + p * (n - 1) + 1, p),)]

        if p == 1:
            np.copyto(dst, take(0))
        else:
            np.maximum(take(0), take(1), out=dst)
            for q in range(2, p):
                np.maximum(dst, take(q), out=dst)
        a = dst
    return out
