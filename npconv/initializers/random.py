"""Random initializers: the plain distributions, ``VarianceScaling`` and its named cases
(Glorot, He, LeCun), and ``Orthogonal``. Formulas are Keras 3's
(``keras/src/initializers/random_initializers.py``); draws come from ``npconv.backend.rng()``
unless a ``seed`` is given (see ``npconv.initializers.base``)."""

from __future__ import annotations

import math

from ..backend import xp
from .base import RandomInitializer, _draw_dtype, _float_dtype, _shape, compute_fans

# The standard deviation of a standard normal truncated to [-2, 2]: dividing by it makes the
# truncated draws have the requested standard deviation (Keras's constant).
TRUNCATED_NORMAL_STDDEV = 0.87962566103423978


class RandomNormal(RandomInitializer):
    """Normal draws with ``mean`` and ``stddev``."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean = mean
        self.stddev = stddev
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        return self._normal(shape, self.mean, self.stddev, dtype)

    def get_config(self) -> dict:
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


class TruncatedNormal(RandomInitializer):
    """Normal draws with ``mean`` and ``stddev``; values more than two standard deviations from
    the mean are discarded and drawn again (so all values lie in ``mean +- 2 stddev``)."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean = mean
        self.stddev = stddev
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        return self._truncated_normal(shape, self.mean, self.stddev, dtype)

    def get_config(self) -> dict:
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


class RandomUniform(RandomInitializer):
    """Uniform draws in ``[minval, maxval)``."""

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval = minval
        self.maxval = maxval
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        return self._uniform(shape, self.minval, self.maxval, dtype)

    def get_config(self) -> dict:
        return {**super().get_config(), "minval": self.minval, "maxval": self.maxval}


class VarianceScaling(RandomInitializer):
    """Draws whose variance is ``scale / n``, ``n`` from the weight's shape.

    ``n`` is ``fan_in``, ``fan_out`` or their mean (``mode``), computed by ``compute_fans``: for
    a conv kernel ``(*kernel_size, in, out)`` the receptive field size times ``in`` (``out``);
    ``n`` is at least 1.

    - ``distribution='truncated_normal'`` (``'normal'`` is an alias): a normal truncated at two
      standard deviations, with ``stddev = sqrt(scale / n) / 0.87962566103423978`` so that the
      standard deviation *after* truncation is ``sqrt(scale / n)``;
    - ``'untruncated_normal'``: a normal with ``stddev = sqrt(scale / n)``;
    - ``'uniform'``: uniform in ``[-limit, limit]``, ``limit = sqrt(3 * scale / n)``.

    ``input_axes``/``output_axes`` (Keras 3.x): the axes whose product is the fan-in/fan-out,
    overriding the shape rules.
    """

    _MODES = ("fan_in", "fan_out", "fan_avg")
    _DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")

    def __init__(
        self,
        scale=1.0,
        mode="fan_in",
        distribution="truncated_normal",
        seed=None,
        input_axes=None,
        output_axes=None,
    ):
        if scale <= 0.0:
            raise ValueError(f"Argument `scale` must be positive float. Received: scale={scale}")
        if mode not in self._MODES:
            raise ValueError(f"Invalid `mode` argument: {mode!r}. Please use one of {self._MODES}")
        distribution = str(distribution).lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in self._DISTRIBUTIONS:
            raise ValueError(
                f"Invalid `distribution` argument: {distribution!r}. "
                f"Please use one of {self._DISTRIBUTIONS}"
            )
        self.scale = scale
        self.mode = mode
        self.distribution = distribution
        self.input_axes = input_axes
        self.output_axes = output_axes
        super().__init__(seed=seed)

    def variance(self, shape) -> float:
        """``scale / n`` for ``shape``: the variance the draws will have."""
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        if self.mode == "fan_in":
            n = fan_in
        elif self.mode == "fan_out":
            n = fan_out
        else:
            n = (fan_in + fan_out) / 2.0
        return self.scale / max(1.0, n)

    def __call__(self, shape, dtype=None):
        scale = self.variance(shape)
        if self.distribution == "truncated_normal":
            stddev = math.sqrt(scale) / TRUNCATED_NORMAL_STDDEV
            return self._truncated_normal(shape, 0.0, stddev, dtype)
        if self.distribution == "untruncated_normal":
            return self._normal(shape, 0.0, math.sqrt(scale), dtype)
        limit = math.sqrt(3.0 * scale)
        return self._uniform(shape, -limit, limit, dtype)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "scale": self.scale,
            "mode": self.mode,
            "distribution": self.distribution,
            "input_axes": self.input_axes,
            "output_axes": self.output_axes,
        }


class _NamedVarianceScaling(VarianceScaling):
    """A ``VarianceScaling`` with fixed scale, mode and distribution (config: seed and axes)."""

    _SCALE = 1.0
    _MODE = "fan_in"
    _DISTRIBUTION = "truncated_normal"

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        super().__init__(
            scale=self._SCALE,
            mode=self._MODE,
            distribution=self._DISTRIBUTION,
            seed=seed,
            input_axes=input_axes,
            output_axes=output_axes,
        )

    def get_config(self) -> dict:
        return {"seed": self.seed, "input_axes": self.input_axes, "output_axes": self.output_axes}


class GlorotUniform(_NamedVarianceScaling):
    """Glorot (Xavier) uniform: ``U[-limit, limit]``, ``limit = sqrt(6 / (fan_in + fan_out))``.
    Keras's default kernel initializer."""

    _MODE, _DISTRIBUTION = "fan_avg", "uniform"


class GlorotNormal(_NamedVarianceScaling):
    """Glorot (Xavier) normal: truncated normal, ``stddev = sqrt(2 / (fan_in + fan_out))``."""

    _MODE, _DISTRIBUTION = "fan_avg", "truncated_normal"


class HeNormal(_NamedVarianceScaling):
    """He normal: truncated normal with ``stddev = sqrt(2 / fan_in)`` (for ReLU networks)."""

    _SCALE, _MODE, _DISTRIBUTION = 2.0, "fan_in", "truncated_normal"


class HeUniform(_NamedVarianceScaling):
    """He uniform: ``U[-limit, limit]``, ``limit = sqrt(6 / fan_in)``."""

    _SCALE, _MODE, _DISTRIBUTION = 2.0, "fan_in", "uniform"


class LecunNormal(_NamedVarianceScaling):
    """LeCun normal: truncated normal with ``stddev = sqrt(1 / fan_in)`` (for SELU networks)."""

    _SCALE, _MODE, _DISTRIBUTION = 1.0, "fan_in", "truncated_normal"


class LecunUniform(_NamedVarianceScaling):
    """LeCun uniform: ``U[-limit, limit]``, ``limit = sqrt(3 / fan_in)``."""

    _SCALE, _MODE, _DISTRIBUTION = 1.0, "fan_in", "uniform"


class Orthogonal(RandomInitializer):
    """A (semi-)orthogonal matrix times ``gain`` (Saxe et al., 2014).

    The shape is flattened to ``(prod(shape[:-1]), shape[-1])``; a normal matrix of shape
    ``(max(rows, cols), min(rows, cols))`` is QR-factored, ``Q``'s columns are multiplied by the
    signs of ``R``'s diagonal (so the result is uniformly distributed), transposed when there
    are fewer rows than columns, and reshaped. The result has orthonormal columns (rows when
    ``rows < cols``). Shapes of rank < 2 are an error, as in Keras.
    """

    def __init__(self, gain=1.0, seed=None):
        self.gain = gain
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        shape = _shape(shape)
        if len(shape) < 2:
            raise ValueError(
                "The tensor to initialize must be at least two-dimensional. "
                f"Received: shape={shape} of rank {len(shape)}."
            )
        dt = _float_dtype(dtype, "Orthogonal")
        num_rows = math.prod(shape[:-1])
        num_cols = shape[-1]
        flat_shape = (max(num_rows, num_cols), min(num_rows, num_cols))
        a = self.generator().standard_normal(flat_shape, dtype=_draw_dtype(dt))
        q, r = xp.linalg.qr(a.astype(xp.float64))  # factor in float64 for exact orthogonality
        q *= xp.where(xp.diag(r) < 0, -1.0, 1.0)  # sign(0) taken as +1
        if num_rows < num_cols:
            q = q.T
        return (self.gain * q).reshape(shape).astype(dt)

    def get_config(self) -> dict:
        return {**super().get_config(), "gain": self.gain}
