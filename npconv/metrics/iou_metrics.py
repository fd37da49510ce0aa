"""Intersection-over-union metrics for segmentation: ``IoU``, ``MeanIoU``, ``BinaryIoU``,
``OneHotIoU``, ``OneHotMeanIoU`` (Keras 3's).

The state is a ``(num_classes, num_classes)`` confusion matrix of (weighted) counts, rows the
true class and columns the predicted one, accumulated over every pixel seen; so states add
across workers. For class ``c``, ``IoU = TP / (TP + FP + FN)``; the result is the mean over the
target classes that occurred (in labels or predictions) so far.

As in Keras, labels and predictions are class ids (``sparse_y_true``/``sparse_y_pred``) unless
said otherwise, and are cast to integers: probabilities passed as ``y_pred`` with
``sparse_y_pred=True`` truncate to class 0 (use ``sparse_y_pred=False`` to take their arg-max,
or ``OneHotMeanIoU``). Ids outside ``[0, num_classes)``, and ``ignore_class``, are not counted.
With Keras's default integer ``dtype`` the sample weights are truncated to integers too.
"""

from __future__ import annotations

import numpy as np

from .base import Metric, as_array

__all__ = ["IoU", "MeanIoU", "BinaryIoU", "OneHotIoU", "OneHotMeanIoU"]

EPSILON = 1e-7


def _class_ids(x):
    """Class ids as int64, truncating floats toward zero (as a cast to int does)."""
    x = np.asarray(x)
    if np.issubdtype(x.dtype, np.integer):
        return x.astype(np.int64)
    return np.trunc(x).astype(np.int64)


class _IoUBase(Metric):
    def __init__(
        self,
        num_classes,
        name=None,
        dtype=None,
        ignore_class=None,
        sparse_y_true=True,
        sparse_y_pred=True,
        axis=-1,
    ):
        super().__init__(name=name, dtype=dtype or "int32")
        if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
            raise ValueError(
                f"{type(self).__name__}: num_classes must be a positive int, got {num_classes!r}"
            )
        self.num_classes = num_classes
        self.ignore_class = ignore_class
        self.sparse_y_true = sparse_y_true
        self.sparse_y_pred = sparse_y_pred
        self.axis = axis
        self.total_cm = self.add_variable((num_classes, num_classes), name="total_confusion_matrix")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = as_array(y_true), as_array(y_pred)
        if not self.sparse_y_true:
            y_true = np.argmax(y_true, axis=self.axis)
        if not self.sparse_y_pred:
            y_pred = np.argmax(y_pred, axis=self.axis)
        t, p = _class_ids(y_true).reshape(-1), _class_ids(y_pred).reshape(-1)
        if t.shape != p.shape:
            raise ValueError(
                f"{type(self).__name__} '{self.name}': y_true has {t.size} class ids and y_pred "
                f"{p.size}; they must match"
            )
        if sample_weight is None:
            w = np.ones(t.shape)
        else:
            w = as_array(sample_weight, np.float64).reshape(-1)
            w = np.broadcast_to(w, t.shape) if w.size in (1, t.size) else w
            if w.shape != t.shape:
                raise ValueError(
                    f"{type(self).__name__} '{self.name}': sample_weight has {w.size} values for "
                    f"{t.size} class ids"
                )
            if np.issubdtype(np.dtype(self.dtype), np.integer):
                w = np.trunc(w)
        n = self.num_classes
        kept = (t >= 0) & (t < n) & (p >= 0) & (p < n)
        if self.ignore_class is not None:
            kept &= t != self.ignore_class
        cm = np.bincount(t[kept] * n + p[kept], weights=w[kept], minlength=n * n)
        self.total_cm += cm.reshape(n, n)


class IoU(_IoUBase):
    """The mean IoU of the classes ``target_class_ids`` (a single id gives that class's IoU).
    See the module docstring for the inputs."""

    def __init__(
        self,
        num_classes,
        target_class_ids,
        name=None,
        dtype=None,
        ignore_class=None,
        sparse_y_true=True,
        sparse_y_pred=True,
        axis=-1,
    ):
        super().__init__(
            num_classes,
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=sparse_y_true,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )
        target_class_ids = list(target_class_ids)
        if max(target_class_ids) >= num_classes:
            raise ValueError(
                f"{type(self).__name__}: target class id {max(target_class_ids)} is out of "
                f"range [0, {num_classes})"
            )
        self.target_class_ids = target_class_ids

    def result(self):
        cm = self.total_cm
        tp = np.diag(cm)
        # predicted-as-c plus truly-c counts TP twice
        denominator = cm.sum(axis=0) + cm.sum(axis=1) - tp
        ids = np.asarray(self.target_class_ids)
        tp, denominator = tp[ids], denominator[ids]
        valid = denominator > 1e-9  # classes never seen are left out of the mean
        iou = np.where(valid, tp / (denominator + EPSILON), 0.0)
        return float(iou.sum() / (valid.sum() + EPSILON))

    # arguments a subclass fixes, so they are left out of its config (MeanIoU's
    # target_class_ids, the one-hot metrics' sparse_y_true)
    _fixed_arguments = ()

    def get_config(self):
        config = {
            **super().get_config(),
            "num_classes": self.num_classes,
            "target_class_ids": self.target_class_ids,
            "ignore_class": self.ignore_class,
            "sparse_y_true": self.sparse_y_true,
            "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }
        return {k: v for k, v in config.items() if k not in self._fixed_arguments}


class BinaryIoU(IoU):
    """IoU of a binary mask: ``y_pred >= threshold`` is class 1, else 0; ``target_class_ids``
    (0, 1) averages both classes, (1,) is the foreground's IoU."""

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        super().__init__(num_classes=2, target_class_ids=target_class_ids, name=name, dtype=dtype)
        self.threshold = threshold

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = as_array(y_pred, np.float32) >= np.float32(self.threshold)
        super().update_state(y_true, y_pred.astype(np.int64), sample_weight)

    def get_config(self):
        return {
            "target_class_ids": self.target_class_ids,
            "threshold": self.threshold,
            "name": self.name,
            "dtype": self.dtype,
        }


class MeanIoU(IoU):
    """The mean IoU over all ``num_classes`` classes (those seen so far)."""

    _fixed_arguments = ("target_class_ids",)

    def __init__(
        self,
        num_classes,
        name=None,
        dtype=None,
        ignore_class=None,
        sparse_y_true=True,
        sparse_y_pred=True,
        axis=-1,
    ):
        super().__init__(
            num_classes,
            list(range(num_classes)) if isinstance(num_classes, int) else [0],
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=sparse_y_true,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )


class OneHotIoU(IoU):
    """``IoU`` for one-hot labels (and, unless ``sparse_y_pred``, scores whose arg-max is the
    predicted class)."""

    _fixed_arguments = ("sparse_y_true",)

    def __init__(
        self,
        num_classes,
        target_class_ids,
        name=None,
        dtype=None,
        ignore_class=None,
        sparse_y_pred=False,
        axis=-1,
    ):
        super().__init__(
            num_classes,
            target_class_ids,
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=False,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )


class OneHotMeanIoU(MeanIoU):
    """``MeanIoU`` for one-hot labels and per-class scores (the usual segmentation output)."""

    _fixed_arguments = ("target_class_ids", "sparse_y_true")

    def __init__(
        self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_pred=False, axis=-1
    ):
        super().__init__(
            num_classes,
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=False,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )
