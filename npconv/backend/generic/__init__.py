"""The generic backend: every kernel written in the Python array API standard alone.

These run on any conforming array library (NumPy 2, CuPy, ``array_api_strict``), taking the
namespace from their inputs (``selection.array_namespace``) and refusing inputs on two devices.
They are the reference the fast backends are tested against, what the CuPy backend falls back
on, and what the CI runs under ``array_api_strict`` so that device code cannot rot unseen.

The entry points (every backend's kernel module exports these names; channels last):

========================================  =================================================
``conv_forward(x, kernel, bias, strides, dilation, pads, groups)``  -> y
``conv_backward(x, kernel, gy, strides, dilation, pads, groups,
need_x, need_kernel, need_bias)``          -> (gx, g_kernel, g_bias)
``max_pool_forward(x, pool, strides, pads)``  -> (y, argmax)
``max_pool_backward(gy, argmax, x_shape, pool, strides, pads)``  -> gx
``avg_pool_forward(x, pool, strides, pads)``  -> y
``avg_pool_backward(gy, x_shape, pool, strides, pads)``  -> gx
``dense_forward(x, kernel, bias)`` / ``dense_backward(x, kernel, gy, ...)``
``dropout_mask(like, shape, rate, seed)``, ``dropout_forward(x, mask)``,
``dropout_backward(gy, mask)``
``softmax_cross_entropy_forward(z, t)`` -> (loss, p); ``..._backward(p, t, gy)``
``sparse_softmax_cross_entropy_forward(z, labels)``; ``..._backward(p, labels, gy)``
``batch_norm_train_forward(x, gamma, beta, epsilon)`` -> (y, mean, var, saved);
``batch_norm_train_backward(gy, gamma, saved, need_x)``
``batch_norm_inference_forward(x, gamma, beta, mean, var, epsilon)``;
``batch_norm_inference_backward(x, gy, gamma, mean, var, epsilon)``
========================================  =================================================

``pads``: one ``(before, after)`` pair per spatial axis (``functions.padding.spatial_pads``).
"""

from .conv import conv_backward, conv_forward
from .nn import (
    batch_norm_inference_backward,
    batch_norm_inference_forward,
    batch_norm_train_backward,
    batch_norm_train_forward,
    dense_backward,
    dense_forward,
    dropout_backward,
    dropout_forward,
    dropout_mask,
    one_hot,
    softmax_cross_entropy_backward,
    softmax_cross_entropy_forward,
    sparse_softmax_cross_entropy_backward,
    sparse_softmax_cross_entropy_forward,
)
from .pooling import avg_pool_backward, avg_pool_forward, max_pool_backward, max_pool_forward

NAME = "generic"

ENTRY_POINTS = (
    "conv_forward", "conv_backward", "max_pool_forward", "max_pool_backward",
    "avg_pool_forward", "avg_pool_backward", "dense_forward", "dense_backward",
    "dropout_mask", "dropout_forward", "dropout_backward",
    "softmax_cross_entropy_forward", "softmax_cross_entropy_backward",
    "sparse_softmax_cross_entropy_forward", "sparse_softmax_cross_entropy_backward",
    "batch_norm_train_forward", "batch_norm_train_backward",
    "batch_norm_inference_forward", "batch_norm_inference_backward",
)

__all__ = [
    "conv_forward", "conv_backward", "max_pool_forward", "max_pool_backward",
    "avg_pool_forward", "avg_pool_backward", "dense_forward", "dense_backward",
    "dropout_mask", "dropout_forward", "dropout_backward",
    "softmax_cross_entropy_forward", "softmax_cross_entropy_backward",
    "sparse_softmax_cross_entropy_forward", "sparse_softmax_cross_entropy_backward",
    "batch_norm_train_forward", "batch_norm_train_backward",
    "batch_norm_inference_forward", "batch_norm_inference_backward",
    "one_hot", "NAME", "ENTRY_POINTS",
]
