"""Whether operations record the graph: ``no_grad()`` turns recording off (inference, updates).

The setting is per thread (as PyTorch's is): ``fit`` reads and checks the next batch on a
prefetch thread, and a ``PyDataset`` may load batches on worker threads, while the training
step records the graph on the caller's thread; a ``no_grad()`` in one must not switch recording
off in the other. A new thread starts with recording on.
"""

from __future__ import annotations

import contextlib
import threading

_state = threading.local()


def is_grad_enabled() -> bool:
    return getattr(_state, "enabled", True)


def set_grad_enabled(enabled: bool) -> None:
    _state.enabled = bool(enabled)


@contextlib.contextmanager
def no_grad():
    """Run the block without recording the graph: faster, and no activations kept alive."""
    previous = is_grad_enabled()
    _state.enabled = False
    try:
        yield
    finally:
        _state.enabled = previous


@contextlib.contextmanager
def enable_grad():
    """Record the graph inside the block, even within ``no_grad()``."""
    previous = is_grad_enabled()
    _state.enabled = True
    try:
        yield
    finally:
        _state.enabled = previous
