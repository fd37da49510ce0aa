"""The median filter, the standard remedy for salt-and-pepper noise.

Noise reduction by blurring (a box or Gaussian mask) averages a white or black speck into its
neighbours: the speck becomes a grey smudge and the edges soften too. The median of each
pixel's window ignores a few outliers entirely and keeps edges sharp. It is not a convolution
(no mask of weights), but it slides a window the same way.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ._checks import check_boundary, check_fillvalue, check_image, check_size
from .boundary import pad

__all__ = ["median_filter"]

_CHUNK_ELEMENTS = 1 << 22  # window copies are made a band of rows at a time (~32 MB of float64)


def median_filter(image, size=3, boundary="symm", fillvalue=0):
    """Replace every pixel by the median of the ``size`` window centred on it.

    Args:
        image: ``(H, W)`` grey or ``(H, W, C)`` colour (each channel on its own).
        size: odd ``n`` or ``(rows, cols)``; odd, so the window has a middle pixel.
        boundary: as in ``convolve``; ``'symm'`` (mirror) by default, so the corners are not
            filled with black.
        fillvalue: the constant for ``boundary='fill'``; for an integer image, one of its
            dtype's values.

    Returns:
        An array of the image's shape and dtype: the median of an odd number of pixels is one
        of them, so a uint8 image stays uint8.

    Vectorised: a strided (no-copy) view of all windows, ``np.partition`` of each window's
    values to find its middle one, done for bands of rows to bound the memory.
    """
    image = check_image(image, "median_filter")
    kh, kw = check_size(size, "median_filter", odd=True)
    check_boundary(boundary, "median_filter")
    fillvalue = check_fillvalue(fillvalue, "median_filter")
    fits = image.dtype.kind == "f" or np.array(fillvalue).astype(image.dtype) == fillvalue
    if boundary in ("fill", "pad") and not fits:
        raise ValueError(
            f"median_filter: fillvalue {fillvalue!r} does not fit the image's dtype {image.dtype}"
        )
    padded = pad(image, (kh // 2, kh // 2), (kw // 2, kw // 2), boundary, fillvalue)
    windows = sliding_window_view(padded, (kh, kw), axis=(0, 1))  # (H, W, [C,] kh, kw)
    middle = kh * kw // 2
    out = np.empty_like(image)
    band = max(1, _CHUNK_ELEMENTS // (windows[0].size or 1))
    for start in range(0, image.shape[0], band):
        stop = start + band
        values = windows[start:stop].reshape(windows[start:stop].shape[:-2] + (kh * kw,))
        out[start:stop] = np.partition(values, middle, axis=-1)[..., middle]
    return out
