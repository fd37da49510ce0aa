"""Keras 3's ``keras.saving``: ``save_model``, ``load_model``, and the custom-object registry
(``register_keras_serializable``, ``get_custom_objects``, ``custom_object_scope``)."""

from __future__ import annotations

from .io.custom_objects import custom_object_scope, get_custom_objects
from .models import load_model, save_model

__all__ = ["save_model", "load_model", "get_custom_objects", "register_keras_serializable",
           "custom_object_scope"]


def register_keras_serializable(package="Custom", name=None):
    """A decorator that registers a class or function under ``package>name`` (and its plain
    name), so ``load_model`` finds it without ``custom_objects``, as in Keras."""

    def decorate(obj):
        key = name or obj.__name__
        registry = get_custom_objects()
        registry[f"{package}>{key}"] = obj
        registry[key] = obj
        return obj

    return decorate


def __getattr__(name):
    from ._missing import not_provided

    raise not_provided(__name__, name, globals())
