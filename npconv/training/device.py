"""Batches onto the active backend's device, and what a step returns back to NumPy.

Under the NumPy backend (and the generic one, whose kernels run on NumPy arrays) nothing moves.
Under ``NPCONV_BACKEND=cupy`` the model's weights live on the GPU (``Layer.add_weight`` places
them there), so each batch the data adapters cut from the user's NumPy arrays is copied to the
GPU once, before the step, whole (``to_device``); the step's logs and ``predict``'s outputs
come back as NumPy (``to_host``), as Keras returns NumPy whatever its backend.
"""

from __future__ import annotations

import numpy as np

from .. import backend
from ..autograd import Tensor

__all__ = ["to_device", "to_host"]


def to_device(data):
    """``data`` (a batch: an array, or tuples, lists and dicts of arrays, as the adapters
    yield them) with every NumPy array moved by ``backend.to_backend``; ``data`` itself under
    the NumPy backend."""
    if backend.backend() == "numpy":
        return data
    return _moved(data)


def _moved(a):
    if isinstance(a, np.ndarray):
        return backend.to_backend(a)
    if isinstance(a, tuple):
        return tuple(_moved(v) for v in a)
    if isinstance(a, list):
        return [_moved(v) for v in a]
    if isinstance(a, dict):
        return {k: _moved(v) for k, v in a.items()}
    return a


def to_host(a):
    """``a`` (a Tensor, an array of any library, a number) as a NumPy array."""
    if isinstance(a, np.ndarray):
        return a
    if isinstance(a, Tensor):
        a = a.data
    return a if isinstance(a, np.ndarray) else backend.to_numpy(a)
