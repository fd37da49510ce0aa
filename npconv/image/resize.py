"""Resizing image batches as Keras 3's ``ops.image.resize`` does (half-pixel centres, no
antialiasing), and the centred crop to an aspect ratio that ``crop_to_aspect_ratio`` takes.
Used by the ``Resizing``/``CenterCrop``/``RandomCrop`` layers and
``image_dataset_from_directory``."""

from __future__ import annotations

import numpy as np

from .affine import sample_bilinear

__all__ = ["resize", "crop_to_aspect", "pad_to_aspect"]


def resize(images, height, width, interpolation="bilinear"):
    """Resize a channels-last batch to ``(height, width)`` with half-pixel centres and no
    antialiasing (Keras 3's ``ops.image.resize`` defaults): bilinear samples the input at
    ``(i + 0.5) * in / out - 0.5``, edges clamped; 'nearest' takes pixel
    ``floor((i + 0.5) * in / out)``."""
    n, h, w, _ = images.shape
    i = (np.arange(height) + 0.5) * (h / height)
    j = (np.arange(width) + 0.5) * (w / width)
    if interpolation == "nearest":
        ri = np.minimum(np.floor(i).astype(np.intp), h - 1)
        cj = np.minimum(np.floor(j).astype(np.intp), w - 1)
        return images[:, ri][:, :, cj]
    if interpolation != "bilinear":
        raise ValueError(f"interpolation must be 'bilinear' or 'nearest', got {interpolation!r}")
    rows = np.broadcast_to((i - 0.5)[None, :, None], (n, height, width))
    cols = np.broadcast_to((j - 0.5)[None, None, :], (n, height, width))
    return sample_bilinear(images, rows, cols, "nearest", convention="pad")


def crop_to_aspect(images, height, width):
    """The largest centred crop of the target's aspect ratio (Keras 3's arithmetic)."""
    h, w = images.shape[1:3]
    crop_h = max(min(h, int(float(w * height) / width)), 1)
    crop_w = max(min(w, int(float(h * width) / height)), 1)
    top = int(float(h - crop_h) / 2)
    left = int(float(w - crop_w) / 2)
    return images[:, top:top + crop_h, left:left + crop_w]


def pad_to_aspect(images, height, width, fill_value=0.0):
    """Pad a channels-last batch, centred, with ``fill_value`` to the target's aspect ratio."""
    n, h, w, c = images.shape
    pad_h = max(h, int(np.ceil(w * height / width)))
    pad_w = max(w, int(np.ceil(h * width / height)))
    if (pad_h, pad_w) == (h, w):
        return images
    padded = np.full((n, pad_h, pad_w, c), fill_value, dtype=images.dtype)
    top, left = (pad_h - h) // 2, (pad_w - w) // 2
    padded[:, top:top + h, left:left + w] = images
    return padded
