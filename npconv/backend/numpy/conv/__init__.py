"""The convolution's CPU kernels, as named plans (see ``plan.choose_plan``).

- ``plan``: ``choose_plan`` and ``ConvPlan`` (shapes, chunks, buffers), the thresholds;
- ``patches``: the forward's GEMM layouts ``im2col``, ``kmajor``, ``pairs``, ``pointwise`` (and
  the kernel gradient from the same patches);
- ``groups``: ``dense_groups`` (a small grouped convolution as the dense one);
- ``input_grad``: the input gradient as ``col2im``, ``full`` or ``pointwise`` (also the
  transposed convolution's forward);
- ``pool``: ``conv_pool``, a convolution's output max-pooled chunk by chunk;
- ``run``: ``forward``, ``backward`` and ``input_grad`` over the batch, on npconv's threads.

``functions.conv`` and ``functions.conv_transpose`` are the readable differentiable ops that
call these. ``conv_forward`` / ``conv_backward`` are the same kernels behind the backend entry
points every backend's kernel module exports (channels last; see ``npconv.backend.generic``).
"""

from .plan import ConvPlan, choose_plan
from .run import backward, dense_kernel, forward, input_grad

__all__ = ["ConvPlan", "choose_plan", "forward", "backward", "input_grad", "dense_kernel",
           "conv_forward", "conv_backward"]


def conv_forward(x, kernel, bias, strides, dilation, pads, groups=1):
    """``y = conv(x, kernel) + bias``: ``x`` ``(N, *spatial, C)``, ``kernel`` Keras's
    ``(*kernel_size, C // groups, F)``, ``bias`` ``(F,)`` or None -> ``(N, *out, F)``."""
    plan = choose_plan(x, kernel, strides, dilation, pads, groups)
    return forward(plan, x, dense_kernel(plan, kernel), bias)


def conv_backward(x, kernel, gy, strides, dilation, pads, groups=1, need_x=True,
                  need_kernel=True, need_bias=True):
    """``(gx, g_kernel, g_bias)`` of ``conv_forward`` for the upstream gradient ``gy``; an entry
    is None when its ``need_*`` is false."""
    plan = choose_plan(x, kernel, strides, dilation, pads, groups)
    return backward(plan, x, dense_kernel(plan, kernel), gy, need_x, need_kernel, need_bias)
