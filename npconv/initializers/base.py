"""The ``Initializer`` base class, the seed policy and Keras's fan computation.

Seeds, as in Keras 3:

- ``seed=None``: every call draws from the backend's generator (``npconv.backend.rng()``), so
  two calls give different values and ``npconv.backend.set_seed(n)`` (or
  ``npconv.utils.set_random_seed(n)``) makes a whole run repeat exactly.
- ``seed=<int>``: every call draws from a fresh ``numpy.random.default_rng(seed)``, so the
  initializer returns the same values on every call (Keras 3's documented behaviour for integer
  seeds), whatever the global seed is.
"""

from __future__ import annotations

import numbers

from .. import backend
from ..backend import xp


def _shape(shape) -> tuple[int, ...]:
    if isinstance(shape, numbers.Integral):
        return (int(shape),)
    return tuple(int(s) for s in shape)


def _dtype(dtype):
    """``dtype`` as a NumPy dtype, ``floatx()`` when ``None``."""
    return xp.dtype(backend.floatx() if dtype is None else dtype)


def _float_dtype(dtype, who: str):
    dt = _dtype(dtype)
    if not xp.issubdtype(dt, xp.floating):
        raise ValueError(f"{who} draws floating-point values; got dtype={dt.name!r}")
    return dt


def _draw_dtype(dt):
    """The dtype random numbers are drawn in: float64 for float64 results, else float32."""
    return xp.float64 if dt == xp.float64 else xp.float32


def compute_fans(shape, input_axes=None, output_axes=None) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight shape, exactly as Keras computes them.

    - given both ``input_axes`` and ``output_axes``: the products of those dimensions;
    - scalar: ``(1, 1)``; vector ``(n,)``: ``(n, n)``; dense kernel ``(in, out)``: ``(in, out)``;
    - conv kernel ``(*kernel_size, in_channels, filters)``: with ``r = prod(kernel_size)`` (the
      receptive field size), ``(r * in_channels, r * filters)``.
    """
    shape = _shape(shape)
    if input_axes is not None and output_axes is not None:
        fan_in = 1
        for axis in input_axes:
            fan_in *= shape[axis]
        fan_out = 1
        for axis in output_axes:
            fan_out *= shape[axis]
        return int(fan_in), int(fan_out)
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive_field_size = 1
    for dim in shape[:-2]:
        receptive_field_size *= dim
    return shape[-2] * receptive_field_size, shape[-1] * receptive_field_size


class Initializer:
    """Base class: ``initializer(shape, dtype=None)`` returns an array of that shape and dtype
    (``floatx()``, float32 by default).

    Subclasses implement ``__call__``; ``get_config()`` returns the constructor's arguments,
    so the default ``from_config(config)`` is ``cls(**config)``.
    """

    def __call__(self, shape, dtype=None):
        raise NotImplementedError("Initializer subclasses must implement the `__call__()` method.")

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def clone(self):
        return self.__class__.from_config(self.get_config())

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class RandomInitializer(Initializer):
    """An initializer that draws random numbers; holds the ``seed`` (``None`` or an int)."""

    def __init__(self, seed=None):
        if seed is not None and (
            isinstance(seed, bool) or not isinstance(seed, numbers.Integral)
        ):
            raise ValueError(
                f"`seed` argument should be None or an integer. Received: seed={seed!r}"
            )
        self.seed = None if seed is None else int(seed)

    def generator(self):
        """The generator for one call: the backend's, or a fresh one seeded with ``seed``."""
        if self.seed is None:
            return backend.rng()
        return xp.random.default_rng(self.seed)

    def get_config(self) -> dict:
        return {"seed": self.seed}

    # the three distributions every random initializer is built from
    def _normal(self, shape, mean, stddev, dtype):
        dt = _float_dtype(dtype, type(self).__name__)
        z = self.generator().standard_normal(_shape(shape), dtype=_draw_dtype(dt))
        return _affine(z, mean, stddev, dt)

    def _truncated_normal(self, shape, mean, stddev, dtype):
        """Normal draws; those more than 2 standard deviations from the mean are drawn again
        (TensorFlow's ``truncated_normal``, which Keras uses)."""
        dt = _float_dtype(dtype, type(self).__name__)
        g, ddt = self.generator(), _draw_dtype(dt)
        z = g.standard_normal(_shape(shape), dtype=ddt)
        flat = z.reshape(-1)
        redo = xp.flatnonzero(xp.abs(flat) > 2.0)
        while redo.size:
            fresh = g.standard_normal(redo.size, dtype=ddt)
            flat[redo] = fresh
            redo = redo[xp.abs(fresh) > 2.0]
        return _affine(z, mean, stddev, dt)

    def _uniform(self, shape, minval, maxval, dtype):
        dt = _float_dtype(dtype, type(self).__name__)
        u = self.generator().random(_shape(shape), dtype=_draw_dtype(dt))
        return _affine(u, minval, maxval - minval, dt)


def _affine(z, shift, scale, dt):
    """``shift + scale * z`` in place, cast to ``dt``."""
    z *= z.dtype.type(scale)
    z += z.dtype.type(shift)
    return z.astype(dt, copy=False)
