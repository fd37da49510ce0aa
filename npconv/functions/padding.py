"""Window arithmetic shared by convolution and pooling: argument tuples, output lengths, pads.

``'same'`` follows TensorFlow/Keras: the output length is ``ceil(n / stride)`` and, when the
total padding is odd, the extra row/column goes at the end (PyTorch would put it at the start).
``'causal'`` (Conv1D) pads only at the start, by the dilated kernel's length minus one.
"""

from __future__ import annotations

import math
import numbers

PADDINGS = ("valid", "same", "causal")


def normalize_tuple(value, n: int, name: str) -> tuple[int, ...]:
    """An int or an n-sequence of ints -> an n-tuple of positive ints."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = int(value)
        values = (value,) * n
    else:
        message = f"{name} must be an int or a tuple of {n} ints, got {value!r}"
        try:
            values = tuple(int(v) for v in value)
        except TypeError:
            raise ValueError(message) from None
        if len(values) != n:
            raise ValueError(message)
    if any(v < 1 for v in values):
        raise ValueError(f"{name} values must be positive, got {value!r}")
    return values


def normalize_padding(padding) -> str:
    value = str(padding).lower()
    if value not in PADDINGS:
        raise ValueError(f"padding must be one of {PADDINGS}, got {padding!r}")
    return value


def effective_kernel(kernel: int, dilation: int = 1) -> int:
    """The span of a dilated kernel: ``(kernel - 1) * dilation + 1``."""
    return (kernel - 1) * dilation + 1


def conv_output_length(length, kernel: int, padding: str, stride: int, dilation: int = 1):
    """Output length along one axis (``None`` for an unknown length stays ``None``)."""
    if length is None:
        return None
    span = effective_kernel(kernel, dilation)
    if padding in ("same", "causal"):
        return -(-length // stride)
    return max(0, (length - span) // stride + 1)


def axis_pads(length: int, kernel: int, padding: str, stride: int, dilation: int = 1):
    """``(before, after)`` padding along one axis for ``'valid'``, ``'same'`` or ``'causal'``."""
    span = effective_kernel(kernel, dilation)
    if padding == "valid":
        return (0, 0)
    if padding == "causal":
        return (span - 1, 0)
    out = math.ceil(length / stride)
    total = max((out - 1) * stride + span - length, 0)
    return (total // 2, total - total // 2)


def spatial_pads(spatial_shape, kernel, padding, strides, dilation=None):
    """One ``(before, after)`` pair per spatial axis."""
    dilation = dilation or (1,) * len(kernel)
    return [
        axis_pads(n, k, padding, s, d)
        for n, k, s, d in zip(spatial_shape, kernel, strides, dilation)
    ]
