"""N-d transposed convolution (1D, 2D, 3D): the convolution's input gradient run forward.

What: ``conv_transpose(x, kernel, bias, strides, padding, output_padding, dilation_rate,
data_format)``, what Keras's ``Conv1DTranspose/Conv2DTranspose/Conv3DTranspose`` compute (the
"deconvolution" of autoencoders and GANs), with gradients for ``x``, ``kernel`` and ``bias``.

Shapes (``r = kernel.ndim - 2`` spatial axes):

- ``x``: ``(batch, *spatial, in_channels)`` for ``'channels_last'``,
  ``(batch, in_channels, *spatial)`` for ``'channels_first'``.
- ``kernel``: Keras's ``Conv*Transpose`` layout ``(*kernel_size, filters, in_channels)``: the
  kernel of the convolution this one transposes, which maps ``filters`` channels to
  ``in_channels``. ``bias``: ``(filters,)``.
- output: ``(batch, *out_spatial, filters)`` (or channels first), each length from
  ``conv_transpose_output_length`` (Keras's rule):

      'valid':  (n - 1) * stride + max(span, stride)       output_padding None
                (n - 1) * stride + span + output_padding
      'same':   n * stride                                 output_padding None
                (n - 1) * stride + span % 2 + output_padding

  with ``span = (kernel - 1) * dilation + 1``.

How: for every input x there is a convolution ``conv(z, kernel, strides, pads, dilation)`` whose
output has x's shape and whose input z has this op's output shape; this op is that
convolution's gradient with respect to z, evaluated at ``gy = x``:

    forward    y      = input gradient of conv at gy = x     (kernels.input_grad: col2im or full)
    backward   gx     = conv(gy, kernel)                      (kernels.forward)
               gkernel= kernel gradient of conv(gy, .) at x   (kernels.backward, kernel only)
               gbias  = gy summed over batch and space

``activation='relu'`` applies the ReLU that a layer's ``activation='relu'`` would apply next,
in place on the fresh output (no second output-sized array), and its backward masks ``gy`` by
``y > 0`` first, exactly what the separate ReLU's backward does.

so the plans, chunking and threads of ``npconv.backend.numpy.conv`` (``kernels``) serve both
the convolution and its transpose. The pads of that convolution follow Keras's backend-neutral
rule (``keras.src.backend.common.backend_utils``): the ``stride``-dilated input padded by
``(left, right)`` and correlated with the flipped kernel gives the output, so the convolution
pads z by ``span - 1 - left`` before and ``span - 1 - right`` after. A negative "after"
(output padding, or a stride longer than the kernel) means the last outputs meet no input at
all: they get the bias only.
"""

from __future__ import annotations

import numbers

import numpy as np

from ..autograd import Function, Tensor, as_tensor
from ..backend import floatx, normalize_data_format, xp
from ..backend.numpy import conv as kernels
from . import _on_device
from .padding import effective_kernel, normalize_tuple

__all__ = ["conv_transpose", "conv_transpose_output_length", "ConvTranspose"]


def _lax_pads(kernel, stride, dilation, padding, output_padding):
    """Keras's ``(left, right)`` zero padding of the stride-dilated input along one axis."""
    span = effective_kernel(kernel, dilation)
    if padding == "valid":
        extra = max(span, stride) - span if output_padding is None else output_padding
        return span - 1, span - 1 + extra
    if output_padding is None:
        total = stride + span - 2  # an output of n * stride
    else:
        total = span + span % 2 - 2 + output_padding
    left = min(total // 2 + total % 2, span - 1)
    return left, total - left


def conv_transpose_output_length(length, kernel, padding, output_padding=None, stride=1,
                                 dilation=1):
    """Output length along one axis (Keras's ``deconv_output_length``; ``None`` stays
    ``None``)."""
    if length is None:
        return None
    left, right = _lax_pads(kernel, stride, dilation, padding, output_padding)
    return (length - 1) * stride + 1 + left + right - effective_kernel(kernel, dilation) + 1


class ConvTranspose(Function):
    """The transposed convolution; ``conv_transpose()`` checks the arguments and calls this.

    ``pads``: the transposed convolution's ``(before, after)`` pads of this op's output;
    ``crops``: per axis, how many trailing outputs no input reaches (zero plus bias).
    """

    def __init__(self, strides, dilation, pads, crops, channels_first, activation=None):
        self.relu = activation == "relu"
        self.strides = strides
        self.dilation = dilation
        self.pads = pads
        self.crops = crops
        self.channels_first = channels_first

    def _plan(self, z, kernel):
        """The plan of the convolution this op transposes, whose input is ``z``."""
        return kernels.choose_plan(z, kernel, self.strides, self.dilation, self.pads, 1,
                                   self.channels_first)

    def _reached(self, a):
        """The part of an output-shaped array that the input reaches (a view)."""
        if not any(self.crops):
            return a
        spatial = a.shape[2:] if self.channels_first else a.shape[1:-1]
        index = tuple(slice(0, n - c) for n, c in zip(spatial, self.crops))
        lead = (slice(None),) * (2 if self.channels_first else 1)
        return a[lead + index]

    def forward(self, x, kernel, bias=None):
        if type(x) is not np.ndarray or type(kernel) is not np.ndarray:  # CuPy, array API
            return _on_device.conv_transpose_forward(self, x, kernel, bias)
        self.x = x if self.needs_grad[1] else None  # for the kernel gradient
        self.kernel = kernel if any(self.needs_grad[:2]) else None
        self.xdtype = x.dtype
        self.bias_dtype = None if bias is None else bias.dtype
        dtype = xp.result_type(x.dtype, kernel.dtype)
        if not xp.issubdtype(dtype, xp.inexact):
            dtype = xp.dtype(floatx())
        n, filters = x.shape[0], kernel.shape[-2]
        spatial = x.shape[2:] if self.channels_first else x.shape[1:-1]
        shape = [
            (m - 1) * s + (k - 1) * d + 1 - a - b + c
            for m, k, s, d, (a, b), c in zip(spatial, kernel.shape[:-2], self.strides,
                                             self.dilation, self.pads, self.crops)
        ]
        shape = (n, filters, *shape) if self.channels_first else (n, *shape, filters)
        cropped = any(self.crops)
        y = xp.zeros(shape, dtype) if cropped else xp.empty(shape, dtype)
        # z plays the convolution's input: its input gradient at gy = x is written into z
        z = xp.empty(self._reached(y).shape, dtype) if cropped else y
        plan = self._plan(z, kernel)
        kernels.input_grad(plan, kernel, x, z, None if cropped else bias)
        if cropped:
            self._reached(y)[...] = z
            if bias is not None:
                yl = xp.moveaxis(y, 1, -1) if self.channels_first else y
                yl += bias.astype(dtype, copy=False)
        if self.relu:
            xp.maximum(y, 0, out=y)
            self.y = y if any(self.needs_grad) else None  # the backward's mask
        return y

    def backward(self, gy):
        if type(gy) is not np.ndarray:
            return _on_device.conv_transpose_backward(self, gy)
        need_x, need_w = self.needs_grad[:2]
        need_b = self.bias_dtype is not None and self.needs_grad[2]
        gx = gw = gb = None
        if self.relu:
            gy = _relu_gradient(gy, self.y)
            self.release("y")
        if need_x or need_w:
            # the convolution conv(g, kernel) of the reached part of gy: gx is its output,
            # gkernel its kernel gradient at output gradient x
            g = xp.ascontiguousarray(self._reached(gy))
            plan = self._plan(g, self.kernel)
            if need_x:
                gx = kernels.forward(plan, g, self.kernel)
                if xp.issubdtype(self.xdtype, xp.inexact):
                    gx = gx.astype(self.xdtype, copy=False)
            if need_w:
                gw = kernels.backward(plan, g, None, self.x, need_x=False, need_w=True,
                                      need_b=False)[1]
        if need_b:
            axes = (0, *range(2, gy.ndim)) if self.channels_first else tuple(range(gy.ndim - 1))
            gb = gy.sum(axis=axes).astype(self.bias_dtype, copy=False)
        self.release("x", "kernel")
        return (gx, gw) if self.bias_dtype is None else (gx, gw, gb)


def _relu_gradient(gy, y):
    """``gy`` where ``y > 0``, else 0 (the ReLU's backward, NaN-free where ``y`` is 0)."""
    return xp.multiply(gy, y > 0, dtype=gy.dtype)


# --- argument checking ----------------------------------------------------------------------


def _output_padding(value, r, strides, dilation):
    """``None``, an int or ``r`` ints, each >= 0 and below its stride or dilation (otherwise
    outputs that no input reaches could be asked for without end)."""
    if value is None:
        return None
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        values = (int(value),) * r
    else:
        try:
            values = tuple(int(v) for v in value)
        except (TypeError, ValueError):
            values = ()
        if len(values) != r:
            raise ValueError(f"conv_transpose: output_padding must be None, an int or a tuple "
                             f"of {r} ints, got {value!r}")
    for i, (p, s, d) in enumerate(zip(values, strides, dilation)):
        if p < 0 or p >= max(s, d):
            raise ValueError(
                f"conv_transpose: output_padding must be >= 0 and smaller than the stride or "
                f"the dilation_rate on each axis; on axis {i} got output_padding={p} with "
                f"strides={s} and dilation_rate={d} (output_padding={value!r})"
            )
    return values


def _check(x, kernel, bias, strides, padding, output_padding, dilation_rate, data_format):
    """Validate and normalize the arguments; return what ``ConvTranspose`` needs."""
    kshape = tuple(kernel.shape)
    if len(kshape) < 3:
        raise ValueError(
            "conv_transpose expects a kernel of shape (*kernel_size, filters, in_channels), "
            f"got shape {kshape}"
        )
    r = len(kshape) - 2
    first = normalize_data_format(data_format) == "channels_first"
    layout = "(batch, channels, *spatial)" if first else "(batch, *spatial, channels)"
    xshape = tuple(x.shape)
    if len(xshape) != r + 2:
        raise ValueError(
            f"conv_transpose with a {r}-D kernel of shape {kshape} expects x of rank {r + 2} "
            f"{layout}, got shape {xshape}"
        )
    cin = xshape[1] if first else xshape[-1]
    if cin != kshape[-1]:
        raise ValueError(
            f"conv_transpose: x of shape {xshape} has {cin} channels, but the kernel of shape "
            f"{kshape} (*kernel_size, filters, in_channels) expects {kshape[-1]}"
        )
    if bias is not None and tuple(bias.shape) != (kshape[-2],):
        raise ValueError(
            f"conv_transpose: bias must have shape ({kshape[-2]},), got {tuple(bias.shape)}"
        )
    strides = normalize_tuple(strides, r, "strides")
    dilation = normalize_tuple(dilation_rate, r, "dilation_rate")
    padding = str(padding).lower()
    if padding not in ("valid", "same"):
        raise ValueError(f"conv_transpose: padding must be 'valid' or 'same', got {padding!r}")
    output_padding = _output_padding(output_padding, r, strides, dilation)
    spatial = xshape[2:] if first else xshape[1:-1]
    pads, crops = [], []
    for i, (n, k, s, d) in enumerate(zip(spatial, kshape[:r], strides, dilation)):
        op = None if output_padding is None else output_padding[i]
        left, right = _lax_pads(k, s, d, padding, op)
        span = effective_kernel(k, d)
        before, after = span - 1 - left, span - 1 - right
        length = conv_transpose_output_length(n, k, padding, op, s, d)
        if length < 1 or length + min(after, 0) < 1:
            raise ValueError(
                f"conv_transpose: input spatial shape {spatial} gives an empty output on axis "
                f"{i} (kernel_size {kshape[:r]}, strides {strides}, padding='{padding}', "
                f"output_padding={output_padding})"
            )
        pads.append((before, max(after, 0)))
        crops.append(max(-after, 0))
    return strides, dilation, pads, crops, first


def conv_transpose(x, kernel, bias=None, strides=1, padding="valid", output_padding=None,
                   dilation_rate=1, data_format="channels_last", activation=None) -> Tensor:
    """N-d transposed convolution as Keras's ``Conv*DTranspose``; see the module docstring.

    ``output_padding`` (``None``, an int or one per axis, each below its stride or dilation)
    adds outputs at the end of each axis, to pick one of the lengths that a strided
    convolution maps to the same input length. ``activation='relu'`` returns
    ``relu(conv_transpose(...))`` as one op (the same numbers)."""
    if activation not in (None, "relu"):
        raise ValueError(
            f"conv_transpose: activation must be None or 'relu', got {activation!r}"
        )
    x, kernel = as_tensor(x), as_tensor(kernel)
    bias = None if bias is None else as_tensor(bias)
    strides, dilation, pads, crops, first = _check(
        x, kernel, bias, strides, padding, output_padding, dilation_rate, data_format
    )
    op = ConvTranspose(strides, dilation, pads, crops, first, activation)
    return op(x, kernel) if bias is None else op(x, kernel, bias)
