"""Whether operations record the graph: ``no_grad()`` turns recording off (inference, updates)."""

from __future__ import annotations

import contextlib

_enabled = True


def is_grad_enabled() -> bool:
    return _enabled


def set_grad_enabled(enabled: bool) -> None:
    global _enabled
    _enabled = bool(enabled)


@contextlib.contextmanager
def no_grad():
    """Run the block without recording the graph: faster, and no activations kept alive."""
    global _enabled
    previous, _enabled = _enabled, False
    try:
        yield
    finally:
        _enabled = previous


@contextlib.contextmanager
def enable_grad():
    """Record the graph inside the block, even within ``no_grad()``."""
    global _enabled
    previous, _enabled = _enabled, True
    try:
        yield
    finally:
        _enabled = previous
