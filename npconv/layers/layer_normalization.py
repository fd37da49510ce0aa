"""Per-sample normalization layers: ``LayerNormalization`` (Ba et al. 2016),
``GroupNormalization`` (Wu & He 2018) and ``UnitNormalization``.

They normalize each sample by its own statistics, so they behave the same in training and at
inference and hold no moving averages (compare ``BatchNormalization``). Weights in Keras's
order: ``gamma`` then ``beta``, each present only when ``scale`` / ``center`` is true. Axes are
numbered with the batch axis as 0, as Keras numbers them. The arithmetic is
``npconv.functions.layer_normalization``.
"""

from __future__ import annotations

import numbers

from ..functions import layer_normalization as ln
from .base import Layer, format_shape


def _ser_init(value):
    from .. import initializers

    return initializers.serialize(initializers.get(value))


def _ser(value, module):
    return None if value is None else module.serialize(module.get(value))


class _AffineNorm(Layer):
    """``gamma``/``beta`` bookkeeping shared by layer and group normalization."""

    def _init_affine(self, epsilon, center, scale, beta_initializer, gamma_initializer,
                     beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint):
        self.epsilon = float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer, self.gamma_initializer = beta_initializer, gamma_initializer
        self.beta_regularizer, self.gamma_regularizer = beta_regularizer, gamma_regularizer
        self.beta_constraint, self.gamma_constraint = beta_constraint, gamma_constraint

    def _add_affine(self, shape, with_beta=True):
        self.gamma = self.beta = None
        if self.scale:
            self.gamma = self.add_weight(shape, self.gamma_initializer, name="gamma",
                                         regularizer=self.gamma_regularizer,
                                         constraint=self.gamma_constraint)
        if self.center and with_beta:
            self.beta = self.add_weight(shape, self.beta_initializer, name="beta",
                                        regularizer=self.beta_regularizer,
                                        constraint=self.beta_constraint)

    def _affine_config(self):
        from .. import constraints, regularizers

        return {
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": _ser_init(self.beta_initializer),
            "gamma_initializer": _ser_init(self.gamma_initializer),
            "beta_regularizer": _ser(self.beta_regularizer, regularizers),
            "gamma_regularizer": _ser(self.gamma_regularizer, regularizers),
            "beta_constraint": _ser(self.beta_constraint, constraints),
            "gamma_constraint": _ser(self.gamma_constraint, constraints),
        }

    def _axis_list(self, input_shape, axes):
        rank = len(input_shape)
        out = []
        for a in axes:
            if not -rank <= a < rank:
                raise ValueError(
                    f"{type(self).__name__} '{self.name}': axis {a} is out of range for input "
                    f"of shape {format_shape(input_shape)}"
                )
            out.append(a % rank)
        return sorted(out)


def _axis_arg(axis, name):
    if isinstance(axis, numbers.Integral) and not isinstance(axis, bool):
        return int(axis)
    try:
        return [int(a) for a in axis]
    except TypeError:
        raise ValueError(f"{name} axis must be an int or a list of ints, got {axis!r}") from None


class LayerNormalization(_AffineNorm):
    """Normalizes each sample over ``axis`` (default the last; an int or a list), then scales by
    ``gamma`` and shifts by ``beta`` (shaped like those axes):

        y = (x - mean) / sqrt(var + epsilon) * gamma + beta

    ``rms_scaling=True`` is Keras's deprecated variant: ``y = x / sqrt(var + epsilon) *
    gamma``, no ``beta``.
    """

    def __init__(
        self,
        axis=-1,
        epsilon=1e-3,
        center=True,
        scale=True,
        rms_scaling=False,
        beta_initializer="zeros",
        gamma_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.axis = _axis_arg(axis, "LayerNormalization")
        self.rms_scaling = bool(rms_scaling)
        self._init_affine(epsilon, center, scale, beta_initializer, gamma_initializer,
                          beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint)

    def build(self, input_shape):
        axes = [self.axis] if isinstance(self.axis, int) else self.axis
        self._axes = self._axis_list(input_shape, axes)
        shape = tuple(input_shape[a] for a in self._axes)
        if 0 in self._axes or any(d is None for d in shape):
            raise ValueError(
                f"LayerNormalization '{self.name}' needs known sizes on axis {self.axis} (not "
                f"the batch axis), got input of shape {format_shape(input_shape)}"
            )
        self._add_affine(shape, with_beta=not self.rms_scaling)

    def call(self, inputs, training=False):
        return ln.layer_norm(inputs, self.gamma, self.beta, axes=self._axes,
                             epsilon=self.epsilon, rms_scaling=self.rms_scaling)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "rms_scaling": self.rms_scaling,
                **self._affine_config()}


class GroupNormalization(_AffineNorm):
    """Splits the channels (``axis``, default the last) into ``groups`` groups and normalizes
    each sample's group over its channels and all spatial positions, then applies a
    per-channel ``gamma`` and ``beta``. ``groups=-1`` means one group per channel (instance
    normalization); ``groups=1`` normalizes over everything but the batch."""

    def __init__(
        self,
        groups=32,
        axis=-1,
        epsilon=1e-3,
        center=True,
        scale=True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if isinstance(groups, bool) or not isinstance(groups, numbers.Integral) or not (
                groups == -1 or groups >= 1):
            raise ValueError(f"GroupNormalization groups must be -1 or positive, got {groups!r}")
        self.groups = int(groups)
        self.axis = int(axis)
        self._init_affine(epsilon, center, scale, beta_initializer, gamma_initializer,
                          beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint)

    def build(self, input_shape):
        self._axis = self._axis_list(input_shape, [self.axis])[0]
        channels = input_shape[self._axis]
        if channels is None or self._axis == 0:
            raise ValueError(
                f"GroupNormalization '{self.name}' needs a known number of channels on axis "
                f"{self.axis}, got input of shape {format_shape(input_shape)}"
            )
        if self.groups == -1:
            self.groups = channels
        if channels < self.groups or channels % self.groups:
            raise ValueError(
                f"GroupNormalization '{self.name}': the number of channels ({channels}) must "
                f"be a multiple of groups ({self.groups})"
            )
        self._add_affine((channels,))

    def call(self, inputs, training=False):
        return ln.group_norm(inputs, self.groups, self.gamma, self.beta, axis=self._axis,
                             epsilon=self.epsilon)

    def get_config(self):
        return {**super().get_config(), "groups": self.groups, "axis": self.axis,
                **self._affine_config()}


class UnitNormalization(Layer):
    """Scales each sample to unit L2 norm over ``axis`` (an int or a list):
    ``x / sqrt(max(sum(x ** 2), 1e-12))``."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = _axis_arg(axis, "UnitNormalization")

    def call(self, inputs, training=False):
        return ln.l2_normalize(inputs, axes=self.axis)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
