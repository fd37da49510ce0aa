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
from ..backend.numpy.threads import parallel
from . import _on_device

__all__ = ["dense", "dense_reference", "Dense"]


# Pieces of a product have at least this many multiply-adds (about 80 us of BLAS here): a
# hand-off to a worker costs 30-50 us on this loaded 2-core machine.
PARALLEL_MIN_MACS = 1 << 22


class Dense(Function):
    """``x @ kernel (+ bias)``; inputs ``(x, kernel)`` or ``(x, kernel, bias)``.

    ``activation='relu'`` fuses the ReLU that follows in a ``Dense(..., activation='relu')``
    layer: applied in place to the product, and in the backward the upstream gradient is masked
    by ``y > 0`` (what the separate ReLU's backward does). The GEMMs run on npconv's threads
    (``backend.numpy.threads``): rows of x for the forward and the input gradient, columns of the
    kernel for the kernel gradient, so no partial sums are added.
    """

    def __init__(self, activation=None):
        self.activation = activation

    def forward(self, x, kernel, bias=None):
        if type(x) is not _on_device.ndarray or type(kernel) is not _on_device.ndarray:
            return _on_device.dense_forward(self, x, kernel, bias)  # CuPy, array API
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
        rows, k_in, k_out = x2.shape[0], kernel.shape[0], kernel.shape[1]
        y = xp.empty((rows, k_out), dtype=xp.result_type(x2.dtype, kernel.dtype))
        relu = self.activation == "relu"

        def piece(lo, hi):
            yp = y[lo:hi]
            xp.matmul(x2[lo:hi], kernel, out=yp)
            if bias is not None:
                yp += bias
            if relu:
                xp.maximum(yp, 0, out=yp)

        parallel(piece, rows, min_size=_min_rows(k_in * k_out), split=1)
        needs = self.needs_grad
        if needs and needs[0]:
            self.kernel = kernel
        if needs and needs[1]:
            self.x2 = x2
        if relu and any(needs):
            self.y = y
        self.lead = lead
        return y.reshape(*lead, k_out)

    def backward(self, gy):
        if type(gy) is not _on_device.ndarray:
            return _on_device.dense_backward(self, gy)
        needs = self.needs_grad
        g2 = gy.reshape(-1, gy.shape[-1])
        if self.activation == "relu":
            g2 = g2 * (self.y > 0)
            self.release("y")
        rows, k_out = g2.shape
        gx = gk = None
        if needs[0]:
            kernel = self.kernel
            gx = xp.empty((rows, kernel.shape[0]), xp.result_type(g2.dtype, kernel.dtype))

            def piece_x(lo, hi):
                xp.matmul(g2[lo:hi], kernel.T, out=gx[lo:hi])

            parallel(piece_x, rows, min_size=_min_rows(kernel.size), split=1)
            gx = gx.reshape(*self.lead, -1)
        if needs[1]:
            x2 = self.x2
            gk = xp.empty((x2.shape[1], k_out), xp.result_type(x2.dtype, g2.dtype))

            def piece_k(lo, hi):
                xp.matmul(x2.T, g2[:, lo:hi], out=gk[:, lo:hi])

            parallel(piece_k, k_out, min_size=max(1, _min_rows(x2.size)), grain=8, split=1)
        if len(needs) == 3:
            gb = g2.sum(axis=0) if needs[2] else None
            return gx, gk, gb
        return gx, gk


def _min_rows(per_row):
    """Rows per thread below which a product stays on one thread."""
    return max(1, PARALLEL_MIN_MACS // max(per_row, 1))


def dense(x, kernel, bias=None, activation=None):
    """``x @ kernel + bias`` for ``x`` of shape ``(..., in)`` and a Keras kernel ``(in, out)``;
    ``activation='relu'`` returns ``relu(x @ kernel + bias)`` computed in one fused op."""
    if activation not in (None, "relu"):
        raise ValueError(f"dense: activation must be None or 'relu', got {activation!r}")
    if bias is None:
        return Dense(activation)(x, kernel)
    return Dense(activation)(x, kernel, bias)


def dense_reference(x, kernel, bias=None):
    """The same product on plain arrays, by ``einsum`` (no autograd): for tests."""
    y = xp.einsum("...i,io->...o", xp.asarray(x), xp.asarray(kernel))
    return y if bias is None else y + xp.asarray(bias)
