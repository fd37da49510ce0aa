"""Keras metrics: running values reported by ``fit``/``evaluate`` (``'accuracy'``, ...).

Metrics work on plain arrays (no graph): ``update_state(y_true, y_pred, sample_weight)``
accumulates, ``result()`` reads, ``reset_state()`` starts over. ``'accuracy'`` given to
``compile`` is resolved from the shapes of the labels and predictions, as Keras 3 does:
one output unit -> binary, integer labels -> sparse categorical, one-hot -> categorical.
"""

from __future__ import annotations

import numpy as np


def _arr(x):
    return np.asarray(getattr(x, "data", x))


def _sparse_labels(y_true, y_pred):
    y_true = _arr(y_true)
    if y_true.ndim == _arr(y_pred).ndim and y_true.shape[-1] == 1:
        y_true = y_true[..., 0]
    return y_true.astype(np.int64)


def accuracy(y_true, y_pred):
    return (_arr(y_true) == _arr(y_pred)).astype(np.float32)


def binary_accuracy(y_true, y_pred, threshold=0.5):
    pred = (_arr(y_pred) > threshold).astype(np.float32)
    return np.mean(pred == _arr(y_true).astype(np.float32), axis=-1)


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

    fn.__name__ = name
    return fn


categorical_crossentropy = _loss_metric("categorical_crossentropy")
sparse_categorical_crossentropy = _loss_metric("sparse_categorical_crossentropy")
binary_crossentropy = _loss_metric("binary_crossentropy")
mean_squared_error = _loss_metric("mean_squared_error")
mean_absolute_error = _loss_metric("mean_absolute_error")


class Metric:
    """Base class of stateful metrics."""

    def __init__(self, name=None, dtype=None):
        from ..layers.base import to_snake_case

        self.name = name or to_snake_case(type(self).__name__)
        self.dtype = dtype or "float32"
        self.reset_state()

    def reset_state(self):
        raise NotImplementedError

    def update_state(self, y_true, y_pred, sample_weight=None):
        raise NotImplementedError

    def result(self):
        raise NotImplementedError

    def __call__(self, y_true, y_pred, sample_weight=None):
        self.update_state(y_true, y_pred, sample_weight)
        return self.result()

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class Mean(Metric):
    """The weighted mean of the values it has been given."""

    def reset_state(self):
        self.total = 0.0
        self.count = 0.0

    def update_state(self, values, sample_weight=None):
        values = _arr(values).astype(np.float64)
        if sample_weight is None:
            self.total += float(values.sum())
            self.count += float(values.size)
        else:
            w = np.broadcast_to(_sample_weight(sample_weight, values), values.shape)
            self.total += float((values * w).sum())
            self.count += float(w.sum())

    def result(self):
        return self.total / self.count if self.count else 0.0


def _sample_weight(sample_weight, values):
    w = _arr(sample_weight).astype(np.float64)
    while w.ndim < values.ndim:
        w = w[..., None]
    return w


class MeanMetricWrapper(Mean):
    """The mean of a per-sample function ``fn(y_true, y_pred, **kwargs)``."""

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        self.fn = fn
        self.fn_kwargs = kwargs
        super().__init__(name=name or getattr(fn, "__name__", "metric"), dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        super().update_state(self.fn(y_true, y_pred, **self.fn_kwargs), sample_weight)

    def get_config(self):
        return {**super().get_config(), **self.fn_kwargs}


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


class SparseTopKCategoricalAccuracy(
    _wrapper(sparse_top_k_categorical_accuracy, "sparse_top_k_categorical_accuracy", k=5)
):
    """How often the integer label is among the ``k`` highest predictions."""


class MeanSquaredError(_wrapper(mean_squared_error, "mean_squared_error")):
    """Mean of the per-sample mean squared error."""


class MeanAbsoluteError(_wrapper(mean_absolute_error, "mean_absolute_error")):
    """Mean of the per-sample mean absolute error."""


class CategoricalCrossentropy(_wrapper(categorical_crossentropy, "categorical_crossentropy")):
    """Mean categorical cross-entropy, as a metric."""


class SparseCategoricalCrossentropy(
    _wrapper(sparse_categorical_crossentropy, "sparse_categorical_crossentropy")
):
    """Mean sparse categorical cross-entropy, as a metric."""


class BinaryCrossentropy(_wrapper(binary_crossentropy, "binary_crossentropy")):
    """Mean binary cross-entropy, as a metric."""


_BY_NAME = {
    "accuracy": Accuracy,
    "acc": Accuracy,
    "binary_accuracy": BinaryAccuracy,
    "categorical_accuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "top_k_categorical_accuracy": TopKCategoricalAccuracy,
    "sparse_top_k_categorical_accuracy": SparseTopKCategoricalAccuracy,
    "mean_squared_error": MeanSquaredError,
    "mse": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError,
    "mae": MeanAbsoluteError,
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "binary_crossentropy": BinaryCrossentropy,
}
_CLASSES = {c.__name__: c for c in _BY_NAME.values()}


def get(identifier) -> Metric:
    """A ``Metric`` from a string, class name, config dict, instance or per-sample function."""
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier.lower()) or _CLASSES.get(identifier)
        if cls is None:
            raise ValueError(f"Unknown metric {identifier!r}; valid names are {sorted(_BY_NAME)}")
        return cls()
    if isinstance(identifier, dict):
        cls = _CLASSES.get(identifier.get("class_name"))
        if cls is None:
            raise ValueError(f"Unknown metric config {identifier!r}")
        return cls(**identifier.get("config", {}))
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if callable(identifier):
        return MeanMetricWrapper(identifier)
    raise ValueError(f"Could not interpret metric {identifier!r}")


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
