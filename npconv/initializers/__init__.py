"""Keras's weight initializers: ``npconv.initializers.GlorotUniform()``, ``'he_normal'``, ...

Every initializer is called as ``init(shape, dtype=None)`` and returns a NumPy array of
``dtype`` (``npconv.backend.floatx()``, float32, when ``None``). Random ones draw from
``npconv.backend.rng()`` (``seed=None``) or from their own ``default_rng(seed)`` (an int
``seed``: the same values on every call, as in Keras 3).

Names, arguments, defaults and formulas are Keras 3's. As in Keras 3 the lower-case names
(``glorot_uniform``, ``he_normal``, ...) are the classes themselves, and ``get()`` also takes
the aliases ``'normal'``, ``'uniform'``, ``'zero'``, ``'one'``, ``'IdentityInitializer'``,
``'OrthogonalInitializer'``. Keras's ``STFT`` initializer (spectrogram layers) is not provided.

``serialize()`` writes Keras 3's format (``{"module": "keras.initializers", "class_name":
..., "config": ..., "registered_name": None}``), so configs move between npconv and Keras.
"""

from __future__ import annotations

import inspect
import re

from .._serialization import serialize_object
from ..backend import floatx, xp
from .base import Initializer, RandomInitializer, compute_fans
from .constant import Constant, Identity, Ones, Zeros
from .random import (
    TRUNCATED_NORMAL_STDDEV,
    GlorotNormal,
    GlorotUniform,
    HeNormal,
    HeUniform,
    LecunNormal,
    LecunUniform,
    Orthogonal,
    RandomNormal,
    RandomUniform,
    TruncatedNormal,
    VarianceScaling,
)

# Keras 3's lower-case exports are the classes
zeros = Zeros
ones = Ones
constant = Constant
identity = Identity
random_normal = RandomNormal
random_uniform = RandomUniform
truncated_normal = TruncatedNormal
variance_scaling = VarianceScaling
glorot_uniform = GlorotUniform
glorot_normal = GlorotNormal
he_normal = HeNormal
he_uniform = HeUniform
lecun_normal = LecunNormal
lecun_uniform = LecunUniform
orthogonal = Orthogonal
OrthogonalInitializer = Orthogonal
IdentityInitializer = Identity

_CLASSES = (
    Initializer,
    Zeros,
    Ones,
    Constant,
    Identity,
    RandomNormal,
    RandomUniform,
    TruncatedNormal,
    VarianceScaling,
    GlorotUniform,
    GlorotNormal,
    HeNormal,
    HeUniform,
    LecunNormal,
    LecunUniform,
    Orthogonal,
)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


_BY_NAME = {cls.__name__: cls for cls in _CLASSES}
_BY_NAME.update({_snake(cls.__name__): cls for cls in _CLASSES})
_BY_NAME.update(
    {
        "IdentityInitializer": Identity,
        "OrthogonalInitializer": Orthogonal,
        "normal": RandomNormal,
        "uniform": RandomUniform,
        "zero": Zeros,
        "one": Ones,
    }
)
_MODULE = "keras.initializers"

__all__ = [
    "Initializer",
    "RandomInitializer",
    "compute_fans",
    "TRUNCATED_NORMAL_STDDEV",
    *[cls.__name__ for cls in _CLASSES[1:]],
    "OrthogonalInitializer",
    "IdentityInitializer",
    *[_snake(cls.__name__) for cls in _CLASSES[1:]],
    "get",
    "serialize",
    "deserialize",
]


def _valid_names() -> str:
    return ", ".join(sorted(n for n in _BY_NAME if n not in ("Initializer", "initializer")))


def _lookup(name: str, custom_objects=None):
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    cls = _BY_NAME.get(name)
    if cls is None or cls is Initializer:
        raise ValueError(
            f"Could not interpret initializer identifier: {name!r}. "
            f"Valid names are: {_valid_names()}"
        )
    return cls


def serialize(initializer):
    """The config dict of ``initializer`` in Keras 3's format (``None`` for ``None``)."""
    return serialize_object(initializer, _BY_NAME, _MODULE)


def deserialize(config, custom_objects=None):
    """An initializer from ``serialize()``'s dict (Keras 2 or 3 format) or a name."""
    if isinstance(config, str):
        return _lookup(config, custom_objects)()
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Could not interpret initializer config: {config!r}")
    name = config["class_name"]
    if name == "function":
        fn = (custom_objects or {}).get(config.get("config"))
        if fn is None:
            raise ValueError(
                f"Initializer function {config.get('config')!r} is unknown: pass it in "
                "custom_objects"
            )
        return fn
    cls = _lookup(name, custom_objects)
    return cls.from_config(dict(config.get("config") or {}))


def get(identifier):
    """An initializer from a name (``'glorot_uniform'``), a config dict, a class, an instance
    or callable ``(shape, dtype=None) -> array`` (returned as is), or an array (returned
    unchanged by an initializer that checks the shape). ``None`` gives ``None``.

    Unknown names raise ``ValueError`` listing the valid ones. Names are case-sensitive, as in
    Keras (``'GlorotUniform'`` and ``'glorot_uniform'`` both work).
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        return _lookup(identifier)()
    if isinstance(identifier, xp.ndarray | xp.generic) or (
        hasattr(identifier, "__array__") and hasattr(identifier, "shape")
        and not callable(identifier)
    ):
        return _from_array(xp.asarray(identifier))
    if inspect.isclass(identifier):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(
        f"Could not interpret initializer identifier: {identifier!r}. "
        f"Valid names are: {_valid_names()}"
    )


def _from_array(value):
    def initialize_fn(shape, dtype=None):
        shape = (int(shape),) if isinstance(shape, int) else tuple(int(s) for s in shape)
        if shape != value.shape:
            raise ValueError(
                f"Expected `shape` to be {value.shape} for direct tensor as initializer. "
                f"Received shape={shape}"
            )
        return xp.array(value, dtype=dtype or floatx())

    return initialize_fn
