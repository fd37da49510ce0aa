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
- ``enable_traceback_filtering()`` / ``disable_traceback_filtering()`` /
  ``is_traceback_filtering_enabled()``, ``enable_interactive_logging()`` /
  ``disable_interactive_logging()`` / ``is_interactive_logging_enabled()``: Keras 3 programs
  call these before training (keras.io's examples turn traceback filtering off). npconv keeps
  the settings so that code reading them back works; it never filters tracebacks (they point
  at npconv's readable source), and its progress bars and logs print as they always do.
- ``dtype_policy()`` / ``set_dtype_policy(name)``: the float policies ``'float32'`` and
  ``'float64'`` (the same as ``set_floatx``); mixed precision is refused with an error.
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
    "enable_traceback_filtering",
    "disable_traceback_filtering",
    "is_traceback_filtering_enabled",
    "enable_interactive_logging",
    "disable_interactive_logging",
    "is_interactive_logging_enabled",
    "dtype_policy",
    "set_dtype_policy",
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


_FLAGS = {"traceback_filtering": True, "interactive_logging": True}  # Keras 3's defaults


def enable_traceback_filtering() -> None:
    """Keras 3's switch; npconv never filters tracebacks (see the module docstring)."""
    _FLAGS["traceback_filtering"] = True


def disable_traceback_filtering() -> None:
    """Keras 3's switch; npconv's tracebacks are whole either way."""
    _FLAGS["traceback_filtering"] = False


def is_traceback_filtering_enabled() -> bool:
    return _FLAGS["traceback_filtering"]


def enable_interactive_logging() -> None:
    """Keras 3's switch; npconv's progress bars and logs go to standard output either way."""
    _FLAGS["interactive_logging"] = True


def disable_interactive_logging() -> None:
    """Keras 3's switch (logs through ``absl`` instead of the terminal); kept as a setting."""
    _FLAGS["interactive_logging"] = False


def is_interactive_logging_enabled() -> bool:
    return _FLAGS["interactive_logging"]


def dtype_policy() -> str:
    """The global dtype policy's name: npconv's policies are its float types, ``floatx()``."""
    return floatx()


def set_dtype_policy(policy) -> None:
    """``'float32'`` or ``'float64'`` (or an object with such a ``name``): the same as
    ``set_floatx``. Mixed precision (``'mixed_float16'``, ``'mixed_bfloat16'``) is a GPU
    feature npconv does not have, and is refused rather than ignored."""
    name = getattr(policy, "name", policy)
    if name in ("float32", "float64"):
        set_floatx(name)
        return
    raise ValueError(
        f"set_dtype_policy: npconv runs in 'float32' or 'float64' (the same as set_floatx); "
        f"got {name!r}. Mixed precision ('mixed_float16', 'mixed_bfloat16') is not provided: "
        "remove the call to train in float32"
    )


def __getattr__(name):
    from ._missing import not_provided

    raise not_provided(__name__, name, __all__)
