"""What lies outside the image: the border a mask sees when its centre is on an edge pixel.

Near the edge, part of the mask hangs over the image. A boundary rule invents those pixels;
the names are SciPy's (``scipy.signal.convolve2d``) plus NumPy's ``reflect`` and ``edge``.
For a row ``a b c d`` padded by two on each side:

    fill      0 0 | a b c d | 0 0    a constant, ``fillvalue`` (0 by default)
    wrap      c d | a b c d | a b    the image repeats (periodic)
    symm      b a | a b c d | d c    mirrored, the edge pixel repeated
    reflect   c b | a b c d | c b    mirrored about the edge pixel
    edge      a a | a b c d | d d    the edge pixel repeated

SciPy's aliases ``pad`` (``fill``), ``circular`` (``wrap``) and ``symmetric`` (``symm``) are
accepted too. Borders wider than the image repeat the rule (``wrap`` and the mirrors are
periodic), as SciPy does.
"""

from __future__ import annotations

import numpy as np

from ._checks import check_boundary, check_fillvalue, check_image

__all__ = ["pad"]


def pad(image, rows, cols, boundary="fill", fillvalue=0):
    """Extend an image by ``rows = (top, bottom)`` and ``cols = (left, right)`` pixels.

    Args:
        image: ``(H, W)`` grey or ``(H, W, C)`` colour; channels are never padded.
        rows, cols: pixels to add before and after, along the rows and the columns.
        boundary: ``'fill'``, ``'wrap'``, ``'symm'``, ``'reflect'`` or ``'edge'`` (see the
            module docstring).
        fillvalue: the constant for ``'fill'``; ignored otherwise.

    Returns:
        An array of shape ``(top + H + bottom, left + W + right[, C])`` and the image's dtype.
    """
    image = check_image(image, "pad")
    np_mode = check_boundary(boundary, "pad")
    widths = [tuple(int(n) for n in rows), tuple(int(n) for n in cols)]
    widths += [(0, 0)] * (image.ndim - 2)
    if min(n for pair in widths for n in pair) < 0:
        raise ValueError(f"pad expects non-negative widths, got rows={rows}, cols={cols}")
    if np_mode == "constant":
        return np.pad(image, widths, mode="constant",
                      constant_values=check_fillvalue(fillvalue, "pad"))
    return np.pad(image, widths, mode=np_mode)
