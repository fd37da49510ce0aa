"""Convolution layers ``Conv1D``, ``Conv2D``, ``Conv3D`` (one N-d base) and ``ZeroPadding*``.

Kernel ``(*kernel_size, in_channels // groups, filters)`` and bias ``(filters,)``, as Keras
stores them. ``dropconnect=rate`` applies DropConnect (Wan et al. 2013) to the kernel during
training — an npconv addition the tutorials describe and Keras lacks.

Also the Keras 2 module path ``keras.layers.convolutional`` (which held the pooling layers too,
and the transposed, depthwise and separable convolutions, found here by ``__getattr__``).
"""

from __future__ import annotations

from .. import activations as activations_module
from .. import backend
from ..autograd import as_tensor
from ..functions import array as ops_array
from ..functions import conv as ops_conv
from ..functions import dropout as ops_dropout
from ..functions.padding import (
    conv_output_length,
    normalize_padding,
    normalize_tuple,
)
from .base import Layer, format_shape
from .core import _serialize
from .pooling import (  # noqa: F401 - Keras 2's keras.layers.convolutional exported these
    AveragePooling1D,
    AveragePooling2D,
    AveragePooling3D,
    MaxPooling1D,
    MaxPooling2D,
    MaxPooling3D,
    _MaxPooling,
)

_AXES = {
    1: "(batch, steps, channels)",
    2: "(batch, rows, cols, channels)",
    3: "(batch, depth, rows, cols, channels)",
}
_AXES_FIRST = {
    1: "(batch, channels, steps)",
    2: "(batch, channels, rows, cols)",
    3: "(batch, channels, depth, rows, cols)",
}


class BaseConv(Layer):
    """N-d convolution layer; subclasses fix ``rank``."""

    rank = 2

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
        groups=1,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        dropconnect=0.0,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        r = self.rank
        if not isinstance(filters, int) or isinstance(filters, bool) or filters < 1:
            raise ValueError(
                f"{type(self).__name__} filters must be a positive integer, got {filters!r}"
            )
        self.filters = filters
        self.kernel_size = normalize_tuple(kernel_size, r, "kernel_size")
        self.strides = normalize_tuple(strides, r, "strides")
        self.padding = normalize_padding(padding)
        if self.padding == "causal" and r != 1:
            raise ValueError("padding='causal' is only for Conv1D")
        self.data_format = backend.normalize_data_format(data_format)
        self.dilation_rate = normalize_tuple(dilation_rate, r, "dilation_rate")
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                f"{type(self).__name__}: strides > 1 with dilation_rate > 1 is not supported "
                f"(got strides={self.strides}, dilation_rate={self.dilation_rate}), as in Keras"
            )
        self.groups = int(groups)
        if self.groups < 1 or filters % self.groups:
            raise ValueError(
                f"{type(self).__name__}: filters ({filters}) must be divisible by groups ({groups})"
            )
        self.activation = activations_module.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer
        self.kernel_regularizer = kernel_regularizer
        self.bias_regularizer = bias_regularizer
        self.kernel_constraint = kernel_constraint
        self.bias_constraint = bias_constraint
        if not 0.0 <= float(dropconnect) < 1.0:
            raise ValueError(f"dropconnect rate must be in [0, 1), got {dropconnect!r}")
        self.dropconnect = float(dropconnect)

    @property
    def input_rank(self):
        return self.rank + 2

    @property
    def rank_hint(self):
        return (_AXES_FIRST if self.data_format == "channels_first" else _AXES)[self.rank]

    def _channel_axis(self):
        return 1 if self.data_format == "channels_first" else -1

    def build(self, input_shape):
        channels = input_shape[self._channel_axis()]
        if channels is None:
            raise ValueError(
                f"{type(self).__name__} '{self.name}' needs a known number of input channels, "
                f"got shape {format_shape(input_shape)}"
            )
        if channels % self.groups:
            raise ValueError(
                f"{type(self).__name__} '{self.name}': input channels ({channels}) must be "
                f"divisible by groups ({self.groups})"
            )
        shape = (*self.kernel_size, channels // self.groups, self.filters)
        self.kernel = self.add_weight(
            shape,
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
        kernel = self.kernel
        if self.dropconnect and training:
            kernel = ops_dropout.drop_connect(kernel, self.dropconnect, training=True)
        # a plain ReLU runs fused into the convolution (same numbers, one pass fewer)
        fused = self.activation is activations_module.relu
        y = ops_conv.conv(
            inputs,
            kernel,
            self.bias,
            strides=self.strides,
            padding=self.padding,
            dilation_rate=self.dilation_rate,
            groups=self.groups,
            data_format=self.data_format,
            activation="relu" if fused else None,
        )
        return y if fused else self.activation(y)

    def call_pooled(self, inputs, pool):
        """Inference only: this layer and the ``MaxPooling*D`` layer ``pool`` after it as one
        op, ``functions.conv.conv_max_pool`` (each chunk of the convolution's output pooled
        while it is in cache; the same numbers). ``models.fusion`` calls it for both
        ``Sequential`` and functional models. Returns ``None`` when the pair does not qualify:
        a pooling whose windows do not tile its input (``pool.tiling_pool_size()``), another
        rank, channels first, an activation other than ReLU or linear, or an activity
        regularizer that wants the convolution's output."""
        tiling = getattr(pool, "tiling_pool_size", None)
        pool_size = tiling() if tiling is not None else None
        if (pool_size is None or len(pool_size) != self.rank or not self.built
                or self.data_format != "channels_last" or pool.data_format != self.data_format
                or self.activity_regularizer is not None):
            return None
        if self.activation is activations_module.relu:
            activation = "relu"
        elif self.activation is activations_module.linear:
            activation = None
        else:
            return None
        x = as_tensor(inputs)
        self.check_input_shape((None, *x.shape[1:]))
        self._losses = []
        return ops_conv.conv_max_pool(
            x,
            self.kernel,
            self.bias,
            pool_size,
            strides=self.strides,
            padding=self.padding,
            dilation_rate=self.dilation_rate,
            groups=self.groups,
            data_format=self.data_format,
            activation=activation,
        )

    def compute_output_shape(self, input_shape):
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
        if first:
            return (input_shape[0], self.filters, *out)
        return (input_shape[0], *out, self.filters)

    def get_config(self):
        from .. import constraints, initializers, regularizers

        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "groups": self.groups,
            "activation": activations_module.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(initializers.get(self.kernel_initializer)),
            "bias_initializer": initializers.serialize(initializers.get(self.bias_initializer)),
            "kernel_regularizer": _serialize(
                regularizers.get(self.kernel_regularizer), regularizers
            ),
            "bias_regularizer": _serialize(regularizers.get(self.bias_regularizer), regularizers),
            "kernel_constraint": _serialize(constraints.get(self.kernel_constraint), constraints),
            "bias_constraint": _serialize(constraints.get(self.bias_constraint), constraints),
            "dropconnect": self.dropconnect,
        }


class Conv1D(BaseConv):
    """1-D convolution over ``(batch, steps, channels)``; ``padding='causal'`` allowed."""

    rank = 1


class Conv2D(BaseConv):
    """2-D convolution over ``(batch, rows, cols, channels)`` images."""

    rank = 2


class Conv3D(BaseConv):
    """3-D convolution over ``(batch, depth, rows, cols, channels)`` volumes."""

    rank = 3


Convolution1D, Convolution2D, Convolution3D = Conv1D, Conv2D, Conv3D


class _ZeroPadding(Layer):
    """Pads the spatial axes with zeros; ``padding`` is an int, one int per axis, or one
    ``(before, after)`` pair per axis."""

    rank = 2

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(**kwargs)
        r = self.rank
        if isinstance(padding, int):
            pads = ((padding, padding),) * r
        else:
            padding = tuple(padding)
            if r == 1 and len(padding) == 2 and all(isinstance(p, int) for p in padding):
                padding = (padding,)  # Keras's ZeroPadding1D((left, right))
            if len(padding) != r:
                raise ValueError(f"{type(self).__name__} padding needs {r} entries, got {padding}")
            pads = tuple(
                (p, p) if isinstance(p, int) else tuple(int(v) for v in p) for p in padding
            )
        if any(len(p) != 2 or min(p) < 0 for p in pads):
            raise ValueError(f"{type(self).__name__} padding must be non-negative, got {padding}")
        self.padding = pads
        self.data_format = backend.normalize_data_format("channels_last" if r == 1 else data_format)

    @property
    def input_rank(self):
        return self.rank + 2

    def _pad_width(self):
        if self.data_format == "channels_first":
            return ((0, 0), (0, 0), *self.padding)
        return ((0, 0), *self.padding, (0, 0))

    def call(self, inputs, training=False):
        return ops_array.pad(inputs, self._pad_width())

    def compute_output_shape(self, input_shape):
        return tuple(
            None if n is None else n + a + b for n, (a, b) in zip(input_shape, self._pad_width())
        )

    def get_config(self):
        return {**super().get_config(), "padding": self.padding, "data_format": self.data_format}


class ZeroPadding1D(_ZeroPadding):
    rank = 1


class ZeroPadding2D(_ZeroPadding):
    rank = 2


class ZeroPadding3D(_ZeroPadding):
    rank = 3


def __getattr__(name):
    # Keras 2 imported more from this path (``keras.layers.convolutional.UpSampling2D``, ...):
    # any layer of npconv.layers, looked up when asked for
    from .._missing import forward

    return forward(__name__, name)
