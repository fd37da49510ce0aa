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
from ..functions import depthwise as ops_depthwise
from .base import Layer
from .convolutional import ConvArguments, positive_int


class _DepthwiseBase(ConvArguments, Layer):
    """What depthwise and separable layers share: the depthwise step's arguments, shapes and
    config."""

    rank = 2

    def __init__(self, depth_multiplier, kernel_size, strides, padding, data_format,
                 dilation_rate, activation, use_bias, depthwise_initializer, bias_initializer,
                 depthwise_regularizer, bias_regularizer, activity_regularizer,
                 depthwise_constraint, bias_constraint, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        cls = type(self).__name__
        self.depth_multiplier = positive_int(cls, "depth_multiplier", depth_multiplier)
        self._window_args(kernel_size, strides, dilation_rate)
        self._valid_or_same_padding(padding)
        self._check_strides_and_dilation()
        self._output_args(
            data_format, activation, use_bias,
            depthwise=(depthwise_initializer, depthwise_regularizer, depthwise_constraint),
            bias=(bias_initializer, bias_regularizer, bias_constraint),
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
            **self._weight_configs("depthwise", "bias"),
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
        self.kernel = self._add_prefixed_weight(
            "depthwise", (*self.kernel_size, channels, self.depth_multiplier), "kernel"
        )
        self._add_bias(channels * self.depth_multiplier)

    def call(self, inputs, training=False):
        y = ops_depthwise.depthwise_conv(
            inputs,
            self.kernel,
            self.bias,
            **self._window_kwargs(),
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
        self.depthwise_kernel = self._add_prefixed_weight(
            "depthwise", (*self.kernel_size, channels, self.depth_multiplier), "depthwise_kernel"
        )
        self.pointwise_kernel = self._add_prefixed_weight(
            "pointwise",
            (1,) * self.rank + (channels * self.depth_multiplier, self.filters),
            "pointwise_kernel",
        )
        self._add_bias(self.filters)

    def call(self, inputs, training=False):
        y = ops_depthwise.separable_conv(
            inputs,
            self.depthwise_kernel,
            self.pointwise_kernel,
            self.bias,
            **self._window_kwargs(),
        )
        return self.activation(y)

    def compute_output_shape(self, input_shape):
        self._channels(input_shape)
        return self._output_shape(input_shape, self.filters)

    def get_config(self):
        config = super().get_config()
        config["filters"] = self.filters
        config.update(self._weight_configs("pointwise"))
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
