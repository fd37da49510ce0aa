"""Edge strength: the gradient magnitude from a pair of derivative masks (Sobel, Prewitt).

An edge is where brightness changes fast. ``sobel_x`` measures the change along the columns
(``gx``), ``sobel_y`` along the rows (``gy``); their combination ``sqrt(gx**2 + gy**2)`` is the
edge strength in any direction, the picture an "edge detection" example shows. The flip of
true convolution only changes the signs of ``gx`` and ``gy``, so the magnitude is the same
whether the masks are convolved or correlated.
"""

from __future__ import annotations

import numpy as np

from .convolution import correlate
from .masks import MASKS

__all__ = ["sobel", "prewitt"]


def _magnitude(image, name, boundary):
    gx = correlate(image, MASKS[f"{name}_x"], mode="same", boundary=boundary)
    gy = correlate(image, MASKS[f"{name}_y"], mode="same", boundary=boundary)
    return np.hypot(gx, gy)


def sobel(image, boundary="symm"):
    """The Sobel edge strength ``sqrt(gx**2 + gy**2)`` of a grey or colour image.

    Args:
        image: ``(H, W)`` or ``(H, W, C)`` (each channel on its own), any real dtype.
        boundary: as in ``convolve``; ``'symm'`` by default, because zero fill would make the
            image's own frame look like an edge.

    Returns:
        A float array of the image's shape (float64 for integer images), >= 0; a flat area
        gives 0 and a step of height ``h`` across a straight edge gives ``4 * h`` on the two
        pixels beside it.
    """
    return _magnitude(image, "sobel", boundary)


def prewitt(image, boundary="symm"):
    """The Prewitt edge strength (``prewitt_x``/``prewitt_y``: no centre weighting); a step
    of height ``h`` gives ``3 * h``. Arguments and result as ``sobel``."""
    return _magnitude(image, "prewitt", boundary)
