"""``FBetaScore`` and ``F1Score`` (Keras 3's), for ``(batch, classes)`` outputs.

A prediction is 1 where ``y_pred > threshold``, or, with ``threshold=None``, at each row's
maximum (ties all count). The state is the (sample-weighted) true positives, false positives,
false negatives and label totals per class (one number each for ``average='micro'``), so
states add across workers; the score is computed from them in ``result()``:
``(1 + beta^2) P R / (beta^2 P + R)``, with Keras's ``1e-7`` in each denominator.
"""

from __future__ import annotations

import numpy as np

from .base import Metric, as_array

__all__ = ["FBetaScore", "F1Score"]

EPSILON = 1e-7
_AVERAGES = (None, "micro", "macro", "weighted")


class FBetaScore(Metric):
    """The F-beta score: recall counts ``beta`` times as much as precision.

    ``average``: ``None`` (one score per class), ``'micro'`` (from the counts of all classes
    together), ``'macro'`` (the mean of the per-class scores) or ``'weighted'`` (their mean
    weighted by each class's number of true labels). ``threshold``: see the module docstring.
    """

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        if average not in _AVERAGES:
            raise ValueError(
                f"{type(self).__name__}: average must be one of {_AVERAGES}, got {average!r}"
            )
        if isinstance(beta, bool) or not isinstance(beta, (int, float)) or not beta > 0:
            raise ValueError(f"{type(self).__name__}: beta must be a number > 0, got {beta!r}")
        if threshold is not None and (
            isinstance(threshold, bool)
            or not isinstance(threshold, (int, float))
            or not 0 < threshold <= 1
        ):
            raise ValueError(
                f"{type(self).__name__}: threshold must be None or a number in (0, 1], got "
                f"{threshold!r}"
            )
        self.average = average
        self.beta = float(beta)
        self.threshold = None if threshold is None else float(threshold)
        self.axis = None if average == "micro" else 0
        self._built = False

    def _build(self, true_shape, pred_shape):
        if len(pred_shape) != 2 or len(true_shape) != 2:
            raise ValueError(
                f"{type(self).__name__} expects 2D inputs of shape (batch_size, output_dim), got "
                f"y_true of shape {tuple(true_shape)} and y_pred of shape {tuple(pred_shape)}"
            )
        shape = () if self.average == "micro" else (pred_shape[-1],)
        self.true_positives = self.add_variable(shape, name="true_positives")
        self.false_positives = self.add_variable(shape, name="false_positives")
        self.false_negatives = self.add_variable(shape, name="false_negatives")
        self.intermediate_weights = self.add_variable(shape, name="intermediate_weights")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = as_array(y_true, np.float32)
        y_pred = as_array(y_pred, np.float32)
        if not self._built:
            self._build(y_true.shape, y_pred.shape)
        if self.threshold is None:
            top = y_pred.max(axis=-1, keepdims=True)
            pred = (y_pred >= top) & (np.abs(y_pred) > 1e-9)
        else:
            pred = y_pred > np.float32(self.threshold)
        pred = pred.astype(np.float64)
        true = y_true.astype(np.float64)
        w = None
        if sample_weight is not None:
            w = as_array(sample_weight, np.float64)
            while w.ndim < true.ndim:
                w = w[..., None]

        def weighted_sum(values):
            if w is not None:
                values = values * w
            return values.sum(axis=self.axis)

        self.true_positives += weighted_sum(pred * true)
        self.false_positives += weighted_sum(pred * (1 - true))
        self.false_negatives += weighted_sum((1 - pred) * true)
        self.intermediate_weights += weighted_sum(true)

    def result(self):
        if not self._built:
            return 0.0
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        precision = tp / (tp + fp + EPSILON)
        recall = tp / (tp + fn + EPSILON)
        b2 = self.beta**2
        score = precision * recall / (b2 * precision + recall + EPSILON) * (1 + b2)
        if self.average == "weighted":
            weights = self.intermediate_weights / (self.intermediate_weights.sum() + EPSILON)
            return float((score * weights).sum())
        if self.average is not None:
            return float(np.mean(score))
        return np.array(score)

    def get_config(self):
        return {
            **super().get_config(),
            "average": self.average,
            "beta": self.beta,
            "threshold": self.threshold,
        }


class F1Score(FBetaScore):
    """The F1 score, ``2 P R / (P + R)``: ``FBetaScore`` with ``beta=1``."""

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self):
        config = super().get_config()
        del config["beta"]
        return config
