"""Keras 3's config dict for a named object: the one format initializers, regularizers and
constraints (and their plain-function forms) serialize to.

``{"module", "class_name", "config", "registered_name"}``: a built-in class gets Keras's module
name (``"keras.regularizers"``) and no registered name, so files move between Keras and npconv;
a user's class or function keeps its own module and name, to be found in ``custom_objects``.
"""

from __future__ import annotations


def serialize_object(obj, by_name, module):
    """``obj`` as Keras 3's dict; ``by_name`` maps built-in names to their classes, ``module``
    is the Keras module they live in. ``None`` gives ``None``."""
    if obj is None:
        return None
    if not hasattr(obj, "get_config"):  # a plain function
        name = getattr(obj, "__name__", repr(obj))
        return {
            "module": getattr(obj, "__module__", None),
            "class_name": "function",
            "config": name,
            "registered_name": name,
        }
    cls = type(obj)
    builtin = by_name.get(cls.__name__) is cls
    return {
        "module": module if builtin else cls.__module__,
        "class_name": cls.__name__,
        "config": obj.get_config(),
        "registered_name": None if builtin else cls.__name__,
    }
