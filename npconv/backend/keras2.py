"""Keras 2's backend functions, ``from keras import backend as K``: ``K.int_shape``, ``K.sum``,
``K.gradients``, ``K.set_image_data_format``, ``K.clear_session``, ...

``npconv.backend`` re-exports every public name here on first use (this module imports the
autograd and ops layers, which sit above ``backend``, so it is loaded lazily), so Keras 2 code
runs unchanged with ``from npconv import backend as K``.

Keras 2's argument names and defaults are kept where they differ from Keras 3's ``ops``:
``K.concatenate(tensors, axis=-1)``, ``K.expand_dims(x, axis=-1)``, ``K.argmax(x, axis=-1)``,
``K.sqrt`` clips negative inputs to 0 first, ``K.flatten`` flattens everything (use
``K.batch_flatten`` to keep the batch axis). The tensors are npconv Tensors (see
``npconv.ops.core``). npconv runs eagerly, so ``K.gradients(loss, variables)`` takes a loss
*already computed* from the variables (with gradients recorded) and returns the gradients as
Tensors; Keras 2 built a symbolic graph instead. ``K.shape(x)`` returns the shape as an int32
array (Keras 2 returned a symbolic int tensor; indexing and arithmetic work the same).
"""

from __future__ import annotations

import builtins

import numpy as np

from .. import ops as _ops
from ..autograd import Tensor, Variable
from ..autograd.graph import backward as _backward
from ..autograd.mode import is_grad_enabled
from . import (
    cast_to_floatx,
    epsilon,
    floatx,
    image_data_format,
    normalize_data_format,
    rng,
    set_epsilon,
    set_floatx,
    set_image_data_format,
)

__all__ = [
    "function", "int_shape", "shape", "ndim", "dtype", "count_params", "is_tensor",
    "is_keras_tensor",
    "sum", "mean", "max", "min", "prod", "std", "var", "any", "all", "argmax", "argmin",
    "square", "sqrt", "exp", "log", "abs", "sign", "round", "pow", "clip", "maximum", "minimum",
    "equal", "not_equal", "greater", "greater_equal", "less", "less_equal", "cast",
    "concatenate", "stack", "reshape", "flatten", "batch_flatten", "expand_dims", "squeeze",
    "transpose", "permute_dimensions", "repeat_elements", "tile", "gather", "one_hot",
    "dot", "batch_dot", "l2_normalize", "relu", "sigmoid", "hard_sigmoid", "tanh", "softmax",
    "softplus", "elu", "categorical_crossentropy", "sparse_categorical_crossentropy",
    "binary_crossentropy", "stop_gradient", "gradients", "variable", "constant", "get_value",
    "batch_get_value", "set_value", "batch_set_value", "eval", "zeros", "ones", "zeros_like",
    "ones_like", "eye", "clear_session", "learning_phase", "set_learning_phase", "epsilon",
    "set_epsilon", "floatx", "set_floatx", "image_data_format", "set_image_data_format",
    "cast_to_floatx", "switch", "in_train_phase", "in_test_phase", "bias_add", "conv2d",
    "pool2d", "resize_images", "random_normal", "random_uniform", "random_binomial",
    "truncated_normal", "log_softmax",
]

_LEARNING_PHASE = 0


# -------------------------------------------------------------------------- facts and types


def is_keras_tensor(x) -> bool:
    """True for a symbolic tensor of the functional API (the output of ``Input`` or of a
    layer called on one). Recognized by its type's name, so ``backend`` need not import
    ``layers``, which sits above it."""
    return type(x).__name__ == "KerasTensor" and hasattr(x, "node")


def is_tensor(x) -> bool:
    return isinstance(x, Tensor) or is_keras_tensor(x)


def int_shape(x):
    """The shape as a tuple of ints, ``None`` for an unknown (batch) axis."""
    if hasattr(x, "shape"):
        return tuple(None if d is None else int(d) for d in x.shape)
    return np.shape(x)


def shape(x):
    """The shape: an int32 array for a concrete tensor, a tuple for a symbolic one."""
    if is_keras_tensor(x):
        return tuple(x.shape)
    return np.asarray(int_shape(x), dtype=np.int32)


def ndim(x) -> int:
    return len(int_shape(x))


def dtype(x) -> str:
    """The dtype's name, ``'float32'``."""
    d = x.dtype
    return d if isinstance(d, str) else np.dtype(d).name


def count_params(x) -> int:
    return int(np.prod(int_shape(x), dtype=np.int64))


# ------------------------------------------------------------------------------ reductions


def sum(x, axis=None, keepdims=False):  # noqa: A001 - Keras's name
    return _ops.sum(x, axis=axis, keepdims=keepdims)


def mean(x, axis=None, keepdims=False):
    return _ops.mean(x, axis=axis, keepdims=keepdims)


def max(x, axis=None, keepdims=False):  # noqa: A001
    return _ops.max(x, axis=axis, keepdims=keepdims)


def min(x, axis=None, keepdims=False):  # noqa: A001
    return _ops.min(x, axis=axis, keepdims=keepdims)


def prod(x, axis=None, keepdims=False):
    return _ops.prod(x, axis=axis, keepdims=keepdims)


def std(x, axis=None, keepdims=False):
    return _ops.std(x, axis=axis, keepdims=keepdims)


def var(x, axis=None, keepdims=False):
    return _ops.var(x, axis=axis, keepdims=keepdims)


def any(x, axis=None, keepdims=False):  # noqa: A001
    return _ops.any(x, axis=axis, keepdims=keepdims)


def all(x, axis=None, keepdims=False):  # noqa: A001
    return _ops.all(x, axis=axis, keepdims=keepdims)


def argmax(x, axis=-1):
    """Index of the maximum along ``axis`` (Keras 2's default: the last axis)."""
    return _ops.argmax(x, axis=axis)


def argmin(x, axis=-1):
    return _ops.argmin(x, axis=axis)


# ----------------------------------------------------------------------------- element-wise


def square(x):
    return _ops.square(x)


def sqrt(x):
    """``sqrt(max(x, 0))``: Keras 2 clipped negative inputs to 0 first."""
    return _ops.sqrt(_ops.maximum(x, 0.0))


def exp(x):
    return _ops.exp(x)


def log(x):
    return _ops.log(x)


def abs(x):  # noqa: A001
    return _ops.abs(x)


def sign(x):
    return _ops.sign(x)


def round(x):  # noqa: A001
    return _ops.round(x)


def pow(x, a):  # noqa: A001
    return _ops.power(x, a)


def clip(x, min_value, max_value):
    """Keras 2's ``clip``: ``max_value`` below ``min_value`` is raised to it."""
    if max_value is not None and min_value is not None and max_value < min_value:
        max_value = min_value
    return _ops.clip(x, min_value, max_value)


def maximum(x, y):
    return _ops.maximum(x, y)


def minimum(x, y):
    return _ops.minimum(x, y)


def equal(x, y):
    return _ops.equal(x, y)


def not_equal(x, y):
    return _ops.not_equal(x, y)


def greater(x, y):
    return _ops.greater(x, y)


def greater_equal(x, y):
    return _ops.greater_equal(x, y)


def less(x, y):
    return _ops.less(x, y)


def less_equal(x, y):
    return _ops.less_equal(x, y)


def cast(x, dtype):
    return _ops.cast(x, dtype)


# ---------------------------------------------------------------------------------- shapes


def concatenate(tensors, axis=-1):
    """Join along ``axis`` (Keras 2's default: the last axis)."""
    return _ops.concatenate(tensors, axis=axis)


def stack(x, axis=0):
    return _ops.stack(x, axis=axis)


def reshape(x, shape):
    return _ops.reshape(x, shape)


def flatten(x):
    """All elements in one axis (Keras 2's ``K.flatten``; see ``batch_flatten``)."""
    return _ops.ravel(x)


def batch_flatten(x):
    """``(batch, ...)`` -> ``(batch, prod(...))``."""
    return _ops.reshape(x, (int_shape(x)[0], -1))


def expand_dims(x, axis=-1):
    return _ops.expand_dims(x, axis)


def squeeze(x, axis):
    return _ops.squeeze(x, axis=axis)


def transpose(x):
    return _ops.transpose(x)


def permute_dimensions(x, pattern):
    return _ops.transpose(x, tuple(pattern))


def repeat_elements(x, rep, axis):
    return _ops.repeat(x, rep, axis=axis)


def tile(x, n):
    return _ops.tile(x, n)


def gather(reference, indices):
    """Rows of ``reference`` at ``indices`` (along axis 0)."""
    return _ops.take(reference, indices, axis=0)


def one_hot(indices, num_classes):
    return _ops.one_hot(indices, num_classes)


def dot(x, y):
    """Keras 2's ``dot``: the matrix product over the last axis of ``x`` and the
    second-to-last of ``y`` (NumPy's ``dot``)."""
    return _ops.dot(x, y)


def batch_dot(x, y, axes=None):
    """Per-sample dot product of two batches: ``axes`` (default: the last axis of ``x`` and
    the second-to-last of ``y``, or the last when ``y`` is 2-d) are summed over."""
    x, y = _ops.convert_to_tensor(x), _ops.convert_to_tensor(y)
    if axes is None:
        axes = (x.ndim - 1, y.ndim - 1 if y.ndim == 2 else y.ndim - 2)
    elif isinstance(axes, int):
        axes = (axes, axes)
    ax, ay = axes[0] % x.ndim, axes[1] % y.ndim
    # move the summed axis last in x, first-after-batch in y, then a batched matmul
    xm = _ops.moveaxis(x, ax, -1)
    ym = _ops.moveaxis(y, ay, 1)
    x3 = _ops.reshape(xm, (x.shape[0], -1, x.shape[ax]))
    y3 = _ops.reshape(ym, (y.shape[0], y.shape[ay], -1))
    out = _ops.matmul(x3, y3)
    out_shape = (x.shape[0], *xm.shape[1:-1], *ym.shape[2:])
    if len(out_shape) == 1:
        out_shape = (x.shape[0], 1)
    return _ops.reshape(out, out_shape)


def l2_normalize(x, axis=None):
    """``x / sqrt(max(sum(x**2, axis), epsilon))`` (Keras 2 used 1e-12 here)."""
    squares = _ops.sum(_ops.square(x), axis=axis, keepdims=True)
    return _ops.divide(x, _ops.sqrt(_ops.maximum(squares, 1e-12)))


# ------------------------------------------------------------------ activations and losses


def relu(x, alpha=0.0, max_value=None, threshold=0.0):
    from ..functions import activations

    x = _ops.convert_to_tensor(x)
    return activations.relu(x, negative_slope=alpha, max_value=max_value, threshold=threshold)


def sigmoid(x):
    return _ops.sigmoid(x)


def hard_sigmoid(x):
    return _ops.hard_sigmoid(x)


def tanh(x):
    return _ops.tanh(x)


def softmax(x, axis=-1):
    return _ops.softmax(x, axis=axis)


def softplus(x):
    return _ops.softplus(x)


def elu(x, alpha=1.0):
    return _ops.elu(x, alpha=alpha)


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    return _ops.categorical_crossentropy(target, output, from_logits=from_logits, axis=axis)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    return _ops.sparse_categorical_crossentropy(
        target, output, from_logits=from_logits, axis=axis
    )


def binary_crossentropy(target, output, from_logits=False):
    """Element-wise binary cross-entropy (Keras 2's backend function did not average)."""
    return _ops.binary_crossentropy(target, output, from_logits=from_logits)


def log_softmax(x, axis=-1):
    return _ops.log_softmax(x, axis=axis)


def switch(condition, then_expression, else_expression):
    """``then_expression`` where ``condition`` else ``else_expression`` (callables are called
    first, as Keras 2 allowed); a scalar condition picks one whole expression."""
    then_v = then_expression() if callable(then_expression) else then_expression
    else_v = else_expression() if callable(else_expression) else else_expression
    cond = np.asarray(_ops.convert_to_numpy(condition))
    if cond.ndim == 0:
        return then_v if bool(cond) else else_v
    return _ops.where(cond, then_v, else_v)


def in_train_phase(x, alt, training=None):
    """``x`` in training (``training`` true, or the learning phase 1 when it is None), else
    ``alt``; callables are called."""
    phase = _LEARNING_PHASE if training is None else training
    chosen = x if phase else alt
    return chosen() if callable(chosen) else chosen


def in_test_phase(x, alt, training=None):
    return in_train_phase(alt, x, training=training)


def bias_add(x, bias, data_format=None):
    """Add a per-channel ``bias`` on the channel axis of ``data_format``."""
    x = _ops.convert_to_tensor(x)
    bias = _ops.convert_to_tensor(bias)
    if normalize_data_format(data_format) == "channels_first" and x.ndim > 2 and bias.ndim == 1:
        bias = _ops.reshape(bias, (bias.shape[0],) + (1,) * (x.ndim - 2))
    return _ops.add(x, bias)


def conv2d(x, kernel, strides=(1, 1), padding="valid", data_format=None, dilation_rate=(1, 1)):
    """2-d convolution with Keras's kernel layout (rows, cols, in_channels, filters)."""
    return _ops.conv(x, kernel, strides=strides, padding=padding, data_format=data_format,
                     dilation_rate=dilation_rate)


def pool2d(x, pool_size, strides=(1, 1), padding="valid", data_format=None, pool_mode="max"):
    if pool_mode == "max":
        return _ops.max_pool(x, pool_size, strides, padding, data_format)
    if pool_mode == "avg":
        return _ops.average_pool(x, pool_size, strides, padding, data_format)
    raise ValueError(f"K.pool2d: pool_mode must be 'max' or 'avg', got {pool_mode!r}")


def resize_images(x, height_factor, width_factor, data_format=None, interpolation="nearest"):
    """Scale the rows and columns of a batch of images by integer factors."""
    first = normalize_data_format(data_format) == "channels_first"
    h, w = (x.shape[2], x.shape[3]) if first else (x.shape[1], x.shape[2])
    return _ops.image.resize(
        x, (h * int(height_factor), w * int(width_factor)), interpolation=interpolation,
        data_format="channels_first" if first else "channels_last",
    )


def _rng(seed):
    return rng() if seed is None else np.random.default_rng(seed)


def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal draws from npconv's generator (``utils.set_random_seed`` repeats them)."""
    draws = _rng(seed).normal(mean, stddev, tuple(int(n) for n in shape))
    return Tensor(draws.astype(dtype or floatx()))


def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    draws = _rng(seed).uniform(minval, maxval, tuple(int(n) for n in shape))
    return Tensor(draws.astype(dtype or floatx()))


def random_binomial(shape, p=0.0, dtype=None, seed=None):
    draws = _rng(seed).random(tuple(int(n) for n in shape)) < p
    return Tensor(draws.astype(dtype or floatx()))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal draws redrawn until within two standard deviations of the mean."""
    gen = _rng(seed)
    shape = tuple(int(n) for n in shape)
    z = gen.standard_normal(shape)
    bad = np.abs(z) > 2
    while bad.any():
        z[bad] = gen.standard_normal(int(bad.sum()))
        bad = np.abs(z) > 2
    return Tensor((mean + stddev * z).astype(dtype or floatx()))


def stop_gradient(variables):
    if isinstance(variables, (list, tuple)):
        return [_ops.stop_gradient(v) for v in variables]
    return _ops.stop_gradient(variables)


# ------------------------------------------------------------------------------- gradients


def _graph_tensors(y):
    """Every tensor of the recorded graph that produced ``y`` (``y`` included)."""
    seen, tensors, stack = set(), [y], [y.creator]
    while stack:
        f = stack.pop()
        if f is None or id(f) in seen:
            continue
        seen.add(id(f))
        for t in getattr(f, "inputs", ()):
            tensors.append(t)
            stack.append(t.creator)
    return tensors


def gradients(loss, variables):
    """The gradients of ``loss`` (summed when not a scalar) with respect to each of
    ``variables`` — weights or intermediate tensors it was computed from — as Tensors, or
    ``None`` for one the loss does not depend on (as Keras 2).

    npconv computes eagerly: ``loss`` must already have been computed from the variables with
    gradients recorded. The ``.grad`` of every tensor in the graph is left as it was, and the
    graph is kept, so ``gradients`` can be asked again of the same loss.
    """
    single = not isinstance(variables, (list, tuple))
    targets = [variables] if single else list(variables)
    if type(loss).__name__ == "KerasTensor" or builtins.any(
            type(t).__name__ == "KerasTensor" for t in targets):
        raise TypeError(
            "K.gradients got Keras tensors (from keras.Input): Keras 2 differentiated its "
            "symbolic graph, npconv (as Keras 3) computes eagerly. Run the model on data inside "
            "an npconv.GradientTape and take tape.gradient(loss, tensors) instead"
        )
    if not isinstance(loss, Tensor):
        raise TypeError(
            f"K.gradients expects the loss as an npconv Tensor computed from the variables, "
            f"got {type(loss).__name__}"
        )
    for t in targets:
        if not isinstance(t, Tensor):
            raise TypeError(
                f"K.gradients expects variables/tensors the loss was computed from, "
                f"got {type(t).__name__}"
            )
    if loss.creator is None and not builtins.any(t is loss for t in targets):
        if not is_grad_enabled():
            raise RuntimeError(
                "K.gradients: nothing was recorded to differentiate, because this runs without "
                "gradients (predict/evaluate, or no_grad()): npconv computes eagerly and "
                "records the graph only when gradients are enabled. Compute the gradient "
                "inside a GradientTape, or call the model with training=True"
            )
        return [None] * len(targets) if not single else None
    tensors = _graph_tensors(loss)
    saved = {id(t): (t, t.grad) for t in [*tensors, *targets]}
    for t, _ in saved.values():
        t.grad = None
    try:
        _backward(loss, np.ones_like(loss.data), retain_graph=True)
        grads = [None if t.grad is None else Tensor(np.array(t.grad)) for t in targets]
    finally:
        for t, g in saved.values():
            t.grad = g
    return grads[0] if single else grads


# ---------------------------------------------------------------------- variables, values


def variable(value, dtype=None, name=None, constraint=None):
    """A trainable ``Variable`` holding a copy of ``value`` (``floatx()`` by default)."""
    data = _ops.convert_to_numpy(value)
    return Variable(data, name=name, dtype=dtype or floatx(), constraint=constraint)


def constant(value, dtype=None, shape=None, name=None):
    """A constant Tensor; with ``shape``, a scalar ``value`` is broadcast to it."""
    data = np.asarray(_ops.convert_to_numpy(value), dtype=dtype or floatx())
    if shape is not None:
        data = np.broadcast_to(data, tuple(shape)).copy()
    return Tensor(data, name=name)


def get_value(x):
    """The value of a variable or tensor as a NumPy array (a copy)."""
    return np.array(_ops.convert_to_numpy(x))


eval = get_value  # noqa: A001 - Keras 2's name


def batch_get_value(tensors):
    return [get_value(t) for t in tensors]


def set_value(x, value):
    """Copy ``value`` into the variable ``x`` (same shape)."""
    if isinstance(x, Variable):
        x.assign(value)
    elif isinstance(x, Tensor):
        x.data[...] = np.asarray(value, dtype=x.dtype)
    else:
        raise TypeError(f"K.set_value expects a Variable, got {type(x).__name__}")


def batch_set_value(tuples):
    for x, value in tuples:
        set_value(x, value)


def zeros(shape, dtype=None, name=None):
    """A Variable of zeros (Keras 2 returned variables from ``zeros``/``ones``)."""
    return Variable(np.zeros(shape, dtype=dtype or floatx()), name=name)


def ones(shape, dtype=None, name=None):
    return Variable(np.ones(shape, dtype=dtype or floatx()), name=name)


def eye(size, dtype=None, name=None):
    return Variable(np.eye(size, dtype=dtype or floatx()), name=name)


def zeros_like(x, dtype=None, name=None):
    return _ops.zeros_like(x, dtype=dtype)


def ones_like(x, dtype=None, name=None):
    return _ops.ones_like(x, dtype=dtype)


# ------------------------------------------------------------------------------ the session


def clear_session() -> None:
    """Start afresh: layer names count from the beginning again (``dense``, ``dense_1``, ...),
    and the learning phase is reset. npconv holds no graph or session to free."""
    global _LEARNING_PHASE
    from ..layers.base import reset_names  # the one upward reach: the names live there

    reset_names()
    _LEARNING_PHASE = 0


def function(inputs, outputs, updates=None, name=None, **kwargs):
    """Keras 2's ``K.function(inputs, outputs)``: a callable that takes a list of arrays (one
    per input Keras tensor) and returns the list of output arrays, by a model made of the
    layers between them (``K.function([model.input], [model.layers[3].output])`` reads a
    layer's activations). ``K.learning_phase()`` among the inputs takes the training flag
    (0 or 1) from the matching value. ``updates`` (graph updates) are not supported."""
    if updates:
        raise ValueError("K.function: updates= (TensorFlow graph updates) are not supported; "
                         "use an optimizer's apply_gradients in eager code")
    from ..models import Model

    inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    several = isinstance(outputs, (list, tuple))
    outputs = list(outputs) if several else [outputs]
    phase = [i for i, t in enumerate(inputs) if not is_keras_tensor(t)]
    tensors = [t for t in inputs if is_keras_tensor(t)]
    model = Model(tensors, outputs)

    def run(values):
        values = list(values) if isinstance(values, (list, tuple)) else [values]
        if len(values) != len(inputs):
            raise ValueError(f"K.function expects {len(inputs)} input values, got {len(values)}")
        training = bool(values[phase[0]]) if phase else False
        arrays = [np.asarray(v, dtype=floatx()) for i, v in enumerate(values) if i not in phase]
        from ..autograd import no_grad

        with no_grad():
            outs = model(arrays, training=training)
        outs = outs if isinstance(outs, (list, tuple)) else [outs]
        result = [np.asarray(getattr(o, "data", o)) for o in outs]
        return result if several else result[0]

    return run


def learning_phase() -> int:
    """0 (inference) unless ``set_learning_phase(1)``; npconv's ``fit`` passes
    ``training=True`` to layers itself, as Keras does, so this is informational."""
    return _LEARNING_PHASE


def set_learning_phase(value) -> None:
    global _LEARNING_PHASE
    if value not in (0, 1):
        raise ValueError(f"K.set_learning_phase expects 0 or 1, got {value!r}")
    _LEARNING_PHASE = int(value)
