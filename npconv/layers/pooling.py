"""Pooling layers: ``MaxPooling1D/2D/3D``, ``AveragePooling1D/2D/3D``, their global forms, and
``StochasticPooling1D/2D/3D`` (Zeiler & Fergus 2013, which Keras lacks). One N-d base each.

Also the Keras 2 module path ``keras.layers.pooling``.
"""

from __future__ import annotations

from .. import backend
from ..functions import pooling as ops_pool
from ..functions.padding import conv_output_length, normalize_padding, normalize_tuple
from .base import Layer, format_shape

_DEFAULT_POOL = {1: 2, 2: (2, 2), 3: (2, 2, 2)}


class BasePooling(Layer):
    """The windowed pooling layers' base (Keras 3's name). ``pool_mode`` (``"max"``,
    ``"average"``, ``"stochastic"``) is what the ONNX exporter and ``npconv.visualize`` ask
    to tell the kinds apart, instead of importing the private per-kind classes."""

    rank = 2
    op = None
    pool_mode = None

    def __init__(self, pool_size=None, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        r = self.rank
        self.pool_size = normalize_tuple(
            _DEFAULT_POOL[r] if pool_size is None else pool_size, r, "pool_size"
        )
        self.strides = self.pool_size if strides is None else normalize_tuple(strides, r, "strides")
        self.padding = normalize_padding(padding)
        if self.padding == "causal":
            raise ValueError("pooling padding must be 'valid' or 'same', got 'causal'")
        self.data_format = backend.normalize_data_format(data_format)

    @property
    def input_rank(self):
        return self.rank + 2

    def compute_output_shape(self, input_shape):
        first = self.data_format == "channels_first"
        spatial = input_shape[2:] if first else input_shape[1:-1]
        out = tuple(
            conv_output_length(n, k, self.padding, s)
            for n, k, s in zip(spatial, self.pool_size, self.strides)
        )
        if any(o == 0 for o in out):
            raise ValueError(
                f"{type(self).__name__} '{self.name}': input {format_shape(input_shape)} is "
                f"smaller than pool_size {self.pool_size}"
            )
        if first:
            return (input_shape[0], input_shape[1], *out)
        return (input_shape[0], *out, input_shape[-1])

    def call(self, inputs, training=False):
        return type(self).op(
            inputs,
            self.pool_size,
            strides=self.strides,
            padding=self.padding,
            data_format=self.data_format,
        )

    def get_config(self):
        return {
            **super().get_config(),
            "pool_size": self.pool_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
        }


class _MaxPooling(BasePooling):
    """The maximum of each window (a tie sends its gradient to the first maximum)."""

    pool_mode = "max"
    op = staticmethod(ops_pool.max_pool)

    def tiling_pool_size(self):
        """``pool_size`` when this layer's windows tile its input (strides equal to the pool,
        no activity regularizer), so that the convolution before it may run with it as one op
        (``models.fusion``); else ``None``. With 'same' padding they tile only an
        input whose spatial sizes are multiples of the pool (then 'same' pads nothing and
        equals 'valid'): the caller checks that on the actual input (``Conv.call_pooled``).
        ``None`` too for a subclass with its own ``call`` or ``op``, which fusion would bypass."""
        if (self.padding in ("valid", "same") and tuple(self.strides) == tuple(self.pool_size)
                and self.activity_regularizer is None
                and type(self).call is BasePooling.call and type(self).op is _MaxPooling.op):
            return tuple(self.pool_size)
        return None


class _AveragePooling(BasePooling):
    """The mean of each window; with ``'same'`` padding only real inputs are averaged."""

    pool_mode = "average"
    op = staticmethod(ops_pool.avg_pool)


class MaxPooling1D(_MaxPooling):
    rank = 1


class MaxPooling2D(_MaxPooling):
    rank = 2


class MaxPooling3D(_MaxPooling):
    rank = 3


class AveragePooling1D(_AveragePooling):
    rank = 1


class AveragePooling2D(_AveragePooling):
    rank = 2


class AveragePooling3D(_AveragePooling):
    rank = 3


MaxPool1D, MaxPool2D, MaxPool3D = MaxPooling1D, MaxPooling2D, MaxPooling3D
AvgPool1D, AvgPool2D, AvgPool3D = AveragePooling1D, AveragePooling2D, AveragePooling3D


class _StochasticPooling(BasePooling):
    """Stochastic pooling (Zeiler & Fergus 2013): in training, each window outputs one of its
    (non-negative) activations, drawn with probability proportional to its value; at inference,
    the probability-weighted average ``sum(a_i^2) / sum(a_i)``. A regularizer for the pooling
    stage: place it after a ReLU."""

    pool_mode = "stochastic"

    def call(self, inputs, training=False):
        return ops_pool.stochastic_pool(
            inputs,
            self.pool_size,
            strides=self.strides,
            padding=self.padding,
            data_format=self.data_format,
            training=training,
        )


class StochasticPooling1D(_StochasticPooling):
    rank = 1


class StochasticPooling2D(_StochasticPooling):
    rank = 2


class StochasticPooling3D(_StochasticPooling):
    rank = 3


class BaseGlobalPooling(Layer):
    """The global pooling layers' base (Keras 3's name), one value per channel;
    ``pool_mode`` (``"max"``, ``"average"``) as ``BasePooling``'s."""

    rank = 2
    op = None
    pool_mode = None

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = backend.normalize_data_format(data_format)
        self.keepdims = bool(keepdims)

    @property
    def input_rank(self):
        return self.rank + 2

    def call(self, inputs, training=False):
        return type(self).op(inputs, data_format=self.data_format, keepdims=self.keepdims)

    def compute_output_shape(self, input_shape):
        first = self.data_format == "channels_first"
        channels = input_shape[1] if first else input_shape[-1]
        if not self.keepdims:
            return (input_shape[0], channels)
        ones = (1,) * self.rank
        return (input_shape[0], channels, *ones) if first else (input_shape[0], *ones, channels)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}


class _GlobalMax(BaseGlobalPooling):
    pool_mode = "max"
    op = staticmethod(ops_pool.global_max_pool)


class _GlobalAverage(BaseGlobalPooling):
    pool_mode = "average"
    op = staticmethod(ops_pool.global_avg_pool)


class GlobalMaxPooling1D(_GlobalMax):
    rank = 1


class GlobalMaxPooling2D(_GlobalMax):
    rank = 2


class GlobalMaxPooling3D(_GlobalMax):
    rank = 3


class GlobalAveragePooling1D(_GlobalAverage):
    rank = 1


class GlobalAveragePooling2D(_GlobalAverage):
    rank = 2


class GlobalAveragePooling3D(_GlobalAverage):
    rank = 3


GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D = (
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    GlobalMaxPooling3D,
)
GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D = (
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAveragePooling3D,
)


def __getattr__(name):
    # Keras 2 imported more from this path (``keras.layers.convolutional.UpSampling2D``, ...):
    # any layer of npconv.layers, looked up when asked for
    from .._missing import forward

    return forward(__name__, name)
