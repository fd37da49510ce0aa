"""Custom classes and functions a model file may name: only those the program hands over.

A file names classes by string. npconv resolves those strings in its own registries (layers,
optimizers, losses, metrics, initializers, regularizers, constraints, activations) and, beyond
them, only in what the loading program provides: the ``custom_objects`` argument of
``load_model``, or objects registered once with ``register_custom_object``. A name found in
neither is an error that says so; nothing is ever imported because a file asked for it.
"""

from __future__ import annotations

import contextlib
import contextvars

__all__ = [
    "register_custom_object",
    "get_custom_objects",
    "merged",
    "custom_object_scope",
    "lookup",
]

_REGISTERED: dict[str, object] = {}
_SCOPED: contextvars.ContextVar = contextvars.ContextVar("npconv_custom_objects", default=None)


def register_custom_object(obj=None, *, name=None):
    """Make ``obj`` (a layer class, loss, metric, activation, ...) loadable by its name.

    Usable as a decorator: ``@register_custom_object`` or ``@register_custom_object(name=...)``;
    returns ``obj`` unchanged. The name defaults to ``obj.__name__``.
    """
    if obj is None:
        return lambda o: register_custom_object(o, name=name)
    key = name or getattr(obj, "__name__", None)
    if not isinstance(key, str) or not key:
        raise ValueError(f"register_custom_object needs a name for {obj!r}: pass name=...")
    _REGISTERED[key] = obj
    return obj


def get_custom_objects() -> dict:
    """The registry itself, name -> object, as Keras's ``get_custom_objects`` returns it: the
    Keras idiom ``get_custom_objects().update({"swish": swish})`` registers ``swish``."""
    return _REGISTERED


def merged(custom_objects=None) -> dict:
    """The registered objects, overridden by ``custom_objects`` (name -> object)."""
    if custom_objects is not None and not isinstance(custom_objects, dict):
        raise TypeError(
            f"custom_objects must be a dict of name -> class or function, got "
            f"{type(custom_objects).__name__}"
        )
    return {**_REGISTERED, **(custom_objects or {})}


@contextlib.contextmanager
def custom_object_scope(custom_objects=None):
    """Make ``custom_objects`` (name -> object) findable by ``lookup`` inside a ``with`` block
    (Keras's ``custom_object_scope``); ``load_model`` opens one with its ``custom_objects``, so
    that configs that name functions (a ``Lambda``'s) find them."""
    token = _SCOPED.set({**(_SCOPED.get() or {}), **merged(custom_objects)})
    try:
        yield
    finally:
        _SCOPED.reset(token)


def lookup(name):
    """The object registered or in the current ``custom_object_scope`` under ``name``, else
    ``None``."""
    scoped = _SCOPED.get() or {}
    if name in scoped:
        return scoped[name]
    return _REGISTERED.get(name)
