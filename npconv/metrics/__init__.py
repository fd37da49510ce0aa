"""Keras metrics: running values reported by ``fit``/``evaluate`` (``'accuracy'``, ...).

Metrics work on plain arrays (no graph): ``update_state(y_true, y_pred, sample_weight)``
accumulates, ``result()`` reads, ``reset_state()`` starts over. ``'accuracy'`` given to
``compile`` is resolved from the shapes of the labels and predictions, as Keras 3 does:
one output unit -> binary, integer labels -> sparse categorical, one-hot -> categorical.

What CNN programs log, with Keras 3's names, arguments and defaults: accuracies (plain,
binary, categorical, sparse, top-k), ``Precision``, ``Recall``, ``AUC``, ``F1Score``,
``FBetaScore``, the confusion counts (``TruePositives``...), segmentation's ``MeanIoU`` and
its kin, the loss-like means (cross-
entropies, MSE, RMSE, MAE, MAPE, MSLE, log-cosh, cosine similarity, hinge, KL divergence,
Poisson), and ``Mean``/``Sum``/``MeanMetricWrapper`` for one's own. Each keeps its state as
sums and counts in ``metric.variables`` (see ``npconv.metrics.base``), so that data-parallel
workers can add their states together. Strings for ``compile(metrics=[...])`` are Keras's:
each class name and its snake_case (``'precision'``, ``'auc'``, ``'f1_score'``), plus
``'acc'``, ``'mse'``, ``'mae'``, ``'mape'``, ``'msle'``, ``'bce'``.
"""

from __future__ import annotations

import numpy as np

from .base import (
    Mean,
    MeanMetricWrapper,
    Metric,
    Sum,
    as_array,
    squeeze_or_expand_to_same_rank,
)
from .confusion_metrics import (
    AUC,
    FalseNegatives,
    FalsePositives,
    Precision,
    Recall,
    TrueNegatives,
    TruePositives,
)
from .f_score_metrics import F1Score, FBetaScore
from .iou_metrics import BinaryIoU, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU


def _arr(x):
    return as_array(x)


def _sparse_labels(y_true, y_pred):
    y_true = _arr(y_true)
    if y_true.ndim == _arr(y_pred).ndim and y_true.shape[-1] == 1:
        y_true = y_true[..., 0]
    return y_true.astype(np.int64)


def accuracy(y_true, y_pred):
    return (_arr(y_true) == _arr(y_pred)).astype(np.float32)


def _same_rank(y_true, y_pred):
    """Keras's squeeze_or_expand_to_same_rank: labels ``(n,)`` against predictions ``(n, 1)``
    (or the reverse) lose the trailing 1 instead of broadcasting to ``(n, n)``."""
    t, p = _arr(y_true), _arr(y_pred)
    if t.ndim == p.ndim + 1 and t.shape[-1] == 1:
        t = t[..., 0]
    elif p.ndim == t.ndim + 1 and p.shape[-1] == 1:
        p = p[..., 0]
    return t, p


def binary_accuracy(y_true, y_pred, threshold=0.5):
    t, p = _same_rank(y_true, y_pred)
    hits = ((p > threshold) == t.astype(np.float32)).astype(np.float32)
    return hits if hits.ndim < 2 else np.mean(hits, axis=-1)


def categorical_accuracy(y_true, y_pred):
    return (np.argmax(_arr(y_true), -1) == np.argmax(_arr(y_pred), -1)).astype(np.float32)


def sparse_categorical_accuracy(y_true, y_pred):
    labels = _sparse_labels(y_true, y_pred)
    return (labels == np.argmax(_arr(y_pred), -1)).astype(np.float32)


def _in_top_k(labels, y_pred, k):
    y_pred = _arr(y_pred)
    target = np.take_along_axis(y_pred, labels[..., None], axis=-1)
    # Keras (tf.math.in_top_k) counts a label in the top k when fewer than k scores beat it.
    return (np.sum(y_pred > target, axis=-1) < k).astype(np.float32)


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    return _in_top_k(np.argmax(_arr(y_true), -1), y_pred, k)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    return _in_top_k(_sparse_labels(y_true, y_pred), y_pred, k)


def _loss_metric(name):
    def fn(y_true, y_pred, **kwargs):
        from .. import losses
        from ..autograd import no_grad

        with no_grad():
            return _arr(getattr(losses, name)(y_true, y_pred, **kwargs))

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"The per-sample values of ``npconv.losses.{name}``, as an array."
    return fn


categorical_crossentropy = _loss_metric("categorical_crossentropy")
sparse_categorical_crossentropy = _loss_metric("sparse_categorical_crossentropy")
binary_crossentropy = _loss_metric("binary_crossentropy")
mean_squared_error = _loss_metric("mean_squared_error")
mean_absolute_error = _loss_metric("mean_absolute_error")
mean_absolute_percentage_error = _loss_metric("mean_absolute_percentage_error")
mean_squared_logarithmic_error = _loss_metric("mean_squared_logarithmic_error")
log_cosh = _loss_metric("log_cosh")
kl_divergence = _loss_metric("kl_divergence")
poisson = _loss_metric("poisson")
hinge = _loss_metric("hinge")
squared_hinge = _loss_metric("squared_hinge")
categorical_hinge = _loss_metric("categorical_hinge")
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kl_divergence
logcosh = log_cosh


def cosine_similarity(y_true, y_pred, axis=-1):
    """The cosine of the angle between ``y_true`` and ``y_pred`` along ``axis`` (1: same
    direction); the loss of that name is its negative."""
    from ..backend import epsilon

    t, p = squeeze_or_expand_to_same_rank(
        _arr(y_true).astype(np.float64), _arr(y_pred).astype(np.float64)
    )
    floor = epsilon() ** 2  # Keras's ops.normalize: x / sqrt(max(sum(x ** 2), eps ** 2))
    t = t / np.sqrt(np.maximum((t * t).sum(axis=axis, keepdims=True), floor))
    p = p / np.sqrt(np.maximum((p * p).sum(axis=axis, keepdims=True), floor))
    return (t * p).sum(axis=axis)


def _wrapper(fn, default_name, **defaults):
    class Wrapped(MeanMetricWrapper):
        def __init__(self, name=default_name, dtype=None, **kwargs):
            super().__init__(fn, name=name, dtype=dtype, **{**defaults, **kwargs})

    return Wrapped


class Accuracy(_wrapper(accuracy, "accuracy")):
    """How often predictions equal labels exactly."""


class BinaryAccuracy(_wrapper(binary_accuracy, "binary_accuracy", threshold=0.5)):
    """How often ``y_pred > threshold`` equals the 0/1 label."""


class CategoricalAccuracy(_wrapper(categorical_accuracy, "categorical_accuracy")):
    """How often the arg-max of the prediction equals the arg-max of the one-hot label."""


class SparseCategoricalAccuracy(
    _wrapper(sparse_categorical_accuracy, "sparse_categorical_accuracy")
):
    """How often the arg-max of the prediction equals the integer label."""


class TopKCategoricalAccuracy(
    _wrapper(top_k_categorical_accuracy, "top_k_categorical_accuracy", k=5)
):
    """How often the one-hot label is among the ``k`` highest predictions."""

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(name=name, dtype=dtype, k=k)  # k first, as Keras: (5, name="top5")
        self.k = k


class SparseTopKCategoricalAccuracy(
    _wrapper(sparse_top_k_categorical_accuracy, "sparse_top_k_categorical_accuracy", k=5)
):
    """How often the integer label is among the ``k`` highest predictions."""

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None,
                 from_sorted_ids=False):
        if from_sorted_ids:
            raise NotImplementedError("SparseTopKCategoricalAccuracy(from_sorted_ids=True) is "
                                      "not provided: pass the scores")
        super().__init__(name=name, dtype=dtype, k=k)
        self.k = k


class MeanSquaredError(_wrapper(mean_squared_error, "mean_squared_error")):
    """Mean of the per-sample mean squared error."""


class MeanAbsoluteError(_wrapper(mean_absolute_error, "mean_absolute_error")):
    """Mean of the per-sample mean absolute error."""


class MeanAbsolutePercentageError(
    _wrapper(mean_absolute_percentage_error, "mean_absolute_percentage_error")
):
    """Mean of the per-sample mean absolute percentage error."""


class MeanSquaredLogarithmicError(
    _wrapper(mean_squared_logarithmic_error, "mean_squared_logarithmic_error")
):
    """Mean of the per-sample mean squared logarithmic error."""


class LogCoshError(_wrapper(log_cosh, "logcosh")):
    """Mean of the per-sample mean of ``log(cosh(y_pred - y_true))``."""


class CosineSimilarity(_wrapper(cosine_similarity, "cosine_similarity", axis=-1)):
    """Mean cosine similarity of ``y_true`` and ``y_pred`` along ``axis`` (1 is best)."""


class RootMeanSquaredError(Mean):
    """``sqrt`` of the (weighted) mean of the squared errors over everything seen."""

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        t, p = squeeze_or_expand_to_same_rank(
            _arr(y_true).astype(np.float64), _arr(y_pred).astype(np.float64)
        )
        super().update_state((p - t) ** 2, sample_weight=sample_weight)

    def result(self):
        return float(np.sqrt(super().result()))


class KLDivergence(_wrapper(kl_divergence, "kl_divergence")):
    """Mean Kullback-Leibler divergence of ``y_pred`` from ``y_true``."""


class Poisson(_wrapper(poisson, "poisson")):
    """Mean Poisson loss."""


class Hinge(_wrapper(hinge, "hinge")):
    """Mean hinge loss."""


class SquaredHinge(_wrapper(squared_hinge, "squared_hinge")):
    """Mean squared hinge loss."""


class CategoricalHinge(_wrapper(categorical_hinge, "categorical_hinge")):
    """Mean categorical hinge loss."""


class CategoricalCrossentropy(_wrapper(categorical_crossentropy, "categorical_crossentropy")):
    """Mean categorical cross-entropy, as a metric."""


class SparseCategoricalCrossentropy(
    _wrapper(sparse_categorical_crossentropy, "sparse_categorical_crossentropy")
):
    """Mean sparse categorical cross-entropy, as a metric."""


class BinaryCrossentropy(_wrapper(binary_crossentropy, "binary_crossentropy")):
    """Mean binary cross-entropy, as a metric."""


def _snake(name):
    from .._naming import to_snake_case

    return to_snake_case(name)


ALL_OBJECTS = (
    Mean,
    Sum,
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    TopKCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    Precision,
    Recall,
    AUC,
    F1Score,
    FBetaScore,
    TruePositives,
    FalsePositives,
    TrueNegatives,
    FalseNegatives,
    IoU,
    BinaryIoU,
    MeanIoU,
    OneHotIoU,
    OneHotMeanIoU,
    MeanSquaredError,
    RootMeanSquaredError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError,
    LogCoshError,
    CosineSimilarity,
    KLDivergence,
    Poisson,
    Hinge,
    SquaredHinge,
    CategoricalHinge,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    BinaryCrossentropy,
)
_CLASSES = {c.__name__: c for c in ALL_OBJECTS}
#: lower-case string -> class: each class's snake_case name (Keras 3), its default name, and
#: the short and Keras 2 spellings
_BY_NAME = {_snake(c.__name__): c for c in ALL_OBJECTS}
_BY_NAME.update(
    {
        "acc": Accuracy,
        "mse": MeanSquaredError,
        "mae": MeanAbsoluteError,
        "mape": MeanAbsolutePercentageError,
        "msle": MeanSquaredLogarithmicError,
        "bce": BinaryCrossentropy,
        "kld": KLDivergence,
        "kullback_leibler_divergence": KLDivergence,
        "logcosh": LogCoshError,
        "cosine_proximity": CosineSimilarity,
        "fbeta_score": FBetaScore,
    }
)


def get(identifier) -> Metric:
    """A ``Metric`` from a string (``'precision'``, ``'AUC'``, ``'mse'``), config dict,
    instance, class, or per-sample function ``fn(y_true, y_pred)`` (then averaged)."""
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, str):
        cls = _CLASSES.get(identifier) or _BY_NAME.get(identifier.lower())
        if cls is None:
            from .._missing import closest

            near = closest(identifier.lower(), _BY_NAME)
            hint = f" Did you mean {near!r}?" if near else ""
            raise ValueError(
                f"Unknown metric {identifier!r}.{hint} Valid names are {sorted(_BY_NAME)}"
            )
        return cls()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if callable(identifier):
        return MeanMetricWrapper(identifier)
    raise ValueError(f"Could not interpret metric {identifier!r}")


def serialize(metric) -> dict:
    """``metric`` as Keras 3's dict, ``{'module', 'class_name', 'config', 'registered_name'}``."""
    if not isinstance(metric, Metric):
        raise TypeError(f"metrics.serialize expects a Metric, got {metric!r}")
    cls = type(metric)
    builtin = _CLASSES.get(cls.__name__) is cls
    return {
        "module": "keras.metrics" if builtin else cls.__module__,
        "class_name": cls.__name__,
        "config": metric.get_config(),
        "registered_name": None if builtin else cls.__name__,
    }


def deserialize(config, custom_objects=None) -> Metric:
    """A ``Metric`` from ``serialize``'s dict (or Keras 2's ``{'class_name', 'config'}``, or a
    name); classes other than npconv's only from ``custom_objects`` (name -> class)."""
    if isinstance(config, str):
        return get(config)
    if not isinstance(config, dict) or not isinstance(config.get("class_name"), str):
        raise ValueError(f"Unknown metric config {config!r}: expected {{'class_name', 'config'}}")
    name = config["class_name"]
    cls = (custom_objects or {}).get(name) or _CLASSES.get(name)
    if cls is None:
        raise ValueError(
            f"Unknown metric class {name!r} in config: pass it in custom_objects; the built-in "
            f"classes are {sorted(_CLASSES)}"
        )
    return cls.from_config(dict(config.get("config") or {}))


def resolve(identifier, y_true, y_pred) -> Metric:
    """``get`` plus Keras 3's resolution of ``'accuracy'``/``'acc'`` from the shapes."""
    if isinstance(identifier, str) and identifier.lower() in ("accuracy", "acc"):
        t, p = _arr(y_true), _arr(y_pred)
        if p.shape[-1] == 1:
            return BinaryAccuracy(name=identifier)
        if t.ndim < p.ndim or (t.shape[-1] == 1 and p.shape[-1] > 1):
            return SparseCategoricalAccuracy(name=identifier)
        return CategoricalAccuracy(name=identifier)
    metric = get(identifier)
    if isinstance(identifier, str):
        metric.name = identifier
    return metric


def _differentiable(name):
    def fn(y_true, y_pred, **kwargs):
        from .. import losses

        return getattr(losses, name)(y_true, y_pred, **kwargs)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"``npconv.losses.{name}`` itself, as Keras 3's ``keras.metrics.{name}`` is: "
                  "per-sample values, differentiable (a VAE's reconstruction term).")
    return fn


# The public per-sample functions are the losses' (Keras 3 exports the same functions under
# both names, and a VAE written with keras.metrics.binary_crossentropy differentiates it);
# the metric classes above keep the array versions they were made with.
for _name in ("categorical_crossentropy", "sparse_categorical_crossentropy",
              "binary_crossentropy", "mean_squared_error", "mean_absolute_error",
              "mean_absolute_percentage_error", "mean_squared_logarithmic_error", "log_cosh",
              "kl_divergence", "poisson", "hinge", "squared_hinge", "categorical_hinge"):
    globals()[_name] = _differentiable(_name)
mse = MSE = mean_squared_error  # noqa: F811 - the aliases follow the public functions
mae = MAE = mean_absolute_error  # noqa: F811
mape = MAPE = mean_absolute_percentage_error  # noqa: F811
msle = MSLE = mean_squared_logarithmic_error  # noqa: F811
kld = KLD = kl_divergence  # noqa: F811
logcosh = log_cosh  # noqa: F811
del _name


def __getattr__(name):
    from .._missing import not_provided

    raise not_provided(__name__, name, globals())
