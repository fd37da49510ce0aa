"""Transposed convolution layers ``Conv1DTranspose``, ``Conv2DTranspose``, ``Conv3DTranspose``.

The upsampling half of convolutional autoencoders, U-Nets and GAN generators: each layer maps
something of the shape of a convolution's output back to the shape of its input (see
``npconv.functions.conv_transpose``, which computes it as that convolution's input gradient).

Kernel ``(*kernel_size, filters, in_channels)`` and bias ``(filters,)``, as Keras stores them
(the kernel of the convolution being transposed, whose input has ``filters`` channels), so
weights move between Keras and npconv unchanged. Output lengths follow Keras 3:
``'same'`` gives ``n * stride``, ``'valid'`` ``(n - 1) * stride + max(kernel, stride)`` (with a
dilated kernel's span), and ``output_padding`` (each below its stride, as Keras checks) picks
``(n - 1) * stride + kernel + output_padding`` ('valid') or ``(n - 1) * stride + kernel % 2 +
output_padding`` ('same').
"""

from __future__ import annotations

from .. import activations as activations_module
from ..functions import conv_transpose as ops_conv_transpose
from .base import Layer, format_shape
from .convolutional import (  # noqa: F401 - positive_int and weight_configs were defined here
    ConvArguments,
    positive_int,
    weight_configs,
)


class BaseConvTranspose(ConvArguments, Layer):
    """N-d transposed convolution layer; subclasses fix ``rank``."""

    rank = 2

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        output_padding=None,
        data_format=None,
        dilation_rate=1,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        r, cls = self.rank, type(self).__name__
        self.filters = positive_int(cls, "filters", filters)
        self._window_args(kernel_size, strides, dilation_rate)
        self._valid_or_same_padding(padding)
        if output_padding is None:
            self.output_padding = None
        else:
            if isinstance(output_padding, int):
                output_padding = (output_padding,) * r
            values = tuple(int(v) for v in output_padding)
            if len(values) != r or min(values) < 0:
                raise ValueError(
                    f"{cls} output_padding must be None, an int or a tuple of {r} ints >= 0, "
                    f"got {output_padding!r}"
                )
            for i, (op, s) in enumerate(zip(values, self.strides)):
                if op >= s:
                    raise ValueError(
                        f"{cls}: output_padding must be strictly less than strides on every "
                        f"axis; on axis {i} output_padding is {op} but strides is {s} "
                        f"(output_padding={values}, strides={self.strides})"
                    )
            self.output_padding = values
        self._check_strides_and_dilation()
        self._output_args(
            data_format, activation, use_bias,
            kernel=(kernel_initializer, kernel_regularizer, kernel_constraint),
            bias=(bias_initializer, bias_regularizer, bias_constraint),
        )

    def build(self, input_shape):
        shape = (*self.kernel_size, self.filters, self._channels(input_shape))
        self.kernel = self._add_prefixed_weight("kernel", shape, "kernel")
        self._add_bias(self.filters)

    def call(self, inputs, training=False):
        # a plain ReLU runs fused into the transposed convolution (same numbers, one array
        # fewer)
        fused = self.activation is activations_module.relu
        y = ops_conv_transpose.conv_transpose(
            inputs,
            self.kernel,
            self.bias,
            output_padding=self.output_padding,
            **self._window_kwargs(),
            activation="relu" if fused else None,
        )
        return y if fused else self.activation(y)

    def compute_output_shape(self, input_shape):
        first = self.data_format == "channels_first"
        spatial = input_shape[2:] if first else input_shape[1:-1]
        pads = self.output_padding or (None,) * self.rank
        out = tuple(
            ops_conv_transpose.conv_transpose_output_length(n, k, self.padding, p, s, d)
            for n, k, p, s, d in zip(spatial, self.kernel_size, pads, self.strides,
                                     self.dilation_rate)
        )
        if any(o is not None and o < 1 for o in out):
            raise ValueError(
                f"{type(self).__name__} '{self.name}': input {format_shape(input_shape)} gives "
                f"an empty output {out} with kernel_size {self.kernel_size} and "
                f"padding='{self.padding}'"
            )
        if first:
            return (input_shape[0], self.filters, *out)
        return (input_shape[0], *out, self.filters)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "output_padding": self.output_padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations_module.serialize(self.activation),
            "use_bias": self.use_bias,
            **self._weight_configs("kernel", "bias"),
        }


class Conv1DTranspose(BaseConvTranspose):
    """1-D transposed convolution over ``(batch, steps, channels)``."""

    rank = 1


class Conv2DTranspose(BaseConvTranspose):
    """2-D transposed convolution over ``(batch, rows, cols, channels)`` images."""

    rank = 2


class Conv3DTranspose(BaseConvTranspose):
    """3-D transposed convolution over ``(batch, depth, rows, cols, channels)`` volumes.

    As in Keras, ``data_format`` comes before ``output_padding`` among its positional
    arguments (the 1-D and 2-D layers have them the other way round)."""

    rank = 3

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 output_padding=None, dilation_rate=1, **kwargs):
        super().__init__(filters, kernel_size, strides=strides, padding=padding,
                         output_padding=output_padding, data_format=data_format,
                         dilation_rate=dilation_rate, **kwargs)


Convolution1DTranspose = Conv1DTranspose
Convolution2DTranspose = Conv2DTranspose
Convolution3DTranspose = Conv3DTranspose
# Keras 2.x's names for the same layers (keras.layers.Deconvolution2D, Deconv2D; Keras 1's
# Deconvolution2D took other arguments)
Deconvolution2D = Deconv2D = Conv2DTranspose
Deconvolution3D = Deconv3D = Conv3DTranspose
