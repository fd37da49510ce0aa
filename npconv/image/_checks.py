"""Argument checks shared by the image functions: one place for the error messages.

Every error names the function, what it expected and what came, e.g.
``convolve expects a 2-D mask (rows, cols), got shape (3, 3, 3)``.
"""

from __future__ import annotations

import numbers

import numpy as np

MODES = ("same", "valid", "full")

# SciPy's boundary names (with its aliases) and the two extra ones, as np.pad modes
BOUNDARIES = {
    "fill": "constant",
    "pad": "constant",
    "wrap": "wrap",
    "circular": "wrap",
    "symm": "symmetric",
    "symmetric": "symmetric",
    "reflect": "reflect",
    "edge": "edge",
}


def _real_array(value, what, func):
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"{func} expects a real-valued {what} (bool, integer or float), "
            f"got dtype {array.dtype}"
        )
    return array


def check_image(image, func):
    """The image as an array of shape ``(rows, cols)`` or ``(rows, cols, channels)``."""
    image = _real_array(image, "image", func)
    if image.ndim not in (2, 3):
        raise ValueError(
            f"{func} expects an image of rank 2 (rows, cols) or 3 (rows, cols, channels), "
            f"got shape {image.shape}"
        )
    if image.size == 0:
        raise ValueError(f"{func} expects a non-empty image, got shape {image.shape}")
    return image


def check_mask(mask, func):
    """The mask as a 2-D array ``(rows, cols)``; colour images reuse it for every channel."""
    mask = _real_array(mask, "mask", func)
    if mask.ndim != 2:
        hint = ""
        if mask.ndim == 3:
            hint = " (one 2-D mask is applied to every channel of a colour image)"
        raise ValueError(f"{func} expects a 2-D mask (rows, cols), got shape {mask.shape}{hint}")
    if mask.size == 0:
        raise ValueError(f"{func} expects a non-empty mask, got shape {mask.shape}")
    return mask


def _check_name(value, allowed, what, func):
    if not isinstance(value, str):
        raise TypeError(f"{func} expects {what} as a string, got {type(value).__name__}")
    if value not in allowed:
        names = ", ".join(repr(name) for name in allowed)
        raise ValueError(f"{func} expects {what} to be one of {names}, got {value!r}")
    return value


def check_mode(mode, func):
    return _check_name(mode, MODES, "mode", func)


def check_boundary(boundary, func):
    """The ``np.pad`` mode for one of SciPy's boundary names (or ``reflect``/``edge``)."""
    return BOUNDARIES[_check_name(boundary, tuple(BOUNDARIES), "boundary", func)]


def check_fillvalue(fillvalue, func):
    if isinstance(fillvalue, np.ndarray) and fillvalue.ndim == 0:
        fillvalue = fillvalue.item()
    if isinstance(fillvalue, bool) or not isinstance(fillvalue, numbers.Real):
        raise TypeError(f"{func} expects fillvalue as a real number, got {fillvalue!r}")
    return fillvalue


def check_size(size, func, odd=False):
    """A window size ``n`` or ``(rows, cols)`` as a pair of positive ints."""
    try:
        pair = (size, size) if isinstance(size, numbers.Integral) else tuple(size)
    except TypeError:
        pair = ()
    if len(pair) != 2 or not all(
        isinstance(n, numbers.Integral) and not isinstance(n, bool) and n > 0 for n in pair
    ):
        raise ValueError(f"{func} expects size as a positive int or (rows, cols), got {size!r}")
    if odd and not all(n % 2 for n in pair):
        raise ValueError(
            f"{func} expects an odd size (a window with a middle pixel), got {size!r}"
        )
    return int(pair[0]), int(pair[1])


def float_dtype(image):
    """The dtype results are computed in: a float image keeps its precision (float16 is
    widened to float32); bool and integer images (uint8 photos) give float64, which holds
    every sum of 8-bit pixels times small masks exactly."""
    if image.dtype.kind == "f":
        return np.promote_types(image.dtype, np.float32)
    return np.dtype(np.float64)
