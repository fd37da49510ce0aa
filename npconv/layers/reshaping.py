"""Layers that resize or repeat without weights: ``UpSampling1D/2D/3D``, ``Cropping1D/2D/3D``
and ``RepeatVector`` (Keras 3's ``layers/reshaping``).

``UpSampling*`` repeat rows/columns/depths by integer factors (``size``); ``UpSampling2D`` can
instead interpolate bilinearly (``interpolation='bilinear'``, as ``tf.image.resize``). They are
the decoder half of convolutional autoencoders and U-Nets. ``Cropping*`` remove
``(before, after)`` elements from the ends of each spatial axis, the inverse of
``ZeroPadding*``. The arithmetic is ``npconv.functions.resampling``.
"""

from __future__ import annotations

import numbers

from .. import backend
from ..functions import array as ops_array
from ..functions import resampling
from .base import Layer, format_shape
from .convolutional import SpatialRank


class _Spatial(SpatialRank, Layer):
    """Shared by the resampling layers: ``rank`` spatial axes, channels first or last."""

    rank = 2

    def _init_format(self, data_format):
        self.data_format = (
            "channels_last" if self.rank == 1 else backend.normalize_data_format(data_format)
        )

    def _spatial_axes(self):
        start = 2 if self.data_format == "channels_first" else 1
        return tuple(range(start, start + self.rank))


def _int_tuple(value, n, what, minimum):
    message = f"{what} must be an int or a tuple of {n} ints, got {value!r}"
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        values = (int(value),) * n
    else:
        try:
            values = tuple(int(v) for v in value)
        except (TypeError, ValueError):
            raise ValueError(message) from None
        if len(values) != n:
            raise ValueError(message)
    if any(v < minimum for v in values):
        raise ValueError(f"{what} values must be at least {minimum}, got {value!r}")
    return values


class _UpSampling(_Spatial):
    interpolations = ("nearest",)

    def __init__(self, size=2, data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        name = type(self).__name__
        self.size = _int_tuple(size, self.rank, f"{name} size", 1)
        self._init_format(data_format)
        interpolation = str(interpolation).lower()
        if interpolation not in self.interpolations:
            raise ValueError(
                f"{name} interpolation must be one of {self.interpolations}, got "
                f"{interpolation!r}"
            )
        self.interpolation = interpolation

    def call(self, inputs, training=False):
        axes = self._spatial_axes()
        if self.interpolation == "bilinear":
            return resampling.upsample_bilinear(inputs, self.size, axes)
        return resampling.upsample_nearest(inputs, self.size, axes)

    def compute_output_shape(self, input_shape):
        out = list(input_shape)
        for a, s in zip(self._spatial_axes(), self.size):
            out[a] = None if out[a] is None else out[a] * s
        return tuple(out)

    def get_config(self):
        config = {**super().get_config(), "size": self.size, "data_format": self.data_format}
        if self.rank == 1:
            config.pop("data_format")
            config["size"] = self.size[0]
        return config


class UpSampling1D(_UpSampling):
    """Repeats each step ``size`` times: ``(batch, steps, channels) -> (batch, steps * size,
    channels)``."""

    rank = 1

    def __init__(self, size=2, **kwargs):
        super().__init__(size=size, **kwargs)


class UpSampling2D(_UpSampling):
    """Upsamples rows by ``size[0]`` and columns by ``size[1]``, repeating pixels
    (``interpolation='nearest'``, the default) or interpolating (``'bilinear'``: half-pixel
    centres, the same numbers as Keras's TensorFlow backend)."""

    rank = 2
    interpolations = ("nearest", "bilinear")

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(size=size, data_format=data_format, interpolation=interpolation,
                         **kwargs)

    def get_config(self):
        return {**super().get_config(), "interpolation": self.interpolation}


class UpSampling3D(_UpSampling):
    """Repeats depths, rows and columns by ``size`` (nearest neighbour)."""

    rank = 3

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(size=size, data_format=data_format, **kwargs)


class _Cropping(_Spatial):
    def __init__(self, cropping, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.cropping = _pairs(cropping, self.rank, type(self).__name__)
        self._init_format(data_format)

    def _crops(self, ndim):
        crops = [(0, 0)] * ndim
        for a, c in zip(self._spatial_axes(), self.cropping):
            crops[a] = c
        return crops

    def call(self, inputs, training=False):
        return resampling.crop(inputs, self._crops(inputs.ndim))

    def compute_output_shape(self, input_shape):
        out = list(input_shape)
        for a, (before, after) in zip(self._spatial_axes(), self.cropping):
            if out[a] is None:
                continue
            if before + after >= out[a]:
                raise ValueError(
                    f"{type(self).__name__} '{self.name}': cropping {self.cropping} leaves "
                    f"nothing of the input of shape {format_shape(input_shape)}"
                )
            out[a] -= before + after
        return tuple(out)

    def get_config(self):
        config = {**super().get_config(), "cropping": self.cropping,
                  "data_format": self.data_format}
        if self.rank == 1:
            config.pop("data_format")
            config["cropping"] = self.cropping[0]
        return config


def _pairs(cropping, rank, name):
    """Keras's cropping forms: an int (all sides), one int per axis (both ends), or one
    ``(before, after)`` pair per axis; for 1D also one ``(before, after)`` pair."""
    message = (f"{name} cropping must be an int, a tuple of {rank} ints or a tuple of {rank} "
               f"(before, after) pairs, got {cropping!r}")
    if isinstance(cropping, numbers.Integral) and not isinstance(cropping, bool):
        pairs = ((int(cropping), int(cropping)),) * rank
    else:
        try:
            items = tuple(cropping)
        except TypeError:
            raise ValueError(message) from None
        if rank == 1 and len(items) == 2 and all(isinstance(v, numbers.Integral) for v in items):
            items = (items,)
        if len(items) != rank:
            raise ValueError(message)
        pairs = []
        for item in items:
            if isinstance(item, numbers.Integral):
                pairs.append((int(item), int(item)))
            else:
                pair = tuple(int(v) for v in item)
                if len(pair) != 2:
                    raise ValueError(message)
                pairs.append(pair)
        pairs = tuple(pairs)
    if any(v < 0 for pair in pairs for v in pair):
        raise ValueError(f"{name} cropping must be non-negative, got {cropping!r}")
    return pairs


class Cropping1D(_Cropping):
    """Removes ``cropping = (before, after)`` steps: ``(batch, steps, channels)``."""

    rank = 1

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(cropping, **kwargs)


class Cropping2D(_Cropping):
    """Removes rows and columns from the image's edges: ``cropping=((top, bottom), (left,
    right))``, ``(rows, cols)`` (symmetric) or one int."""

    rank = 2

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(cropping, data_format=data_format, **kwargs)


class Cropping3D(_Cropping):
    """Removes ``(before, after)`` elements from the ends of depth, rows and columns."""

    rank = 3

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(cropping, data_format=data_format, **kwargs)


class RepeatVector(Layer):
    """Repeats each sample ``n`` times: ``(batch, features) -> (batch, n, features)``."""

    input_rank = 2
    rank_hint = "(batch, features)"

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
            raise ValueError(f"RepeatVector n must be a positive integer, got {n!r}")
        self.n = int(n)

    def call(self, inputs, training=False):
        x = ops_array.reshape(inputs, (inputs.shape[0], 1, inputs.shape[1]))
        return resampling.upsample_nearest(x, (self.n,), (1,))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        return {**super().get_config(), "n": self.n}
