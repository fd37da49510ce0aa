"""The CuPy backend: npconv's kernels on an NVIDIA GPU (``NPCONV_BACKEND=cupy``).

Imported only when chosen (``npconv.backend.kernels('cupy')``); importing it without CuPy
raises the ImportError that names the pip package. The entry points are the generic backend's
(``npconv/backend/generic/__init__.py``), same arguments and results, on CuPy arrays; see
``kernels.py`` for which run as raw CUDA kernels and which fall back on the generic ones.
"""

from ..selection import _import_cupy

_import_cupy()

from .kernels import (  # noqa: E402 - after the check that CuPy is there
    avg_pool_backward,
    avg_pool_forward,
    batch_norm_inference_backward,
    batch_norm_inference_forward,
    batch_norm_train_backward,
    batch_norm_train_forward,
    col2im,
    conv_backward,
    conv_forward,
    dense_backward,
    dense_forward,
    dropout_backward,
    dropout_forward,
    dropout_mask,
    im2col,
    max_pool_backward,
    max_pool_forward,
    one_hot,
    softmax_cross_entropy_backward,
    softmax_cross_entropy_forward,
    sparse_softmax_cross_entropy_backward,
    sparse_softmax_cross_entropy_forward,
)

NAME = "cupy"

__all__ = [
    "conv_forward", "conv_backward", "max_pool_forward", "max_pool_backward",
    "avg_pool_forward", "avg_pool_backward", "dense_forward", "dense_backward",
    "dropout_mask", "dropout_forward", "dropout_backward",
    "softmax_cross_entropy_forward", "softmax_cross_entropy_backward",
    "sparse_softmax_cross_entropy_forward", "sparse_softmax_cross_entropy_backward",
    "batch_norm_train_forward", "batch_norm_train_backward",
    "batch_norm_inference_forward", "batch_norm_inference_backward",
    "one_hot", "im2col", "col2im", "NAME",
]
