"""Keras 3's neural-network ops (``keras.ops.nn``; also importable from ``npconv.ops``).

Activations, convolution, pooling, normalization and cross-entropies with Keras 3's signatures
(``keras/src/ops/nn.py``), thin over ``npconv.functions`` where each is written out with its
gradient. They return npconv Tensors (see ``npconv.ops.core``).

Keras-3 specifics kept here: ``gelu`` defaults to the tanh approximation (``approximate=True``)
as ``keras.ops.gelu`` does (``keras.activations.gelu`` defaults to the exact form);
``binary_crossentropy`` is element-wise (no mean over the last axis, unlike the loss function
``keras.losses.binary_crossentropy``); ``categorical_crossentropy`` reduces over ``axis``.
``data_format=None`` means ``backend.image_data_format()``.

``conv_transpose``, ``depthwise_conv`` and ``separable_conv`` are not provided here yet.
"""

from __future__ import annotations

import numpy as np

from .. import backend
from ..autograd import Tensor
from ..functions import activations as _act
from ..functions import array as _array
from ..functions import conv as _conv
from ..functions import losses as _losses
from ..functions import pooling as _pooling
from .core import _dtype_name, cast, convert_to_numpy, tensor
from .numpy import maximum, mean, norm, reshape, sqrt, square, subtract

__all__ = [
    "relu", "relu6", "sigmoid", "tanh", "softmax", "log_softmax", "softplus", "softsign",
    "silu", "swish", "gelu", "elu", "selu", "leaky_relu", "hard_sigmoid", "hard_silu",
    "hard_swish", "log_sigmoid", "one_hot", "conv", "max_pool", "average_pool",
    "batch_normalization", "moments", "categorical_crossentropy",
    "sparse_categorical_crossentropy", "binary_crossentropy", "normalize",
]


def _float(x, name):
    t = tensor(x, name)
    return t if np.issubdtype(t.dtype, np.floating) else cast(t, backend.floatx())


# ------------------------------------------------------------------------------ activations


def relu(x):
    return _act.relu(_float(x, "relu"))


def relu6(x):
    return _act.relu6(_float(x, "relu6"))


def sigmoid(x):
    return _act.sigmoid(_float(x, "sigmoid"))


def tanh(x):
    return _act.tanh(_float(x, "tanh"))


def softmax(x, axis=-1):
    return _act.softmax(_float(x, "softmax"), axis=axis)


def log_softmax(x, axis=-1):
    return _act.log_softmax(_float(x, "log_softmax"), axis=axis)


def softplus(x):
    return _act.softplus(_float(x, "softplus"))


def softsign(x):
    return _act.softsign(_float(x, "softsign"))


def silu(x):
    return _act.silu(_float(x, "silu"))


swish = silu


def log_sigmoid(x):
    """``log(sigmoid(x)) = -softplus(-x)``, without overflow."""
    return _array.neg(_act.softplus(_array.neg(_float(x, "log_sigmoid"))))


def gelu(x, approximate=True):
    """GELU; Keras 3's ``ops.gelu`` defaults to the tanh approximation."""
    return _act.gelu(_float(x, "gelu"), approximate=approximate)


def elu(x, alpha=1.0):
    return _act.elu(_float(x, "elu"), alpha=alpha)


def selu(x):
    return _act.selu(_float(x, "selu"))


def leaky_relu(x, negative_slope=0.2):
    return _act.leaky_relu(_float(x, "leaky_relu"), negative_slope=negative_slope)


def hard_sigmoid(x):
    """Keras 3's ``relu6(x + 3) / 6``."""
    return _act.hard_sigmoid(_float(x, "hard_sigmoid"))


def hard_silu(x):
    return _act.hard_silu(_float(x, "hard_silu"))


hard_swish = hard_silu


# ------------------------------------------------------------------------ conv and pooling


def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """N-d convolution (cross-correlation) of ``inputs`` (batch, *spatial, channels) with
    ``kernel`` (*kernel_size, in_channels, out_channels); ``padding`` 'valid' or 'same'."""
    x = _float(inputs, "conv")
    k = tensor(kernel, "conv")
    if k.dtype != x.dtype:
        k = cast(k, x.dtype)
    return _conv.conv(
        x, k, strides=strides, padding=str(padding).lower(), dilation_rate=dilation_rate,
        data_format=backend.normalize_data_format(data_format),
    )


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    return _pooling.max_pool(
        _float(inputs, "max_pool"), pool_size, strides=strides, padding=str(padding).lower(),
        data_format=backend.normalize_data_format(data_format),
    )


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    return _pooling.avg_pool(
        _float(inputs, "average_pool"), pool_size, strides=strides,
        padding=str(padding).lower(), data_format=backend.normalize_data_format(data_format),
    )


# ---------------------------------------------------------------------------- normalization


def _along(v, axis, ndim, name):
    """A per-channel vector shaped to broadcast along ``axis`` of a rank-``ndim`` tensor."""
    t = _float(v, name)
    if t.ndim == 1:
        shape = [1] * ndim
        shape[axis % ndim] = t.shape[0]
        return _array.reshape(t, tuple(shape))
    return t


def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    """``(x - mean) / sqrt(variance + epsilon) * scale + offset``, the statistics given as
    vectors along ``axis`` (or already broadcastable). Differentiable in every argument."""
    x = _float(x, "batch_normalization")
    name = "batch_normalization"
    m = _along(mean, axis, x.ndim, name)
    v = _along(variance, axis, x.ndim, name)
    inv = _array.div(1.0, _array.sqrt(_array.add(v, float(epsilon))))
    if scale is not None:
        inv = _array.mul(inv, _along(scale, axis, x.ndim, name))
    y = _array.mul(_array.sub(x, m), inv)
    if offset is not None:
        y = _array.add(y, _along(offset, axis, x.ndim, name))
    return y


def moments(x, axes, keepdims=False, synchronized=False):
    """``(mean, variance)`` of ``x`` over ``axes`` (population variance)."""
    x = _float(x, "moments")
    axes = tuple(axes) if isinstance(axes, (list, tuple)) else (axes,)
    m = mean(x, axis=axes, keepdims=True)
    v = mean(square(subtract(x, m)), axis=axes, keepdims=keepdims)
    if not keepdims:
        m = reshape(m, v.shape)
    return m, v


def normalize(x, axis=-1, order=2, epsilon=None):
    """``x / max(norm(x, order, axis), epsilon)``, ``epsilon`` defaulting to
    ``backend.epsilon()``."""
    if not isinstance(order, int) or order < 1:
        raise ValueError(f"normalize: order must be an int >= 1, got {order!r}")
    x = _float(x, "normalize")
    if x.ndim == 0:
        x = reshape(x, (1,))
    eps = backend.epsilon() if epsilon is None else float(epsilon)
    if order == 2:
        n = sqrt(_array.sum(square(x), axis=axis, keepdims=True))
    else:
        n = norm(x, ord=order, axis=axis, keepdims=True)
    return _array.div(x, maximum(n, eps))


# --------------------------------------------------------------------------- cross-entropy


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """``-sum(target * log(output), axis)``; ``output`` probabilities are renormalized and
    clipped to ``[eps, 1 - eps]`` as Keras does, or logits with ``from_logits=True``."""
    return _losses.categorical_crossentropy(
        convert_to_numpy(target), _float(output, "categorical_crossentropy"),
        from_logits=from_logits, axis=axis,
    )


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """As ``categorical_crossentropy`` with integer class indices as targets."""
    return _losses.sparse_categorical_crossentropy(
        convert_to_numpy(target), _float(output, "sparse_categorical_crossentropy"),
        from_logits=from_logits, axis=axis,
    )


def binary_crossentropy(target, output, from_logits=False):
    """Element-wise ``-(t log p + (1 - t) log(1 - p))`` (no reduction), ``p`` clipped to
    ``[eps, 1 - eps]``; with ``from_logits=True`` the stable logits form."""
    p = _float(output, "binary_crossentropy")
    t = np.asarray(convert_to_numpy(target), dtype=p.dtype)
    if t.shape != p.shape:
        raise ValueError(
            f"binary_crossentropy: target and output must have the same shape, "
            f"got {t.shape} and {p.shape}"
        )
    column = p.shape + (1,)
    y = _losses.binary_crossentropy(
        t.reshape(column), _array.reshape(p, column), from_logits=from_logits
    )
    return _array.reshape(y, p.shape)


# ----------------------------------------------------------------------------------- one-hot


def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    """Integer class indices ``x`` as one-hot vectors along a new ``axis`` (``floatx()`` by
    default); an index outside ``[0, num_classes)`` gives a row of zeros, as TensorFlow."""
    if sparse:
        raise ValueError("one_hot: sparse=True is not supported by npconv (dense only)")
    idx = np.asarray(convert_to_numpy(tensor(x, "one_hot")))
    if not np.issubdtype(idx.dtype, np.integer):
        idx = idx.astype(np.int64)
    y = idx[..., None] == np.arange(int(num_classes))
    y = y.astype(_dtype_name(dtype) or backend.floatx())
    if axis != -1:
        y = np.moveaxis(y, -1, axis)
    return Tensor(y)
