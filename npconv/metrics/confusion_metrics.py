"""Metrics from confusion-matrix counts at thresholds: ``TruePositives``, ``FalsePositives``,
``TrueNegatives``, ``FalseNegatives``, ``Precision``, ``Recall`` and ``AUC`` (Keras 3's).

Every prediction is compared with every threshold: it counts as positive at threshold ``t`` when
``y_pred > t``; ``y_true`` is positive when non-zero. Predictions and labels are flattened, so a
multi-label or one-hot output counts each of its entries (``class_id`` picks one column, ``top_k``
keeps only each row's ``k`` highest scores). The state is the (sample-weighted) count of true
positives, false positives, ... at each threshold, so states add across workers.

Counting is one histogram, not a (thresholds x predictions) comparison: with the thresholds
sorted, ``searchsorted`` tells each prediction how many thresholds it exceeds, ``bincount``
adds the weights per answer, and a reversed cumulative sum gives the count at every threshold.
Thresholds spread evenly over [0, 1] (``AUC``'s) use Keras's bucket formula instead,
``ceil(y_pred * (n - 1)) - 1`` on predictions clipped to [0, 1], so the counts equal Keras's
even where float32 rounding puts a prediction on a threshold. Comparisons are made in float32,
Keras's metric dtype.
"""

from __future__ import annotations

import numpy as np

from .base import Metric, as_array, squeeze_or_expand_to_same_rank

__all__ = [
    "TruePositives",
    "FalsePositives",
    "TrueNegatives",
    "FalseNegatives",
    "Precision",
    "Recall",
    "AUC",
]

NEG_INF = -1e10
EPSILON = 1e-7


def _thresholds(name, thresholds, default):
    """Keras's ``parse_init_thresholds``: a list of floats, each in [0, 1]."""
    if thresholds is None:
        return [float(default)]
    values = list(thresholds) if isinstance(thresholds, (list, tuple, np.ndarray)) else [thresholds]
    for t in values:
        if not 0 <= float(t) <= 1:
            raise ValueError(f"{name}: thresholds must be in [0, 1], got {thresholds!r}")
    return [float(t) for t in values]


def evenly_distributed(thresholds) -> bool:
    """Whether ``thresholds`` are ``i / (n - 1)`` for ``i = 0..n-1`` (n >= 3), up to 1e-7."""
    n = len(thresholds)
    if n < 3:
        return False
    even = np.arange(n, dtype=np.float32) / (n - 1)
    return bool(np.allclose(thresholds, even, atol=EPSILON))


def _filter_top_k(x, k):
    """Keep each row's ``k`` highest scores (ties: the first ones), set the rest to -1e10."""
    order = np.argsort(-x, axis=-1, kind="stable")[..., :k]
    keep = np.zeros(x.shape, dtype=bool)
    np.put_along_axis(keep, order, True, axis=-1)
    return np.where(keep, x, np.float32(NEG_INF)).astype(x.dtype)


def confusion_counts(
    y_true,
    y_pred,
    thresholds,
    sample_weight=None,
    top_k=None,
    class_id=None,
    multi_label=False,
    label_weights=None,
    evenly=None,
):
    """``(tp, fp, tn, fn)`` at each threshold, shape ``(len(thresholds),)`` (or
    ``(len(thresholds), num_labels)`` with ``multi_label``), as float64 weighted counts.

    The arguments mean what they mean in Keras's ``update_confusion_matrix_variables``.
    """
    y_true = as_array(y_true, np.float32)
    y_pred = as_array(y_pred, np.float32)
    y_pred, y_true = squeeze_or_expand_to_same_rank(y_pred, y_true)
    if y_pred.shape != y_true.shape:
        raise ValueError(
            f"y_true of shape {y_true.shape} does not match y_pred of shape {y_pred.shape}"
        )
    w = None
    if sample_weight is not None:
        w = as_array(sample_weight, np.float64)[..., None]
        _, w = squeeze_or_expand_to_same_rank(y_true, w, expand_rank_1=False)
    if top_k is not None:
        y_pred = _filter_top_k(y_pred, int(top_k))
    if class_id is not None:
        if y_pred.ndim == 1:
            raise ValueError(
                "When class_id is given, y_pred must have shape (num_samples, num_classes), "
                f"got shape {y_pred.shape}"
            )
        y_true = y_true[..., class_id, None]
        y_pred = y_pred[..., class_id, None]
        if w is not None and w.ndim == y_pred.ndim and w.shape[-1] > 1:
            w = w[..., class_id, None]
    w = np.ones(y_pred.shape) if w is None else np.broadcast_to(w, y_pred.shape)
    if label_weights is not None and not multi_label:
        w = w * np.broadcast_to(np.asarray(label_weights, np.float64), y_pred.shape)
    positive = y_true != 0
    if multi_label:
        if y_pred.ndim != 2:
            raise ValueError(f"multi_label needs y_pred of rank 2, got shape {y_pred.shape}")
        labels = y_pred.shape[1]
    else:
        y_pred, positive, w = y_pred.reshape(-1, 1), positive.reshape(-1, 1), w.reshape(-1, 1)
        labels = 1
    n = len(thresholds)
    thresholds = np.asarray(thresholds, dtype=np.float32)
    if evenly is None:
        evenly = evenly_distributed(thresholds)
    if evenly:
        # the highest threshold index each prediction exceeds (Keras's bucket); -1: none
        with_eps = bool(thresholds[0] < 0 or thresholds[-1] > 1)
        p = np.clip(y_pred, np.float32(0), np.float32(1))
        top = np.ceil(p * np.float32(n - 1)).astype(np.int64) - 1
        if with_eps:
            top = np.maximum(top, 0)
        order = np.arange(n)
    else:
        order = np.argsort(thresholds, kind="stable")
        top = np.searchsorted(thresholds[order], y_pred, side="left") - 1
    # per label: hist[j + 1] = weight of the predictions whose highest exceeded index is j
    offsets = np.arange(labels) * (n + 1)
    index = (top + 1 + offsets).ravel()

    def above(weights):
        hist = np.bincount(index, weights=weights.ravel(), minlength=labels * (n + 1))
        hist = hist.reshape(labels, n + 1)
        # count at sorted threshold j = weight of predictions whose top index is >= j
        at = np.cumsum(hist[:, ::-1], axis=1)[:, ::-1][:, 1:]
        out = np.empty_like(at)
        out[:, order] = at
        return out.T

    pos_w = np.where(positive, w, 0.0)
    neg_w = np.where(positive, 0.0, w)
    tp, fp = above(pos_w), above(neg_w)
    fn = pos_w.sum(axis=0) - tp
    tn = neg_w.sum(axis=0) - fp
    if not multi_label:
        tp, fp, tn, fn = (a[:, 0] for a in (tp, fp, tn, fn))
    return tp, fp, tn, fn


def _divide_no_nan(a, b):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b == 0, 0.0, a / np.where(b == 0, 1.0, b))


def _scalar_or_array(values, thresholds):
    return float(values[0]) if len(thresholds) == 1 else np.array(values)


class _ConfusionMatrixConditionCount(Metric):
    _which = 0  # index into confusion_counts' (tp, fp, tn, fn)

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.thresholds = _thresholds(type(self).__name__, thresholds, 0.5)
        self.accumulator = self.add_variable((len(self.thresholds),), name="accumulator")

    def update_state(self, y_true, y_pred, sample_weight=None):
        counts = confusion_counts(y_true, y_pred, self.thresholds, sample_weight)
        self.accumulator += counts[self._which]

    def result(self):
        return _scalar_or_array(self.accumulator, self.thresholds)

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds}


class TruePositives(_ConfusionMatrixConditionCount):
    """The (weighted) number of positive labels predicted positive (``y_pred > threshold``)."""

    _which = 0


class FalsePositives(_ConfusionMatrixConditionCount):
    """The (weighted) number of negative labels predicted positive."""

    _which = 1


class TrueNegatives(_ConfusionMatrixConditionCount):
    """The (weighted) number of negative labels predicted negative."""

    _which = 2


class FalseNegatives(_ConfusionMatrixConditionCount):
    """The (weighted) number of positive labels predicted negative."""

    _which = 3


class _PrecisionRecall(Metric):
    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        default = 0.5 if top_k is None else NEG_INF
        self.thresholds = _thresholds(type(self).__name__, thresholds, default)
        self.true_positives = self.add_variable((len(self.thresholds),), name="true_positives")
        self.other = self.add_variable((len(self.thresholds),), name=self._other_name)

    def update_state(self, y_true, y_pred, sample_weight=None):
        tp, fp, _, fn = confusion_counts(
            y_true,
            y_pred,
            self.thresholds,
            sample_weight,
            top_k=self.top_k,
            class_id=self.class_id,
        )
        self.true_positives += tp
        self.other += fp if self._other_name == "false_positives" else fn

    def result(self):
        value = _divide_no_nan(self.true_positives, self.true_positives + self.other)
        return _scalar_or_array(value, self.thresholds)

    def get_config(self):
        return {
            **super().get_config(),
            "thresholds": self.init_thresholds,
            "top_k": self.top_k,
            "class_id": self.class_id,
        }


class Precision(_PrecisionRecall):
    """``TP / (TP + FP)``: of the entries predicted positive (``y_pred > threshold``, 0.5 by
    default), the fraction that are. ``thresholds`` (a number or a list) gives one result per
    threshold; ``top_k`` counts only each row's ``k`` highest scores as predicted positive;
    ``class_id`` looks at one column only."""

    _other_name = "false_positives"

    @property
    def false_positives(self):
        return self.other


class Recall(_PrecisionRecall):
    """``TP / (TP + FN)``: of the positive entries, the fraction predicted positive (arguments
    as ``Precision``'s)."""

    _other_name = "false_negatives"

    @property
    def false_negatives(self):
        return self.other


_CURVES = ("ROC", "PR", "PRGAIN")
_SUMMATIONS = ("interpolation", "minoring", "majoring")


class AUC(Metric):
    """The area under the ROC (or precision-recall) curve, approximated from the confusion
    counts at ``num_thresholds`` thresholds spread over [0, 1] (Keras 3's ``AUC``).

    ``curve``: ``'ROC'`` (true-positive rate against false-positive rate), ``'PR'``
    (precision against recall) or ``'PRGAIN'``. ``summation_method``: ``'interpolation'``
    (trapezoids; for PR, Davis & Goadrich's interpolation), ``'minoring'`` or ``'majoring'``
    (lower or upper rectangles). ``multi_label=True`` keeps one curve per column of a
    ``(batch, labels)`` output and averages their areas (weighted by ``label_weights``);
    otherwise every entry is one more prediction on a single curve. ``from_logits=True``
    applies a sigmoid first. ``thresholds`` replaces the evenly spread ones (0 - 1e-7 and
    1 + 1e-7 are added at the ends, as Keras does).
    """

    def __init__(
        self,
        num_thresholds=200,
        curve="ROC",
        summation_method="interpolation",
        name=None,
        dtype=None,
        thresholds=None,
        multi_label=False,
        num_labels=None,
        label_weights=None,
        from_logits=False,
    ):
        curve_key = str(curve).upper()
        if curve_key not in _CURVES:
            raise ValueError(f"AUC: curve must be one of {_CURVES}, got {curve!r}")
        method = str(summation_method).lower()
        if method not in _SUMMATIONS:
            raise ValueError(
                f"AUC: summation_method must be one of {_SUMMATIONS}, got {summation_method!r}"
            )
        super().__init__(name=name, dtype=dtype)
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            inner = sorted(_thresholds("AUC", thresholds, 0.5))
            self.num_thresholds = len(inner) + 2
            self._evenly = evenly_distributed([0.0, *inner, 1.0])
        else:
            if not isinstance(num_thresholds, int) or num_thresholds <= 1:
                raise ValueError(f"AUC: num_thresholds must be an int > 1, got {num_thresholds!r}")
            self.num_thresholds = num_thresholds
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self._evenly = True
        self._thresholds = np.array([0.0 - EPSILON, *inner, 1.0 + EPSILON])
        self.curve = curve_key
        self.summation_method = method
        self.multi_label = bool(multi_label)
        self.num_labels = num_labels
        self.label_weights = (
            None if label_weights is None else np.asarray(label_weights, dtype=np.float64)
        )
        self._from_logits = bool(from_logits)
        if num_labels and not self.multi_label:
            raise ValueError("AUC: num_labels is needed only when multi_label is True")
        self._built = False
        if not self.multi_label:
            self._build(None)
        elif num_labels:
            self._build(num_labels)

    def _build(self, labels):
        shape = (self.num_thresholds,) if labels is None else (self.num_thresholds, labels)
        self.true_positives = self.add_variable(shape, name="true_positives")
        self.false_positives = self.add_variable(shape, name="false_positives")
        self.true_negatives = self.add_variable(shape, name="true_negatives")
        self.false_negatives = self.add_variable(shape, name="false_negatives")
        self._built = True

    @property
    def thresholds(self):
        """The thresholds, including the two at ``-1e-7`` and ``1 + 1e-7``."""
        return list(self._thresholds)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = as_array(y_pred, np.float32)
        if not self._built:
            if y_pred.ndim != 2:
                raise ValueError(
                    f"AUC(multi_label=True) expects y_pred of rank 2, got shape {y_pred.shape}"
                )
            self._build(y_pred.shape[1])
        if self._from_logits:
            y_pred = (1 / (1 + np.exp(-y_pred.astype(np.float64)))).astype(np.float32)
        tp, fp, tn, fn = confusion_counts(
            y_true,
            y_pred,
            self._thresholds,
            sample_weight,
            multi_label=self.multi_label,
            label_weights=None if self.multi_label else self.label_weights,
            evenly=self._evenly,
        )
        self.true_positives += tp
        self.false_positives += fp
        self.true_negatives += tn
        self.false_negatives += fn

    def _average(self, by_label):
        if not self.multi_label:
            return float(by_label)
        if self.label_weights is None:
            return float(np.mean(by_label))
        weights = self.label_weights
        return float(_divide_no_nan(np.sum(by_label * weights), weights.sum()))

    def interpolate_pr_auc(self):
        """Davis & Goadrich's interpolation of the precision-recall curve, in Keras's closed
        form: within each pair of thresholds, TP and the predicted positives P vary linearly,
        and the area is ``slope * (dTP + intercept * log(P_A / P_B)) / (TP_B + FN_B)``."""
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        slope = _divide_no_nan(dtp, np.maximum(dp, 0))
        intercept = tp[1:] - slope * p[1:]
        both = (p[:-1] > 0) & (p[1:] > 0)
        ratio = np.where(both, _divide_no_nan(p[:-1], np.maximum(p[1:], 0)), 1.0)
        with np.errstate(divide="ignore"):
            log_ratio = np.log(np.where(ratio > 0, ratio, 1.0))
        increment = _divide_no_nan(
            slope * (dtp + intercept * log_ratio), np.maximum(tp[1:] + fn[1:], 0)
        )
        return self._average(increment.sum(axis=0))

    def result(self):
        if not self._built:
            return 0.0
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self.interpolate_pr_auc()
        tp, fp = self.true_positives, self.false_positives
        tn, fn = self.true_negatives, self.false_negatives
        recall = _divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = _divide_no_nan(fp, fp + tn), recall
        elif self.curve == "PR":
            x, y = recall, _divide_no_nan(tp, tp + fp)
        else:  # PRGAIN
            scale = _divide_no_nan(tp + fn, tn + fp)
            recall_gain = np.where(tp == 0, 0.0, 1 - scale * _divide_no_nan(fn, tp))
            x = np.maximum(recall_gain, 0.0)
            y = np.where(tp == 0, 1.0, 1 - scale * _divide_no_nan(fp, tp))
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2
        elif self.summation_method == "minoring":
            heights = np.minimum(y[:-1], y[1:])
        else:
            heights = np.maximum(y[:-1], y[1:])
        return self._average(((x[:-1] - x[1:]) * heights).sum(axis=0))

    def get_config(self):
        config = {
            **super().get_config(),
            "num_thresholds": self.num_thresholds,
            "curve": self.curve,
            "summation_method": self.summation_method,
            "multi_label": self.multi_label,
            "num_labels": self.num_labels,
            "label_weights": None if self.label_weights is None else self.label_weights.tolist(),
            "from_logits": self._from_logits,
        }
        if self._init_from_thresholds:
            config["thresholds"] = self.thresholds[1:-1]
        return config
