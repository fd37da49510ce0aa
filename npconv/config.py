"""Process-wide settings, under Keras 3's ``keras.config`` names.

- ``floatx`` / ``set_floatx``, ``epsilon`` / ``set_epsilon``, ``image_data_format`` /
  ``set_image_data_format``: the backend's defaults (``npconv.backend``).
- ``backend()`` / ``set_backend(name)``: which backend runs the kernels (``'numpy'``,
  ``'cupy'``, ``'generic'``; ``npconv.backend.selection``).
- ``enable_unsafe_deserialization()``: allow loading what can run code, i.e. a ``Lambda`` layer
  whose function is a Python ``lambda`` (Keras stores its bytecode). Off by default, as in
  Keras; ``load_model(..., safe_mode=False)`` allows it for one load only.
  ``in_safe_mode()`` says whether such loading is refused now; ``safe_mode_scope(value)`` sets
  it for a ``with`` block (what ``load_model`` does with its ``safe_mode`` argument).
"""

from __future__ import annotations

import contextlib
import contextvars

from .backend import (  # noqa: F401 - Keras 3's keras.config names
    backend,
    epsilon,
    floatx,
    image_data_format,
    set_backend,
    set_epsilon,
    set_floatx,
    set_image_data_format,
)

__all__ = [
    "floatx",
    "set_floatx",
    "epsilon",
    "set_epsilon",
    "image_data_format",
    "set_image_data_format",
    "backend",
    "set_backend",
    "enable_unsafe_deserialization",
    "disable_unsafe_deserialization",
    "in_safe_mode",
    "safe_mode_scope",
]

_UNSAFE_ENABLED = False
# None outside any scope; True/False inside load_model(..., safe_mode=...)
_SCOPE: contextvars.ContextVar = contextvars.ContextVar("npconv_safe_mode", default=None)


def enable_unsafe_deserialization() -> None:
    """Allow loading Python lambdas (bytecode) from model files, for the rest of the process.
    Only for files you trust: loading one runs code its author wrote."""
    global _UNSAFE_ENABLED
    _UNSAFE_ENABLED = True


def disable_unsafe_deserialization() -> None:
    """Undo ``enable_unsafe_deserialization`` (the default: refused)."""
    global _UNSAFE_ENABLED
    _UNSAFE_ENABLED = False


def in_safe_mode() -> bool:
    """True when loading code (a Python lambda) from a file is refused now: unless
    ``enable_unsafe_deserialization()`` was called, or inside ``safe_mode_scope(False)``."""
    if _UNSAFE_ENABLED:
        return False
    scoped = _SCOPE.get()
    return True if scoped is None else bool(scoped)


@contextlib.contextmanager
def safe_mode_scope(safe_mode=True):
    """``with safe_mode_scope(False): ...`` allows loading lambdas inside the block;
    ``safe_mode=None`` leaves the current setting."""
    token = _SCOPE.set(_SCOPE.get() if safe_mode is None else bool(safe_mode))
    try:
        yield
    finally:
        _SCOPE.reset(token)
