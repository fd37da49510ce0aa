"""``Rescaling`` and ``Normalization`` (Keras 3's): affine maps of the input that act in training
and inference alike, built from npconv's differentiable functions so that they can sit anywhere
in a model."""

from __future__ import annotations

import numpy as np

from ... import backend
from ...autograd.tensor import Tensor, as_array
from ...functions import array as F
from ..base import Layer


def _float_input(inputs, dtype):
    x = as_array(inputs)
    if x.dtype.kind != "f":
        return Tensor(x.astype(dtype))
    return inputs


class Rescaling(Layer):
    """``x * scale + offset``: ``Rescaling(1 / 255)`` maps [0, 255] to [0, 1],
    ``Rescaling(1 / 127.5, offset=-1)`` to [-1, 1]. ``scale`` and ``offset`` may be per-channel
    lists (broadcast over the last axis). Integer input becomes float."""

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale
        self.offset = offset

    def call(self, inputs, training=False):
        x = _float_input(inputs, self.dtype)
        dtype = as_array(x).dtype
        out = F.mul(x, np.asarray(self.scale, dtype=dtype))
        if np.any(np.asarray(self.offset) != 0):
            out = F.add(out, np.asarray(self.offset, dtype=dtype))
        return out

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "offset": self.offset}


class Normalization(Layer):
    """Standardize features: ``(x - mean) / sqrt(variance)`` (with ``invert=True``, the way back,
    ``mean + x * sqrt(variance)``); the square root is kept at least ``backend.epsilon()``.

    ``mean`` and ``variance`` are given, or learned from data by ``adapt(data)``, over every axis
    but ``axis`` (default -1: per channel). Adapted statistics are the layer's weights, as in
    Keras 3: ``mean``, ``variance`` (shaped like the kept axes) and ``count``, not trainable."""

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        if axis is None:
            axis = ()
        elif isinstance(axis, int):
            axis = (axis,)
        self.axis = tuple(int(a) for a in axis)
        if (mean is None) != (variance is None):
            raise ValueError("Normalization: give both mean and variance, or neither "
                             f"(got mean={mean!r}, variance={variance!r})")
        self.input_mean = mean
        self.input_variance = variance
        self.invert = invert
        self._mean = self._variance = None
        self._count = None

    def _kept(self, rank):
        kept = tuple(sorted(a % rank for a in self.axis))
        if any(a == 0 for a in kept):
            raise ValueError(f"Normalization '{self.name}': axis {self.axis} may not include "
                             "the batch axis")
        return kept

    def build(self, input_shape):
        rank = len(input_shape)
        kept = self._kept(rank)
        shape = tuple(input_shape[a] for a in kept)
        if self.input_mean is None:
            if any(s is None for s in shape):
                raise ValueError(f"Normalization '{self.name}': the normalized axes {self.axis} "
                                 f"need known sizes, got input shape {tuple(input_shape)}")
            self._mean = self.add_weight(shape, "zeros", trainable=False, name="mean")
            self._variance = self.add_weight(shape, "ones", trainable=False, name="variance")
            self._count = self.add_weight((), "zeros", dtype="int64", trainable=False,
                                          name="count")
        self.built = True

    def _broadcast(self, value, rank):
        kept = self._kept(rank)
        shape = [1] * rank
        arr = np.asarray(value, dtype=self.dtype)
        if arr.ndim and arr.size != 1:
            sizes = arr.reshape(-1).shape if len(kept) == 1 else arr.shape
            for a, s in zip(kept, sizes):
                shape[a] = s
            arr = arr.reshape(shape)
        return arr

    def adapt(self, data, batch_size=None, steps=None):
        """Learn ``mean`` and ``variance`` from ``data`` (an array, or an iterable of batches),
        over every axis but ``axis``."""
        if isinstance(data, np.ndarray) or hasattr(data, "shape"):
            batches = [np.asarray(data)]
        else:
            batches = []
            for k, batch in enumerate(data):
                if steps is not None and k >= steps:
                    break
                batches.append(np.asarray(batch[0] if isinstance(batch, tuple) else batch))
        x = np.concatenate(batches).astype(np.float64)
        if not self.built:
            self._maybe_build((None, *x.shape[1:]))
        kept = self._kept(x.ndim)
        reduce = tuple(a for a in range(x.ndim) if a not in kept)
        if self._mean is None:
            raise ValueError(f"Normalization '{self.name}': adapt() cannot replace a mean and "
                             "variance given to the constructor")
        self._mean.assign(x.mean(axis=reduce).astype(self.dtype))
        self._variance.assign(x.var(axis=reduce).astype(self.dtype))
        self._count.assign(np.asarray(np.prod([x.shape[a] for a in reduce]), dtype="int64"))

    @property
    def mean(self):
        return self.input_mean if self._mean is None else self._mean.data

    @property
    def variance(self):
        return self.input_variance if self._variance is None else self._variance.data

    def call(self, inputs, training=False):
        x = _float_input(inputs, self.dtype)
        rank = as_array(x).ndim
        mean = self._broadcast(self.mean, rank)
        std = np.maximum(np.sqrt(self._broadcast(self.variance, rank)), backend.epsilon())
        std = std.astype(self.dtype)
        if self.invert:
            return F.add(F.mul(x, std), mean)
        return F.div(F.sub(x, mean), std)

    def get_config(self):
        def plain(v):
            return None if v is None else np.asarray(v).tolist()

        return {**super().get_config(), "axis": self.axis, "invert": self.invert,
                "mean": plain(self.input_mean), "variance": plain(self.input_variance)}
