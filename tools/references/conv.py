"""PyTorch references for ``npconv.functions.conv``: 1D/2D/3D, strides, paddings, dilations, groups.

Every case stores, under ``<case>/``: ``x`` (channels_first), ``w`` (PyTorch's
``(filters, in_channels // groups, *kernel_size)``), ``b``, a random upstream gradient ``gy``,
the output ``y``, the gradients ``gx``, ``gw``, ``gb``, and the arguments ``strides``,
``dilation``, ``groups``, ``padding``. ``'same'`` and ``'causal'`` are padded explicitly with
``F.pad`` to TensorFlow's split (PyTorch's own ``padding='same'`` rejects stride > 1 and puts an
odd pad's extra element first), so the cases below pick sizes whose total pad is odd.
"""

from __future__ import annotations

import math

import numpy as np

# name: (x shape channels_first, kernel_size, filters, strides, padding, dilation, groups)
CASES = {
    "1d_valid": ((2, 3, 9), (3,), 4, (1,), "valid", (1,), 1),
    "1d_same_stride2": ((2, 3, 10), (5,), 4, (2,), "same", (1,), 1),
    "1d_causal_dilated": ((2, 3, 9), (3,), 4, (1,), "causal", (2,), 1),
    "1d_same_groups": ((2, 4, 8), (2,), 6, (1,), "same", (1,), 2),
    "2d_valid_stride2": ((2, 3, 9, 8), (3, 3), 5, (2, 2), "valid", (1, 1), 1),
    "2d_same_stride2": ((2, 3, 8, 9), (3, 2), 5, (2, 2), "same", (1, 1), 1),
    "2d_same_dilated": ((2, 3, 7, 8), (3, 2), 4, (1, 1), "same", (2, 3), 1),
    "2d_valid_dilated_stride": ((2, 2, 10, 9), (2, 3), 3, (2, 1), "valid", (2, 2), 1),
    "2d_same_groups": ((2, 4, 6, 7), (3, 3), 6, (1, 2), "same", (1, 1), 2),
    "3d_same_stride": ((2, 2, 5, 6, 5), (2, 3, 2), 3, (1, 2, 2), "same", (1, 1, 1), 1),
    "3d_valid_dilated": ((2, 2, 6, 5, 6), (2, 2, 3), 3, (1, 1, 1), "valid", (2, 1, 2), 1),
    "3d_same_groups": ((1, 4, 4, 5, 4), (3, 2, 2), 4, (2, 1, 1), "same", (1, 2, 1), 2),
}


def tf_pads(n, k, padding, stride, dilation):
    """(before, after) as TensorFlow pads: an odd total puts the extra element at the end."""
    span = (k - 1) * dilation + 1
    if padding == "valid":
        return 0, 0
    if padding == "causal":
        return span - 1, 0
    total = max((math.ceil(n / stride) - 1) * stride + span - n, 0)
    return total // 2, total - total // 2


def make(torch):
    F = torch.nn.functional
    out = {}
    for name, (xshape, ksize, filters, strides, padding, dilation, groups) in CASES.items():
        rank = len(ksize)
        x = torch.randn(*xshape, requires_grad=True)
        w = torch.randn(filters, xshape[1] // groups, *ksize, requires_grad=True)
        b = torch.randn(filters, requires_grad=True)
        pads = [tf_pads(n, k, padding, s, d)
                for n, k, s, d in zip(xshape[2:], ksize, strides, dilation)]
        flat = [p for pair in reversed(pads) for p in pair]  # F.pad wants the last axis first
        conv = (F.conv1d, F.conv2d, F.conv3d)[rank - 1]
        y = conv(F.pad(x, flat), w, b, stride=strides, dilation=dilation, groups=groups)
        gy = torch.randn(*y.shape)
        y.backward(gy)
        arrays = {
            "x": x, "w": w, "b": b, "gy": gy, "y": y,
            "gx": x.grad, "gw": w.grad, "gb": b.grad,
        }
        for key, value in arrays.items():
            out[f"{name}/{key}"] = value.detach().numpy()
        out[f"{name}/strides"] = np.array(strides)
        out[f"{name}/dilation"] = np.array(dilation)
        out[f"{name}/groups"] = np.array(groups)
        out[f"{name}/padding"] = np.array(padding)
    return out
