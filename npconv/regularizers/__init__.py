"""Keras's weight and activity regularizers: ``L1``, ``L2``, ``L1L2``.

A regularizer is called on a Tensor (a weight, or a layer's output for
``activity_regularizer``) and returns a scalar Tensor built from ``npconv.functions.array``, so the
penalty is differentiable and is simply added to the loss::

    L1L2(l1, l2)(x) = l1 * sum(abs(x)) + l2 * sum(square(x))

As in Keras 3, ``l1``, ``l2`` and ``l1_l2`` are the classes ``L1``, ``L2`` and ``L1L2`` (Keras 2's
``l1_l2()`` was a function defaulting to ``l1=l2=0.01``; Keras 3's ``L1L2`` defaults to 0.0).
String look-ups: ``'l1'``, ``'l2'``, ``'L1'``, ``'L2'``, ``'L1L2'`` and ``'l1l2'`` give the
defaults, as in Keras 3. ``'l1_l2'`` gives ``L1L2(l1=0.01, l2=0.01)``: Keras 3 documents that
(and Keras 2 did it) though Keras 3.15 itself rejects the string. ``OrthogonalRegularizer`` is
not provided.
"""

from __future__ import annotations

import inspect
import math
import numbers

from .._serialization import serialize_object
from ..autograd import Tensor, as_tensor
from ..backend import floatx, xp
from ..functions import array as ops

__all__ = ["Regularizer", "L1", "L2", "L1L2", "l1", "l2", "l1_l2", "get", "serialize",
           "deserialize"]


def validate_float_arg(value, name: str) -> float:
    """``value`` as a float; ``ValueError`` unless it is a finite, non-negative number."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or math.isinf(value)
        or math.isnan(value)
        or value < 0
    ):
        raise ValueError(
            f"Invalid value for argument {name}: expected a non-negative float. "
            f"Received: {name}={value!r}"
        )
    return float(value)


def _float_dtype(x: Tensor):
    return x.dtype if xp.issubdtype(x.dtype, xp.floating) else xp.dtype(floatx())


def _zero(x: Tensor) -> Tensor:
    return Tensor(xp.zeros((), dtype=_float_dtype(x)))


class Regularizer:
    """Base class: ``regularizer(x)`` returns a scalar penalty Tensor to add to the loss.

    Any function ``x -> scalar Tensor`` works as a regularizer too; subclass this to get
    ``get_config``/``from_config`` serialization.
    """

    def __call__(self, x) -> Tensor:
        return _zero(as_tensor(x))

    def get_config(self) -> dict:
        raise NotImplementedError(f"{type(self).__name__} does not implement get_config()")

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self):
        try:
            args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        except NotImplementedError:
            args = ""
        return f"{type(self).__name__}({args})"


class L1L2(Regularizer):
    """``l1 * sum(abs(x)) + l2 * sum(square(x))``; a zero factor's term is left out."""

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = validate_float_arg(0.0 if l1 is None else l1, name="l1")
        self.l2 = validate_float_arg(0.0 if l2 is None else l2, name="l2")

    def __call__(self, x) -> Tensor:
        x = as_tensor(x)
        penalty = None
        if self.l1 != 0.0:
            penalty = ops.mul(self.l1, ops.sum(ops.abs(x)))
        if self.l2 != 0.0:
            term = ops.mul(self.l2, ops.sum(ops.square(x)))
            penalty = term if penalty is None else penalty + term
        return _zero(x) if penalty is None else penalty

    def get_config(self) -> dict:
        return {"l1": self.l1, "l2": self.l2}


class L1(Regularizer):
    """``l1 * sum(abs(x))`` (lasso; pushes weights to exactly zero)."""

    def __init__(self, l1=0.01):
        self.l1 = validate_float_arg(0.01 if l1 is None else l1, name="l1")

    def __call__(self, x) -> Tensor:
        return ops.mul(self.l1, ops.sum(ops.abs(as_tensor(x))))

    def get_config(self) -> dict:
        return {"l1": self.l1}


class L2(Regularizer):
    """``l2 * sum(square(x))`` (weight decay; note: no factor 1/2, as in Keras)."""

    def __init__(self, l2=0.01):
        self.l2 = validate_float_arg(0.01 if l2 is None else l2, name="l2")

    def __call__(self, x) -> Tensor:
        return ops.mul(self.l2, ops.sum(ops.square(as_tensor(x))))

    def get_config(self) -> dict:
        return {"l2": self.l2}


# Keras 3: the lower-case names are the classes
l1 = L1
l2 = L2
l1_l2 = L1L2

_CLASSES = (Regularizer, L1, L2, L1L2)
_BY_NAME = {
    "Regularizer": Regularizer,
    "regularizer": Regularizer,
    "L1": L1,
    "l1": L1,
    "L2": L2,
    "l2": L2,
    "L1L2": L1L2,
    "l1l2": L1L2,
}
_MODULE = "keras.regularizers"


def _valid_names() -> str:
    names = [n for n in _BY_NAME if n not in ("Regularizer", "regularizer")] + ["l1_l2"]
    return ", ".join(sorted(names))


def _lookup(name: str, custom_objects=None):
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    cls = _BY_NAME.get(name)
    if cls is None:
        raise ValueError(
            f"Could not interpret regularizer identifier: {name!r}. "
            f"Valid names are: {_valid_names()}"
        )
    return cls


def serialize(regularizer):
    """The config dict of ``regularizer`` in Keras 3's format (``None`` for ``None``)."""
    return serialize_object(regularizer, _BY_NAME, _MODULE)


def deserialize(config, custom_objects=None):
    """A regularizer from ``serialize()``'s dict (Keras 2 or 3 format) or a name."""
    if isinstance(config, str):
        if config == "l1_l2":
            return L1L2(l1=0.01, l2=0.01)
        return _lookup(config, custom_objects)()
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Could not interpret regularizer config: {config!r}")
    if config["class_name"] == "function":
        fn = (custom_objects or {}).get(config.get("config"))
        if fn is None:
            raise ValueError(
                f"Regularizer function {config.get('config')!r} is unknown: pass it in "
                "custom_objects"
            )
        return fn
    cls = _lookup(config["class_name"], custom_objects)
    return cls.from_config(dict(config.get("config") or {}))


def get(identifier):
    """A regularizer from a name (``'l2'``), a config dict, a class, or an instance/callable
    (returned as is); ``None`` gives ``None``. Unknown names raise ``ValueError`` listing the
    valid ones."""
    if identifier is None:
        return None
    if isinstance(identifier, str | dict):
        return deserialize(identifier)
    if inspect.isclass(identifier):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(
        f"Could not interpret regularizer identifier: {identifier!r}. "
        f"Valid names are: {_valid_names()}"
    )
