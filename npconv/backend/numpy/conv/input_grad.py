"""The input gradient ``gx`` of one chunk from its output gradient ``gy``: ``col2im`` or ``full``.

This is also the forward of the transposed convolution (``functions.conv_transpose``), which
is the convolution's input gradient evaluated at ``gy = x``.

    col2im   d_o (M, C) = gy @ W_o^T            one GEMM per kernel offset o (and group)
             gx[window of o] += d_o             one strided add per offset
    full     gcols (M', K*F) = the patches of gy inside a zero border of (k - 1) * dilation
             gx (M', C) = gcols @ flip(W)^T    one GEMM, no col2im

``full`` is the stride-1 "full" correlation of gy with the flipped kernel; it builds patches of
gy (K*F entries a row) instead of adding K times into gx (C entries), so it wins while there
are no more filters than channels (``plan.choose_plan``). Its patches also give the kernel
gradient without an im2col of x (``Full.kernel_grad``).
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from ..threads import scratch
from .patches import by_group, strided

__all__ = ["Col2im", "Full", "INPUT_GRADS", "input_grad_chunk"]


class Col2im:
    """One GEMM per kernel offset (and group), then col2im: each offset's ``(M, C)`` gradient
    added into the strided slice of gx that its window read."""

    name = "col2im"

    @staticmethod
    def kernel_matrix(plan, kernel):
        """``(*k, Cg, G*Fg)`` -> ``(K, G, Fg, Cg)``: each offset's gradient comes out as one
        contiguous ``(M, C)`` block, so col2im adds long runs."""
        wt = kernel.reshape(plan.kcount, plan.cg, plan.groups, plan.fg).transpose(0, 2, 3, 1)
        return np.ascontiguousarray(wt, dtype=plan.dtype)

    @staticmethod
    def chunk(plan, gyc, dx, wt, cols_buf):
        """``dx`` (``(b, *padded, C)``) = the input gradient of the chunk's ``gyc`` (``(M, F)``)."""
        b, k, cin = dx.shape[0], plan.kcount, plan.cin
        m = b * plan.positions
        dcols = cols_buf[: k * m * cin].reshape(k, m, cin)
        np.matmul(by_group(gyc, plan.groups), wt, out=by_group(dcols, plan.groups))
        dcols = dcols.reshape(k, b, *plan.out, cin)
        dx.fill(0)
        for o, offset in enumerate(itertools.product(*(range(n) for n in plan.ksize))):
            index = (slice(None),) + tuple(
                slice(i * d, i * d + (n - 1) * s + 1, s)
                for i, d, n, s in zip(offset, plan.dilation, plan.out, plan.strides))
            dx[index] += dcols[o]
        return None


class Full:
    """The stride-1 full correlation of gy with the flipped kernel (one group)."""

    name = "full"

    @staticmethod
    def kernel_matrix(plan, kernel):
        """``(*k, C, F)`` flipped on every spatial axis -> ``(K*F, C)``."""
        flip = kernel[(slice(None, None, -1),) * len(plan.ksize)]
        return np.ascontiguousarray(
            np.swapaxes(flip, -1, -2).reshape(plan.kcount * plan.filters, plan.cin),
            dtype=plan.dtype)

    @staticmethod
    def chunk(plan, gyc, dx, wt, cols_buf):
        """``dx`` = the input gradient of the chunk's ``gyc``; returns the patches of gy,
        ``(M', K*F)``, row p holding gy[p - o] for the flipped offsets o (valid until the next
        call on this thread)."""
        b, f = dx.shape[0], plan.filters
        border = [(k - 1) * d for k, d in zip(plan.ksize, plan.dilation)]
        shape = (b, *(o + 2 * e for o, e in zip(plan.out, border)), f)
        buf = scratch("conv.gypad", math.prod(shape), plan.dtype).reshape(shape)
        buf.fill(0)
        buf[(slice(None), *(slice(e, e + o) for e, o in zip(border, plan.out)))] = (
            gyc.reshape(b, *plan.out, f))
        sb, *ss, sc = buf.strides
        wshape = (b, *plan.padded, *plan.ksize, f)
        windows = strided(buf, wshape, (sb, *ss, *(s * d for s, d in zip(ss, plan.dilation)), sc))
        cols = scratch("conv.gcols", windows.size, plan.dtype).reshape(wshape)
        np.copyto(cols, windows)
        cols = cols.reshape(-1, plan.kcount * f)
        np.matmul(cols, wt, out=dx.reshape(-1, plan.cin))
        return cols

    @staticmethod
    def kernel_grad(plan, xc, gcols, part):
        """``part`` (``(C, K*F)``) = ``xc^T @ gcols``: gw[o] = sum_p x[p]^T gy[p - o], and row p of
        the patches of gy holds gy[p - o] for every offset o (x read in place, so p runs over
        the same positions)."""
        return np.matmul(xc.reshape(-1, plan.cin).T, gcols, out=part)

    @staticmethod
    def kernel_grad_layout(plan, gw):
        """``(C, K*F)``, offsets flipped -> ``(1, K*C, F)``, as ``Im2col.kernel_grad`` sums."""
        gw = gw.reshape(plan.cin, plan.kcount, plan.filters)[:, ::-1].transpose(1, 0, 2)
        return np.ascontiguousarray(gw).reshape(1, plan.kcount * plan.cin, plan.filters)


INPUT_GRADS = {plan.name: plan for plan in (Col2im, Full)}


def input_grad_chunk(plan, wt, gyc, n0, n1, gx, dx_buf, cols_buf):
    """``gx[n0:n1]`` = the input gradient of samples ``[n0, n1)`` from their output gradient
    ``gyc`` (``(M, F)``, channels last, contiguous), by ``plan.input_grad`` with its
    ``kernel_matrix`` ``wt``. Written in place when x is read in place (``plan.direct``), else
    into the padded chunk ``dx_buf`` and its interior copied out. Returns ``full``'s patches of gy
    when written in place, else ``None``."""
    direct = plan.direct
    dx = gx[n0:n1] if direct else plan.padded_chunk(dx_buf, n1 - n0)
    gcols = INPUT_GRADS[plan.input_grad].chunk(plan, gyc, dx, wt, cols_buf)
    if not direct:
        plan.to_last(gx[n0:n1])[...] = plan.interior(dx)
        return None
    return gcols
