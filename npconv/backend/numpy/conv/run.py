"""The convolution's forward, backward and input gradient on the CPU: the batch cut into chunks on
npconv's threads, each chunk run through the plans ``choose_plan`` named.

    forward   y[chunk]  = patches(x[chunk]) @ W   (+ bias, ReLU; conv_pool: max-pooled first)
    backward  gW       += patches(x[chunk])^T @ gy[chunk]     (patches recomputed, in cache)
              gx[chunk] = input gradient of gy[chunk]          (col2im or full)
              gb       += sum of gy[chunk]

The backward recomputes the patches instead of keeping the forward's (K times the input's
memory), computes no input gradient when x needs none (a first layer) and no kernel gradient
for a frozen kernel. Per-thread sums are added in piece order, so a result does not depend on
which thread ran which piece.
"""

from __future__ import annotations

import math

import numpy as np

from ..threads import filled_scratch, parallel, scratch
from .groups import block_diagonal, diagonal_blocks
from .input_grad import INPUT_GRADS, Full, input_grad_chunk
from .patches import PATCHES
from .pool import max_pool_chunk

__all__ = ["dense_kernel", "forward", "backward", "input_grad"]


def dense_kernel(plan, kernel):
    """The kernel the GEMMs take: under ``dense_groups`` (``plan.blocks > 1``) the grouped
    kernel's block-diagonal dense twin, else ``kernel`` itself."""
    return block_diagonal(kernel, plan.blocks) if plan.blocks > 1 else kernel


def forward(plan, x, kernel, bias=None, relu=False, pool=None, residual=None):
    """``y = conv(x, kernel) + bias``, then ``max(y, 0)`` when ``relu``, in x's layout.

    ``kernel`` is ``dense_kernel(plan, ...)``. ``pool`` (``conv_pool``, channels last): y
    max-pooled by ``pool`` windows with strides ``pool`` and no padding, chunk by chunk.
    ``residual`` (channels last, y's shape, no ``pool``): added to each chunk after the bias
    and before the ReLU, while the chunk is in cache (a residual block's ``add`` + ReLU)."""
    f = plan.filters
    patches = PATCHES[plan.patches]
    w, bias = patches.kernel_matrix(
        plan, kernel, None if bias is None else bias.astype(plan.dtype, copy=False))
    if pool is not None:
        shape = (plan.n, *(o // p for o, p in zip(plan.out, pool)), f)
    elif plan.channels_first:
        shape = (plan.n, f, *plan.out)
    else:
        shape = (plan.n, *plan.out, f)
    y = np.empty(shape, dtype=plan.dtype)

    size = plan.forward_chunk or plan.chunk

    def piece(lo, hi):
        padded, cols_buf = plan.padded_buffer(size), plan.cols_buffer()
        for n0, n1 in plan.chunks(lo, hi, size):
            m = (n1 - n0) * plan.positions
            if plan.channels_first or pool is not None:
                yc = scratch("conv.y", m * f, plan.dtype).reshape(m, f)
            else:
                yc = y[n0:n1].reshape(m, f)
            patches.forward(plan, plan.source(x, n0, n1, padded), w, yc, cols_buf)
            if pool is not None:
                yc = max_pool_chunk(yc.reshape(n1 - n0, *plan.out, f), pool, y[n0:n1])
            if bias is not None:
                yc += bias
            if residual is not None:
                yc += residual[n0:n1].reshape(m, f)
            if relu:
                np.maximum(yc, 0, out=yc)
            if plan.channels_first:
                plan.to_last(y[n0:n1])[...] = yc.reshape(n1 - n0, *plan.out, f)

    parallel(piece, plan.n, min_size=plan.min_piece())
    return y


def backward(plan, x, kernel, gy, need_x=True, need_w=True, need_b=True, y=None):
    """``(gx, gkernel, gbias)`` of ``forward(plan, x, kernel, bias, relu)`` for the output
    gradient ``gy``; ``None`` for those not needed. ``y``: the forward's output when it applied
    the ReLU (gy is masked by ``y > 0``, chunk by chunk). ``x`` is needed for ``need_w``,
    ``kernel`` (``dense_kernel``'s) for ``need_x``. ``gkernel`` comes in the grouped layout."""
    g, k, cin, f = plan.groups, plan.kcount, plan.cin, plan.filters
    if need_x:
        wt = INPUT_GRADS[plan.input_grad].kernel_matrix(plan, kernel)
        shape = (plan.n, cin, *plan.spatial) if plan.channels_first else (
            plan.n, *plan.spatial, cin)
        gx = np.empty(shape, dtype=plan.xdtype)  # each chunk written whole by input_grad_chunk
    shared = need_w and need_x and plan.shared_kernel_grad
    patches = PATCHES[plan.patches]

    def piece(lo, hi):
        gw = gb = part = padded = None
        if need_w:
            wshape = (cin, k * f) if shared else (g, k * plan.cg, plan.fg)
            part = scratch("conv.part", math.prod(wshape), plan.dtype).reshape(wshape)
            padded = plan.padded_buffer()
        if need_b:
            ones = filled_scratch("conv.ones", (1, plan.chunk * plan.positions), plan.dtype, 1)
        dx_buf = plan.input_grad_buffer() if need_x else None
        cols_buf = plan.cols_buffer()
        for n0, n1 in plan.chunks(lo, hi):
            m = (n1 - n0) * plan.positions
            gyc = _chunk_gradient(plan, gy, y, n0, n1)
            if need_b:
                gb = _accumulate(gb, np.matmul(ones[:, :m], gyc))  # a GEMV: faster than sum
            # the first chunk's kernel gradient is written as the sum (no zeroed sum to add it
            # to); the later ones go through ``part`` and are added
            out = part if gw is not None else np.empty(part.shape, plan.dtype) if need_w else None
            if need_w and not shared:
                xc = plan.source(x, n0, n1, padded)
                gw = _accumulate(gw, patches.kernel_grad(plan, xc, gyc, out, cols_buf))
            if need_x:
                gcols = input_grad_chunk(plan, wt, gyc, n0, n1, gx, dx_buf, cols_buf)
                if shared:
                    xc = plan.x_last(x, n0, n1)
                    gw = _accumulate(gw, Full.kernel_grad(plan, xc, gcols, out))
        return gw, gb

    parts = parallel(piece, plan.n, min_size=plan.min_piece())
    gw = gb = None
    for pw, pb in parts:  # summed in piece order: the same result on any thread count
        gw = pw if gw is None else gw + pw
        gb = pb if gb is None else gb + pb
    if need_w:
        if shared:
            gw = Full.kernel_grad_layout(plan, gw)
        gw = gw.transpose(1, 0, 2).reshape(*plan.ksize, plan.cg, f)
        if plan.blocks > 1:
            gw = diagonal_blocks(gw, plan.blocks)
        gw = gw.astype(plan.kdtype, copy=False)
    return (gx if need_x else None, gw, None if gb is None else gb.reshape(-1))


def _accumulate(total, term):
    """``total += term``, or ``term`` itself (a fresh array) when it is the first."""
    if total is None:
        return term
    total += term
    return total


def _chunk_gradient(plan, gy, y, n0, n1):
    """Samples ``[n0, n1)`` of gy as a contiguous channels-last ``(M, F)`` matrix; with ``y``
    (the fused ReLU's output) masked by ``y > 0``, as the separate ReLU's backward would."""
    gyc = plan.to_last(gy[n0:n1])
    m = (n1 - n0) * plan.positions
    if y is None:
        return np.ascontiguousarray(gyc, dtype=plan.dtype).reshape(m, plan.filters)
    buf = scratch("conv.gy", gyc.size, plan.dtype).reshape(gyc.shape)
    mask = scratch("conv.mask", gyc.size, bool).reshape(gyc.shape)
    np.greater(plan.to_last(y[n0:n1]), 0, out=mask)
    np.multiply(gyc, mask, out=buf)
    return buf.reshape(m, plan.filters)


def input_grad(plan, kernel, gy, gx, bias=None):
    """``gx`` (an x-shaped array, written whole) = the input gradient of the convolution
    ``plan`` describes at the output gradient ``gy``, plus ``bias`` (per channel of gx): the
    transposed convolution's forward."""
    wt = INPUT_GRADS[plan.input_grad].kernel_matrix(plan, kernel)
    bias = None if bias is None else bias.astype(plan.dtype, copy=False)

    def piece(lo, hi):
        cols_buf, dx_buf = plan.cols_buffer(), plan.input_grad_buffer()
        for n0, n1 in plan.chunks(lo, hi):
            gyc = _chunk_gradient(plan, gy, None, n0, n1)
            input_grad_chunk(plan, wt, gyc, n0, n1, gx, dx_buf, cols_buf)
            if bias is not None:
                plan.to_last(gx[n0:n1])[...] += bias  # while the chunk is in cache

    parallel(piece, plan.n, min_size=plan.min_piece())
    return gx
