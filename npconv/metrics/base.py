"""The metric base classes: ``Metric``, ``Mean``, ``Sum``, ``MeanMetricWrapper``.

A metric's state is a few NumPy float64 arrays of sums and counts, created with
``add_variable`` and listed, in creation order, by ``metric.variables``: totals of (weighted)
values, weight sums, confusion-matrix counts. ``result()`` is computed from them alone. So the
states of several workers combine by adding their variables element-wise (an MPI all-reduce
with ``SUM``, in place), and ``result()`` then gives the metric of all the data together.
Variables are updated in place, never rebound, so a reference taken to them stays valid.
``FBetaScore``/``F1Score`` and ``AUC(multi_label=True)`` create theirs at the first update,
when the number of classes is known; combine states after that.
"""

from __future__ import annotations

import numpy as np

from ..autograd import Tensor
from ..backend.selection import to_numpy

__all__ = [
    "Metric",
    "MetricVariable",
    "Mean",
    "Sum",
    "MeanMetricWrapper",
    "squeeze_or_expand_to_same_rank",
    "reduce_to_samplewise_values",
]


def as_array(x, dtype=None):
    """``x`` (a Tensor, array, list or number) as a NumPy array; an array of another library
    (CuPy on a GPU) is copied to the host, where metrics are computed."""
    if isinstance(x, np.ndarray):
        a = x
    else:
        a = x.data if isinstance(x, Tensor) else x
        a = a if isinstance(a, np.ndarray) else to_numpy(a)
    return a if dtype is None else a.astype(dtype, copy=False)


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """Keras's rule for operands whose ranks differ by one trailing axis of size 1: that axis
    is dropped, except that a rank-1 partner is expanded instead (``expand_rank_1``)."""
    r1, r2 = x1.ndim, x2.ndim
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = x2[..., None]
        else:
            x1 = x1[..., 0]
    elif r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = x1[..., None]
        else:
            x2 = x2[..., 0]
    return x1, x2


def reduce_to_samplewise_values(values, sample_weight, reduce_fn):
    """Keras's ``reduce_to_samplewise_values``: weight ``values`` and reduce them (and the
    weights) to one number per sample with ``reduce_fn`` (``np.mean`` or ``np.sum``).
    Returns ``(values, sample_weight)``; the weights are ``None`` when none were given."""
    values = as_array(values, np.float64)
    if sample_weight is not None:
        sample_weight = as_array(sample_weight, np.float64)
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        w_ndim = sample_weight.ndim
        if values.ndim > w_ndim:
            values = reduce_fn(values, axis=tuple(range(w_ndim, values.ndim)))
        try:
            sample_weight = np.broadcast_to(sample_weight, values.shape)
        except ValueError:
            raise ValueError(
                f"sample_weight of shape {sample_weight.shape} does not broadcast to the "
                f"metric values of shape {values.shape}"
            ) from None
        values = values * sample_weight
        if w_ndim > 1:
            sample_weight = reduce_fn(sample_weight, axis=tuple(range(1, w_ndim)))
    if values.ndim > 1:
        values = reduce_fn(values, axis=tuple(range(1, values.ndim)))
    return values, sample_weight


class MetricVariable(np.ndarray):
    """A metric's state array, updated in place (so references to it stay valid, and states
    add up across workers) with the methods Keras's variables have. Arithmetic on it gives
    plain arrays."""

    name = None

    def __array_finalize__(self, obj):
        self.name = getattr(obj, "name", None)

    def __array_wrap__(self, array, context=None, return_scalar=False):
        out = array.view(np.ndarray)
        return out[()] if return_scalar else out

    def assign(self, value):
        self[...] = as_array(value)
        return self

    def assign_add(self, value):
        np.add(self, as_array(value), out=self)
        return self

    def assign_sub(self, value):
        np.subtract(self, as_array(value), out=self)
        return self

    def numpy(self):
        return np.array(self.view(np.ndarray))

    @property
    def value(self):
        return self.view(np.ndarray)


class Metric:
    """Base class of stateful metrics: ``update_state(y_true, y_pred, sample_weight=None)``
    accumulates, ``result()`` reads, ``reset_state()`` starts over, ``metric(y_true, y_pred)``
    does the first two. State lives in ``variables`` (see the module docstring)."""

    def __init__(self, name=None, dtype=None):
        from .._naming import to_snake_case
        from ..layers.base import unique_name

        # as Keras: a metric whose class gives no default name is numbered, 'auc', 'auc_1', ...
        self.name = name or unique_name(to_snake_case(type(self).__name__))
        self.dtype = dtype or "float32"
        self._variables = []

    def add_variable(self, shape=(), initializer="zeros", dtype=None, aggregation="sum",
                     name=None):
        """A float64 state array of ``shape`` (a ``MetricVariable``: ``assign``,
        ``assign_add``, ``assign_sub``, as a custom metric written for Keras 3 updates its
        state), starting at ``initializer``'s value (``'zeros'``, ``'ones'`` or any
        initializer) and set back to it by ``reset_state``."""
        if isinstance(shape, str) and name is None:  # add_variable("total") by position
            shape, name = (), shape
        shape = () if shape is None else tuple(shape)
        if initializer in ("zeros", None):
            start = np.zeros(shape, np.float64)
        else:
            from .. import initializers

            start = np.asarray(initializers.get(initializer)(shape), np.float64)
        v = start.copy().view(MetricVariable)
        v.name = name
        self._variables.append((name, v, start))
        return v

    def add_weight(self, name=None, shape=(), initializer="zeros", dtype=None,
                   aggregation="sum"):
        """Keras 2's (and tf.keras's) name for ``add_variable``."""
        return self.add_variable(shape, initializer, dtype, aggregation, name)

    @property
    def variables(self) -> list:
        """The state arrays, in creation order (sums and counts: add them to merge states)."""
        return [entry[1] for entry in getattr(self, "_variables", [])]

    def reset_state(self):
        for entry in getattr(self, "_variables", []):
            entry[1][...] = entry[2] if len(entry) > 2 else 0

    def update_state(self, y_true, y_pred, sample_weight=None):
        raise NotImplementedError

    def result(self):
        raise NotImplementedError

    def __call__(self, *args, **kwargs):
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


class Sum(Metric):
    """The (weighted) sum of the values it has been given."""

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), name="total")

    def update_state(self, values, sample_weight=None):
        values, _ = reduce_to_samplewise_values(values, sample_weight, np.sum)
        self.total += values.sum()

    def result(self):
        return float(self.total)


class Mean(Metric):
    """The (weighted) mean of the values it has been given: ``total / count``, where each
    sample adds its mean value (times its weight) to ``total`` and its weight (1 without
    weights) to ``count``, as Keras's ``Mean``."""

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), name="total")
        self.count = self.add_variable((), name="count")

    def update_state(self, values, sample_weight=None):
        values, sample_weight = reduce_to_samplewise_values(values, sample_weight, np.mean)
        self.total += values.sum()
        if sample_weight is not None:
            self.count += sample_weight.sum()
        else:
            self.count += values.shape[0] if values.ndim >= 1 else 1

    def result(self):
        return float(self.total / self.count) if self.count else 0.0


class MeanMetricWrapper(Mean):
    """The mean of a per-sample function ``fn(y_true, y_pred, **kwargs)`` (targets and
    predictions brought to the same rank first, as for losses)."""

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        self.fn = fn
        self.fn_kwargs = kwargs
        super().__init__(name=name or getattr(fn, "__name__", "metric"), dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        from ..losses import squeeze_or_expand_to_same_rank

        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        super().update_state(self.fn(y_true, y_pred, **self.fn_kwargs), sample_weight)

    def get_config(self):
        return {**super().get_config(), **self.fn_kwargs}
