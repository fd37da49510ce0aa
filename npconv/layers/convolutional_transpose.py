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
from .. import backend
from ..functions import conv_transpose as ops_conv_transpose
from ..functions.padding import normalize_tuple
from .base import Layer, format_shape
from .convolutional import _AXES, _AXES_FIRST
from .core import _serialize


def positive_int(layer, name, value):
    """``value`` as a positive int, or a ValueError naming the layer class and argument."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{layer} {name} must be a positive integer, got {value!r}")
    return value


def weight_configs(**named):
    """``{"kernel_initializer": <Keras config>, ...}`` for initializers, regularizers and
    constraints given by name suffix (``*_initializer``, ``*_regularizer``, ``*_constraint``)."""
    from .. import constraints, initializers, regularizers

    out = {}
    for key, value in named.items():
        if key.endswith("_initializer"):
            out[key] = initializers.serialize(initializers.get(value))
        elif key.endswith("_regularizer"):
            out[key] = _serialize(regularizers.get(value), regularizers)
        else:
            out[key] = _serialize(constraints.get(value), constraints)
    return out


class BaseConvTranspose(Layer):
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
        self.kernel_size = normalize_tuple(kernel_size, r, "kernel_size")
        self.strides = normalize_tuple(strides, r, "strides")
        self.dilation_rate = normalize_tuple(dilation_rate, r, "dilation_rate")
        self.padding = str(padding).lower()
        if self.padding not in ("valid", "same"):
            raise ValueError(f"{cls} padding must be 'valid' or 'same', got {padding!r}")
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
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                f"{cls}: strides > 1 with dilation_rate > 1 is not supported (got strides="
                f"{self.strides}, dilation_rate={self.dilation_rate}), as in Keras"
            )
        self.data_format = backend.normalize_data_format(data_format)
        self.activation = activations_module.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer
        self.kernel_regularizer = kernel_regularizer
        self.bias_regularizer = bias_regularizer
        self.kernel_constraint = kernel_constraint
        self.bias_constraint = bias_constraint

    @property
    def input_rank(self):
        return self.rank + 2

    @property
    def rank_hint(self):
        return (_AXES_FIRST if self.data_format == "channels_first" else _AXES)[self.rank]

    def build(self, input_shape):
        channels = input_shape[1 if self.data_format == "channels_first" else -1]
        if channels is None:
            raise ValueError(
                f"{type(self).__name__} '{self.name}' needs a known number of input channels, "
                f"got shape {format_shape(input_shape)}"
            )
        self.kernel = self.add_weight(
            (*self.kernel_size, self.filters, channels),
            self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
            name="kernel",
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                (self.filters,),
                self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
                name="bias",
            )

    def call(self, inputs, training=False):
        y = ops_conv_transpose.conv_transpose(
            inputs,
            self.kernel,
            self.bias,
            strides=self.strides,
            padding=self.padding,
            output_padding=self.output_padding,
            dilation_rate=self.dilation_rate,
            data_format=self.data_format,
        )
        return self.activation(y)

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
            **weight_configs(
                kernel_initializer=self.kernel_initializer,
                bias_initializer=self.bias_initializer,
                kernel_regularizer=self.kernel_regularizer,
                bias_regularizer=self.bias_regularizer,
                kernel_constraint=self.kernel_constraint,
                bias_constraint=self.bias_constraint,
            ),
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
