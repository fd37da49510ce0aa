"""Deterministic initializers: ``Zeros``, ``Ones``, ``Constant``, ``Identity``."""

from __future__ import annotations

from ..backend import xp
from .base import Initializer, _dtype, _shape


class Zeros(Initializer):
    """All zeros (Keras's default bias initializer)."""

    def __call__(self, shape, dtype=None):
        return xp.zeros(_shape(shape), dtype=_dtype(dtype))


class Ones(Initializer):
    """All ones (e.g. BatchNormalization's ``gamma``)."""

    def __call__(self, shape, dtype=None):
        return xp.ones(_shape(shape), dtype=_dtype(dtype))


class Constant(Initializer):
    """Every element equal to ``value``.

    Keras documents only scalars; like Keras's implementation (``value * ones(shape)``), an
    array that broadcasts to the requested shape works too.
    """

    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        shape, dt = _shape(shape), _dtype(dtype)
        value = xp.asarray(self.value, dtype=dt)
        return xp.array(xp.broadcast_to(value, shape), dtype=dt)

    def get_config(self) -> dict:
        value = self.value
        if isinstance(value, xp.ndarray | xp.generic):
            value = value.tolist()
        return {"value": value}

    @classmethod
    def from_config(cls, config: dict):
        value = config.get("value", 0.0)
        if isinstance(value, dict) and value.get("class_name") == "__numpy__":
            # Keras's serialization of a NumPy value
            inner = value["config"]
            value = xp.asarray(inner["value"], dtype=inner.get("dtype"))
        return cls(value)


class Identity(Initializer):
    """``gain`` times the identity matrix; 2-D shapes only (rectangular allowed), as Keras 3.

    ``get_config()`` includes ``gain`` (Keras 3.15's returns ``{}``, losing a non-default gain).
    """

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        shape = _shape(shape)
        if len(shape) != 2:
            raise ValueError(
                "Identity matrix initializer can only be used for 2D matrices. "
                f"Received: shape={shape} of rank {len(shape)}."
            )
        dt = _dtype(dtype)
        return (xp.eye(*shape, dtype=dt) * dt.type(self.gain)).astype(dt, copy=False)

    def get_config(self) -> dict:
        return {"gain": self.gain}
