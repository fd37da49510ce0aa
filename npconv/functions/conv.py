"""N-d convolution (1D, 2D, 3D): one implementation, forward and backward side by side.

What: ``conv(x, kernel, bias, strides, padding, dilation_rate, groups, data_format)``, the
cross-correlation Keras's ``Conv1D/2D/3D`` compute, with gradients for ``x``, ``kernel`` and
``bias``. ``conv_reference`` computes the same thing from plain differentiable array ops, one
kernel offset at a time; the tests hold every fast plan to it.

Shapes (``r = kernel.ndim - 2`` spatial axes, ``K = prod(kernel_size)``):

- ``x``: ``(batch, *spatial, in_channels)`` for ``'channels_last'``,
  ``(batch, in_channels, *spatial)`` for ``'channels_first'``.
- ``kernel``: Keras's ``(*kernel_size, in_channels // groups, filters)``; ``bias``: ``(filters,)``.
- output: ``(batch, *out_spatial, filters)`` (or channels first), each length
  ``(n + pads - (k - 1) * dilation - 1) // stride + 1`` (``padding.conv_output_length``).
  ``'same'`` pads as TensorFlow does (an odd total puts the extra element at the end);
  ``'causal'`` (1D only) pads only at the start.
- ``groups`` splits the input channels and the filters into ``groups`` equal parts; filter block
  ``g`` sees only channel block ``g``.

The arithmetic, with ``patches(x)`` the ``(positions, K * in_channels)`` matrix whose row p is
the window of x that output position p sees (im2col):

    forward    y  = patches(x) @ W + b                  W: the kernel as (K * in_channels, F)
    backward   gW = patches(x)^T @ gy
               gb = gy summed over batch and positions
               gx = col2im(gy @ W^T)                     each window's gradient added back

How it is made fast lives in ``npconv.backend.numpy.conv``: the batch is cut into chunks that
stay in cache and run on npconv's threads, and ``choose_plan`` names the GEMM layout
(``im2col``, ``kmajor``, ``pairs``), the grouped path (``grouped`` or ``dense_groups``) and the
input gradient (``col2im`` or ``full``) for the shapes at hand. The transposed convolution
(``functions.conv_transpose``) is this input gradient run forward.
"""

from __future__ import annotations

import itertools
import numbers

import numpy as np

from ..autograd import Function, Tensor, as_tensor
from ..autograd.mode import is_grad_enabled
from ..backend import normalize_data_format
from ..backend.numpy import conv as kernels
from . import _on_device
from . import array as A
from .padding import conv_output_length, normalize_padding, normalize_tuple, spatial_pads

__all__ = ["conv", "conv_max_pool", "conv_residual", "conv_reference", "Conv"]


class Conv(Function):
    """The convolution as a differentiable function; ``conv()`` checks the arguments.

    ``activation='relu'`` fuses the ReLU that a layer's ``activation='relu'`` would apply next:
    the forward applies it to each chunk while the chunk is in cache; the backward masks the
    upstream gradient by ``y > 0``, exactly what the separate ReLU's backward does.
    """

    def __init__(self, strides, dilation, pads, groups, channels_first, activation=None,
                 masked_by_pool=False):
        self.strides = strides
        self.dilation = dilation
        self.pads = pads
        self.conv_groups = groups
        self.channels_first = channels_first
        self.relu = activation == "relu"
        # the fused ReLU's gradient mask is applied by the max pooling that alone reads y
        # (conv_max_pool in training), on its smaller gradient: none here
        self.masked_by_pool = masked_by_pool

    def forward(self, x, kernel, bias=None):
        if type(x) is not np.ndarray or type(kernel) is not np.ndarray:  # CuPy, array API
            return _on_device.conv_forward(self, x, kernel, bias)
        self.plan = kernels.choose_plan(x, kernel, self.strides, self.dilation, self.pads,
                                        self.conv_groups, self.channels_first)
        kernel = kernels.dense_kernel(self.plan, kernel)
        y = kernels.forward(self.plan, x, kernel, bias, relu=self.relu)
        need_x, need_w = self.needs_grad[:2]
        # what the backward reads: x for the kernel gradient, the kernel for the input
        # gradient, y for the ReLU's mask
        self.x = x if need_w else None
        self.kernel = kernel if need_x else None
        self.y = y if self.relu and any(self.needs_grad) and not self.masked_by_pool else None
        self.bias_dtype = None if bias is None else bias.dtype
        return y

    def backward(self, gy):
        if type(gy) is not np.ndarray:
            return _on_device.conv_backward(self, gy)
        need_x, need_w = self.needs_grad[:2]
        need_b = self.bias_dtype is not None and self.needs_grad[2]
        gx, gw, gb = kernels.backward(self.plan, self.x, self.kernel, gy, need_x, need_w,
                                      need_b, y=self.y)
        self.release("x", "kernel", "y")
        if self.bias_dtype is None:
            return gx, gw
        return gx, gw, None if gb is None else gb.astype(self.bias_dtype, copy=False)


def conv(x, kernel, bias=None, strides=1, padding="valid", dilation_rate=1, groups=1,
         data_format="channels_last", activation=None) -> Tensor:
    """N-d convolution (cross-correlation) as Keras's ``ConvND``; see the module docstring.

    ``activation='relu'`` returns ``relu(conv(...))`` computed in one fused op."""
    _check_activation(activation)
    x, kernel = as_tensor(x), as_tensor(kernel)
    bias = None if bias is None else as_tensor(bias)
    strides, dilation, pads, groups, first = _check(
        x, kernel, bias, strides, padding, dilation_rate, groups, data_format
    )
    op = Conv(strides, dilation, pads, groups, first, activation)
    return op(x, kernel) if bias is None else op(x, kernel, bias)


def conv_max_pool(x, kernel, bias=None, pool_size=2, strides=1, padding="valid",
                  dilation_rate=1, groups=1, data_format="channels_last", activation=None):
    """``max_pool(conv(x, ..., activation=activation), pool_size)`` with 'valid' pooling and
    strides equal to ``pool_size``: what a ``Conv*D`` followed by a ``MaxPooling*D`` computes.

    For inference (``predict``; ``models.fusion`` finds such pairs): each chunk's convolution
    output is pooled while it is in cache and the bias and ReLU run on the pooled values, which
    gives the same numbers (max commutes with adding a bias and with ReLU, rounding included),
    without writing and re-reading the full-size output. With gradients to record (training)
    it is the two ops in turn, the ReLU's gradient mask applied by the pooling to its pooled
    gradient rather than by the convolution to the full-size one (``MaxPool(relu_input=True)``,
    the same numbers); channels first, or arrays of another library (CuPy, array API): the two
    ops in turn.
    """
    from .pooling import max_pool, max_pool_of_relu

    _check_activation(activation)
    x, kernel = as_tensor(x), as_tensor(kernel)
    bias = None if bias is None else as_tensor(bias)
    pool = normalize_tuple(pool_size, kernel.ndim - 2, "pool_size")
    inputs = (x, kernel) if bias is None else (x, kernel, bias)
    recording = is_grad_enabled() and any(t.requires_grad for t in inputs)
    channels_first = normalize_data_format(data_format) == "channels_first"
    if (recording and activation == "relu" and not channels_first
            and type(x.data) is np.ndarray):
        # training: the two ops, the ReLU's gradient mask moved to the pooled gradient
        strides, dilation, pads, groups, first = _check(
            x, kernel, bias, strides, padding, dilation_rate, groups, data_format)
        y = Conv(strides, dilation, pads, groups, first, activation, masked_by_pool=True)(*inputs)
        return max_pool_of_relu(y, pool)
    if (recording or channels_first
            or type(x.data) is not np.ndarray):  # CuPy, array API: their kernels, in turn
        y = conv(x, kernel, bias, strides, padding, dilation_rate, groups, data_format,
                 activation)
        return max_pool(y, pool, data_format=data_format)
    strides, dilation, pads, groups, first = _check(
        x, kernel, bias, strides, padding, dilation_rate, groups, data_format
    )
    plan = kernels.choose_plan(x.data, kernel.data, strides, dilation, pads, groups, first)
    if not all(o // p for o, p in zip(plan.out, pool)):
        raise ValueError(f"conv_max_pool: convolution output {plan.out} is smaller than "
                         f"pool_size {pool}")
    y = kernels.forward(plan, x.data, kernels.dense_kernel(plan, kernel.data),
                        None if bias is None else bias.data, relu=activation == "relu",
                        pool=pool)
    return Tensor(y)


def conv_residual(x, kernel, bias, residual, strides=1, padding="valid", dilation_rate=1,
                  groups=1, data_format="channels_last", activation=None):
    """``conv(x, kernel, bias) + residual``, then the ReLU when ``activation='relu'``: the end
    of a residual block (``Conv -> BatchNormalization -> add([shortcut, .]) -> ReLU``, with the
    normalization folded into ``kernel`` and ``bias``) as one op. ``residual`` has the
    convolution's output shape.

    For inference (``models.fusion``): the shortcut is added to each chunk of the
    convolution's output after the bias, while it is in cache, and the ReLU follows, so the
    sum is never written and read again. The numbers are the ops' in turn (the same two-operand
    additions; ``a + b`` is ``b + a`` in floating point). With gradients to record, channels
    first, or arrays of another library, it is the ops in turn."""
    from .activations import relu

    _check_activation(activation)
    x, kernel, residual = as_tensor(x), as_tensor(kernel), as_tensor(residual)
    bias = None if bias is None else as_tensor(bias)
    inputs = (x, kernel, residual) if bias is None else (x, kernel, bias, residual)
    recording = is_grad_enabled() and any(t.requires_grad for t in inputs)
    strides, dilation, pads, groups, first = _check(
        x, kernel, bias, strides, padding, dilation_rate, groups, data_format
    )
    fast = not (recording or first or type(x.data) is not np.ndarray
                or type(residual.data) is not np.ndarray)
    if fast:
        plan = kernels.choose_plan(x.data, kernel.data, strides, dilation, pads, groups, first)
        fast = (residual.shape == (plan.n, *plan.out, plan.filters)
                and residual.data.flags.c_contiguous)
    if not fast:
        y = A.add(conv(x, kernel, bias, strides, padding, dilation_rate, groups, data_format),
                  residual)
        return relu(y) if activation == "relu" else y
    y = kernels.forward(plan, x.data, kernels.dense_kernel(plan, kernel.data),
                        None if bias is None else bias.data, relu=activation == "relu",
                        residual=residual.data.astype(plan.dtype, copy=False))
    return Tensor(y)


def _check_activation(activation):
    if activation not in (None, "relu"):
        raise ValueError(f"conv: activation must be None or 'relu', got {activation!r}")


# --- argument checking ----------------------------------------------------------------------


def _check(x, kernel, bias, strides, padding, dilation_rate, groups, data_format):
    """Validate and normalize the arguments; return what ``Conv`` needs."""
    kshape = tuple(kernel.shape)
    if len(kshape) < 3:
        raise ValueError(
            "conv expects a kernel of shape (*kernel_size, in_channels // groups, filters), "
            f"got shape {kshape}"
        )
    r = len(kshape) - 2
    data_format = normalize_data_format(data_format)
    first = data_format == "channels_first"
    layout = "(batch, channels, *spatial)" if first else "(batch, *spatial, channels)"
    xshape = tuple(x.shape)
    if len(xshape) != r + 2:
        raise ValueError(
            f"conv with a {r}-D kernel of shape {kshape} expects x of rank {r + 2} {layout}, "
            f"got shape {xshape}"
        )
    if isinstance(groups, bool) or not isinstance(groups, numbers.Integral) or groups < 1:
        raise ValueError(f"groups must be a positive int, got {groups!r}")
    groups = int(groups)
    cin = xshape[1] if first else xshape[-1]
    filters = kshape[-1]
    if cin % groups or filters % groups:
        raise ValueError(
            f"groups={groups} must divide both in_channels={cin} and filters={filters}"
        )
    if kshape[-2] * groups != cin:
        raise ValueError(
            f"conv: x of shape {xshape} ({data_format}) has {cin} channels, but the kernel of "
            f"shape {kshape} with groups={groups} expects {kshape[-2] * groups} "
            f"(in_channels // groups = {kshape[-2]})"
        )
    if bias is not None and tuple(bias.shape) != (filters,):
        raise ValueError(f"conv: bias must have shape ({filters},), got {tuple(bias.shape)}")
    strides = normalize_tuple(strides, r, "strides")
    dilation = normalize_tuple(dilation_rate, r, "dilation_rate")
    padding = normalize_padding(padding)
    if padding == "causal" and r != 1:
        raise ValueError(f"padding='causal' is only for 1-D convolution, got a {r}-D kernel")
    ksize = kshape[:r]
    spatial = xshape[2:] if first else xshape[1:-1]
    out = [conv_output_length(n, k, padding, s, d)
           for n, k, s, d in zip(spatial, ksize, strides, dilation)]
    if any(o < 1 for o in out):
        raise ValueError(
            f"conv: input spatial shape {spatial} is too small for kernel_size {ksize} with "
            f"dilation_rate {dilation} and padding='{padding}'"
        )
    pads = [tuple(p) for p in spatial_pads(spatial, ksize, padding, strides, dilation)]
    return strides, dilation, pads, groups, first


def conv_reference(x, kernel, bias=None, strides=1, padding="valid", dilation_rate=1, groups=1,
                   data_format="channels_last") -> Tensor:
    """The same convolution from plain array ops, one kernel offset at a time.

    For every kernel offset, the input positions it meets are one strided slice of the padded
    input; multiply that slice by the offset's ``(Cg, Fg)`` matrix per group and add. Gradients
    come from the array ops' own backward passes. Slow; for tests.
    """
    x, kernel = as_tensor(x), as_tensor(kernel)
    bias = None if bias is None else as_tensor(bias)
    strides, dilation, pads, groups, first = _check(
        x, kernel, bias, strides, padding, dilation_rate, groups, data_format
    )
    r = kernel.ndim - 2
    if first:
        x = A.transpose(x, (0, *range(2, r + 2), 1))
    x = A.pad(x, [(0, 0), *pads, (0, 0)])
    ksize, cg, f = kernel.shape[:r], kernel.shape[-2], kernel.shape[-1]
    fg = f // groups
    padded = x.shape[1:-1]
    out = [(n - (k - 1) * d - 1) // s + 1 for n, k, d, s in zip(padded, ksize, dilation, strides)]
    # kernel (*k, Cg, G*Fg) -> (*k, G, Cg, Fg): one (Cg, Fg) matrix per offset and group
    w = A.transpose(A.reshape(kernel, (*ksize, cg, groups, fg)), (*range(r), r + 1, r, r + 2))
    y = None
    for offset in itertools.product(*(range(k) for k in ksize)):
        index = (slice(None),) + tuple(
            slice(i * d, i * d + (m - 1) * s + 1, s)
            for i, d, m, s in zip(offset, dilation, out, strides)
        )
        patch = A.reshape(x[index], (x.shape[0], *out, groups, 1, cg))  # (b, *out, G, 1, Cg)
        term = A.matmul(patch, w[offset])  # (b, *out, G, 1, Fg)
        y = term if y is None else y + term
    y = A.reshape(y, (x.shape[0], *out, f))
    if bias is not None:
        y = y + bias
    if first:
        y = A.transpose(y, (0, r + 1, *range(1, r + 1)))
    return y
