"""Convolution layers ``Conv1D``, ``Conv2D``, ``Conv3D`` (one N-d base) and ``ZeroPadding*``.

Kernel ``(*kernel_size, in_channels // groups, filters)`` and bias ``(filters,)``, as Keras
stores them. ``dropconnect=rate`` applies DropConnect (Wan et al. 2013) to the kernel during
training — an npconv addition the tutorials describe and Keras lacks.

Also the Keras 2 module path ``keras.layers.convolutional`` (which held the pooling layers too,
and the transposed, depthwise and separable convolutions, found here by ``__getattr__``).
"""

from __future__ import annotations

import numbers

from .. import activations as activations_module
from .. import backend
from ..autograd import as_tensor
from ..autograd.mode import is_grad_enabled
from ..functions import array as ops_array
from ..functions import conv as ops_conv
from ..functions import dropout as ops_dropout
from ..functions.padding import (
    conv_output_length,
    normalize_padding,
    normalize_tuple,
)
from .base import Layer, format_shape, resolve_training
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


def _pool_tiles(shape, pool_size):
    """Whether windows of ``pool_size`` tile the spatial axes of a channels-last ``shape``
    exactly (no remainder), where 'same' pooling pads nothing and equals 'valid'."""
    return all(n % k == 0 for n, k in zip(shape[1:-1], pool_size))


class SpatialRank:
    """Mixin for layers over ``rank`` spatial axes plus batch and channels (``data_format``):
    the input rank and the axes named in shape errors."""

    @property
    def input_rank(self):
        return self.rank + 2

    @property
    def rank_hint(self):
        return (_AXES_FIRST if self.data_format == "channels_first" else _AXES)[self.rank]


def positive_int(layer, name, value):
    """``value`` as a positive int, or a ValueError naming the layer class and argument."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{layer} {name} must be a positive integer, got {value!r}")
    return int(value)  # NumPy's integers too (filters=np.prod(shape), as Keras takes)


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


_WEIGHT_ARGS = ("initializer", "regularizer", "constraint")


class ConvArguments(SpatialRank):
    """What the convolution family (``BaseConv``, ``BaseConvTranspose``, the depthwise and
    separable layers) shares: the window arguments, ``data_format``/``activation``/``use_bias``,
    the per-weight initializer/regularizer/constraint triples (``<prefix>_initializer``, ...),
    the input rank, the channel check and the weights. A mixin for ``Layer`` subclasses that
    set ``rank``."""

    def _window_args(self, kernel_size, strides, dilation_rate):
        r = self.rank
        self.kernel_size = normalize_tuple(kernel_size, r, "kernel_size")
        self.strides = normalize_tuple(strides, r, "strides")
        self.dilation_rate = normalize_tuple(dilation_rate, r, "dilation_rate")

    def _valid_or_same_padding(self, padding):
        self.padding = str(padding).lower()
        if self.padding not in ("valid", "same"):
            raise ValueError(
                f"{type(self).__name__} padding must be 'valid' or 'same', got {padding!r}"
            )

    def _check_strides_and_dilation(self):
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                f"{type(self).__name__}: strides > 1 with dilation_rate > 1 is not supported "
                f"(got strides={self.strides}, dilation_rate={self.dilation_rate}), as in Keras"
            )

    def _output_args(self, data_format, activation, use_bias, **weight_args):
        """``data_format``, ``activation``, ``use_bias``, and for each ``prefix=(initializer,
        regularizer, constraint)`` of ``weight_args`` the attributes ``<prefix>_initializer``,
        ``<prefix>_regularizer`` and ``<prefix>_constraint``, kept as given."""
        self.data_format = backend.normalize_data_format(data_format)
        self.activation = activations_module.get(activation)
        self.use_bias = use_bias
        for prefix, values in weight_args.items():
            for kind, value in zip(_WEIGHT_ARGS, values):
                setattr(self, f"{prefix}_{kind}", value)

    def _weight_configs(self, *prefixes):
        """The Keras configs of the weight arguments of ``prefixes``, initializers first."""
        return weight_configs(**{
            f"{prefix}_{kind}": getattr(self, f"{prefix}_{kind}")
            for kind in _WEIGHT_ARGS
            for prefix in prefixes
        })

    def _window_kwargs(self):
        """The window keywords every convolution function of ``npconv.functions`` takes."""
        return dict(
            strides=self.strides,
            padding=self.padding,
            dilation_rate=self.dilation_rate,
            data_format=self.data_format,
        )

    def _channel_axis(self):
        return 1 if self.data_format == "channels_first" else -1

    def _channels(self, input_shape):
        """The number of input channels; a ValueError when it is unknown."""
        channels = input_shape[self._channel_axis()]
        if channels is None:
            raise ValueError(
                f"{type(self).__name__} '{self.name}' needs a known number of input channels, "
                f"got shape {format_shape(input_shape)}"
            )
        return channels

    def _add_prefixed_weight(self, prefix, shape, name):
        """The weight ``name`` of ``shape`` with the ``<prefix>_*`` initializer, regularizer and
        constraint."""
        return self.add_weight(
            shape,
            getattr(self, f"{prefix}_initializer"),
            regularizer=getattr(self, f"{prefix}_regularizer"),
            constraint=getattr(self, f"{prefix}_constraint"),
            name=name,
        )

    def _add_bias(self, size):
        self.bias = None
        if self.use_bias:
            self.bias = self._add_prefixed_weight("bias", (size,), "bias")

    def _output_shape(self, input_shape, channels):
        """The shape of a (non-transposed) convolution's output with ``channels`` channels."""
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


class BaseConv(ConvArguments, Layer):
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
        self.filters = positive_int(type(self).__name__, "filters", filters)
        self._window_args(kernel_size, strides, dilation_rate)
        self.padding = normalize_padding(padding)
        if self.padding == "causal" and self.rank != 1:
            raise ValueError("padding='causal' is only for Conv1D")
        self._check_strides_and_dilation()
        self.groups = int(groups)
        if self.groups < 1 or filters % self.groups:
            raise ValueError(
                f"{type(self).__name__}: filters ({filters}) must be divisible by groups ({groups})"
            )
        self._output_args(
            data_format, activation, use_bias,
            kernel=(kernel_initializer, kernel_regularizer, kernel_constraint),
            bias=(bias_initializer, bias_regularizer, bias_constraint),
        )
        if not 0.0 <= float(dropconnect) < 1.0:
            raise ValueError(f"dropconnect rate must be in [0, 1), got {dropconnect!r}")
        self.dropconnect = float(dropconnect)

    def build(self, input_shape):
        channels = self._channels(input_shape)
        if channels % self.groups:
            raise ValueError(
                f"{type(self).__name__} '{self.name}': input channels ({channels}) must be "
                f"divisible by groups ({self.groups})"
            )
        shape = (*self.kernel_size, channels // self.groups, self.filters)
        self.kernel = self._add_prefixed_weight("kernel", shape, "kernel")
        self._add_bias(self.filters)

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
            groups=self.groups,
            **self._window_kwargs(),
            activation="relu" if fused else None,
        )
        return y if fused else self.activation(y)

    def _fusable(self, training):
        """Whether a fused op may stand in for this layer's own call: built, no activity
        regularizer wanting its output, no subclass ``call`` the fused op would bypass, and no
        DropConnect in training mode (what ``call_pooled`` and ``call_normalized`` share)."""
        return (self.built and self.activity_regularizer is None
                and type(self).call is BaseConv.call
                and not (self.dropconnect and resolve_training(self, training)))

    def call_pooled(self, inputs, pool, training=None):
        """This layer and the ``MaxPooling*D`` layer ``pool`` after it as one op,
        ``functions.conv.conv_max_pool``: in inference each chunk of the convolution's output
        pooled while it is in cache, in training the ReLU's gradient mask taken by the pooling
        on its smaller gradient (the same numbers either way). ``models.fusion`` calls it for
        both ``Sequential`` and functional models. Returns ``None`` when the pair does not
        qualify: a pooling whose windows do not tile its input (``pool.tiling_pool_size()``),
        another rank, channels first, an activation other than ReLU or linear, or this layer
        not ``_fusable`` (an activity regularizer, a subclass with its own ``call``,
        DropConnect in training mode)."""
        tiling = getattr(pool, "tiling_pool_size", None)
        pool_size = tiling() if tiling is not None else None
        if (pool_size is None or len(pool_size) != self.rank or not self._fusable(training)
                or self.data_format != "channels_last" or pool.data_format != self.data_format):
            return None
        if self.activation is activations_module.relu:
            activation = "relu"
        elif self.activation is activations_module.linear:
            activation = None
        else:
            return None
        x = as_tensor(inputs)
        self.check_input_shape((None, *x.shape[1:]))
        if pool.padding == "same" and not _pool_tiles(self._output_shape(x.shape, 1), pool_size):
            return None
        self._losses = []
        return ops_conv.conv_max_pool(
            x,
            self.kernel,
            self.bias,
            pool_size,
            groups=self.groups,
            **self._window_kwargs(),
            activation=activation,
        )

    def call_normalized(self, inputs, norm, training=None, relu=False, pool=None,
                        residual=None):
        """Inference only: this layer, the ``BatchNormalization`` layer ``norm`` after it,
        then (``residual``) an ``add`` of that array, then (``relu=True``) a ReLU and
        (``pool``) a ``MaxPooling*D`` layer, as one convolution whose kernel and bias take in
        the normalization's scale and shift:

            kernel' = kernel * scale,   bias' = bias * scale + shift     (per filter)

        computed from the current weights on every call (the stored weights are untouched),
        the same numbers as the layers in turn up to float32 rounding. ``models.fusion`` calls
        it for ``Sequential`` and functional models. Returns ``None`` when the chain does not
        qualify: gradients being recorded, ``norm`` in training mode or normalizing another
        axis, an activation or activity regularizer on this layer, DropConnect in training
        mode, a pooling that ``call_pooled`` would refuse, a ``residual`` with a pooling, or
        channels first with a ``residual``."""
        if residual is not None and (pool is not None or self.data_format != "channels_last"):
            return None
        if (is_grad_enabled() or not self._fusable(training)
                or self.activation is not activations_module.linear
                or not norm.folds(training, 1 if self.data_format == "channels_first" else -1)):
            return None
        pool_size = None
        if pool is not None:
            tiling = getattr(pool, "tiling_pool_size", None)
            pool_size = tiling() if tiling is not None else None
            if (pool_size is None or len(pool_size) != self.rank
                    or self.data_format != "channels_last"
                    or pool.data_format != self.data_format):
                return None
        x = as_tensor(inputs)
        self.check_input_shape((None, *x.shape[1:]))
        if residual is not None and tuple(residual.shape) != (
                x.shape[0], *self._output_shape(x.shape, self.filters)[1:]):
            return None  # a broadcasting add: the layers in turn
        self._losses = []
        scale, shift = norm.inference_scale_shift()
        dtype = self.kernel.dtype
        kernel = self.kernel.data * scale.astype(dtype)  # in the kernel's dtype: 4x faster
        bias = shift if self.bias is None else self.bias.data * scale + shift
        args = dict(groups=self.groups, **self._window_kwargs(),
                    activation="relu" if relu else None)
        if pool_size is not None:
            return ops_conv.conv_max_pool(x, kernel, bias.astype(dtype), pool_size, **args)
        if residual is not None:
            return ops_conv.conv_residual(x, kernel, bias.astype(dtype), residual, **args)
        return ops_conv.conv(x, kernel, bias.astype(dtype), **args)

    def compute_output_shape(self, input_shape):
        return self._output_shape(input_shape, self.filters)

    def get_config(self):
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
            **self._weight_configs("kernel", "bias"),
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


class BaseZeroPadding(Layer):
    """Pads the spatial axes with zeros; ``padding`` is an int, one int per axis, or one
    ``(before, after)`` pair per axis. The base of ``ZeroPadding1D/2D/3D``."""

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

    def pad_width(self):
        """``((before, after), ...)`` for every axis of the input, batch and channels included
        (``np.pad``'s ``pad_width``): the layer's own call and the ONNX exporter's ``Pad``."""
        if self.data_format == "channels_first":
            return ((0, 0), (0, 0), *self.padding)
        return ((0, 0), *self.padding, (0, 0))

    def call(self, inputs, training=False):
        return ops_array.pad(inputs, self.pad_width())

    def compute_output_shape(self, input_shape):
        return tuple(
            None if n is None else n + a + b for n, (a, b) in zip(input_shape, self.pad_width())
        )

    def get_config(self):
        return {**super().get_config(), "padding": self.padding, "data_format": self.data_format}


class ZeroPadding1D(BaseZeroPadding):
    rank = 1


class ZeroPadding2D(BaseZeroPadding):
    rank = 2


class ZeroPadding3D(BaseZeroPadding):
    rank = 3


def __getattr__(name):
    # Keras 2 imported more from this path (``keras.layers.convolutional.UpSampling2D``, ...):
    # any layer of npconv.layers, looked up when asked for
    from .._missing import forward

    return forward(__name__, name)
