"""Keras 3's image preprocessing layers: resizing and cropping, random flips, rotations, zooms,
translations, contrast and brightness.

``Resizing``, ``CenterCrop`` (and ``Rescaling``, ``Normalization``) act always; the random
layers act only when called with ``training=True`` (``fit`` does) and pass the input through
unchanged otherwise, so ``model.predict`` sees the images as they are. Arguments, defaults and
formulas are Keras 3.15's; the tests compare outputs with Keras for fixed transforms.
"""

from __future__ import annotations

import numpy as np

from ...image.resize import crop_to_aspect, pad_to_aspect, resize
from .base import ImagePreprocessingLayer, factor_range, keras3_affine

FILL_MODES = ("reflect", "wrap", "constant", "nearest")
INTERPOLATIONS = ("bilinear", "nearest")


def _plain(value):
    """A factor as JSON gives it back (tuples become lists), so get_config round-trips."""
    return list(value) if isinstance(value, tuple) else value


def _check_choice(who, name, value, allowed):
    if value not in allowed:
        raise ValueError(f"{who}: {name} must be one of {allowed}, got {value!r}")


class Resizing(ImagePreprocessingLayer):
    """Resize images to ``(height, width)`` (Keras 3's ``Resizing``): bilinear with half-pixel
    centres by default; ``crop_to_aspect_ratio`` first takes the largest centred crop of the
    target's aspect ratio, so the image is not distorted; ``pad_to_aspect_ratio`` instead pads
    it with ``fill_value`` (``fill_mode='constant'``)."""

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False,
                 pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0,
                 data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height, self.width = int(height), int(width)
        _check_choice("Resizing", "interpolation", interpolation, INTERPOLATIONS)
        if crop_to_aspect_ratio and pad_to_aspect_ratio:
            raise ValueError("Resizing: only one of crop_to_aspect_ratio and "
                             "pad_to_aspect_ratio can be True")
        if fill_mode != "constant":
            raise ValueError(f"Resizing: fill_mode must be 'constant', got {fill_mode!r}")
        self.interpolation = interpolation
        self.crop_to_aspect_ratio = crop_to_aspect_ratio
        self.pad_to_aspect_ratio = pad_to_aspect_ratio
        self.fill_mode = fill_mode
        self.fill_value = fill_value

    def transform(self, images, training):
        if self.crop_to_aspect_ratio:
            images = crop_to_aspect(images, self.height, self.width)
        elif self.pad_to_aspect_ratio:
            images = pad_to_aspect(images, self.height, self.width, self.fill_value)
        return resize(images, self.height, self.width, self.interpolation)

    def compute_output_shape(self, input_shape):
        return _with_size(input_shape, self.height, self.width, self.data_format)

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width,
                "interpolation": self.interpolation,
                "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
                "pad_to_aspect_ratio": self.pad_to_aspect_ratio, "fill_mode": self.fill_mode,
                "fill_value": self.fill_value}


def _with_size(shape, height, width, data_format):
    shape = list(shape)
    rows = len(shape) - 3 if data_format == "channels_last" else len(shape) - 2
    shape[rows], shape[rows + 1] = height, width
    return tuple(shape)


class CenterCrop(ImagePreprocessingLayer):
    """Crop the central ``(height, width)`` of each image (Keras 3's ``CenterCrop``); an image
    smaller than that is instead cropped to the target's aspect ratio and resized (bilinear)."""

    def __init__(self, height, width, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height, self.width = int(height), int(width)

    def transform(self, images, training):
        h, w = images.shape[1:3]
        if h >= self.height and w >= self.width:
            top, left = (h - self.height) // 2, (w - self.width) // 2
            return images[:, top:top + self.height, left:left + self.width]
        return resize(crop_to_aspect(images, self.height, self.width), self.height, self.width)

    def compute_output_shape(self, input_shape):
        return _with_size(input_shape, self.height, self.width, self.data_format)

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width}


class RandomCrop(ImagePreprocessingLayer):
    """In training, crop a random ``(height, width)`` window (one window for the whole batch,
    as Keras 3 draws it); an image not larger than that in both sides is cropped to the
    target's aspect ratio and resized. At inference the input passes unchanged (Keras 3.15)."""

    def __init__(self, height, width, seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.height, self.width = int(height), int(width)

    def transform(self, images, training):
        if not training:
            return None
        h, w = images.shape[1:3]
        if h > self.height and w > self.width:
            rng = self.rng()
            top = int(rng.uniform(0, h - self.height + 1))
            left = int(rng.uniform(0, w - self.width + 1))
            return images[:, top:top + self.height, left:left + self.width]
        return resize(crop_to_aspect(images, self.height, self.width), self.height, self.width)

    def compute_output_shape(self, input_shape):
        return _with_size(input_shape, self.height, self.width, self.data_format)

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width,
                "seed": self.seed}


class RandomFlip(ImagePreprocessingLayer):
    """In training, flip each image with probability 1/2 (Keras 3's ``RandomFlip``).

    ``mode``: 'horizontal', 'vertical' or 'horizontal_and_vertical'. As in Keras 3.15, the last
    draws one coin per image and flips both axes together when it falls (a half turn)."""

    def __init__(self, mode="horizontal_and_vertical", seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        _check_choice("RandomFlip", "mode", mode,
                      ("horizontal", "vertical", "horizontal_and_vertical"))
        self.mode = mode

    def transform(self, images, training):
        if not training:
            return None
        flips = self.rng().uniform(size=len(images)) <= 0.5
        out = images.copy()
        if self.mode in ("horizontal", "horizontal_and_vertical"):
            out[flips] = out[flips, :, ::-1]
        if self.mode in ("vertical", "horizontal_and_vertical"):
            out[flips] = out[flips, ::-1]
        return out

    def get_config(self):
        return {**super().get_config(), "mode": self.mode, "seed": self.seed}


class _RandomAffine(ImagePreprocessingLayer):
    def __init__(self, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0,
                 data_format=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        who = type(self).__name__
        _check_choice(who, "fill_mode", fill_mode, FILL_MODES)
        _check_choice(who, "interpolation", interpolation, INTERPOLATIONS)
        self.fill_mode = fill_mode
        self.interpolation = interpolation
        self.fill_value = fill_value

    def _affine(self, images, a0, a1, a2, b0, b1, b2):
        out = keras3_affine(images, a0, a1, a2, b0, b1, b2, self.fill_mode, self.fill_value,
                            self.interpolation)
        return out.astype(images.dtype, copy=False)

    def get_config(self):
        return {**super().get_config(), "fill_mode": self.fill_mode,
                "interpolation": self.interpolation, "seed": self.seed,
                "fill_value": self.fill_value}


class RandomRotation(_RandomAffine):
    """In training, rotate each image about its centre by a random angle of
    ``factor * 360`` degrees: ``factor=0.1`` turns by up to 36 degrees either way,
    ``factor=(-0.1, 0.2)`` by -36 to 72 (Keras 3's ``RandomRotation``; positive is
    counter-clockwise). Pixels from outside are filled by ``fill_mode`` ('reflect',
    'wrap', 'constant' with ``fill_value``, 'nearest')."""

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.factor = factor_range(factor, "factor", "RandomRotation")
        self._factor_arg = factor

    def transform(self, images, training):
        if not training:
            return None
        n, h, w, _ = images.shape
        angle = np.deg2rad(self.rng().uniform(self.factor[0] * 360.0, self.factor[1] * 360.0, n))
        cx, cy = 0.5 * (w - 1), 0.5 * (h - 1)
        cos, sin = np.cos(angle), np.sin(angle)
        a0, a1, b0, b1 = cos, -sin, sin, cos
        return self._affine(images, a0, a1, cx - cx * a0 - cy * a1, b0, b1,
                            cy - cx * b0 - cy * b1)

    def get_config(self):
        return {**super().get_config(), "factor": _plain(self._factor_arg)}


class RandomZoom(_RandomAffine):
    """In training, zoom each image about its centre (Keras 3's ``RandomZoom``):
    ``height_factor=0.2`` draws a vertical zoom in ``[1 - 0.2, 1 + 0.2]`` of the sampled span,
    so a positive value zooms *out* and a negative one in; ``width_factor`` likewise, or None to
    keep the aspect ratio (the vertical draw is used for both)."""

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, data_format=None,
                 **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.height_factor = height_factor
        self.width_factor = width_factor
        self.height_lower, self.height_upper = factor_range(height_factor, "height_factor",
                                                            "RandomZoom")
        if width_factor is not None:
            self.width_lower, self.width_upper = factor_range(width_factor, "width_factor",
                                                              "RandomZoom")

    def transform(self, images, training):
        if not training:
            return None
        n, h, w, _ = images.shape
        rng = self.rng()
        zy = rng.uniform(1.0 + self.height_lower, 1.0 + self.height_upper, n)
        zx = (rng.uniform(1.0 + self.width_lower, 1.0 + self.width_upper, n)
              if self.width_factor is not None else zy)
        zero = np.zeros(n)
        return self._affine(images, zx, zero, (w - 1.0) / 2.0 * (1.0 - zx), zero, zy,
                            (h - 1.0) / 2.0 * (1.0 - zy))

    def get_config(self):
        return {**super().get_config(), "height_factor": _plain(self.height_factor),
                "width_factor": _plain(self.width_factor)}


class RandomTranslation(_RandomAffine):
    """In training, shift each image by a random fraction of its size (Keras 3's
    ``RandomTranslation``): ``height_factor=0.2`` moves it up or down by up to 20% of its
    height, ``(-0.2, 0.3)`` by 20% up to 30% down; ``width_factor`` likewise sideways."""

    def __init__(self, height_factor, width_factor, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, data_format=None,
                 **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.height_factor = height_factor
        self.width_factor = width_factor
        self.height_lower, self.height_upper = factor_range(height_factor, "height_factor",
                                                            "RandomTranslation")
        self.width_lower, self.width_upper = factor_range(width_factor, "width_factor",
                                                          "RandomTranslation")

    def transform(self, images, training):
        if not training:
            return None
        n, h, w, _ = images.shape
        rng = self.rng()
        dy = rng.uniform(self.height_lower, self.height_upper, n) * h
        dx = rng.uniform(self.width_lower, self.width_upper, n) * w
        one, zero = np.ones(n), np.zeros(n)
        return self._affine(images, one, zero, -dx, zero, one, -dy)

    def get_config(self):
        return {**super().get_config(), "height_factor": _plain(self.height_factor),
                "width_factor": _plain(self.width_factor)}


class RandomContrast(ImagePreprocessingLayer):
    """In training, scale each image's deviation from its per-channel mean by a random factor,
    ``(x - mean) * f + mean``, clipped to ``value_range`` (Keras 3's ``RandomContrast``).

    ``factor`` is read as Keras 3.15 reads it: a number ``a`` gives ``f`` in ``[1, 1 + a]``
    (its lower bound is clipped to 0 before ``1 - lower``), two numbers ``(a, b)`` give
    ``[1 - a, 1 + b]``."""

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.factor = factor_range(factor, "factor", "RandomContrast", bounds=(0.0, 1.0))
        self._factor_arg = factor
        self.value_range = tuple(value_range)

    def transform(self, images, training):
        if not training:
            return None
        f = self.rng().uniform(1.0 - self.factor[0], 1.0 + self.factor[1], len(images))
        f = f.astype(images.dtype)[:, None, None, None]
        mean = images.mean(axis=(1, 2), keepdims=True)
        out = (images - mean) * f + mean
        return np.clip(out, self.value_range[0], self.value_range[1])

    def get_config(self):
        return {**super().get_config(), "factor": _plain(self._factor_arg),
                "value_range": list(self.value_range), "seed": self.seed}


class RandomBrightness(ImagePreprocessingLayer):
    """In training, add a random ``delta * (value_range[1] - value_range[0])`` to each image,
    ``delta`` drawn from ``factor`` (a number ``a``: ``[-a, a]``; two numbers: that range;
    within [-1, 1]), and clip to ``value_range`` (Keras 3's ``RandomBrightness``)."""

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.factor = factor_range(factor, "factor", "RandomBrightness")
        self._factor_arg = factor
        if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
            raise ValueError(f"RandomBrightness: value_range must be two numbers, got "
                             f"{value_range!r}")
        self.value_range = tuple(sorted(value_range))

    def transform(self, images, training):
        if not training:
            return None
        delta = self.rng().uniform(self.factor[0], self.factor[1], len(images))
        delta = (delta * (self.value_range[1] - self.value_range[0])).astype(images.dtype)
        out = images + delta[:, None, None, None]
        return np.clip(out, self.value_range[0], self.value_range[1])

    def get_config(self):
        return {**super().get_config(), "factor": _plain(self._factor_arg),
                "value_range": list(self.value_range), "seed": self.seed}
