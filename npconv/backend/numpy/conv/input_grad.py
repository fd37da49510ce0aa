"""The input gradient ``gx`` of one chunk from its output gradient ``gy``: ``col2im``, ``full`` or
``pointwise``.

This is also the forward of the transposed convolution (``functions.conv_transpose``), which
is the convolution's input gradient evaluated at ``gy = x``.

    col2im   d_o (M, C) = gy @ W_o^T            one GEMM per kernel offset o (and group)
             gx[window of o] += d_o             one strided add per offset
    full     gcols (M', K*F) = the patches of gy inside a zero border of (k - 1) * dilation
                               less the padding, one row per position of x (M' of them)
             gx (M', C) = gcols @ flip(W)^T    one GEMM, no col2im
    pointwise gx (M, C) = gy @ W^T             1x1: one GEMM (strided: into every stride-th
                                               position, the others zero)

``full`` is the stride-1 "full" correlation of gy with the flipped kernel; it builds patches of
gy (K*F entries a row) instead of adding K times into gx (C entries), so it wins while there
are no more filters than channels (``plan.choose_plan``). Its patches also give the kernel
gradient without an im2col of x (``Full.kernel_grad``).

``full`` and ``pointwise`` write the positions of x itself; ``col2im`` those of the padded x
(its interior is then copied out unless x needed no padding).
"""

from __future__ import annotations

import itertools

import numpy as np

from ..threads import filled_scratch, scratch
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
        # The offsets below the stride on every axis (dilation 1; with stride 1 just the first
        # offset, any dilation) read disjoint positions that tile the box [0, stride * out) of
        # dx: those are written, not added, and only the rest of dx is zeroed. Needs the stride
        # no larger than the kernel on every axis, else dx is zeroed whole and all are added.
        tiles = all(s == 1 or (d == 1 and s <= n)
                    for s, d, n in zip(plan.strides, plan.dilation, plan.ksize))
        if tiles:
            for axis, (n, s) in enumerate(zip(plan.out, plan.strides), start=1):
                dx[(slice(None),) * axis + (slice(n * s, None),)] = 0
        else:
            dx.fill(0)
        for o, offset in enumerate(itertools.product(*(range(n) for n in plan.ksize))):
            index = (slice(None),) + tuple(
                slice(i * d, i * d + (n - 1) * s + 1, s)
                for i, d, n, s in zip(offset, plan.dilation, plan.out, plan.strides))
            if tiles and all(i < s for i, s in zip(offset, plan.strides)):
                dx[index] = dcols[o]
            else:
                dx[index] += dcols[o]
        return None


class Full:
    """The stride-1 full correlation of gy with the flipped kernel (one group), written at the
    positions of x (not of the padded x): gy sits inside a zero border of ``(k - 1) * d`` less
    the padding on each side (``choose_plan`` picks it only while that is not negative)."""

    name = "full"

    @staticmethod
    def kernel_matrix(plan, kernel):
        """``(*k, C, F)`` flipped on every spatial axis -> ``(K*F, C)``."""
        flip = kernel[(slice(None, None, -1),) * len(plan.ksize)]
        return np.ascontiguousarray(
            np.swapaxes(flip, -1, -2).reshape(plan.kcount * plan.filters, plan.cin),
            dtype=plan.dtype)

    @staticmethod
    def borders(plan):
        """Per spatial axis, the zero border ``(before, after)`` around gy."""
        return [((k - 1) * d - a, (k - 1) * d - b)
                for k, d, (a, b) in zip(plan.ksize, plan.dilation, plan.pads)]

    @staticmethod
    def chunk(plan, gyc, dx, wt, cols_buf):
        """``dx`` (``(b, *spatial, C)``) = the input gradient of the chunk's ``gyc``; returns the
        patches of gy, ``(M', K*F)``, row p holding gy[p + pad - o] for the flipped offsets o
        (valid until the next call on this thread)."""
        b, f = dx.shape[0], plan.filters
        border = Full.borders(plan)
        shape = (plan.chunk, *(o + a + e for o, (a, e) in zip(plan.out, border)), f)
        # the border is zeroed once, when the buffer is made (one per shape and border); only
        # gy's part is ever written
        buf = filled_scratch(("conv.gypad", tuple(border)), shape, plan.dtype)[:b]
        buf[(slice(None), *(slice(a, a + o) for (a, _), o in zip(border, plan.out)))] = (
            gyc.reshape(b, *plan.out, f))
        sb, *ss, sc = buf.strides
        wshape = (b, *plan.spatial, *plan.ksize, f)
        windows = strided(buf, wshape, (sb, *ss, *(s * d for s, d in zip(ss, plan.dilation)), sc))
        cols = scratch("conv.gcols", windows.size, plan.dtype).reshape(wshape)
        np.copyto(cols, windows)
        cols = cols.reshape(-1, plan.kcount * f)
        np.matmul(cols, wt, out=dx.reshape(-1, plan.cin))
        return cols

    @staticmethod
    def kernel_grad(plan, xc, gcols, part):
        """``part`` (``(C, K*F)``) = ``xc^T @ gcols``, ``xc`` the chunk's x unpadded and channels
        last: gw[o] = sum_p xpad[p + o]^T gy[p] = sum_i x[i]^T gy[i + pad - o], and row i of the
        patches of gy holds gy[i + pad - o] for every offset o (zero where outside gy)."""
        return np.matmul(xc.reshape(-1, plan.cin).T, gcols, out=part)

    @staticmethod
    def kernel_grad_layout(plan, gw):
        """``(C, K*F)``, offsets flipped -> ``(1, K*C, F)``, as ``Im2col.kernel_grad`` sums."""
        gw = gw.reshape(plan.cin, plan.kcount, plan.filters)[:, ::-1].transpose(1, 0, 2)
        return np.ascontiguousarray(gw).reshape(1, plan.kcount * plan.cin, plan.filters)


class Pointwise:
    """A 1x1 kernel, one group, no padding: gx at the positions the output read is gy @ W^T,
    and zero at the others (strides > 1)."""

    name = "pointwise"

    @staticmethod
    def kernel_matrix(plan, kernel):
        """``(1, .., 1, C, F)`` -> ``(F, C)``."""
        return np.ascontiguousarray(kernel.reshape(plan.cin, plan.filters).T, dtype=plan.dtype)

    @staticmethod
    def chunk(plan, gyc, dx, wt, cols_buf):
        """``dx`` (``(b, *spatial, C)``) = the input gradient of the chunk's ``gyc``."""
        if all(s == 1 for s in plan.strides):
            np.matmul(gyc, wt, out=dx.reshape(-1, plan.cin))
            return None
        d = cols_buf[: gyc.shape[0] * plan.cin].reshape(-1, plan.cin)
        np.matmul(gyc, wt, out=d)
        dx.fill(0)
        index = (slice(None),) + tuple(slice(0, (n - 1) * s + 1, s)
                                       for n, s in zip(plan.out, plan.strides))
        dx[index] = d.reshape(dx.shape[0], *plan.out, plan.cin)
        return None


INPUT_GRADS = {plan.name: plan for plan in (Col2im, Full, Pointwise)}


def input_grad_chunk(plan, wt, gyc, n0, n1, gx, dx_buf, cols_buf):
    """``gx[n0:n1]`` = the input gradient of samples ``[n0, n1)`` from their output gradient
    ``gyc`` (``(M, F)``, channels last, contiguous), by ``plan.input_grad`` with its
    ``kernel_matrix`` ``wt``. Written in place when it can be (``plan.gx_in_place``), else into
    the chunk buffer ``dx_buf`` (``plan.input_grad_buffer``) and copied out. Returns ``full``'s
    patches of gy (for the kernel gradient), else ``None``."""
    dx = gx[n0:n1] if plan.gx_in_place else dx_buf[: n1 - n0]
    gcols = INPUT_GRADS[plan.input_grad].chunk(plan, gyc, dx, wt, cols_buf)
    if not plan.gx_in_place:
        plan.to_last(gx[n0:n1])[...] = dx if plan.gx_interior else plan.interior(dx)
    return gcols
