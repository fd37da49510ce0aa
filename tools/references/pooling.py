"""PyTorch references for ``npconv.functions.pooling``: max/avg 1D/2D/3D with strides, both
paddings, and the global pools.

Every case stores, under ``<case>/``: ``x`` (channels_first, as PyTorch has it), a random
upstream gradient ``gy``, the output ``y``, the input gradient ``gx``, and the arguments ``op``
(``max``, ``avg``, ``global_max``, ``global_avg``), ``pool_size``, ``strides``, ``padding``.
Inputs are standard normal (no ties, so the max gradient is unambiguous).

``'same'`` is padded explicitly to TensorFlow's split (an odd total puts the extra element at
the end; PyTorch's own ``padding=`` is symmetric): with ``-inf`` for a max pool, so a padded
position is never the maximum; for an average pool the zero-padded average is divided by the
average of a zero-padded ones-mask, so the divisor counts only real inputs (TF's
``count_include_pad=False``). Most 'same' cases below have an odd total pad.
"""

from __future__ import annotations

import math

import numpy as np

# name: (op, x shape channels_first, pool_size, strides, padding)
CASES = {
    "max_1d_valid": ("max", (2, 3, 9), (2,), (2,), "valid"),
    "max_1d_overlap_same": ("max", (2, 3, 8), (3,), (2,), "same"),
    "max_2d_valid": ("max", (2, 3, 8, 6), (2, 2), (2, 2), "valid"),
    "max_2d_overlap_valid": ("max", (2, 3, 7, 8), (3, 3), (2, 1), "valid"),
    "max_2d_gaps_valid": ("max", (2, 2, 9, 8), (2, 2), (3, 3), "valid"),
    "max_2d_same": ("max", (2, 3, 8, 7), (3, 2), (2, 2), "same"),
    "max_2d_same_stride1": ("max", (2, 2, 5, 6), (4, 3), (1, 1), "same"),
    "max_3d_valid": ("max", (2, 2, 5, 6, 5), (2, 3, 2), (1, 2, 2), "valid"),
    "max_3d_same": ("max", (1, 2, 5, 4, 6), (2, 2, 3), (2, 1, 2), "same"),
    "avg_1d_valid": ("avg", (2, 3, 9), (3,), (3,), "valid"),
    "avg_1d_overlap_same": ("avg", (2, 3, 8), (3,), (2,), "same"),
    "avg_2d_valid": ("avg", (2, 3, 8, 6), (2, 2), (2, 2), "valid"),
    "avg_2d_overlap_valid": ("avg", (2, 3, 7, 8), (3, 3), (2, 1), "valid"),
    "avg_2d_gaps_valid": ("avg", (2, 2, 9, 8), (2, 2), (3, 3), "valid"),
    "avg_2d_same": ("avg", (2, 3, 8, 7), (3, 2), (2, 2), "same"),
    "avg_2d_same_stride1": ("avg", (2, 2, 5, 6), (4, 3), (1, 1), "same"),
    "avg_3d_valid": ("avg", (2, 2, 5, 6, 5), (2, 3, 2), (1, 2, 2), "valid"),
    "avg_3d_same": ("avg", (1, 2, 5, 4, 6), (2, 2, 3), (2, 1, 2), "same"),
    "global_max_1d": ("global_max", (2, 3, 7), (), (), "valid"),
    "global_max_2d": ("global_max", (2, 3, 4, 5), (), (), "valid"),
    "global_max_3d": ("global_max", (2, 2, 3, 4, 3), (), (), "valid"),
    "global_avg_1d": ("global_avg", (2, 3, 7), (), (), "valid"),
    "global_avg_2d": ("global_avg", (2, 3, 4, 5), (), (), "valid"),
    "global_avg_3d": ("global_avg", (2, 2, 3, 4, 3), (), (), "valid"),
}


def tf_pads(n, k, padding, stride):
    """(before, after) as TensorFlow pads: an odd total puts the extra element at the end."""
    if padding == "valid":
        return 0, 0
    total = max((math.ceil(n / stride) - 1) * stride + k - n, 0)
    return total // 2, total - total // 2


def pool(torch, op, x, pool_size, strides, padding):
    F = torch.nn.functional
    rank = x.dim() - 2
    spatial = tuple(range(2, rank + 2))
    if op == "global_max":
        return x.amax(dim=spatial)
    if op == "global_avg":
        return x.mean(dim=spatial)
    pads = [tf_pads(n, k, padding, s) for n, k, s in zip(x.shape[2:], pool_size, strides)]
    flat = [p for pair in reversed(pads) for p in pair]  # F.pad wants the last axis first
    if op == "max":
        fn = (F.max_pool1d, F.max_pool2d, F.max_pool3d)[rank - 1]
        return fn(F.pad(x, flat, value=-math.inf), pool_size, strides)
    fn = (F.avg_pool1d, F.avg_pool2d, F.avg_pool3d)[rank - 1]
    mean = fn(F.pad(x, flat), pool_size, strides)
    share = fn(F.pad(torch.ones_like(x), flat), pool_size, strides)  # real inputs / K
    return mean / share


def make(torch):
    out = {}
    for name, (op, xshape, pool_size, strides, padding) in CASES.items():
        x = torch.randn(*xshape, requires_grad=True)
        y = pool(torch, op, x, pool_size, strides, padding)
        gy = torch.randn(*y.shape)
        y.backward(gy)
        for key, value in {"x": x, "gy": gy, "y": y, "gx": x.grad}.items():
            out[f"{name}/{key}"] = value.detach().numpy()
        out[f"{name}/op"] = np.array(op)
        out[f"{name}/pool_size"] = np.array(pool_size, dtype=np.int64)
        out[f"{name}/strides"] = np.array(strides, dtype=np.int64)
        out[f"{name}/padding"] = np.array(padding)
    return out
