"""Keras's weight constraints: ``MaxNorm``, ``NonNeg``, ``UnitNorm``, ``MinMaxNorm``.

A constraint is a projection applied to a weight's array after each optimizer update
(``Dense(..., kernel_constraint=MaxNorm(3))``): ``constraint(w)`` takes an array and returns the
projected array of the same shape and dtype. Max-norm regularization (Srivastava et al., 2014,
used with dropout) is ``MaxNorm``.

Norms are taken over ``axis``: ``0`` for a Dense kernel ``(in, out)`` (each unit's incoming
weights); for a conv kernel ``(*kernel_size, in, filters)`` pass all axes but the last
(``axis=[0, 1, 2]`` for Conv2D) to constrain each filter. Tuples and lists are accepted.

Formulas are Keras 3's, including where the fuzz factor ``epsilon()`` (1e-7) goes:
``w * clip(norm, lo, hi) / (epsilon + norm)``. As in Keras 3, ``max_norm``, ``non_neg``,
``unit_norm`` and ``min_max_norm`` are the classes; Keras 2's ``maxnorm``, ``nonneg`` and
``unitnorm`` are kept as aliases too (Keras 3 dropped them).
"""

from __future__ import annotations

import inspect

from .. import backend
from .._serialization import serialize_object
from ..backend import xp

__all__ = [
    "Constraint",
    "MaxNorm",
    "NonNeg",
    "UnitNorm",
    "MinMaxNorm",
    "max_norm",
    "non_neg",
    "unit_norm",
    "min_max_norm",
    "maxnorm",
    "nonneg",
    "unitnorm",
    "get",
    "serialize",
    "deserialize",
]


def _as_float_array(w):
    w = xp.asarray(w)
    return w if xp.issubdtype(w.dtype, xp.floating) else w.astype(backend.floatx())


def _axis(axis):
    return tuple(axis) if isinstance(axis, list | tuple) else axis


def _norms(w, axis):
    """The L2 norms of ``w`` over ``axis``, kept as size-1 axes so they broadcast."""
    return xp.sqrt(xp.sum(xp.square(w), axis=_axis(axis), keepdims=True))


def _rescale(w, desired, norms):
    """``w * (desired / (epsilon + norms))`` in ``w``'s dtype, as Keras writes it."""
    eps = w.dtype.type(backend.epsilon())
    return (w * (desired / (eps + norms))).astype(w.dtype, copy=False)


class Constraint:
    """Base class: ``constraint(w)`` returns the projected weight (this base: ``w`` unchanged)."""

    def __call__(self, w):
        return w

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class MaxNorm(Constraint):
    """Rescale each slice whose L2 norm over ``axis`` exceeds ``max_value`` down to it:
    ``w * clip(norm, 0, max_value) / (epsilon + norm)``."""

    def __init__(self, max_value=2, axis=0):
        self.max_value = max_value
        self.axis = axis

    def __call__(self, w):
        w = _as_float_array(w)
        norms = _norms(w, self.axis)
        desired = xp.clip(norms, 0, self.max_value).astype(w.dtype, copy=False)
        return _rescale(w, desired, norms)

    def get_config(self) -> dict:
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Negative weights set to zero: ``maximum(w, 0)``."""

    def __call__(self, w):
        w = _as_float_array(w)
        return xp.maximum(w, w.dtype.type(0))


class UnitNorm(Constraint):
    """Each slice over ``axis`` scaled to unit L2 norm: ``w / (epsilon + norm)``."""

    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        w = _as_float_array(w)
        norms = _norms(w, self.axis)
        eps = w.dtype.type(backend.epsilon())
        return (w / (eps + norms)).astype(w.dtype, copy=False)

    def get_config(self) -> dict:
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Each slice's L2 norm moved into ``[min_value, max_value]`` at ``rate``:
    ``desired = rate * clip(norm, min_value, max_value) + (1 - rate) * norm``, then
    ``w * desired / (epsilon + norm)``. ``rate=1`` enforces the bounds strictly."""

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value = min_value
        self.max_value = max_value
        self.rate = rate
        self.axis = axis

    def __call__(self, w):
        w = _as_float_array(w)
        norms = _norms(w, self.axis)
        t = w.dtype.type
        desired = t(self.rate) * xp.clip(norms, t(self.min_value), t(self.max_value)) + (
            t(1 - self.rate) * norms
        )
        return _rescale(w, desired.astype(w.dtype, copy=False), norms)

    def get_config(self) -> dict:
        return {
            "min_value": self.min_value,
            "max_value": self.max_value,
            "rate": self.rate,
            "axis": self.axis,
        }


# Keras 3: the lower-case names are the classes; Keras 2's older spellings kept as aliases
max_norm = maxnorm = MaxNorm
non_neg = nonneg = NonNeg
unit_norm = unitnorm = UnitNorm
min_max_norm = MinMaxNorm

_BY_NAME = {
    "Constraint": Constraint,
    "constraint": Constraint,
    "MaxNorm": MaxNorm,
    "max_norm": MaxNorm,
    "maxnorm": MaxNorm,
    "NonNeg": NonNeg,
    "non_neg": NonNeg,
    "nonneg": NonNeg,
    "UnitNorm": UnitNorm,
    "unit_norm": UnitNorm,
    "unitnorm": UnitNorm,
    "MinMaxNorm": MinMaxNorm,
    "min_max_norm": MinMaxNorm,
}
_MODULE = "keras.constraints"


def _valid_names() -> str:
    return ", ".join(sorted(n for n in _BY_NAME if n not in ("Constraint", "constraint")))


def _lookup(name: str, custom_objects=None):
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    cls = _BY_NAME.get(name)
    if cls is None:
        raise ValueError(
            f"Could not interpret constraint identifier: {name!r}. "
            f"Valid names are: {_valid_names()}"
        )
    return cls


def serialize(constraint):
    """The config dict of ``constraint`` in Keras 3's format (``None`` for ``None``)."""
    return serialize_object(constraint, _BY_NAME, _MODULE)


def deserialize(config, custom_objects=None):
    """A constraint from ``serialize()``'s dict (Keras 2 or 3 format) or a name."""
    if isinstance(config, str):
        return _lookup(config, custom_objects)()
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Could not interpret constraint config: {config!r}")
    if config["class_name"] == "function":
        fn = (custom_objects or {}).get(config.get("config"))
        if fn is None:
            raise ValueError(
                f"Constraint function {config.get('config')!r} is unknown: pass it in "
                "custom_objects"
            )
        return fn
    cls = _lookup(config["class_name"], custom_objects)
    return cls.from_config(dict(config.get("config") or {}))


def get(identifier):
    """A constraint from a name (``'max_norm'``), a config dict, a class, or an
    instance/callable (returned as is); ``None`` gives ``None``. Unknown names raise
    ``ValueError`` listing the valid ones."""
    if identifier is None:
        return None
    if isinstance(identifier, str | dict):
        return deserialize(identifier)
    if inspect.isclass(identifier):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(
        f"Could not interpret constraint identifier: {identifier!r}. "
        f"Valid names are: {_valid_names()}"
    )
