"""Keras 3's image ops (``keras.ops.image``): ``resize``, ``rgb_to_grayscale``,
``extract_patches``.

``resize`` matches ``tf.image.resize`` (what Keras 3 calls), half-pixel centres, for
``'nearest'`` and ``'bilinear'`` (with or without ``antialias``); both are differentiable (a
resize is linear: see ``npconv.functions.resize``). Images are a batch ``(batch, height, width,
channels)`` or one image ``(height, width, channels)`` (channels first with
``data_format='channels_first'``); integer images are resized in ``floatx()`` and come back
rounded and saturated to their own dtype, as Keras does.
"""

from __future__ import annotations

import numpy as np

from .. import backend
from ..autograd import Tensor
from ..functions import array as _array
from ..functions import resize as _resize
from .core import cast, tensor

__all__ = ["resize", "rgb_to_grayscale", "extract_patches"]


def resize(images, size, interpolation="bilinear", antialias=False, crop_to_aspect_ratio=False,
           pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0, data_format=None):
    """Resize ``images`` to ``size = (height, width)``.

    ``crop_to_aspect_ratio=True`` first crops the largest centred window with the target's
    aspect ratio; ``pad_to_aspect_ratio=True`` instead pads the short side with ``fill_value``
    (centred), so nothing is distorted.
    """
    data_format = backend.normalize_data_format(data_format)
    first = data_format == "channels_first"
    if interpolation not in _resize.INTERPOLATIONS:
        raise ValueError(
            f"resize: interpolation must be one of {_resize.INTERPOLATIONS} in npconv, "
            f"got {interpolation!r}"
        )
    if len(size) != 2:
        raise ValueError(f"resize: size must be (height, width), got {size!r}")
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError("resize: crop_to_aspect_ratio and pad_to_aspect_ratio are exclusive")
    if fill_mode != "constant":
        raise ValueError(f"resize: fill_mode must be 'constant', got {fill_mode!r}")
    x = tensor(images, "image.resize")
    if x.ndim not in (3, 4):
        layout = "(channels, height, width)" if first else "(height, width, channels)"
        raise ValueError(
            f"resize expects images of rank 3 {layout} or rank 4 with a batch axis first, "
            f"got shape {x.shape}"
        )
    in_dtype = x.dtype
    if not np.issubdtype(in_dtype, np.floating):
        x = cast(x, backend.floatx())
    single = x.ndim == 3
    if single:
        x = _array.reshape(x, (1, *x.shape))
    h_axis = 2 if first else 1
    height, width = x.shape[h_axis], x.shape[h_axis + 1]
    target_h, target_w = int(size[0]), int(size[1])
    if crop_to_aspect_ratio:
        crop_h = max(min(height, int(width * target_h / target_w)), 1)
        crop_w = max(min(width, int(height * target_w / target_h)), 1)
        top, left = int((height - crop_h) / 2), int((width - crop_w) / 2)
        index = [slice(None)] * 4
        index[h_axis] = slice(top, top + crop_h)
        index[h_axis + 1] = slice(left, left + crop_w)
        x = _array.getitem(x, tuple(index))
    elif pad_to_aspect_ratio:
        # Keras pads int((padded - size) / 2) on both sides (one short of the ratio when odd)
        pad_h = int((max(height, int(width * target_h / target_w)) - height) / 2)
        pad_w = int((max(width, int(height * target_w / target_h)) - width) / 2)
        widths = [(0, 0)] * 4
        widths[h_axis] = (pad_h, pad_h)
        widths[h_axis + 1] = (pad_w, pad_w)
        x = _array.pad(x, widths, float(fill_value))
    y = _resize.resize(x, (target_h, target_w), interpolation, antialias, channels_first=first)
    if single:
        y = _array.reshape(y, y.shape[1:])
    if np.issubdtype(in_dtype, np.integer):
        info = np.iinfo(in_dtype)
        return Tensor(np.clip(np.round(y.data), info.min, info.max).astype(in_dtype))
    return y


def rgb_to_grayscale(images, data_format=None):
    """Luma ``0.2989 R + 0.5870 G + 0.1140 B`` (TensorFlow's weights), keeping a channel axis
    of size 1; differentiable."""
    from .numpy import expand_dims, tensordot

    first = backend.normalize_data_format(data_format) == "channels_first"
    x = tensor(images, "image.rgb_to_grayscale")
    if x.ndim not in (3, 4):
        raise ValueError(
            f"rgb_to_grayscale expects images of rank 3 or 4, got shape {x.shape}"
        )
    axis = x.ndim - 3 if first else x.ndim - 1
    if x.shape[axis] != 3:
        raise ValueError(
            f"rgb_to_grayscale expects 3 channels on axis {axis}, got shape {x.shape}"
        )
    if not np.issubdtype(x.dtype, np.floating):
        x = cast(x, backend.floatx())
    weights = np.asarray([0.2989, 0.5870, 0.1140], dtype=x.dtype)
    return expand_dims(tensordot(x, weights, axes=([axis], [0])), axis)


def extract_patches(images, size, strides=None, dilation_rate=1, padding="valid",
                    data_format=None):
    """Non-overlapping (or ``strides``-spaced) ``size`` patches of 2-d images, each flattened
    to ``patch_h * patch_w * channels`` values in (row, column, channel) order: shape
    ``(batch, out_rows, out_cols, patch_h * patch_w * channels)`` (channels first: that size
    on axis 1). Computed as Keras does, a convolution with an identity kernel, so it is
    differentiable."""
    from .nn import conv

    if isinstance(size, int):
        patch_h = patch_w = size
    elif len(size) == 2:
        patch_h, patch_w = int(size[0]), int(size[1])
    else:
        raise ValueError(f"extract_patches: size must be an int or (rows, cols), got {size!r}")
    data_format = backend.normalize_data_format(data_format)
    x = tensor(images, "image.extract_patches")
    if x.ndim not in (3, 4):
        raise ValueError(f"extract_patches expects images of rank 3 or 4, got shape {x.shape}")
    if not np.issubdtype(x.dtype, np.floating):
        x = cast(x, backend.floatx())
    single = x.ndim == 3
    if single:
        x = _array.reshape(x, (1, *x.shape))
    channels = x.shape[1] if data_format == "channels_first" else x.shape[-1]
    n = patch_h * patch_w * channels
    kernel = np.eye(n, dtype=x.dtype).reshape(patch_h, patch_w, channels, n)
    y = conv(x, kernel, strides=strides or (patch_h, patch_w), padding=padding,
             data_format=data_format, dilation_rate=dilation_rate)
    return _array.reshape(y, y.shape[1:]) if single else y
