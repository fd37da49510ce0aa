"""Core layers: ``Dense``, ``Activation``, ``Flatten``, ``Reshape``, ``Permute``, ``Dropout``,
``SpatialDropout1D/2D/3D``, and ``DropConnectDense`` (Wan et al. 2013, which Keras lacks).

Also the Keras 2 module path ``keras.layers.core``.
"""

from __future__ import annotations

import math

from .. import activations as activations_module
from .. import backend
from ..functions import array as ops_array
from ..functions import dropout as ops_dropout
from ..functions import linear as ops_linear
from .base import Layer, format_shape
from .input_layer import Input, InputLayer  # noqa: F401 - Keras 2's keras.layers.core.Input


def _serialize(obj, module):
    return None if obj is None else module.serialize(obj)


class Dense(Layer):
    """``output = activation(inputs @ kernel + bias)`` on the last axis.

    kernel ``(input_dim, units)``, bias ``(units,)`` — Keras's layout. Inputs of rank > 2 are
    transformed on their last axis: ``(batch, ..., input_dim) -> (batch, ..., units)``.
    """

    min_input_rank = 2

    def __init__(
        self,
        units,
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
        if not isinstance(units, int) or isinstance(units, bool) or units < 1:
            raise ValueError(f"Dense units must be a positive integer, got {units!r}")
        self.units = units
        self.activation = activations_module.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer
        self.kernel_regularizer = kernel_regularizer
        self.bias_regularizer = bias_regularizer
        self.kernel_constraint = kernel_constraint
        self.bias_constraint = bias_constraint

    def build(self, input_shape):
        in_dim = input_shape[-1]
        if in_dim is None:
            raise ValueError(
                f"Dense '{self.name}' needs a known last input dimension, got shape "
                f"{format_shape(input_shape)}"
            )
        self.kernel = self.add_weight(
            (in_dim, self.units),
            self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
            name="kernel",
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                (self.units,),
                self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
                name="bias",
            )

    def kernel_for_call(self, training):
        return self.kernel

    def call(self, inputs, training=False):
        # a plain ReLU runs fused into the product (same numbers, one pass fewer)
        if self.activation is activations_module.relu:
            return ops_linear.dense(
                inputs, self.kernel_for_call(training), self.bias, activation="relu")
        y = ops_linear.dense(inputs, self.kernel_for_call(training), self.bias)
        return self.activation(y)

    def compute_output_shape(self, input_shape):
        return (*tuple(input_shape)[:-1], self.units)

    def get_config(self):
        from .. import constraints, initializers, regularizers

        return {
            **super().get_config(),
            "units": self.units,
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
        }


class DropConnectDense(Dense):
    """``Dense`` with DropConnect (Wan et al. 2013): in training, each weight of the kernel is
    dropped with probability ``rate`` (and the rest rescaled by ``1 / (1 - rate)``), a fresh
    mask per batch; at inference the full kernel is used (the mean of the masked weights).

    Where ``Dropout`` zeroes activations, DropConnect zeroes connections.
    """

    def __init__(self, units, rate=0.5, **kwargs):
        super().__init__(units, **kwargs)
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"DropConnectDense rate must be in [0, 1), got {rate!r}")
        self.rate = float(rate)

    def kernel_for_call(self, training):
        return ops_dropout.drop_connect(self.kernel, self.rate, training=training)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate}


class Activation(Layer):
    """Applies an activation by name or callable: ``Activation('relu')``."""

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations_module.get(activation)

    def call(self, inputs, training=False):
        return self.activation(inputs)

    def get_config(self):
        return {**super().get_config(), "activation": activations_module.serialize(self.activation)}


class Flatten(Layer):
    """``(batch, d1, d2, ...) -> (batch, d1 * d2 * ...)``.

    With ``data_format='channels_first'`` the channels are moved last first, so the flattened
    order is the same as for channels_last data (Keras's behaviour).
    """

    min_input_rank = 1

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = backend.normalize_data_format(data_format)

    def call(self, inputs, training=False):
        if self.data_format == "channels_first" and inputs.ndim > 2:
            inputs = ops_array.transpose(inputs, (0, *range(2, inputs.ndim), 1))
        if inputs.ndim == 1:
            return ops_array.reshape(inputs, (inputs.shape[0], 1))
        return ops_array.flatten(inputs)

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        size = None if any(d is None for d in rest) else math.prod(rest)
        return (input_shape[0], size)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class Reshape(Layer):
    """Reshape each sample to ``target_shape`` (no batch axis; one ``-1`` allowed)."""

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(int(d) for d in target_shape)
        if sum(d == -1 for d in self.target_shape) > 1:
            raise ValueError(f"Reshape target_shape can hold one -1, got {self.target_shape}")

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        target = list(self.target_shape)
        if any(d is None for d in rest):
            return (input_shape[0], *[None if d == -1 else d for d in target])
        size = math.prod(rest)
        known = math.prod(d for d in target if d != -1)
        if -1 in target:
            if known == 0 or size % known:
                raise ValueError(
                    f"Reshape '{self.name}' cannot reshape {format_shape(input_shape)} "
                    f"to {self.target_shape}"
                )
            target[target.index(-1)] = size // known
        elif known != size:
            raise ValueError(
                f"Reshape '{self.name}': target_shape {self.target_shape} has {known} elements, "
                f"input {format_shape(input_shape)} has {size} per sample"
            )
        return (input_shape[0], *target)

    def call(self, inputs, training=False):
        return ops_array.reshape(inputs, (inputs.shape[0], *self.target_shape))

    def get_config(self):
        return {**super().get_config(), "target_shape": self.target_shape}


class Permute(Layer):
    """Permute the non-batch axes; ``dims`` is 1-indexed, e.g. ``Permute((2, 1))``."""

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        self.dims = tuple(int(d) for d in dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(
                f"Permute dims must be a permutation of 1..{len(self.dims)}, got {self.dims}"
            )

    @property
    def input_rank(self):
        return len(self.dims) + 1

    def call(self, inputs, training=False):
        return ops_array.transpose(inputs, (0, *self.dims))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *[input_shape[d] for d in self.dims])

    def get_config(self):
        return {**super().get_config(), "dims": self.dims}


class Dropout(Layer):
    """Inverted dropout: in training, zero each value with probability ``rate`` and scale the
    rest by ``1 / (1 - rate)``; at inference, the identity."""

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0.0 <= float(rate) < 1.0:
            raise ValueError(f"Dropout rate must be in [0, 1), got {rate!r}")
        self.rate = float(rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed

    def noise_shape_for(self, inputs):
        return self.noise_shape

    def call(self, inputs, training=False):
        if not training or self.rate == 0.0:
            return inputs
        return ops_dropout.dropout(
            inputs, self.rate, training=True, noise_shape=self.noise_shape_for(inputs)
        )

    def get_config(self):
        return {
            **super().get_config(),
            "rate": self.rate,
            "noise_shape": self.noise_shape,
            "seed": self.seed,
        }


class _SpatialDropout(Dropout):
    """Drops whole feature maps (channels) instead of single values (Tompson et al. 2015)."""

    spatial_rank = 2

    def __init__(self, rate, data_format=None, **kwargs):
        kwargs.pop("noise_shape", None)
        super().__init__(rate, **kwargs)
        self.data_format = backend.normalize_data_format(data_format)

    @property
    def input_rank(self):
        return self.spatial_rank + 2

    def noise_shape_for(self, inputs):
        ones = (1,) * self.spatial_rank
        if self.data_format == "channels_first":
            return (inputs.shape[0], inputs.shape[1], *ones)
        return (inputs.shape[0], *ones, inputs.shape[-1])

    def get_config(self):
        config = super().get_config()
        config.pop("noise_shape")
        return {**config, "data_format": self.data_format}


class SpatialDropout1D(_SpatialDropout):
    spatial_rank = 1

    def __init__(self, rate, **kwargs):
        kwargs.setdefault("data_format", "channels_last")
        super().__init__(rate, **kwargs)


class SpatialDropout2D(_SpatialDropout):
    spatial_rank = 2


class SpatialDropout3D(_SpatialDropout):
    spatial_rank = 3


def __getattr__(name):
    # Keras 2 imported more from this path (``keras.layers.convolutional.UpSampling2D``, ...):
    # any layer of npconv.layers, looked up when asked for
    from .._missing import forward

    return forward(__name__, name)
