"""``PReLU`` (He et al. 2015: a ReLU whose negative slope is learned) and ``ThresholdedReLU``
(Keras 2's ``advanced_activations``; Keras 3 dropped it, npconv keeps it for the tutorials that
use it). The arithmetic is ``npconv.functions.prelu``.
"""

from __future__ import annotations

import numbers

from ..functions import prelu as ops_prelu
from .base import Layer, format_shape


class PReLU(Layer):
    """``y = x`` where ``x > 0``, else ``alpha * x``, with a learned ``alpha`` per feature.

    ``alpha`` has one sample's shape (``input_shape[1:]``), with size 1 on each of
    ``shared_axes`` (numbered from 1, the batch axis being 0): ``shared_axes=[1, 2]`` on images
    ``(batch, rows, cols, channels)`` learns one slope per channel. Initialized by
    ``alpha_initializer`` (Keras's default ``'zeros'``: a plain ReLU at the start).
    """

    min_input_rank = 2

    def __init__(
        self,
        alpha_initializer="zeros",
        alpha_regularizer=None,
        alpha_constraint=None,
        shared_axes=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.alpha_initializer = alpha_initializer
        self.alpha_regularizer = alpha_regularizer
        self.alpha_constraint = alpha_constraint
        if shared_axes is None:
            self.shared_axes = None
        elif isinstance(shared_axes, numbers.Integral):
            self.shared_axes = [int(shared_axes)]
        else:
            self.shared_axes = [int(a) for a in shared_axes]

    def build(self, input_shape):
        shape = list(input_shape[1:])
        for a in self.shared_axes or []:
            if not 1 <= a < len(input_shape):
                raise ValueError(
                    f"PReLU '{self.name}': shared axis {a} is not an axis of a sample of the "
                    f"input of shape {format_shape(input_shape)} (axes are numbered from 1)"
                )
            shape[a - 1] = 1
        if any(d is None for d in shape):
            raise ValueError(
                f"PReLU '{self.name}' needs known sizes on every unshared axis, got input of "
                f"shape {format_shape(input_shape)}"
            )
        self.alpha = self.add_weight(tuple(shape), self.alpha_initializer, name="alpha",
                                     regularizer=self.alpha_regularizer,
                                     constraint=self.alpha_constraint)

    def call(self, inputs, training=False):
        return ops_prelu.prelu(inputs, self.alpha)

    def get_config(self):
        from .. import constraints, initializers, regularizers

        def ser(value, module):
            return None if value is None else module.serialize(module.get(value))

        return {
            **super().get_config(),
            "alpha_initializer": initializers.serialize(initializers.get(self.alpha_initializer)),
            "alpha_regularizer": ser(self.alpha_regularizer, regularizers),
            "alpha_constraint": ser(self.alpha_constraint, constraints),
            "shared_axes": self.shared_axes,
        }


class ThresholdedReLU(Layer):
    """``y = x`` where ``x > theta``, else 0 (Keras 2's layer; ``theta=1.0`` by default)."""

    def __init__(self, theta=1.0, **kwargs):
        super().__init__(**kwargs)
        if theta is None or float(theta) < 0:
            raise ValueError(f"ThresholdedReLU theta must be a non-negative number, got {theta!r}")
        self.theta = float(theta)

    def call(self, inputs, training=False):
        return ops_prelu.thresholded_relu(inputs, self.theta)

    def get_config(self):
        return {**super().get_config(), "theta": self.theta}
