"""N-d convolution kernels in the array API standard: im2col by slicing, one batched matmul.

Channels last only (the functions move ``channels_first`` inputs before calling). With ``r``
spatial axes, ``K = prod(kernel_size)``, ``G`` groups of ``Cg`` channels and ``Fg`` filters,
``M = N * prod(out)`` output positions:

    forward   cols (G, M, K*Cg) = windows of padded x          (im2col)
              y    (G, M, Fg)   = cols @ W_g                    one batched GEMM
    backward  gW   (G, K*Cg, Fg) = cols^T @ gy
              gcols (G, M, K*Cg) = gy @ W_g^T;  gx = col2im(gcols)

``pads`` holds one ``(before, after)`` pair per spatial axis (``functions.padding.spatial_pads``),
``strides`` and ``dilation`` one int each.
"""

from __future__ import annotations

import math

from ..selection import array_namespace, check_same_device
from .windows import add_windows, windows


def _grouped_cols(x, kshape, strides, dilation, pads, groups):
    xp = array_namespace(x)
    cols = windows(x, kshape, strides, dilation, pads)  # (N, *out, K, C)
    out = cols.shape[1:-2]
    k, c = cols.shape[-2], cols.shape[-1]
    m = cols.shape[0] * math.prod(out)
    cg = c // groups
    cols = xp.reshape(cols, (m, k, groups, cg))
    cols = xp.reshape(xp.permute_dims(cols, (2, 0, 1, 3)), (groups, m, k * cg))
    return cols, out


def _grouped_kernel(kernel, groups):
    """Keras's ``(*kernel_size, Cg, F)`` as ``(G, K*Cg, Fg)``."""
    xp = array_namespace(kernel)
    k = math.prod(kernel.shape[:-2])
    cg, f = kernel.shape[-2], kernel.shape[-1]
    w = xp.reshape(kernel, (k, cg, groups, f // groups))
    return xp.reshape(xp.permute_dims(w, (2, 0, 1, 3)), (groups, k * cg, f // groups))


def _grouped_gy(gy, groups):
    xp = array_namespace(gy)
    f = gy.shape[-1]
    m = math.prod(gy.shape[:-1])
    g = xp.reshape(gy, (m, groups, f // groups))
    return xp.permute_dims(g, (1, 0, 2))  # (G, M, Fg)


def conv_forward(x, kernel, bias, strides, dilation, pads, groups=1):
    """``y = conv(x, kernel) + bias``: ``x`` ``(N, *spatial, C)``, ``kernel`` Keras's
    ``(*kernel_size, C // groups, F)``, ``bias`` ``(F,)`` or None -> ``(N, *out, F)``."""
    xp = array_namespace(x, kernel, bias)
    check_same_device(x, kernel, bias, name="conv_forward")
    kshape = kernel.shape[:-2]
    cols, out = _grouped_cols(x, kshape, strides, dilation, pads, groups)
    y = xp.matmul(cols, _grouped_kernel(kernel, groups))  # (G, M, Fg)
    y = xp.reshape(xp.permute_dims(y, (1, 0, 2)), (x.shape[0], *out, kernel.shape[-1]))
    return y if bias is None else y + bias


def conv_backward(x, kernel, gy, strides, dilation, pads, groups=1, need_x=True,
                  need_kernel=True, need_bias=True):
    """``(gx, g_kernel, g_bias)`` of ``conv_forward`` for the upstream gradient ``gy``
    ``(N, *out, F)``; an entry is None when its ``need_*`` is false (the first layer needs no
    ``gx``, a frozen kernel no ``g_kernel``)."""
    xp = array_namespace(x, kernel, gy)
    check_same_device(x, kernel, gy, name="conv_backward")
    kshape = kernel.shape[:-2]
    g = _grouped_gy(gy, groups)
    gx = g_kernel = g_bias = None
    if need_kernel:
        cols, _ = _grouped_cols(x, kshape, strides, dilation, pads, groups)
        gw = xp.matmul(xp.matrix_transpose(cols), g)  # (G, K*Cg, Fg)
        k, cg = math.prod(kshape), kernel.shape[-2]
        gw = xp.reshape(gw, (groups, k, cg, kernel.shape[-1] // groups))
        g_kernel = xp.reshape(xp.permute_dims(gw, (1, 2, 0, 3)), kernel.shape)
    if need_x:
        w = _grouped_kernel(kernel, groups)
        gcols = xp.matmul(g, xp.matrix_transpose(w))  # (G, M, K*Cg)
        k, cg = math.prod(kshape), kernel.shape[-2]
        out = gy.shape[1:-1]
        gcols = xp.reshape(gcols, (groups, gy.shape[0], *out, k, cg))
        r = len(out)
        # (G, N, *out, K, Cg) -> (N, *out, K, G, Cg): channel c = g * Cg + j, as in x
        order = (1, *range(2, 2 + r), 2 + r, 0, 3 + r)
        gcols = xp.reshape(xp.permute_dims(gcols, order), (gy.shape[0], *out, k, groups * cg))
        gx = add_windows(gcols, x.shape[1:-1], kshape, strides, dilation, pads)
    if need_bias:
        g_bias = xp.sum(gy, axis=tuple(range(gy.ndim - 1)))
    return gx, g_kernel, g_bias
