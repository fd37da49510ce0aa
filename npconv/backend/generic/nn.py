"""Dense, dropout, softmax cross-entropy and batch normalization kernels in the array API
standard. Channels (features, classes) are the last axis; forward kernels return what their
backward needs, so the functions above keep no backend-specific state.
"""

from __future__ import annotations

import math

import numpy as np

from ..selection import array_namespace, check_same_device

# --- dense --------------------------------------------------------------------------------


def dense_forward(x, kernel, bias=None):
    """``x @ kernel + bias``: ``x`` ``(..., in)``, ``kernel`` ``(in, out)``, ``bias``
    ``(out,)``."""
    xp = array_namespace(x, kernel, bias)
    check_same_device(x, kernel, bias, name="dense_forward")
    y = xp.matmul(x, kernel)
    return y if bias is None else y + bias


def dense_backward(x, kernel, gy, need_x=True, need_kernel=True, need_bias=True):
    """``(gx, g_kernel, g_bias)`` of ``dense_forward``; leading axes of ``x`` are batch."""
    xp = array_namespace(x, kernel, gy)
    check_same_device(x, kernel, gy, name="dense_backward")
    gx = xp.matmul(gy, xp.matrix_transpose(kernel)) if need_x else None
    g_kernel = g_bias = None
    if need_kernel:
        rows = math.prod(x.shape[:-1])
        x2 = xp.reshape(x, (rows, x.shape[-1]))
        g_kernel = xp.matmul(xp.matrix_transpose(x2), xp.reshape(gy, (rows, gy.shape[-1])))
    if need_bias:
        g_bias = xp.sum(gy, axis=tuple(range(gy.ndim - 1)))
    return gx, g_kernel, g_bias


# --- dropout ------------------------------------------------------------------------------


def dropout_mask(like, shape, rate, seed=None):
    """A mask of ``shape`` in ``like``'s namespace, dtype and device: 0 with probability
    ``rate``, else ``1 / (1 - rate)``. The standard has no random numbers, so the draws come
    from npconv's NumPy generator (``functions.dropout.dropout_mask``: the same mask as the
    NumPy backend for the same seed) and are moved to the device once."""
    from ...functions.dropout import dropout_mask as numpy_mask

    xp = array_namespace(like)
    mask = numpy_mask(tuple(shape), rate, np.dtype(str(like.dtype).split(".")[-1]), seed)
    return xp.asarray(mask, device=like.device)


def dropout_forward(x, mask):
    """``x * mask`` (``mask`` broadcast: a noise shape with 1s shares draws)."""
    check_same_device(x, mask, name="dropout_forward")
    return x * mask


def dropout_backward(gy, mask):
    """``gy * mask``: the gradient reaches the kept units, scaled as they were."""
    check_same_device(gy, mask, name="dropout_backward")
    return gy * mask


# --- softmax cross-entropy ----------------------------------------------------------------


def softmax_cross_entropy_forward(z, t):
    """``(loss, p)``: per-sample ``-sum(t * log_softmax(z))`` over the last axis by
    log-sum-exp, and ``p = softmax(z)`` for the backward. ``t``: one-hot or soft targets."""
    xp = array_namespace(z, t)
    check_same_device(z, t, name="softmax_cross_entropy_forward")
    zs = z - xp.max(z, axis=-1, keepdims=True)
    e = xp.exp(zs)
    s = xp.sum(e, axis=-1, keepdims=True)
    loss = xp.sum(t * (xp.log(s) - zs), axis=-1)
    return loss, e / s


def softmax_cross_entropy_backward(p, t, gy):
    """``(p * sum(t) - t) * gy``: the logits' gradient (``sum(t) = 1`` for one-hot targets)."""
    xp = array_namespace(p, t, gy)
    check_same_device(p, t, gy, name="softmax_cross_entropy_backward")
    g = p * xp.sum(t, axis=-1, keepdims=True) - t
    return g * xp.expand_dims(gy, axis=-1)


def one_hot(labels, classes, dtype):
    """``labels`` (integers, any shape) as one-hot rows of ``classes`` entries of ``dtype``."""
    xp = array_namespace(labels)
    hits = xp.expand_dims(labels, axis=-1) == xp.arange(classes, device=labels.device)
    return xp.astype(hits, dtype)


def sparse_softmax_cross_entropy_forward(z, labels):
    """``(loss, p)`` with integer ``labels`` (``z.shape[:-1]``)."""
    return softmax_cross_entropy_forward(z, one_hot(labels, z.shape[-1], z.dtype))


def sparse_softmax_cross_entropy_backward(p, labels, gy):
    """``(p - one_hot(labels)) * gy``."""
    return softmax_cross_entropy_backward(p, one_hot(labels, p.shape[-1], p.dtype), gy)


# --- batch normalization ------------------------------------------------------------------


def _reduce(x):
    return tuple(range(x.ndim - 1))


def batch_norm_train_forward(x, gamma, beta, epsilon):
    """``(y, mean, var, saved)``: normalize by the batch's statistics over every axis but the
    last (biased variance, two passes); ``saved = (x_hat, inv_std)`` for the backward.
    ``gamma``/``beta`` ``(C,)`` or None."""
    xp = array_namespace(x, gamma, beta)
    check_same_device(x, gamma, beta, name="batch_norm_train_forward")
    red = _reduce(x)
    mean = xp.mean(x, axis=red, keepdims=True)
    xc = x - mean
    var = xp.mean(xc * xc, axis=red, keepdims=True)
    inv = 1.0 / xp.sqrt(var + epsilon)
    x_hat = xc * inv
    y = x_hat if gamma is None else x_hat * gamma
    if beta is not None:
        y = y + beta
    c = x.shape[-1]
    return y, xp.reshape(mean, (c,)), xp.reshape(var, (c,)), (x_hat, inv)


def batch_norm_train_backward(gy, gamma, saved, need_x=True):
    """``(gx, g_gamma, g_beta)`` of ``batch_norm_train_forward`` (the batch statistics are
    differentiated through): ``gx = inv * gamma * (gy - mean(gy) - x_hat * mean(gy * x_hat))``.
    """
    xp = array_namespace(gy, gamma)
    x_hat, inv = saved
    check_same_device(gy, gamma, x_hat, name="batch_norm_train_backward")
    red = _reduce(gy)
    n = math.prod(gy.shape[:-1])
    g_beta = xp.sum(gy, axis=red, keepdims=True)
    g_gamma = xp.sum(gy * x_hat, axis=red, keepdims=True)
    gx = None
    if need_x:
        scale = inv if gamma is None else inv * gamma
        gx = (gy - g_beta / n - x_hat * (g_gamma / n)) * scale
    c = gy.shape[-1]
    return gx, xp.reshape(g_gamma, (c,)), xp.reshape(g_beta, (c,))


def batch_norm_inference_forward(x, gamma, beta, mean, var, epsilon):
    """``x * scale + shift`` with ``scale = gamma / sqrt(var + eps)``, ``shift = beta - mean *
    scale`` (the moving statistics)."""
    xp = array_namespace(x, gamma, beta, mean, var)
    check_same_device(x, gamma, beta, mean, var, name="batch_norm_inference_forward")
    inv = 1.0 / xp.sqrt(var + epsilon)
    scale = inv if gamma is None else inv * gamma
    shift = -mean * scale
    if beta is not None:
        shift = shift + beta
    return x * scale + shift


def batch_norm_inference_backward(x, gy, gamma, mean, var, epsilon):
    """``(gx, g_gamma, g_beta)`` of ``batch_norm_inference_forward``."""
    xp = array_namespace(x, gy, gamma, mean, var)
    check_same_device(x, gy, gamma, mean, var, name="batch_norm_inference_backward")
    inv = 1.0 / xp.sqrt(var + epsilon)
    scale = inv if gamma is None else inv * gamma
    red = _reduce(gy)
    g_gamma = xp.sum(gy * ((x - mean) * inv), axis=red)
    return gy * scale, g_gamma, xp.sum(gy, axis=red)
