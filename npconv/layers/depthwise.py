"""Depthwise and separable convolution layers: ``DepthwiseConv1D/2D``, ``SeparableConv1D/2D``.

``DepthwiseConv*D`` convolves each input channel on its own with ``depth_multiplier`` filters
(``C * depth_multiplier`` output channels); ``SeparableConv*D`` follows that with a 1x1
convolution to ``filters`` channels: far fewer weights and multiplications than a full
convolution (MobileNet, Xception). The arithmetic is ``npconv.functions.depthwise``.

Weights as Keras 3 stores them: ``DepthwiseConv*D`` kernel ``(*kernel_size, C, M)`` (named
``kernel``) and bias ``(C * M,)``; ``SeparableConv*D`` ``depthwise_kernel`` ``(*kernel_size, C,
M)``, ``pointwise_kernel`` ``(1,) * rank + (C * M, filters)``, bias ``(filters,)``.
"""

from __future__ import annotations

from .. import activations as activations_module
from .. import backend
from ..functions import depthwise as ops_depthwise
from ..functions.padding import conv_output_length, normalize_tuple
from .base import Layer, format_shape
from .convolutional import _AXES, _AXES_FIRST
from .convolutional_transpose import positive_int, weight_configs


class _DepthwiseBase(Layer):
    """What depthwise and separable layers share: the depthwise step's arguments, shapes and
    config."""

    rank = 2

    def __init__(self, depth_multiplier, kernel_size, strides, padding, data_format,
                 dilation_rate, activation, use_bias, depthwise_initializer, bias_initializer,
                 depthwise_regularizer, bias_regularizer, activity_regularizer,
                 depthwise_constraint, bias_constraint, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        r, cls = self.rank, type(self).__name__
        self.depth_multiplier = positive_int(cls, "depth_multiplier", depth_multiplier)
        self.kernel_size = normalize_tuple(kernel_size, r, "kernel_size")
        self.strides = normalize_tuple(strides, r, "strides")
        self.dilation_rate = normalize_tuple(dilation_rate, r, "dilation_rate")
        self.padding = str(padding).lower()
        if self.padding not in ("valid", "same"):
            raise ValueError(f"{cls} padding must be 'valid' or 'same', got {padding!r}")
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                f"{cls}: strides > 1 with dilation_rate > 1 is not supported (got strides="
                f"{self.strides}, dilation_rate={self.dilation_rate}), as in Keras"
            )
        self.data_format = backend.normalize_data_format(data_format)
        self.activation = activations_module.get(activation)
        self.use_bias = use_bias
        self.depthwise_initializer = depthwise_initializer
        self.bias_initializer = bias_initializer
        self.depthwise_regularizer = depthwise_regularizer
        self.bias_regularizer = bias_regularizer
        self.depthwise_constraint = depthwise_constraint
        self.bias_constraint = bias_constraint

    @property
    def input_rank(self):
        return self.rank + 2

    @property
    def rank_hint(self):
        return (_AXES_FIRST if self.data_format == "channels_first" else _AXES)[self.rank]

    def _channels(self, input_shape):
        channels = input_shape[1 if self.data_format == "channels_first" else -1]
        if channels is None:
            raise ValueError(
                f"{type(self).__name__} '{self.name}' needs a known number of input channels, "
                f"got shape {format_shape(input_shape)}"
            )
        return channels

    def _output_shape(self, input_shape, channels):
        first = self.data_format == "channels_first"
        spatial = input_shape[2:] if first else input_shape[1:-1]
        out = tuple(
            conv_output_length(n, k, self.padding, s, d)
            for n, k, s, d in zip(spatial, self.kernel_size, self.strides, self.dilation_rate)
        )
        if any(o == 0 for o in out):
            raise ValueError(
                f"{type(self).__name__} '{self.name}': input {format_shape(input_shape)} is "
                f"too small for kernel_size {self.kernel_size} with padding='{self.padding}'"
            )
        return (input_shape[0], channels, *out) if first else (input_shape[0], *out, channels)

    def _add_bias(self, size):
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                (size,),
                self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
                name="bias",
            )

    def get_config(self):
        return {
            **super().get_config(),
            "depth_multiplier": self.depth_multiplier,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations_module.serialize(self.activation),
            "use_bias": self.use_bias,
            **weight_configs(
                depthwise_initializer=self.depthwise_initializer,
                bias_initializer=self.bias_initializer,
                depthwise_regularizer=self.depthwise_regularizer,
                bias_regularizer=self.bias_regularizer,
                depthwise_constraint=self.depthwise_constraint,
                bias_constraint=self.bias_constraint,
            ),
        }


class BaseDepthwiseConv(_DepthwiseBase):
    """N-d depthwise convolution layer; subclasses fix ``rank``."""

    def __init__(
        self,
        kernel_size,
        strides=1,
        padding="valid",
        depth_multiplier=1,
        data_format=None,
        dilation_rate=1,
        activation=None,
        use_bias=True,
        depthwise_initializer="glorot_uniform",
        bias_initializer="zeros",
        depthwise_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        depthwise_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(
            depth_multiplier, kernel_size, strides, padding, data_format, dilation_rate,
            activation, use_bias, depthwise_initializer, bias_initializer,
            depthwise_regularizer, bias_regularizer, activity_regularizer,
            depthwise_constraint, bias_constraint, **kwargs,
        )

    def build(self, input_shape):
        channels = self._channels(input_shape)
        self.kernel = self.add_weight(
            (*self.kernel_size, channels, self.depth_multiplier),
            self.depthwise_initializer,
            regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint,
            name="kernel",
        )
        self._add_bias(channels * self.depth_multiplier)

    def call(self, inputs, training=False):
        y = ops_depthwise.depthwise_conv(
            inputs,
            self.kernel,
            self.bias,
            strides=self.strides,
            padding=self.padding,
            dilation_rate=self.dilation_rate,
            data_format=self.data_format,
        )
        return self.activation(y)

    def compute_output_shape(self, input_shape):
        return self._output_shape(input_shape,
                                  self._channels(input_shape) * self.depth_multiplier)


class BaseSeparableConv(_DepthwiseBase):
    """N-d depthwise-separable convolution layer; subclasses fix ``rank``."""

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
        depth_multiplier=1,
        activation=None,
        use_bias=True,
        depthwise_initializer="glorot_uniform",
        pointwise_initializer="glorot_uniform",
        bias_initializer="zeros",
        depthwise_regularizer=None,
        pointwise_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        depthwise_constraint=None,
        pointwise_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(
            depth_multiplier, kernel_size, strides, padding, data_format, dilation_rate,
            activation, use_bias, depthwise_initializer, bias_initializer,
            depthwise_regularizer, bias_regularizer, activity_regularizer,
            depthwise_constraint, bias_constraint, **kwargs,
        )
        self.filters = positive_int(type(self).__name__, "filters", filters)
        self.pointwise_initializer = pointwise_initializer
        self.pointwise_regularizer = pointwise_regularizer
        self.pointwise_constraint = pointwise_constraint

    def build(self, input_shape):
        channels = self._channels(input_shape)
        self.depthwise_kernel = self.add_weight(
            (*self.kernel_size, channels, self.depth_multiplier),
            self.depthwise_initializer,
            regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint,
            name="depthwise_kernel",
        )
        self.pointwise_kernel = self.add_weight(
            (1,) * self.rank + (channels * self.depth_multiplier, self.filters),
            self.pointwise_initializer,
            regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint,
            name="pointwise_kernel",
        )
        self._add_bias(self.filters)

    def call(self, inputs, training=False):
        y = ops_depthwise.separable_conv(
            inputs,
            self.depthwise_kernel,
            self.pointwise_kernel,
            self.bias,
            strides=self.strides,
            padding=self.padding,
            dilation_rate=self.dilation_rate,
            data_format=self.data_format,
        )
        return self.activation(y)

    def compute_output_shape(self, input_shape):
        self._channels(input_shape)
        return self._output_shape(input_shape, self.filters)

    def get_config(self):
        config = super().get_config()
        config["filters"] = self.filters
        config.update(weight_configs(
            pointwise_initializer=self.pointwise_initializer,
            pointwise_regularizer=self.pointwise_regularizer,
            pointwise_constraint=self.pointwise_constraint,
        ))
        return config


class DepthwiseConv1D(BaseDepthwiseConv):
    """1-D depthwise convolution over ``(batch, steps, channels)``."""

    rank = 1


class DepthwiseConv2D(BaseDepthwiseConv):
    """2-D depthwise convolution over ``(batch, rows, cols, channels)`` images."""

    rank = 2


class SeparableConv1D(BaseSeparableConv):
    """1-D depthwise-separable convolution over ``(batch, steps, channels)``."""

    rank = 1


class SeparableConv2D(BaseSeparableConv):
    """2-D depthwise-separable convolution over ``(batch, rows, cols, channels)`` images."""

    rank = 2


SeparableConvolution1D, SeparableConvolution2D = SeparableConv1D, SeparableConv2D
