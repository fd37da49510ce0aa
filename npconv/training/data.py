"""Turning what users pass to ``fit``/``evaluate``/``predict`` into checked arrays.

Each check fails before any training with a message that says what was expected and what
came: lengths that differ, empty arrays, non-numeric data, labels that do not fit the loss.
"""

from __future__ import annotations

import warnings

import numpy as np

from .. import backend


def as_list(x):
    if x is None:
        return None
    if isinstance(x, dict):
        return x
    return list(x) if isinstance(x, (list, tuple)) else [x]


def to_float_array(x, what):
    a = np.asarray(getattr(x, "data", x))
    if a.dtype == object or not (np.issubdtype(a.dtype, np.number) or a.dtype == bool):
        raise TypeError(f"{what} must be numeric, got an array of dtype {a.dtype}")
    if a.size == 0:
        raise ValueError(f"{what} is empty (shape {a.shape}); there is nothing to train on")
    a = a.astype(backend.floatx(), copy=False)
    if not np.all(np.isfinite(a)):
        warnings.warn(f"{what} contains NaN or infinite values", RuntimeWarning, stacklevel=3)
    return a


def to_label_array(y, what):
    a = np.asarray(getattr(y, "data", y))
    if a.dtype == object or not (np.issubdtype(a.dtype, np.number) or a.dtype == bool):
        raise TypeError(f"{what} must be numeric, got an array of dtype {a.dtype}")
    if np.issubdtype(a.dtype, np.integer) or a.dtype == bool:
        return a
    return a.astype(backend.floatx(), copy=False)


def check_lengths(arrays, names):
    lengths = {name: len(a) for a, name in zip(arrays, names) if a is not None}
    if len(set(lengths.values())) > 1:
        detail = ", ".join(f"{k} has {v}" for k, v in lengths.items())
        raise ValueError(f"Data arrays must all have the same number of samples: {detail}")
    return next(iter(lengths.values()))


def batches(n, batch_size, order=None):
    """``(start, index)`` for each batch; ``index`` a slice when no shuffling is needed."""
    for start in range(0, n, batch_size):
        stop = min(start + batch_size, n)
        yield (slice(start, stop) if order is None else order[start:stop])


def take(arrays, index):
    return [a[index] for a in arrays]
