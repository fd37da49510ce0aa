"""Keras losses: classes (``CategoricalCrossentropy()``) and functions
(``categorical_crossentropy(y_true, y_pred)``), by object or by string.

A loss function returns one value per sample (reduced over the last axis); a ``Loss`` object
reduces those over the batch, by default ``'sum_over_batch_size'`` — the sum of the (sample-
weighted) values divided by the number of samples, as Keras 3 does.

When ``y_pred`` came out of a softmax (or sigmoid) and ``from_logits=False``, cross-entropy is
computed from the logits it remembers (``Tensor.keras_logits``), as Keras's TensorFlow backend
does: the same value without the 1e-7 clipping's dead gradient, and a backward of ``p - y``.
"""

from __future__ import annotations

from ..autograd import Tensor
from ..backend import xp
from ..functions import array
from ..functions import losses as L

REDUCTIONS = ("sum_over_batch_size", "sum", "none", "mean", None)


def _logits(y_pred, kind):
    if isinstance(y_pred, Tensor) and y_pred.keras_logits is not None:
        logits, source = y_pred.keras_logits
        if source == kind:
            return logits
    return None


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    if not from_logits:
        logits = _logits(y_pred, "softmax")
        if logits is not None:
            y_pred, from_logits = logits, True
    return L.categorical_crossentropy(
        y_true, y_pred, from_logits=from_logits, label_smoothing=label_smoothing, axis=axis
    )


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, axis=-1):
    if not from_logits:
        logits = _logits(y_pred, "softmax")
        if logits is not None:
            y_pred, from_logits = logits, True
    return L.sparse_categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis)


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0):
    if not from_logits:
        logits = _logits(y_pred, "sigmoid")
        if logits is not None:
            y_pred, from_logits = logits, True
    return L.binary_crossentropy(
        y_true, y_pred, from_logits=from_logits, label_smoothing=label_smoothing
    )


def mean_squared_error(y_true, y_pred):
    return L.mean_squared_error(y_true, y_pred)


def mean_absolute_error(y_true, y_pred):
    return L.mean_absolute_error(y_true, y_pred)


def huber(y_true, y_pred, delta=1.0):
    return L.huber(y_true, y_pred, delta=delta)


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error


def kl_divergence(y_true, y_pred):
    """Kullback-Leibler divergence ``sum(y_true * log(y_true / y_pred))`` over the last axis,
    both clipped to ``[epsilon, 1]`` as Keras does (knowledge distillation's loss)."""
    from ..backend import epsilon

    t = array.clip(y_true, epsilon(), 1.0)
    p = array.clip(y_pred, epsilon(), 1.0)
    return array.sum(t * array.log(t / p), axis=-1)


class Loss:
    """Base class: ``call(y_true, y_pred)`` gives per-sample values; ``__call__`` reduces."""

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        if reduction not in REDUCTIONS:
            raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
        self.name = name or _snake(type(self).__name__)
        self.reduction = reduction
        self.dtype = dtype

    def call(self, y_true, y_pred):
        raise NotImplementedError

    def __call__(self, y_true, y_pred, sample_weight=None):
        values = self.call(y_true, y_pred)
        if sample_weight is not None:
            values = array.mul(values, _weights_like(sample_weight, values))
        return reduce_values(values, self.reduction)

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _weights_like(sample_weight, values):
    """Sample weights as an array of ``values``'s dtype, broadcastable to its shape."""
    w = getattr(sample_weight, "data", sample_weight)
    w = xp.asarray(w, dtype=values.dtype)
    if w.ndim > values.ndim:
        w = w.reshape(w.shape[: values.ndim])
    while w.ndim < values.ndim:
        w = w[..., None]
    return w


def reduce_values(values, reduction):
    if reduction in ("none", None):
        return values
    total = array.sum(values)
    if reduction == "sum":
        return total
    count = max(int(values.data.size), 1)
    return array.div(total, float(count))


class LossFunctionWrapper(Loss):
    """A loss object around a per-sample function and its keyword arguments."""

    def __init__(self, fn, name=None, reduction="sum_over_batch_size", **kwargs):
        super().__init__(name=name, reduction=reduction)
        self.fn = fn
        self.fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self.fn_kwargs)

    def get_config(self):
        return {**super().get_config(), **self.fn_kwargs}


class CategoricalCrossentropy(LossFunctionWrapper):
    def __init__(
        self,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="categorical_crossentropy",
    ):
        super().__init__(
            categorical_crossentropy,
            name=name,
            reduction=reduction,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    def __init__(
        self,
        from_logits=False,
        axis=-1,
        reduction="sum_over_batch_size",
        name="sparse_categorical_crossentropy",
    ):
        super().__init__(
            sparse_categorical_crossentropy,
            name=name,
            reduction=reduction,
            from_logits=from_logits,
            axis=axis,
        )


class BinaryCrossentropy(LossFunctionWrapper):
    def __init__(
        self,
        from_logits=False,
        label_smoothing=0.0,
        reduction="sum_over_batch_size",
        name="binary_crossentropy",
    ):
        super().__init__(
            binary_crossentropy,
            name=name,
            reduction=reduction,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
        )


class MeanSquaredError(LossFunctionWrapper):
    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error"):
        super().__init__(mean_squared_error, name=name, reduction=reduction)


class MeanAbsoluteError(LossFunctionWrapper):
    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error"):
        super().__init__(mean_absolute_error, name=name, reduction=reduction)


class Huber(LossFunctionWrapper):
    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss"):
        super().__init__(huber, name=name, reduction=reduction, delta=delta)


class KLDivergence(LossFunctionWrapper):
    def __init__(self, reduction="sum_over_batch_size", name="kl_divergence"):
        super().__init__(kl_divergence, name=name, reduction=reduction)


def _snake(name):
    from ..layers.base import to_snake_case

    return to_snake_case(name)


_BY_NAME = {
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "binary_crossentropy": BinaryCrossentropy,
    "mean_squared_error": MeanSquaredError,
    "mse": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError,
    "mae": MeanAbsoluteError,
    "huber": Huber,
    "huber_loss": Huber,
    "kl_divergence": KLDivergence,
    "kld": KLDivergence,
}
_CLASSES = {c.__name__: c for c in set(_BY_NAME.values())}
_FUNCTIONS = {
    categorical_crossentropy: CategoricalCrossentropy,
    sparse_categorical_crossentropy: SparseCategoricalCrossentropy,
    binary_crossentropy: BinaryCrossentropy,
    mean_squared_error: MeanSquaredError,
    mean_absolute_error: MeanAbsoluteError,
    huber: Huber,
    kl_divergence: KLDivergence,
}


def get(identifier) -> Loss:
    """A ``Loss`` from a string (``'categorical_crossentropy'``), class name, config dict,
    Keras loss function, ``Loss`` instance or any callable ``(y_true, y_pred) -> per-sample``."""
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, str):
        key = identifier if identifier in _CLASSES else identifier.lower()
        cls = _BY_NAME.get(key) or _CLASSES.get(key)
        if cls is None:
            raise ValueError(f"Unknown loss {identifier!r}; valid names are {sorted(_BY_NAME)}")
        return cls()
    if isinstance(identifier, dict):
        cls = _CLASSES.get(identifier.get("class_name"))
        if cls is None:
            raise ValueError(f"Unknown loss config {identifier!r}")
        return cls(**identifier.get("config", {}))
    if identifier in _FUNCTIONS:
        return _FUNCTIONS[identifier]()
    if callable(identifier):
        return LossFunctionWrapper(identifier, name=getattr(identifier, "__name__", "loss"))
    raise ValueError(f"Could not interpret loss {identifier!r}")


def serialize(loss: Loss) -> dict:
    return {"class_name": type(loss).__name__, "config": loss.get_config()}


def deserialize(config):
    return get(config)
