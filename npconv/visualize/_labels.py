"""Class labels from what models and datasets hand out: integer labels, one-hot rows or
probability rows. Pure NumPy (no matplotlib), shared by the prediction grid and the confusion
matrix."""

from __future__ import annotations

import numpy as np


def to_labels(y, name: str = "y") -> np.ndarray:
    """``y`` as a 1-D int64 array of class indices.

    Accepts ``(N,)`` integer labels (floats allowed when whole, e.g. labels stored as float),
    ``(N, 1)`` columns of labels, and ``(N, K)`` one-hot or probability rows (argmax over
    ``K``, as the tutorials do with ``np.argmax(prediction[i])``).
    """
    arr = np.asarray(getattr(y, "data", y))
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim == 2:
        if arr.shape[1] == 0:
            raise ValueError(f"{name} has shape {arr.shape}: rows of 0 class scores")
        return np.argmax(arr, axis=1).astype(np.int64)
    if arr.ndim != 1:
        raise ValueError(
            f"{name} must be integer labels (N,), or one-hot / probability rows (N, classes); "
            f"got shape {arr.shape}"
        )
    if arr.dtype.kind == "b" or arr.dtype.kind not in "iuf":
        raise ValueError(f"{name} must hold integer class labels, got dtype {arr.dtype}")
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            raise ValueError(
                f"{name} is 1-D but not whole numbers: give integer labels, or (N, classes) "
                "rows of scores to take the argmax of"
            )
    labels = arr.astype(np.int64)
    if labels.size and labels.min() < 0:
        raise ValueError(f"{name} holds a negative class label ({labels.min()})")
    return labels


def check_lengths(**arrays) -> int:
    """The common length of the named arrays, or a ``ValueError`` listing each length."""
    lengths = {name: len(a) for name, a in arrays.items()}
    if len(set(lengths.values())) > 1:
        detail = ", ".join(f"{name} has {n}" for name, n in lengths.items())
        raise ValueError(f"Expected the same number of samples in each argument: {detail}")
    return next(iter(lengths.values()))


def class_name(label: int, class_names) -> str:
    """``class_names[label]`` when names are given, else the label itself, as text."""
    if class_names is None:
        return str(label)
    if not 0 <= label < len(class_names):
        raise ValueError(
            f"Class label {label} has no name: class_names has {len(class_names)} entries"
        )
    return str(class_names[label])
