"""The convolution's CPU kernels, as named plans (see ``plan.choose_plan``).

- ``plan``: ``choose_plan`` and ``ConvPlan`` (shapes, chunks, buffers), the thresholds;
- ``patches``: the forward's GEMM layouts ``im2col``, ``kmajor``, ``pairs`` (and the kernel
  gradient from the same patches);
- ``groups``: ``dense_groups`` (a small grouped convolution as the dense one);
- ``input_grad``: the input gradient as ``col2im`` or ``full`` (also the transposed
  convolution's forward);
- ``pool``: ``conv_pool``, a convolution's output max-pooled chunk by chunk;
- ``run``: ``forward``, ``backward`` and ``input_grad`` over the batch, on npconv's threads.

``functions.conv`` and ``functions.conv_transpose`` are the readable differentiable ops that
call these.
"""

from .plan import ConvPlan, choose_plan
from .run import backward, dense_kernel, forward, input_grad

__all__ = ["ConvPlan", "choose_plan", "forward", "backward", "input_grad", "dense_kernel"]
