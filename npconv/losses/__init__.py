"""Keras losses: classes (``CategoricalCrossentropy()``) and functions
(``categorical_crossentropy(y_true, y_pred)``), by object or by string (``'kld'``).

Every Keras 3 loss a CNN is trained with: cross-entropies (categorical, sparse, binary, and
their focal forms), regression losses (MSE, MAE, MAPE, MSLE, Huber, log-cosh, cosine
similarity), hinge losses, KL divergence, Poisson, and the segmentation losses Dice and
Tversky. The arithmetic and its gradient live in ``npconv.functions.losses``.

A loss function returns one value per sample (reduced over the last axis); a ``Loss`` object
reduces those over the batch, by default ``'sum_over_batch_size'`` — the sum of the (sample-
weighted) values divided by the number of values, as Keras 3 does. ``'sum'``, ``'mean'`` (the
same as ``'sum_over_batch_size'``), ``'mean_with_sample_weight'`` (divided by the sum of the
sample weights instead), ``'none'``/``None``, and Keras 2's ``'auto'`` (read as
``'sum_over_batch_size'``) are the other reductions.

When ``y_pred`` came out of a softmax (or sigmoid) and ``from_logits=False``, cross-entropy is
computed from the logits it remembers (``Tensor.keras_logits``), as Keras's TensorFlow backend
does: the same value without the 1e-7 clipping's dead gradient, and a backward of ``p - y``.
"""

from __future__ import annotations

from ..autograd import Tensor
from ..backend import xp
from ..functions import array
from ..functions import losses as L

REDUCTIONS = ("sum_over_batch_size", "sum", "none", "mean", "mean_with_sample_weight", None)


class Reduction:
    """Keras 2's ``tf.keras.losses.Reduction`` names (Keras 3 takes the strings directly)."""

    AUTO = "auto"
    NONE = "none"
    SUM = "sum"
    SUM_OVER_BATCH_SIZE = "sum_over_batch_size"

    @classmethod
    def all(cls):
        return (cls.AUTO, cls.NONE, cls.SUM, cls.SUM_OVER_BATCH_SIZE)


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


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    if not from_logits:
        logits = _logits(y_pred, "sigmoid")
        if logits is not None:
            y_pred, from_logits = logits, True
    return L.binary_crossentropy(
        y_true, y_pred, from_logits=from_logits, label_smoothing=label_smoothing, axis=axis
    )


def mean_squared_error(y_true, y_pred):
    return L.mean_squared_error(y_true, y_pred)


def mean_absolute_error(y_true, y_pred):
    return L.mean_absolute_error(y_true, y_pred)


def huber(y_true, y_pred, delta=1.0):
    return L.huber(y_true, y_pred, delta=delta)


def kl_divergence(y_true, y_pred):
    """``sum(y_true * log(y_true / y_pred), axis=-1)``, both clipped to ``[1e-7, 1]``."""
    return L.kl_divergence(y_true, y_pred)


def poisson(y_true, y_pred):
    """``mean(y_pred - y_true * log(y_pred + 1e-7), axis=-1)``."""
    return L.poisson(y_true, y_pred)


def log_cosh(y_true, y_pred):
    """``mean(log(cosh(y_pred - y_true)), axis=-1)``."""
    return L.log_cosh(y_true, y_pred)


def hinge(y_true, y_pred):
    """``mean(max(1 - y_true * y_pred, 0), axis=-1)``; labels -1/1 (0/1 are converted)."""
    return L.hinge(y_true, y_pred)


def squared_hinge(y_true, y_pred):
    """``mean(max(1 - y_true * y_pred, 0) ** 2, axis=-1)``; labels -1/1 (0/1 are converted)."""
    return L.squared_hinge(y_true, y_pred)


def categorical_hinge(y_true, y_pred):
    """``max(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0)`` over the last axis."""
    return L.categorical_hinge(y_true, y_pred)


def mean_absolute_percentage_error(y_true, y_pred):
    """``100 * mean(|y_true - y_pred| / max(|y_true|, 1e-7), axis=-1)``."""
    return L.mean_absolute_percentage_error(y_true, y_pred)


def mean_squared_logarithmic_error(y_true, y_pred):
    """``mean((log(max(y_pred, 1e-7) + 1) - log(max(y_true, 1e-7) + 1)) ** 2, axis=-1)``."""
    return L.mean_squared_logarithmic_error(y_true, y_pred)


def cosine_similarity(y_true, y_pred, axis=-1):
    """``-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)``: -1 for the same direction."""
    return L.cosine_similarity(y_true, y_pred, axis=axis)


def binary_focal_crossentropy(
    y_true,
    y_pred,
    apply_class_balancing=False,
    alpha=0.25,
    gamma=2.0,
    from_logits=False,
    label_smoothing=0.0,
    axis=-1,
):
    """Binary cross-entropy scaled by ``(1 - p_t) ** gamma`` (Lin et al., 2018), averaged over
    ``axis``; see ``npconv.functions.losses.binary_focal_crossentropy``."""
    return L.binary_focal_crossentropy(
        y_true,
        y_pred,
        apply_class_balancing=apply_class_balancing,
        alpha=alpha,
        gamma=gamma,
        from_logits=from_logits,
        label_smoothing=label_smoothing,
        axis=axis,
    )


def categorical_focal_crossentropy(
    y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1
):
    """Categorical cross-entropy scaled by ``alpha * (1 - p) ** gamma`` per class, summed over
    ``axis``; see ``npconv.functions.losses.categorical_focal_crossentropy``."""
    return L.categorical_focal_crossentropy(
        y_true,
        y_pred,
        alpha=alpha,
        gamma=gamma,
        from_logits=from_logits,
        label_smoothing=label_smoothing,
        axis=axis,
    )


def dice(y_true, y_pred, axis=None):
    """``1 - 2 sum(y_true * y_pred) / (sum(y_true) + sum(y_pred) + 1e-7)`` over ``axis`` (all
    axes when ``None``)."""
    return L.dice(y_true, y_pred, axis=axis)


def tversky(y_true, y_pred, alpha=0.5, beta=0.5, axis=None):
    """``1 - TP / (TP + alpha FP + beta FN + 1e-7)`` of soft counts over ``axis``."""
    return L.tversky(y_true, y_pred, alpha=alpha, beta=beta, axis=axis)


def categorical_generalized_cross_entropy(y_true, y_pred, q):
    """``(1 - p ** q) / q`` with ``p`` the probability of the integer label ``y_true``: a
    cross-entropy robust to noisy labels (Zhang & Sabuncu, 2018)."""
    return L.categorical_generalized_cross_entropy(y_true, y_pred, q)


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
kld = KLD = kullback_leibler_divergence = kl_divergence
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
logcosh = log_cosh
bce = BCE = binary_crossentropy


class Loss:
    """Base class: ``call(y_true, y_pred)`` gives per-sample values; ``__call__`` weights them
    by ``sample_weight`` and reduces them (see the module docstring)."""

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        if reduction == "auto":
            reduction = "sum_over_batch_size"
        if reduction not in REDUCTIONS:
            raise ValueError(
                f"{type(self).__name__}: reduction must be one of {REDUCTIONS}, got "
                f"{reduction!r}"
            )
        self.name = name or _snake(type(self).__name__)
        self.reduction = reduction
        self.dtype = dtype

    def call(self, y_true, y_pred):
        raise NotImplementedError

    def __call__(self, y_true, y_pred, sample_weight=None):
        values = self.call(y_true, y_pred)
        w = None
        if sample_weight is not None:
            w = _weights_like(sample_weight, values)
            values = array.mul(values, w)
        return reduce_values(values, self.reduction, w)

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


def reduce_values(values, reduction, sample_weight=None):
    """Keras 3's ``reduce_values``: the sum, or the sum divided by the number of values (or, for
    ``'mean_with_sample_weight'``, by the sum of ``sample_weight``; 0 where that is 0)."""
    if reduction in ("none", None) or values.data.ndim == 0:
        return values
    total = array.sum(values)
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        count = float(xp.sum(sample_weight))
    else:
        count = float(values.data.size)
    if count == 0:
        return array.mul(total, 0.0)
    return array.div(total, count)


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """Keras 3's rule for targets and predictions whose ranks differ by one: a trailing axis of
    size 1 is dropped from the longer one, except that a rank-1 shorter one gets an axis added
    instead (labels ``(n,)`` against predictions ``(n, 1)`` both become ``(n, 1)``), so a
    user's loss never broadcasts them to ``(n, n)``."""

    def expand(x):
        return array.reshape(x, (*x.shape, 1)) if isinstance(x, Tensor) else xp.expand_dims(
            xp.asarray(x), -1)

    def squeeze(x):
        return array.reshape(x, x.shape[:-1]) if isinstance(x, Tensor) else xp.asarray(x)[..., 0]

    r1, r2 = len(xp.shape(x1)), len(xp.shape(x2))
    if r1 == r2 + 1 and xp.shape(x1)[-1] == 1:
        return (x1, expand(x2)) if r2 == 1 and expand_rank_1 else (squeeze(x1), x2)
    if r2 == r1 + 1 and xp.shape(x2)[-1] == 1:
        return (expand(x1), x2) if r1 == 1 and expand_rank_1 else (x1, squeeze(x2))
    return x1, x2


class LossFunctionWrapper(Loss):
    """A loss object around a per-sample function ``fn(y_true, y_pred, **kwargs)``; targets and
    predictions whose ranks differ by one are first brought to the same rank, as Keras does
    (``squeeze_or_expand_to_same_rank``)."""

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.fn = fn
        self.fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self.fn_kwargs)

    def get_config(self):
        return {**super().get_config(), **self.fn_kwargs}


def _wrapper(fn, default_name):
    """The base of a loss class without arguments: ``__init__(reduction, name, dtype)``."""

    class Wrapped(LossFunctionWrapper):
        def __init__(self, reduction="sum_over_batch_size", name=default_name, dtype=None):
            super().__init__(fn, reduction=reduction, name=name, dtype=dtype)

    return Wrapped


class CategoricalCrossentropy(LossFunctionWrapper):
    """Cross-entropy of one-hot (or soft) targets and class probabilities (or logits)."""

    def __init__(
        self,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="categorical_crossentropy",
        dtype=None,
    ):
        super().__init__(
            categorical_crossentropy,
            name=name,
            reduction=reduction,
            dtype=dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Cross-entropy of integer class labels and class probabilities (or logits)."""

    def __init__(
        self,
        from_logits=False,
        ignore_class=None,
        axis=-1,
        reduction="sum_over_batch_size",
        name="sparse_categorical_crossentropy",
        dtype=None,
    ):
        if ignore_class is not None:
            raise ValueError(
                "SparseCategoricalCrossentropy: npconv does not implement ignore_class "
                f"(got {ignore_class!r}); give the ignored samples a sample_weight of 0 instead"
            )
        super().__init__(
            sparse_categorical_crossentropy,
            name=name,
            reduction=reduction,
            dtype=dtype,
            from_logits=from_logits,
            axis=axis,
        )


class BinaryCrossentropy(LossFunctionWrapper):
    """Cross-entropy of 0/1 targets and probabilities (or logits), averaged over ``axis``."""

    def __init__(
        self,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="binary_crossentropy",
        dtype=None,
    ):
        super().__init__(
            binary_crossentropy,
            name=name,
            reduction=reduction,
            dtype=dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


class BinaryFocalCrossentropy(LossFunctionWrapper):
    """Binary cross-entropy that down-weights easy examples by ``(1 - p_t) ** gamma`` and, with
    ``apply_class_balancing=True``, weights targets 1 by ``alpha`` and 0 by ``1 - alpha``."""

    def __init__(
        self,
        apply_class_balancing=False,
        alpha=0.25,
        gamma=2.0,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="binary_focal_crossentropy",
        dtype=None,
    ):
        super().__init__(
            binary_focal_crossentropy,
            name=name,
            reduction=reduction,
            dtype=dtype,
            apply_class_balancing=apply_class_balancing,
            alpha=alpha,
            gamma=gamma,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


class CategoricalFocalCrossentropy(LossFunctionWrapper):
    """Categorical cross-entropy with each class's term scaled by ``alpha * (1 - p) ** gamma``
    (``alpha`` a number or one weight per class)."""

    def __init__(
        self,
        alpha=0.25,
        gamma=2.0,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="categorical_focal_crossentropy",
        dtype=None,
    ):
        super().__init__(
            categorical_focal_crossentropy,
            name=name,
            reduction=reduction,
            dtype=dtype,
            alpha=alpha,
            gamma=gamma,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


class MeanSquaredError(_wrapper(mean_squared_error, "mean_squared_error")):
    """Mean of the squared errors over the last axis."""


class MeanAbsoluteError(_wrapper(mean_absolute_error, "mean_absolute_error")):
    """Mean of the absolute errors over the last axis."""


class MeanAbsolutePercentageError(
    _wrapper(mean_absolute_percentage_error, "mean_absolute_percentage_error")
):
    """``100 * mean(|y_true - y_pred| / max(|y_true|, 1e-7))`` over the last axis."""


class MeanSquaredLogarithmicError(
    _wrapper(mean_squared_logarithmic_error, "mean_squared_logarithmic_error")
):
    """Mean squared error of ``log(1 + y)`` (values below 1e-7 raised to it), over the last
    axis."""


class LogCosh(_wrapper(log_cosh, "log_cosh")):
    """Mean of ``log(cosh(error))``: quadratic near 0, linear far out."""


class Hinge(_wrapper(hinge, "hinge")):
    """Mean of ``max(1 - y_true * y_pred, 0)``; labels -1/1 (or 0/1, converted)."""


class SquaredHinge(_wrapper(squared_hinge, "squared_hinge")):
    """Mean of ``max(1 - y_true * y_pred, 0) ** 2``; labels -1/1 (or 0/1, converted)."""


class CategoricalHinge(_wrapper(categorical_hinge, "categorical_hinge")):
    """``max(best wrong score - true score + 1, 0)`` for one-hot targets."""


class KLDivergence(_wrapper(kl_divergence, "kl_divergence")):
    """Kullback-Leibler divergence of ``y_pred`` from ``y_true``, summed over the last axis."""


class Poisson(_wrapper(poisson, "poisson")):
    """Poisson negative log-likelihood (up to a constant), averaged over the last axis."""


class Huber(LossFunctionWrapper):
    """Quadratic for errors up to ``delta``, linear beyond; averaged over the last axis."""

    def __init__(
        self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss", dtype=None
    ):
        super().__init__(huber, name=name, reduction=reduction, dtype=dtype, delta=delta)


class CosineSimilarity(LossFunctionWrapper):
    """``-cos(angle)`` between ``y_true`` and ``y_pred`` along ``axis``: -1 is best."""

    def __init__(
        self, axis=-1, reduction="sum_over_batch_size", name="cosine_similarity", dtype=None
    ):
        super().__init__(
            cosine_similarity, name=name, reduction=reduction, dtype=dtype, axis=axis
        )


class Dice(LossFunctionWrapper):
    """Dice loss for segmentation masks, over ``axis`` (everything when ``None``)."""

    def __init__(self, reduction="sum_over_batch_size", name="dice", axis=None, dtype=None):
        super().__init__(dice, name=name, reduction=reduction, dtype=dtype, axis=axis)


class Tversky(LossFunctionWrapper):
    """Tversky loss: Dice with false positives weighted by ``alpha`` and false negatives by
    ``beta`` (0.5 and 0.5 give Dice)."""

    def __init__(
        self,
        alpha=0.5,
        beta=0.5,
        reduction="sum_over_batch_size",
        name="tversky",
        axis=None,
        dtype=None,
    ):
        super().__init__(
            tversky, name=name, reduction=reduction, dtype=dtype, alpha=alpha, beta=beta,
            axis=axis,
        )


class CategoricalGeneralizedCrossEntropy(LossFunctionWrapper):
    """Generalized cross-entropy of integer labels and class probabilities, ``(1 - p ** q) / q``
    with ``q`` in (0, 1): closer to cross-entropy as ``q -> 0``, more robust to wrong labels as
    ``q -> 1``."""

    def __init__(
        self,
        q=0.5,
        reduction="sum_over_batch_size",
        name="categorical_generalized_cross_entropy",
        dtype=None,
    ):
        if not 0 < q < 1:
            raise ValueError(f"CategoricalGeneralizedCrossEntropy: q must be in (0, 1), got {q!r}")
        super().__init__(
            categorical_generalized_cross_entropy, name=name, reduction=reduction, dtype=dtype, q=q
        )


def _snake(name):
    from .._naming import to_snake_case

    return to_snake_case(name)


#: function -> the class that wraps it
_FUNCTIONS = {
    categorical_crossentropy: CategoricalCrossentropy,
    sparse_categorical_crossentropy: SparseCategoricalCrossentropy,
    binary_crossentropy: BinaryCrossentropy,
    binary_focal_crossentropy: BinaryFocalCrossentropy,
    categorical_focal_crossentropy: CategoricalFocalCrossentropy,
    mean_squared_error: MeanSquaredError,
    mean_absolute_error: MeanAbsoluteError,
    mean_absolute_percentage_error: MeanAbsolutePercentageError,
    mean_squared_logarithmic_error: MeanSquaredLogarithmicError,
    huber: Huber,
    log_cosh: LogCosh,
    cosine_similarity: CosineSimilarity,
    hinge: Hinge,
    squared_hinge: SquaredHinge,
    categorical_hinge: CategoricalHinge,
    kl_divergence: KLDivergence,
    poisson: Poisson,
    dice: Dice,
    tversky: Tversky,
    categorical_generalized_cross_entropy: CategoricalGeneralizedCrossEntropy,
}
_CLASSES = {c.__name__: c for c in _FUNCTIONS.values()}
#: lower-case string -> class: each function's name, Keras's aliases and Keras 2's names
_BY_NAME = {fn.__name__: cls for fn, cls in _FUNCTIONS.items()}
_BY_NAME.update(
    {
        "mse": MeanSquaredError,
        "mae": MeanAbsoluteError,
        "mape": MeanAbsolutePercentageError,
        "msle": MeanSquaredLogarithmicError,
        "kld": KLDivergence,
        "kullback_leibler_divergence": KLDivergence,
        "logcosh": LogCosh,
        "bce": BinaryCrossentropy,
        "huber_loss": Huber,
    }
)


def get(identifier) -> Loss:
    """A ``Loss`` from a string (``'categorical_crossentropy'``, ``'kld'``), class name, config
    dict, Keras loss function, ``Loss`` instance or class, or any callable ``(y_true, y_pred)
    -> per-sample values``."""
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, str):
        cls = _CLASSES.get(identifier) or _BY_NAME.get(identifier.lower())
        if cls is None:
            from .._missing import closest

            near = closest(identifier.lower(), _BY_NAME)
            hint = f" Did you mean {near!r}?" if near else ""
            raise ValueError(
                f"Unknown loss {identifier!r}.{hint} Valid names are {sorted(_BY_NAME)}"
            )
        return cls()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if identifier in _FUNCTIONS:
        return _FUNCTIONS[identifier]()
    if callable(identifier):
        return LossFunctionWrapper(identifier, name=getattr(identifier, "__name__", "loss"))
    raise ValueError(f"Could not interpret loss {identifier!r}")


def serialize(loss) -> dict:
    """``loss`` as Keras 3's dict, ``{'module', 'class_name', 'config', 'registered_name'}``;
    a Keras loss function by its name (``'kl_divergence'``)."""
    if not isinstance(loss, Loss):
        if loss in _FUNCTIONS:
            return loss.__name__
        raise TypeError(f"losses.serialize expects a Loss or a Keras loss function, got {loss!r}")
    cls = type(loss)
    builtin = _CLASSES.get(cls.__name__) is cls
    return {
        "module": "keras.losses" if builtin else cls.__module__,
        "class_name": cls.__name__,
        "config": loss.get_config(),
        "registered_name": None if builtin else cls.__name__,
    }


def deserialize(config, custom_objects=None):
    """A ``Loss`` from ``serialize``'s output (Keras 3's or Keras 2's ``{'class_name',
    'config'}``, or a name); other classes only from ``custom_objects`` (name -> class)."""
    if isinstance(config, str):
        return get(config)
    if not isinstance(config, dict) or not isinstance(config.get("class_name"), str):
        raise ValueError(f"Unknown loss config {config!r}: expected {{'class_name', 'config'}}")
    name = config["class_name"]
    cls = (custom_objects or {}).get(name) or _CLASSES.get(name)
    if cls is None:
        raise ValueError(
            f"Unknown loss class {name!r} in config: pass it in custom_objects; the built-in "
            f"classes are {sorted(_CLASSES)}"
        )
    return cls.from_config(dict(config.get("config") or {}))


def __getattr__(name):
    from .._missing import not_provided

    raise not_provided(__name__, name, globals())
