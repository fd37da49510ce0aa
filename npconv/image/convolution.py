"""Classic image convolution, as the tutorials teach it, and correlation, as CNN layers do it.

The tutorials' recipe for convolving an image with a mask (also called a filter or kernel):

1. flip the mask horizontally and vertically, once;
2. put the centre of the flipped mask on an image pixel;
3. multiply the overlapping numbers pairwise and add the products;
4. write the sum at that pixel of the output; repeat for every pixel.

Correlation is the same recipe without step 1. That is what a ``Conv2D`` layer computes (in
npconv, Keras, PyTorch and TensorFlow alike). The layers can skip the flip because their masks
are learned: a network that needs the flipped mask simply learns the flipped numbers. For a
mask that is symmetric under the flip (box and Gaussian blur, sharpen, Laplacian) the two
operations agree; for the others (Sobel, Prewitt, emboss) they differ by the flip, for example
in the sign of an edge response.

Both functions follow ``scipy.signal.convolve2d`` / ``correlate2d`` exactly, number for number
(tests/image compares against SciPy's outputs), and are vectorised: the output is the sum, over
the mask's ``kh * kw`` offsets, of the shifted image slice times that mask value, so the Python
loop runs over mask entries, never over pixels. The readable per-pixel loop is in
``npconv.image._reference``; the tests check one against the other.
"""

from __future__ import annotations

import numpy as np

from ._checks import (
    check_boundary,
    check_fillvalue,
    check_image,
    check_mask,
    check_mode,
    float_dtype,
)
from .boundary import pad

__all__ = ["convolve", "correlate"]


def convolve(image, mask, mode="same", boundary="fill", fillvalue=0):
    """Convolve an image with a 2-D mask: flip the mask, slide it, multiply and add.

    ``out[i, j] = sum over m, n of mask[m, n] * image[i - m, j - n]`` (in ``'full'``
    coordinates), which is the tutorials' recipe: the mask flipped horizontally and vertically
    (``mask[::-1, ::-1]``), its centre put on each pixel, the products summed. The same numbers
    as ``scipy.signal.convolve2d(image, mask, mode, boundary, fillvalue)``.

    Args:
        image: grey ``(H, W)`` or colour ``(H, W, C)``; bool, integer or float. A colour image
            is convolved channel by channel with the same 2-D mask.
        mask: the 2-D mask ``(kh, kw)``; any size, even sizes included.
        mode: the output size.
            ``'same'``: ``(H, W)``, each output pixel under the mask's centre. For an even
            size (no middle) SciPy's choice is kept: the mask's entry ``(k - 1) // 2`` (the
            flipped mask's ``k // 2``) is the one over the output pixel.
            ``'valid'``: ``(H - kh + 1, W - kw + 1)``, only where the mask lies wholly inside
            the image, so the boundary never matters. The mask may not be larger than the
            image (SciPy would swap the two; here that is an error).
            ``'full'``: ``(H + kh - 1, W + kw - 1)``, every position where mask and image
            overlap at all.
        boundary: how pixels outside the image are invented: ``'fill'`` (the constant
            ``fillvalue``), ``'wrap'`` (periodic), ``'symm'`` (mirrored, edge repeated), plus
            ``'reflect'`` (mirrored about the edge) and ``'edge'`` (edge repeated). See
            ``npconv.image.boundary``.
        fillvalue: the constant for ``boundary='fill'``.

    Returns:
        A float array, ``(rows, cols)`` or ``(rows, cols, C)`` by ``mode``. Integer and bool
        images (uint8 photos) give float64, which holds their sums exactly; a float image
        keeps its precision (float32 stays float32; the mask is cast to it).

    Raises:
        ValueError: a mask that is not 2-D, an image of rank other than 2 or 3, an empty
            array, an unknown ``mode`` or ``boundary``, a ``'valid'`` mask larger than the image.
        TypeError: complex, string or object arrays; a non-string mode or boundary.
    """
    return _slide(image, mask, mode, boundary, fillvalue, flip=True, func="convolve")


def correlate(image, mask, mode="same", boundary="fill", fillvalue=0):
    """Correlate an image with a 2-D mask: slide it unflipped, multiply and add.

    ``out[i, j] = sum over m, n of mask[m, n] * image[i + m, j + n]`` (relative to the top-left
    of the window). This is what a CNN's convolution layer computes: its masks are learned, so
    the flip of true convolution would only reverse numbers that training finds anyway. The same
    numbers as ``scipy.signal.correlate2d(image, mask, mode, boundary, fillvalue)``.

    In ``'same'`` mode the mask's entry ``(k - 1) // 2`` along each axis (its middle, for an
    odd size) lies over the output pixel, as in ``convolve`` before the flip; SciPy does the
    same. So ``correlate(x, m) == convolve(x, m[::-1, ::-1])`` exactly in ``'full'`` and
    ``'valid'`` modes, and in ``'same'`` mode for odd-sized masks; along an axis of even size
    the correlation's window starts one pixel later.

    Arguments, shapes, dtypes and errors: as ``convolve``.
    """
    return _slide(image, mask, mode, boundary, fillvalue, flip=False, func="correlate")


def _pads(n, k, mode, flip, func, axis):
    """(before, after) padding along one axis of length ``n`` for a mask of length ``k``."""
    if mode == "valid":
        if k > n:
            raise ValueError(
                f"{func} with mode='valid' needs a mask no larger than the image: got a mask "
                f"of {k} {axis} for an image of {n} {axis} (use mode='same' or 'full')"
            )
        return 0, 0
    if mode == "full":
        return k - 1, k - 1
    start = (k - 1) // 2 if flip else k // 2  # where 'same' starts inside 'full' (SciPy's)
    return k - 1 - start, start


def _slide(image, mask, mode, boundary, fillvalue, flip, func):
    image = check_image(image, func)
    mask = check_mask(mask, func)
    mode = check_mode(mode, func)
    check_boundary(boundary, func)
    fillvalue = check_fillvalue(fillvalue, func)
    (kh, kw), (h, w) = mask.shape, image.shape[:2]
    rows = _pads(h, kh, mode, flip, func, "rows")
    cols = _pads(w, kw, mode, flip, func, "cols")
    dtype = float_dtype(image)
    weights = (mask[::-1, ::-1] if flip else mask).astype(dtype)
    padded = pad(image.astype(dtype, copy=False), rows, cols, boundary, fillvalue)
    return sum_of_shifted(padded, weights)


def sum_of_shifted(padded, weights):
    """``'valid'`` correlation as ``sum over (m, n) of weights[m, n] * padded[m:, n:]``.

    One multiply-add of a whole (shifted) image per mask entry: ``kh * kw`` vectorised passes,
    no per-pixel Python loop and no im2col copy. Channels (a third axis) ride along.
    """
    kh, kw = weights.shape
    rows, cols = padded.shape[0] - kh + 1, padded.shape[1] - kw + 1
    out = np.multiply(padded[:rows, :cols], weights[0, 0])
    term = np.empty_like(out)
    for (m, n), weight in np.ndenumerate(weights):
        if m or n:
            np.multiply(padded[m:m + rows, n:n + cols], weight, out=term)
            out += term
    return out
