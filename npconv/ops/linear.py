"""The dense (fully connected) op: ``y = x @ kernel + bias`` with Keras's layout.

``x`` has shape ``(..., in)``, ``kernel`` ``(in, out)``, ``bias`` ``(out,)``; ``y`` has shape
``(..., out)``. Every rank is one GEMM: the leading axes are folded into the rows of a 2-D
matrix (a free reshape of a C-contiguous array), so ``(batch, time, in)`` costs the same as
``(batch * time, in)``. Backward is two more GEMMs and a column sum, each computed only when
that input needs a gradient (the first layer's ``x`` never does; a frozen kernel neither).

``dense_reference`` is the plain ``einsum`` statement of the same arithmetic, kept to test the
fast path against.
"""

from __future__ import annotations

from ..autograd import Function
from ..backend import xp

__all__ = ["dense", "dense_reference", "Dense"]


class Dense(Function):
    """``x @ kernel (+ bias)``; inputs ``(x, kernel)`` or ``(x, kernel, bias)``."""

    def forward(self, x, kernel, bias=None):
        if x.ndim < 1 or kernel.ndim != 2 or x.shape[-1] != kernel.shape[0]:
            raise ValueError(
                f"dense expects x of shape (..., {kernel.shape[0] if kernel.ndim == 2 else 'in'})"
                f" and kernel of shape (in, out), got x {x.shape} and kernel {kernel.shape}"
            )
        if bias is not None and bias.shape != (kernel.shape[1],):
            raise ValueError(
                f"dense expects bias of shape ({kernel.shape[1]},), got {bias.shape}"
            )
        if not xp.issubdtype(x.dtype, xp.floating):
            x = x.astype(kernel.dtype)
        lead = x.shape[:-1]
        x2 = x.reshape(-1, x.shape[-1])
        y = x2 @ kernel
        if bias is not None:
            y += bias
        needs = self.needs_grad
        if needs and needs[0]:
            self.kernel = kernel
        if needs and needs[1]:
            self.x2 = x2
        self.lead = lead
        return y.reshape(*lead, kernel.shape[1])

    def backward(self, gy):
        needs = self.needs_grad
        g2 = gy.reshape(-1, gy.shape[-1])
        gx = (g2 @ self.kernel.T).reshape(*self.lead, -1) if needs[0] else None
        gk = self.x2.T @ g2 if needs[1] else None
        if len(needs) == 3:
            gb = g2.sum(axis=0) if needs[2] else None
            return gx, gk, gb
        return gx, gk


def dense(x, kernel, bias=None):
    """``x @ kernel + bias`` for ``x`` of shape ``(..., in)`` and a Keras kernel ``(in, out)``."""
    if bias is None:
        return Dense()(x, kernel)
    return Dense()(x, kernel, bias)


def dense_reference(x, kernel, bias=None):
    """The same product on plain arrays, by ``einsum`` (no autograd): for tests."""
    y = xp.einsum("...i,io->...o", xp.asarray(x), xp.asarray(kernel))
    return y if bias is None else y + xp.asarray(bias)
