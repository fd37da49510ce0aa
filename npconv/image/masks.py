"""The named masks of the tutorials and image-processing texts: blur, sharpen, edges, emboss.

The tutorials list what convolution does to an image: blurring, sharpening, edge detection and
noise reduction. Each is a small mask with textbook values (those of Wikipedia's "Kernel (image
processing)", GIMP's "Convolution Matrix" and OpenCV's documentation):

==================  ==========================================  =====  ==================
name                3x3 values                                  sum    what it does
==================  ==========================================  =====  ==================
``identity``        ``[[0, 0, 0], [0, 1, 0], [0, 0, 0]]``          1  nothing (a check)
``box_blur``        ``ones((3, 3)) / 9``                            1  blur, noise reduction
``gaussian_blur``   ``[[1, 2, 1], [2, 4, 2], [1, 2, 1]] / 16``      1  blur, noise reduction
``sharpen``         ``[[0, -1, 0], [-1, 5, -1], [0, -1, 0]]``       1  sharpen
``emboss``          ``[[-2, -1, 0], [-1, 1, 1], [0, 1, 2]]``        1  relief (embossed look)
``sobel_x``         ``[[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]``        0  edges: change along x
``sobel_y``         ``[[-1, -2, -1], [0, 0, 0], [1, 2, 1]]``        0  edges: change along y
``prewitt_x``       ``[[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]]``        0  edges: change along x
``prewitt_y``       ``[[-1, -1, -1], [0, 0, 0], [1, 1, 1]]``        0  edges: change along y
``laplacian``       ``[[0, 1, 0], [1, -4, 1], [0, 1, 0]]``          0  edges in every direction
``laplacian_8``     ``[[1, 1, 1], [1, -8, 1], [1, 1, 1]]``          0  the same, diagonals too
==================  ==========================================  =====  ==================

A mask that sums to 1 keeps the image's brightness (a flat area stays the same); one that sums
to 0 answers 0 on a flat area and responds only to change, which is what an edge is.

The derivative masks are written as OpenCV and most texts print them, for correlation (how a
CNN layer applies a mask): ``correlate(image, mask('sobel_x'))`` is positive where the image
gets brighter to the right (x: along the columns) and ``sobel_y`` where it gets brighter
downwards (y: along the rows). ``convolve`` flips the mask, so it gives the same edges with the
opposite sign (Wikipedia prints the Sobel operator pre-flipped, ``[[1, 0, -1], ...]``, for use
with convolution). Edge strength, ``npconv.image.sobel(image)``, is the same either way.
"""

from __future__ import annotations

from math import comb
from numbers import Real
from types import MappingProxyType

import numpy as np

from ._checks import check_size

__all__ = ["MASKS", "mask"]

_FIXED = {
    "identity": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    "emboss": [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]],
    "sobel_x": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
    "sobel_y": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
    "prewitt_x": [[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]],
    "prewitt_y": [[-1, -1, -1], [0, 0, 0], [1, 1, 1]],
    "laplacian": [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
    "laplacian_8": [[1, 1, 1], [1, -8, 1], [1, 1, 1]],
}
_ALIASES = {"box": "box_blur", "blur": "box_blur", "gaussian": "gaussian_blur"}


def box_blur(size=3):
    """The normalised box (mean) filter: every pixel becomes the mean of its window."""
    rows, cols = check_size(size, "mask('box_blur')")
    return np.full((rows, cols), 1.0 / (rows * cols))


def _gaussian_1d(n, sigma):
    if sigma is None:  # binomial coefficients: the integer approximation texts print
        return np.array([comb(n - 1, k) for k in range(n)], dtype=np.float64) / 2.0 ** (n - 1)
    x = np.arange(n, dtype=np.float64) - (n - 1) / 2
    g = np.exp(-(x**2) / (2.0 * sigma**2))
    return g / g.sum()


def gaussian_blur(size=3, sigma=None):
    """A Gaussian blur mask of ``size`` (``n`` or ``(rows, cols)``), summing to 1.

    ``sigma=None`` gives the binomial approximation the texts print (rows of Pascal's
    triangle): ``[[1, 2, 1], [2, 4, 2], [1, 2, 1]] / 16`` for size 3, the ``/ 256`` mask for
    size 5; its standard deviation is ``sqrt(size - 1) / 2`` pixels. With ``sigma`` (pixels)
    it is the Gaussian ``exp(-(x**2 + y**2) / (2 * sigma**2))`` sampled at the pixel centres
    and normalised to sum 1. Either way it is separable: the outer product of two 1-D masks.
    """
    rows, cols = check_size(size, "mask('gaussian_blur')")
    if sigma is not None and not (isinstance(sigma, Real) and sigma > 0):
        raise ValueError(f"mask('gaussian_blur') expects sigma > 0 (pixels), got {sigma!r}")
    return np.outer(_gaussian_1d(rows, sigma), _gaussian_1d(cols, sigma))


def _read_only(array):
    array.setflags(write=False)
    return array


MASKS = MappingProxyType({
    "identity": _read_only(np.array(_FIXED["identity"], dtype=np.float64)),
    "box_blur": _read_only(box_blur(3)),
    "gaussian_blur": _read_only(gaussian_blur(3)),
    **{name: _read_only(np.array(_FIXED[name], dtype=np.float64))
       for name in _FIXED if name != "identity"},
})
"""Every named mask at its default 3x3 size (read-only float64 arrays), by name."""


def mask(name, size=3, sigma=None):
    """A named mask as a new float64 array ``(rows, cols)``, ready for ``convolve``.

    Args:
        name: one of ``MASKS`` (see the module docstring for values and meaning); ``'box'``
            and ``'blur'`` mean ``'box_blur'``, ``'gaussian'`` means ``'gaussian_blur'``.
        size: ``n`` or ``(rows, cols)`` for the blurs; the other masks exist only at 3x3.
        sigma: the Gaussian's standard deviation in pixels (``gaussian_blur`` only);
            ``None`` gives the binomial approximation.

    >>> mask("gaussian_blur") * 16
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]])
    """
    if not isinstance(name, str):
        raise TypeError(f"mask expects a name as a string, got {type(name).__name__}")
    key = _ALIASES.get(name, name)
    if key not in MASKS:
        raise ValueError(f"mask expects one of {', '.join(MASKS)}, got {name!r}")
    if sigma is not None and key != "gaussian_blur":
        raise ValueError(f"mask {name!r} takes no sigma (only 'gaussian_blur' does)")
    if key == "box_blur":
        return box_blur(size)
    if key == "gaussian_blur":
        return gaussian_blur(size, sigma)
    if check_size(size, f"mask({name!r})") != (3, 3):
        raise ValueError(f"mask {name!r} exists only at size 3 (3x3), got size={size!r}")
    return np.array(MASKS[key])
