"""Depthwise and depthwise-separable N-d convolution, as grouped convolutions.

What: ``depthwise_conv`` is Keras's ``DepthwiseConv1D/2D`` (``keras.ops.depthwise_conv``): each
input channel convolved on its own with ``depth_multiplier`` filters. ``separable_conv`` is
Keras's ``SeparableConv1D/2D``: that depthwise convolution, then a 1x1 ("pointwise")
convolution mixing the channels (MobileNet's and Xception's building block).

Shapes (``r`` spatial axes, ``C`` input channels, ``M`` the depth multiplier):

- ``x``: ``(batch, *spatial, C)`` (``'channels_last'``) or ``(batch, C, *spatial)``.
- depthwise kernel: Keras's ``(*kernel_size, C, M)``; output channel ``c * M + m`` is input
  channel ``c`` convolved with ``kernel[..., c, m]``.
- pointwise kernel: ``(1,) * r + (C * M, filters)``; bias: ``(C * M,)`` for ``depthwise_conv``,
  ``(filters,)`` for ``separable_conv``.

How: a depthwise convolution is the grouped convolution with ``groups = C`` whose kernel
``(*kernel_size, 1, C * M)`` is the depthwise kernel reshaped (filter block ``c`` is the ``M``
filters of channel ``c``, the same order), so ``functions.conv`` does the arithmetic, forward
and backward; the pointwise step is an ordinary convolution with a 1x1 kernel.
"""

from __future__ import annotations

from ..autograd import Tensor, as_tensor
from ..backend import normalize_data_format
from . import array as A
from .conv import conv

__all__ = ["depthwise_conv", "separable_conv"]


def _depthwise_kernel(x, kernel, data_format, name):
    """Check the depthwise kernel against x; return it as the grouped kernel and ``C``."""
    kshape = tuple(kernel.shape)
    if len(kshape) < 3:
        raise ValueError(
            f"{name} expects a depthwise kernel of shape (*kernel_size, in_channels, "
            f"depth_multiplier), got shape {kshape}"
        )
    r = len(kshape) - 2
    first = normalize_data_format(data_format) == "channels_first"
    if x.ndim != r + 2:
        layout = "(batch, channels, *spatial)" if first else "(batch, *spatial, channels)"
        raise ValueError(
            f"{name} with a {r}-D kernel of shape {kshape} expects x of rank {r + 2} "
            f"{layout}, got shape {tuple(x.shape)}"
        )
    channels = x.shape[1] if first else x.shape[-1]
    if kshape[-2] != channels:
        raise ValueError(
            f"{name}: x of shape {tuple(x.shape)} has {channels} channels, but the depthwise "
            f"kernel of shape {kshape} (*kernel_size, in_channels, depth_multiplier) expects "
            f"{kshape[-2]}"
        )
    return A.reshape(kernel, (*kshape[:r], 1, kshape[-2] * kshape[-1])), channels


def depthwise_conv(x, kernel, bias=None, strides=1, padding="valid", dilation_rate=1,
                   data_format="channels_last") -> Tensor:
    """Each channel of ``x`` convolved with its own ``depth_multiplier`` filters; output
    ``(batch, *out_spatial, C * M)`` (see the module docstring)."""
    x, kernel = as_tensor(x), as_tensor(kernel)
    grouped, channels = _depthwise_kernel(x, kernel, data_format, "depthwise_conv")
    return conv(x, grouped, bias, strides=strides, padding=padding,
                dilation_rate=dilation_rate, groups=channels, data_format=data_format)


def separable_conv(x, depthwise_kernel, pointwise_kernel, bias=None, strides=1,
                   padding="valid", dilation_rate=1, data_format="channels_last") -> Tensor:
    """``depthwise_conv`` then a 1x1 convolution by ``pointwise_kernel`` (``(1,) * r +
    (C * M, filters)``) plus ``bias``; output ``(batch, *out_spatial, filters)``."""
    x = as_tensor(x)
    depthwise_kernel, pointwise_kernel = as_tensor(depthwise_kernel), as_tensor(pointwise_kernel)
    y = depthwise_conv(x, depthwise_kernel, None, strides, padding, dilation_rate, data_format)
    r = depthwise_kernel.ndim - 2
    pshape = tuple(pointwise_kernel.shape)
    expected = (1,) * r + (y.shape[1 if normalize_data_format(data_format) == "channels_first"
                                   else -1],)
    if len(pshape) != r + 2 or pshape[:-1] != expected:
        raise ValueError(
            f"separable_conv: the pointwise kernel must have shape {expected + ('filters',)} "
            f"(1x1, in_channels * depth_multiplier, filters), got {pshape}"
        )
    return conv(y, pointwise_kernel, bias, data_format=data_format)
