"""Optimizers: how gradients become weight updates (Keras 3's ``keras.optimizers``).

``SGD``, ``Adam``, ``AdamW``, ``Adadelta``, ``RMSprop``, ``Adagrad``, ``Adamax``, ``Nadam``, with
Keras 3's names, arguments, defaults and update rules (checked step by step against Keras 3.15
in ``tests/optimizers``), plus the Keras 2 spellings the tutorials use: ``lr=`` and
``decay=`` (``SGD(momentum=0.5, decay=0.0004)``). One default differs from Keras 3:
``Adadelta()`` uses Keras 2's ``learning_rate=1.0`` (see its docstring).

``get('adam')`` / ``get(config_dict)`` / ``get(instance)`` resolve what ``model.compile``
receives; ``serialize``/``deserialize`` speak Keras 3's dict format (and read Keras 2's).
Learning-rate schedules are in ``npconv.optimizers.schedules``.
"""

from __future__ import annotations

import difflib

from . import schedules
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam
from .adamax import Adamax
from .adamw import AdamW
from .base_optimizer import Optimizer
from .nadam import Nadam
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = [
    "Optimizer",
    "SGD",
    "Adam",
    "AdamW",
    "Adadelta",
    "RMSprop",
    "Adagrad",
    "Adamax",
    "Nadam",
    "schedules",
    "get",
    "serialize",
    "deserialize",
]

ALL_OBJECTS = (SGD, Adam, AdamW, Adadelta, RMSprop, Adagrad, Adamax, Nadam)
ALL_OBJECTS_DICT = {cls.__name__.lower(): cls for cls in ALL_OBJECTS}


def _unknown(name):
    valid = sorted(ALL_OBJECTS_DICT)
    close = difflib.get_close_matches(str(name).lower(), valid, n=1)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    return ValueError(
        f"Unknown optimizer: '{name}'.{hint} Valid names (case-insensitive): "
        f"{', '.join(valid)}; or pass an optimizer instance, e.g. "
        "npconv.optimizers.Adam(learning_rate=1e-3)"
    )


def serialize(optimizer):
    """``optimizer`` as Keras 3's dict: ``{'module', 'class_name', 'config',
    'registered_name'}``."""
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"serialize expects an Optimizer, got {type(optimizer).__name__}")
    cls = type(optimizer)
    builtin = cls in ALL_OBJECTS
    return {
        "module": "keras.optimizers" if builtin else cls.__module__,
        "class_name": cls.__name__,
        "config": optimizer.get_config(),
        "registered_name": None if builtin else cls.__name__,
    }


def deserialize(config, custom_objects=None):
    """An optimizer from ``serialize``'s dict (Keras 3's or Keras 2's ``{'class_name',
    'config'}``); built-in class names are case-insensitive, others come from
    ``custom_objects`` (name -> class)."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            f"Could not interpret optimizer config {config!r}: expected a dict with "
            "'class_name' and 'config'"
        )
    name = config["class_name"]
    custom_objects = custom_objects or {}
    cls = custom_objects.get(name) or custom_objects.get(config.get("registered_name"))
    if cls is None:
        cls = ALL_OBJECTS_DICT.get(str(name).lower())
    if cls is None:
        raise _unknown(name)
    return cls.from_config(dict(config.get("config") or {}), custom_objects=custom_objects)


def get(identifier):
    """An optimizer from a name (``'adam'``, ``'SGD'``), a config dict, or an instance (returned
    as is). ``None`` gives ``None``."""
    if identifier is None:
        return None
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        cls = ALL_OBJECTS_DICT.get(identifier.lower())
        if cls is None:
            raise _unknown(identifier)
        return cls()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        raise ValueError(
            f"Could not interpret optimizer identifier: {identifier.__name__} is a class; "
            f"pass an instance, {identifier.__name__}()"
        )
    raise ValueError(f"Could not interpret optimizer identifier: {identifier!r}")


def __getattr__(name):
    if name == "legacy":  # Keras 2's keras.optimizers.legacy path, loaded when asked for
        import importlib

        return importlib.import_module(f"{__name__}.legacy")
    from .._missing import not_provided

    raise not_provided(__name__, name, globals())
