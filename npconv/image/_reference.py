"""The plain, per-pixel definition of convolution and correlation, for the tests.

Slow on purpose and written straight from the definitions, sharing nothing with the fast path
(no ``np.pad``, no slicing tricks): every output pixel is a double loop over the mask, and every
pixel outside the image comes from an index rule. ``tests/image`` checks
``npconv.image.convolve``/``correlate`` against these, and these against SciPy's numbers.
"""

from __future__ import annotations

import numpy as np


def outside(i, n, boundary):
    """The image index that stands in for index ``i`` on an axis of length ``n``, or ``None``
    for ``fill`` (the constant). Each mirror rule is periodic, so wide borders repeat."""
    if 0 <= i < n:
        return i
    if boundary in ("fill", "pad"):
        return None
    if boundary in ("wrap", "circular"):
        return i % n
    if boundary in ("symm", "symmetric"):  # ... b a | a b c | c b ...: period 2n
        j = i % (2 * n)
        return j if j < n else 2 * n - 1 - j
    if boundary == "reflect":  # ... c b | a b c | b a ...: period 2n - 2
        if n == 1:
            return 0
        j = i % (2 * n - 2)
        return j if j < n else 2 * n - 2 - j
    if boundary == "edge":
        return min(max(i, 0), n - 1)
    raise ValueError(f"unknown boundary {boundary!r}")


def pixel(image, i, j, boundary, fillvalue):
    """``image[i, j]`` (all channels), inventing pixels outside by ``boundary``."""
    r, c = outside(i, image.shape[0], boundary), outside(j, image.shape[1], boundary)
    if r is None or c is None:
        return np.full(image.shape[2:], fillvalue, dtype=np.float64)
    return image[r, c].astype(np.float64)


def convolve_reference(image, mask, mode="same", boundary="fill", fillvalue=0, flip=True):
    """SciPy's ``convolve2d`` (``flip=True``) or ``correlate2d`` (``flip=False``) by loops.

    'full' output (r, c), for r in 0 .. H + kh - 2:
      convolution: sum of mask[m, n] * image[r - m, c - n]
      correlation: sum of mask[m, n] * image[r - (kh - 1) + m, c - (kw - 1) + n]
    'same' is the (H, W) block of 'full' from (kh - 1) // 2 (convolution) or kh // 2
    (correlation); 'valid' the block from kh - 1 of size H - kh + 1 (likewise for columns).
    Float64 throughout; channels (a third image axis) share the mask.
    """
    image, mask = np.asarray(image), np.asarray(mask, dtype=np.float64)
    (h, w), (kh, kw) = image.shape[:2], mask.shape
    if mode == "full":
        top, left, rows, cols = 0, 0, h + kh - 1, w + kw - 1
    elif mode == "same":
        top, left = ((kh - 1) // 2, (kw - 1) // 2) if flip else (kh // 2, kw // 2)
        rows, cols = h, w
    elif mode == "valid":
        top, left, rows, cols = kh - 1, kw - 1, h - kh + 1, w - kw + 1
    else:
        raise ValueError(f"unknown mode {mode!r}")
    out = np.zeros((rows, cols) + image.shape[2:], dtype=np.float64)
    for i in range(rows):
        for j in range(cols):
            r, c = top + i, left + j
            total = np.zeros(image.shape[2:], dtype=np.float64)
            for m in range(kh):
                for n in range(kw):
                    if flip:
                        value = pixel(image, r - m, c - n, boundary, fillvalue)
                    else:
                        value = pixel(image, r - (kh - 1) + m, c - (kw - 1) + n, boundary,
                                      fillvalue)
                    total = total + mask[m, n] * value
            out[i, j] = total
    return out


def median_reference(image, size, boundary="symm", fillvalue=0):
    """The median of each pixel's ``size`` window (odd sizes, centred), by loops."""
    image = np.asarray(image)
    (h, w), (kh, kw) = image.shape[:2], size
    out = np.empty_like(image)
    for i in range(h):
        for j in range(w):
            window = [pixel(image, i + m - kh // 2, j + n - kw // 2, boundary, fillvalue)
                      for m in range(kh) for n in range(kw)]
            out[i, j] = np.median(np.stack(window), axis=0)
    return out
