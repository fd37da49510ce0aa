"""``MonitorCallback``: what "better" means for a monitored log value, shared by the callbacks
that watch one (``EarlyStopping``, ``ModelCheckpoint``, ``ReduceLROnPlateau``).

It is Keras 3's ``keras.src.callbacks.monitor_callback.MonitorCallback``: ``mode`` chooses
whether smaller (``'min'``) or larger (``'max'``) values are better, and ``min_delta`` is the
margin a new value must beat the reference by to count as an improvement. As in Keras 3 the
comparison is made in ``floatx`` (float32): differences below its resolution do not count.

``mode='auto'`` infers the direction, once, at the first ``on_epoch_end`` (when the model's
metrics exist):

1. ``'loss'`` / ``'val_loss'`` is minimized (Keras 3);
2. a compiled metric with the monitored name (without ``val_``) that declares a direction
   (Keras 3's ``metric._direction``, ``'up'`` or ``'down'``) decides (Keras 3);
3. otherwise npconv reads the direction from the name -- of that metric's class and function
   when the model has it, then of the monitored key itself: accuracies, AUC, precision,
   recall, IoU, F-scores, R2 and similarities are maximized; losses, errors, cross-entropies,
   hinges and divergences are minimized. Keras 3 raises for these cases (its metrics all
   declare a direction, npconv's need not); Keras 2 used ``'acc' in monitor``. The words
   matched come from the names of Keras 3's metrics with that direction, so a Keras metric's
   name gets the direction Keras 3 gives it;
4. a name that says nothing (a custom metric ``'my_score'``) raises Keras 3's ``ValueError``
   asking for ``mode='min'`` or ``mode='max'``.
"""

from __future__ import annotations

import operator
import re
import warnings

import numpy as np

from .. import backend
from .base import Callback

# Words (between underscores) of Keras 3 metric names whose ``_direction`` is 'up' / 'down'.
_UP_WORDS = frozenset(
    {
        "acc",
        "accuracy",
        "auc",
        "precision",
        "recall",
        "iou",
        "f1",
        "fbeta",
        "r2",
        "similarity",
        "correlation",
        "sensitivity",
        "specificity",
    }
)
_DOWN_WORDS = frozenset(
    {
        "loss",
        "error",
        "crossentropy",
        "hinge",
        "mse",
        "mae",
        "mape",
        "msle",
        "rmse",
        "logcosh",
        "divergence",
        "kld",
        "poisson",
    }
)


def _snake(name: str) -> str:
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


def direction_from_name(name) -> str | None:
    """``'up'``, ``'down'`` or ``None`` for a metric, class or function name.

    A trailing ``loss`` word wins (``'dense_1_loss'`` is a loss even when the layer is called
    ``'accuracy_head'``); then any word of a maximized metric; then any word of a minimized one.
    """
    if not name:
        return None
    words = [w for w in _snake(str(name)).split("_") if w]
    if not words:
        return None
    if words[-1] == "loss":
        return "down"
    if any(w in _UP_WORDS for w in words):
        return "up"
    if any(w in _DOWN_WORDS for w in words):
        return "down"
    return None


def _model_metrics(model):
    """The model's metric objects (``model.metrics``), containers flattened."""
    metrics = getattr(model, "metrics", None)
    try:
        metrics = list(metrics or [])
    except TypeError:
        return []
    flat = []
    for m in metrics:
        inner = getattr(m, "metrics", None)  # Keras's CompileMetrics / MetricsList containers
        flat.extend(inner if isinstance(inner, (list, tuple)) else [m])
    return flat


def _metric_direction(metric) -> str | None:
    direction = getattr(metric, "_direction", None)
    if direction in ("up", "down"):
        return direction
    fn = getattr(metric, "fn", None) or getattr(metric, "_fn", None)
    for name in (type(metric).__name__, getattr(fn, "__name__", None)):
        direction = direction_from_name(name)
        if direction:
            return direction
    return None


class MonitorCallback(Callback):
    """Base of callbacks that watch one log value and ask whether it improved.

    Args:
        monitor: the log key to watch, e.g. ``'val_loss'`` or ``'val_accuracy'``.
        mode: ``'auto'``, ``'min'`` or ``'max'``; anything else warns and falls back to
            ``'auto'`` (as Keras does). See the module docstring for how ``'auto'`` decides.
        baseline: initial "best" value (``None``: the first value seen is the best).
        min_delta: how much a value must beat the reference by to count; its sign is ignored
            and set from the direction, as Keras does.
    """

    def __init__(self, monitor="val_loss", mode="auto", baseline=None, min_delta=0):
        super().__init__()
        if mode not in ("auto", "min", "max"):
            warnings.warn(
                f"{type(self).__name__} mode '{mode}' is unknown, fallback to auto mode.",
                stacklevel=2,
            )
            mode = "auto"
        self.monitor = monitor
        self.mode = mode
        self.best = baseline
        self.min_delta = abs(min_delta)
        self.monitor_op = None

    def _set_monitor_op(self):
        if self.mode == "min":
            self.monitor_op = operator.lt
        elif self.mode == "max":
            self.monitor_op = operator.gt
        else:
            direction = self._infer_direction()
            if direction is None:
                raise ValueError(
                    f"{type(self).__name__} callback received monitor={self.monitor}, but "
                    "npconv isn't able to automatically determine whether that metric "
                    "should be maximized or minimized. Pass `mode='max'` in order to "
                    "monitor based on the highest metric value, or pass `mode='min'` in "
                    "order to use the lowest value."
                )
            self.monitor_op = operator.gt if direction == "up" else operator.lt
        if self.monitor_op is operator.lt:
            self.min_delta *= -1

    def _infer_direction(self):
        metric_name = self.monitor.removeprefix("val_")
        if metric_name == "loss":
            return "down"
        for metric in _model_metrics(self.model):
            if getattr(metric, "name", None) == metric_name:
                direction = _metric_direction(metric)
                if direction:
                    return direction
        return direction_from_name(metric_name)

    def _is_improvement(self, monitor_value, reference_value):
        if reference_value is None:
            return True
        if self.monitor_op is None:
            self._set_monitor_op()
        # Compared in floatx (float32), as Keras 3's ops.less/ops.greater compare Python
        # floats: a difference below float32 resolution is no improvement.
        dtype = backend.floatx()
        return bool(
            self.monitor_op(
                np.asarray(monitor_value - self.min_delta, dtype=dtype),
                np.asarray(reference_value, dtype=dtype),
            )
        )
