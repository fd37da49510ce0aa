"""Turning what users pass to ``fit``/``evaluate``/``predict`` into checked arrays.

Why: a mistake in the data (a string column, labels encoded for another loss, a missing
channels axis, NaN from a division by zero) otherwise surfaces deep inside an op, after the
callbacks have started, as a message about tensors the user never made — or not at all, as a
silently wrong loss. Each check here runs before any training and says what was expected and
what came:

- non-numeric data (strings, objects, complex numbers), ragged lists, scalars, empty arrays:
  ``TypeError``/``ValueError`` naming the argument (``x``, ``y[1]``, ``sample_weight``,
  ``validation_data x``);
- NaN or infinite values: a ``RuntimeWarning`` naming the argument and counting them (it is
  a warning, not an error, as some users mask them on purpose);
- arrays of different lengths: ``ValueError`` listing each length;
- labels that do not fit the loss (``check_targets``): integer labels given to
  ``categorical_crossentropy``, one-hot rows given to ``sparse_categorical_crossentropy``,
  class ids outside ``[0, classes)``, ``binary_crossentropy`` labels outside ``[0, 1]``, and
  targets whose shape is not the output's.
"""

from __future__ import annotations

import math
import numbers
import os
import sys
import warnings

import numpy as np

from .. import backend

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def _stacklevel() -> int:
    """The ``stacklevel`` that makes a warning point at the first caller outside npconv (the
    user's ``fit`` line), however deep inside npconv it is raised."""
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE_DIR):
        frame, level = frame.f_back, level + 1
    return level


# Losses whose targets have the output's shape (give or take a trailing axis of size 1).
_ELEMENTWISE_LOSSES = {
    "categorical_crossentropy",
    "binary_crossentropy",
    "mean_squared_error",
    "mean_absolute_error",
    "huber",
    "kl_divergence",
    "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error",
    "hinge",
    "squared_hinge",
    "categorical_hinge",
    "log_cosh",
    "poisson",
    "binary_focal_crossentropy",
    "categorical_focal_crossentropy",
}


def as_list(x):
    if x is None:
        return None
    if isinstance(x, dict):
        return x
    return list(x) if isinstance(x, (list, tuple)) else [x]


def is_nested_samples(value) -> bool:
    """Whether ``value`` is a Python list of samples (``[0, 1, 2]``, ``[[0.1, 0.2], ...]``)
    rather than a list of arrays, one per input or output. Only read for single-input
    (single-output) models, where a list of several plain numbers or lists can only be data."""
    if not isinstance(value, (list, tuple)) or len(value) < 2:
        return False
    return all(isinstance(v, (numbers.Number, list, tuple)) for v in value)


def _numeric_array(x, what):
    """``x`` as a NumPy array with a batch axis, or a ``TypeError``/``ValueError`` saying why
    it cannot be one."""
    try:
        a = np.asarray(getattr(x, "data", x))
    except ValueError as e:
        if "inhomogeneous" in str(e) or "sequence" in str(e):
            raise ValueError(
                f"{what} is ragged: its rows have different lengths, so it is not an array. "
                "Pad or crop the samples to one shape first"
            ) from None
        raise
    if a.dtype == object or not (np.issubdtype(a.dtype, np.number) or a.dtype == bool):
        kind = {"U": "strings", "S": "bytes", "O": "Python objects"}.get(a.dtype.kind, "")
        detail = f" ({kind})" if kind else ""
        raise TypeError(
            f"{what} must be numeric, got an array of dtype {a.dtype}{detail}: convert it to "
            "numbers first (for class names, map each to an integer id)"
        )
    if np.issubdtype(a.dtype, np.complexfloating):
        raise TypeError(f"{what} must hold real numbers, got complex dtype {a.dtype}")
    if a.ndim == 0:
        raise ValueError(
            f"{what} must be an array of samples (first axis: the samples), got a scalar"
        )
    if a.shape[0] == 0 or a.size == 0:
        raise ValueError(f"{what} is empty (shape {a.shape}): there are no samples to use")
    return a


def _warn_not_finite(a, what):
    """Warn, counting them, when the float array ``a`` holds NaN or infinite values."""
    if not np.issubdtype(a.dtype, np.floating):
        return
    # NaN and inf survive a sum, so one reduction (no array-sized mask) clears the common
    # case; only data that fails it is counted, in bounded chunks. Summed in the array's own
    # type (twice as fast as a float64 sum of float32 data): a sum that overflows to inf
    # merely sends finite data on to the count, which finds nothing.
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(np.sum(a)):
            return
    flat = a.reshape(-1)
    chunks = range(0, flat.size, 1 << 22)
    n_nan = sum(int(np.count_nonzero(np.isnan(flat[i:i + (1 << 22)]))) for i in chunks)
    n_bad = sum(int(np.count_nonzero(~np.isfinite(flat[i:i + (1 << 22)]))) for i in chunks)
    if n_bad == 0:
        return
    n_inf = n_bad - n_nan
    parts = [f"{n_nan} NaN" if n_nan else "", f"{n_inf} infinite" if n_inf else ""]
    warnings.warn(
        f"{what} contains {' and '.join(p for p in parts if p)} value(s) (of {a.size}); "
        "losses and weights computed from them become NaN. Clean or impute them first "
        "(np.isfinite finds them)",
        RuntimeWarning,
        stacklevel=_stacklevel(),
    )


def to_float_array(x, what, convert=True):
    """Inputs as an array of ``floatx()``, checked (see the module docstring).

    ``convert=False`` checks without converting (``predict`` converts batch by batch, so a
    million uint8 images never become a float32 copy of themselves)."""
    a = _numeric_array(x, what)
    if convert:
        a = a.astype(backend.floatx(), copy=False)
    _warn_not_finite(a, what)
    return a


def to_label_array(y, what):
    """Targets, checked; integer and bool labels keep their dtype, others become ``floatx()``."""
    a = _numeric_array(y, what)
    if np.issubdtype(a.dtype, np.integer) or a.dtype == bool:
        return a
    a = a.astype(backend.floatx(), copy=False)
    _warn_not_finite(a, what)
    return a


def to_sample_weight(sample_weight, what="sample_weight"):
    """Per-sample weights as ``floatx()``, checked like the data."""
    a = _numeric_array(sample_weight, what).astype(backend.floatx(), copy=False)
    _warn_not_finite(a, what)
    return a


def take_weights(sample_weight, index):
    """The rows ``index`` of per-sample weights: one array, or (a model with several outputs)
    a list of one array or None per output."""
    if sample_weight is None:
        return None
    if isinstance(sample_weight, list):
        return [None if w is None else w[index] for w in sample_weight]
    return sample_weight[index]


def output_weights(sample_weight, i):
    """Output ``i``'s share of ``sample_weight``: the same array for every output, or the
    ``i``-th of a per-output list."""
    return sample_weight[i] if isinstance(sample_weight, list) else sample_weight


def check_lengths(arrays, names):
    """All ``arrays`` (``None`` skipped) hold the same number of samples; returns it."""
    lengths = {name: len(a) for a, name in zip(arrays, names) if a is not None}
    if len(set(lengths.values())) > 1:
        detail = ", ".join(f"{k} has {v}" for k, v in lengths.items())
        raise ValueError(
            f"Data arrays must all have the same number of samples (first axis): {detail}"
        )
    return next(iter(lengths.values()))


def adjust_input_rank(x, expected):
    """``x`` with its rank matched to an input of shape ``expected`` (batch axis first), as
    Keras 3's functional models do: the missing channels axis of size 1 added at the end
    (MNIST digits as ``(N, 28, 28)`` for an input of ``(None, 28, 28, 1)``), or a trailing axis
    of size 1 dropped; otherwise ``x`` as it is (the shape check reports it)."""
    ndim, rank = getattr(x, "ndim", None), len(expected)
    if ndim == rank - 1 and expected[-1] == 1:
        return x.reshape(*x.shape, 1)
    if ndim == rank + 1 and x.shape[-1] == 1:
        return x.reshape(*x.shape[:-1])
    return x


def cast_floats(x, dtype):
    """``x`` (an array or Tensor) cast to ``dtype`` when both are floating and differ: float64
    images (``x_train / 255.0``) fed to a float32 model, as Keras casts a model's inputs to its
    ``Input``'s dtype, so the model computes (and its gradients come) in float32."""
    from ..autograd import Tensor

    values = x.data if isinstance(x, Tensor) else x
    if dtype is None or not isinstance(values, np.ndarray):
        return x  # another library's arrays (CuPy) keep their dtype objects: left as they are
    x_dtype = x.dtype
    target = np.dtype(dtype)
    if x_dtype == target or not (np.issubdtype(x_dtype, np.floating)
                                 and np.issubdtype(target, np.floating)):
        return x
    if isinstance(x, np.ndarray):
        return x.astype(target)
    from ..functions import numeric

    return numeric.cast(x, target)


def nest_indices(structure, flat):
    """``structure`` (nested lists/tuples of leaves) with each leaf replaced by its index in
    ``flat``, to which the leaves are appended in order."""
    if isinstance(structure, (list, tuple)):
        items = [nest_indices(item, flat) for item in structure]
        return items if isinstance(structure, list) else tuple(items)
    flat.append(structure)
    return len(flat) - 1


def nest_values(nesting, values):
    """``nest_indices``'s structure with each index replaced by ``values[index]``."""
    if isinstance(nesting, (list, tuple)):
        items = [nest_values(item, values) for item in nesting]
        return items if isinstance(nesting, list) else tuple(items)
    return values[nesting]


def flatten_outputs(outputs):
    """A model's outputs (one, a list, or nested lists) as a flat list, in order."""
    flat = []
    nest_indices(outputs, flat)
    return flat


def input_shape_hint(expected, got) -> str:
    """A sentence suggesting the reshape that turns data of shape ``got`` into ``expected``
    (both with the batch axis first), or ``""`` when no simple one fits."""
    expected, got = tuple(expected), tuple(got)
    known = all(d is not None for d in expected[1:])
    if len(expected) == len(got) + 1 and known:
        if expected[-1] == 1 and expected[1:-1] == got[1:]:
            return " Add the channels axis: x = x[..., np.newaxis] (numpy as np)."
        if expected[1] == 1 and expected[2:] == got[1:]:
            return " Add the channels axis (channels_first): x = x[:, np.newaxis]."
    if known and math.prod(expected[1:]) == math.prod(got[1:]):
        dims = ", ".join(str(d) for d in expected[1:])
        return f" Reshape it: x = x.reshape(-1, {dims})."
    return ""


def loss_kind(loss) -> str:
    """The Keras name of the built-in loss behind ``loss`` (a ``Loss`` object), whatever name
    the user gave it, or ``""`` for a custom loss."""
    fn = getattr(loss, "fn", None)
    name = getattr(fn, "__name__", None) if fn is not None else None
    if name in _ELEMENTWISE_LOSSES or name == "sparse_categorical_crossentropy":
        return name
    from .. import losses as losses_module

    for cls_name, kind in (
        ("CategoricalCrossentropy", "categorical_crossentropy"),
        ("SparseCategoricalCrossentropy", "sparse_categorical_crossentropy"),
        ("BinaryCrossentropy", "binary_crossentropy"),
    ):
        cls = getattr(losses_module, cls_name, None)
        if cls is not None and isinstance(loss, cls):
            return kind
    return ""


def _fmt(shape) -> str:
    from ..layers.base import format_shape

    return format_shape(tuple(shape))


def _fits(target, output) -> bool:
    """Keras's rule: same shape, or one trailing axis of size 1 more or less (batch free)."""
    t, o = tuple(target[1:]), tuple(output[1:])

    def same(a, b):
        return len(a) == len(b) and all(x is None or y is None or x == y for x, y in zip(a, b))

    if same(t, o):
        return True
    if len(t) == len(o) + 1 and t[-1] == 1:
        return same(t[:-1], o)
    return len(o) == len(t) + 1 and o[-1] == 1 and same(t, o[:-1])


def check_targets(losses, ys, out_shapes, names, what="y"):
    """Raise ``ValueError`` when a target does not fit its output's loss (see the module
    docstring). ``out_shapes``: each output's shape with batch axis; ``names``: the outputs'
    names, for messages."""
    multi = len(ys) > 1
    for i, (loss, y, shape) in enumerate(zip(losses, ys, out_shapes)):
        if loss is None or shape is None:
            continue
        kind = loss_kind(loss)
        label = f"{what}[{i}]" if multi else what
        where = f" for output '{names[i]}'" if multi else ""
        shape = tuple(shape)
        units = shape[-1]
        got = _fmt((None, *y.shape[1:]))
        if kind == "sparse_categorical_crossentropy":
            _check_sparse(y, shape, units, label, where, got)
        elif kind == "categorical_crossentropy":
            _check_categorical(y, shape, units, label, where, got)
        elif kind and not _fits(y.shape, shape):
            raise ValueError(
                f"{kind}: the model's output{where} has shape {_fmt(shape)}, but the targets "
                f"{label} have shape {got}; they must match"
            )
        if kind == "binary_crossentropy" and _fits(y.shape, shape):
            low, high = _range(y)
            # class ids (whole numbers beyond 0/1) are refused; soft labels a little outside
            # [0, 1] (a GAN's label noise, 1 + 0.05 * noise) are Keras's to take
            if (low < 0 or high > 1) and _whole(y):
                raise ValueError(
                    f"binary_crossentropy expects labels in [0, 1]{where}, but {label} holds "
                    f"values from {low:g} to {high:g}. For class ids 0..K-1 use a softmax output "
                    "of K units with loss='sparse_categorical_crossentropy'"
                )


def _whole(y):
    """Whether every finite label is a whole number."""
    if not np.issubdtype(y.dtype, np.floating):
        return True
    finite = y[np.isfinite(y)]
    return bool(np.all(finite == np.round(finite)))


def _range(y):
    finite = y[np.isfinite(y)] if np.issubdtype(y.dtype, np.floating) else y
    if finite.size == 0:
        return 0.0, 0.0
    return float(finite.min()), float(finite.max())


def _check_sparse(y, shape, units, label, where, got):
    if len(shape) == y.ndim and y.shape[-1] != 1:
        raise ValueError(
            f"sparse_categorical_crossentropy expects integer class ids of shape "
            f"{_fmt(shape[:-1])} or {_fmt((*shape[:-1], 1))}{where}, got {label} of shape "
            f"{got} — one-hot labels? Use loss='categorical_crossentropy', or turn them into "
            f"class ids with {label}.argmax(axis=-1)"
        )
    if not _fits(y.shape, shape[:-1]):
        raise ValueError(
            f"sparse_categorical_crossentropy: the model's output{where} has shape "
            f"{_fmt(shape)}, so {label} must be class ids of shape {_fmt(shape[:-1])}, got "
            f"{got}"
        )
    if np.issubdtype(y.dtype, np.floating):
        finite = y[np.isfinite(y)]
        bad = finite[finite != np.floor(finite)]
        if bad.size:
            raise ValueError(
                f"sparse_categorical_crossentropy expects integer class ids{where}, but {label} "
                f"holds non-integer values such as {float(bad.flat[0]):g} — probabilities or "
                "one-hot rows need loss='categorical_crossentropy'"
            )
    low, high = _range(y)
    if units is not None and (low < 0 or high >= units):
        hint = ". Labels counted from 1? Subtract 1" if low >= 1 and high == units else ""
        raise ValueError(
            f"sparse_categorical_crossentropy: class ids must be in [0, {units}) for the "
            f"model's {units} output units{where}, but {label} holds ids from {low:g} to "
            f"{high:g}{hint}"
        )


def _check_categorical(y, shape, units, label, where, got):
    if _fits(y.shape, shape):
        return
    integer_like = y.ndim < len(shape) or (y.ndim == len(shape) and y.shape[-1] == 1)
    hint = ""
    if integer_like and units not in (None, 1):
        hint = (
            " Integer class labels? Use loss='sparse_categorical_crossentropy', or one-hot "
            f"encode them with npconv.utils.to_categorical({label}, {units})."
        )
    elif y.ndim == len(shape) and units is not None and y.shape[-1] != units:
        hint = (
            f" The labels are one-hot over {y.shape[-1]} classes but the output{where} has "
            f"{units} units: give the last layer {y.shape[-1]} units, or encode the labels "
            f"with to_categorical({label}, {units})."
        )
    raise ValueError(
        f"categorical_crossentropy expects one-hot labels of shape {_fmt(shape)}{where}, "
        f"got {label} of shape {got}.{hint}"
    )


def batches(n, batch_size, order=None):
    """``(start, index)`` for each batch; ``index`` a slice when no shuffling is needed."""
    for start in range(0, n, batch_size):
        stop = min(start + batch_size, n)
        yield (slice(start, stop) if order is None else order[start:stop])


def take(arrays, index):
    return [a[index] for a in arrays]
