"""``add_relu``: ``relu(a + b + ...)`` as one op, the end of a residual block.

A ResNet block ends with ``Activation('relu')(add([shortcut, residual]))``. As two ops that is
a pass writing the sum, a pass reading and writing it again for the ReLU, and in the backward
a pass masking the gradient plus the sum's. Here the sum and the ReLU run on one block of the
data at a time while it is in cache (blocks spread over npconv's threads), and the backward
masks the upstream gradient once, by ``y > 0``, and hands the same masked gradient to every
input (the sum's gradient is the identity for each). The numbers are those of the two ops:
the same additions in the same order, the same mask.

Shapes: every input has the output's shape (no broadcasting; ``layers.Add`` checks and falls
back to the two ops otherwise).
"""

from __future__ import annotations

import numpy as np

from ..autograd import Function, as_tensor
from ..backend import xp
from ..backend.numpy.threads import parallel

__all__ = ["add_relu", "AddReLU"]

BLOCK = 1 << 16  # elements per block (256 KiB of float32)


def _blockwise(fn, n):
    """``fn(lo, hi)`` over blocks of ``range(n)`` on npconv's threads."""
    def piece(lo, hi):
        for i in range(lo, hi, BLOCK):
            fn(i, min(i + BLOCK, hi))

    parallel(piece, n, min_size=BLOCK, grain=BLOCK)


class AddReLU(Function):
    """``relu(sum(xs))``; the backward gives each input ``gy * (y > 0)``."""

    def forward(self, *xs):
        if not all(isinstance(x, np.ndarray) and x.flags.c_contiguous for x in xs):
            y = xs[0] + xs[1]
            for x in xs[2:]:
                y += x
            xp.maximum(y, 0, out=y)
        else:
            y = np.empty(xs[0].shape, np.result_type(*xs))
            flat, ins = y.reshape(-1), [x.reshape(-1) for x in xs]

            def block(lo, hi):
                out = flat[lo:hi]
                np.add(ins[0][lo:hi], ins[1][lo:hi], out=out)
                for x in ins[2:]:
                    out += x[lo:hi]
                np.maximum(out, 0, out=out)

            _blockwise(block, y.size)
        if any(self.needs_grad):
            self.y = y
        return y

    def backward(self, gy):
        y = self.y
        if isinstance(gy, np.ndarray) and gy.flags.c_contiguous and y.flags.c_contiguous:
            g = np.empty_like(gy)
            flat, gflat, yflat = g.reshape(-1), gy.reshape(-1), y.reshape(-1)

            def block(lo, hi):
                np.multiply(gflat[lo:hi], yflat[lo:hi] > 0, out=flat[lo:hi])

            _blockwise(block, g.size)
        else:
            g = gy * (y > 0)
        return tuple(g if need else None for need in self.needs_grad)


def add_relu(*xs):
    """``relu(xs[0] + xs[1] + ...)`` in one op; every input must have the same shape."""
    if len(xs) < 2:
        raise ValueError(f"add_relu expects at least 2 inputs, got {len(xs)}")
    xs = [as_tensor(x) for x in xs]
    shapes = {tuple(x.shape) for x in xs}
    if len(shapes) != 1:
        raise ValueError(f"add_relu expects inputs of one shape, got {[x.shape for x in xs]}")
    return AddReLU()(*xs)
