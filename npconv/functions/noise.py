"""Regularizing noise that is active only in training: Gaussian noise, Gaussian dropout
(Srivastava et al. 2014, section 10) and alpha dropout (Klambauer et al. 2017).

Each draws its noise from a generator (``npconv.backend.rng()`` unless the caller passes one),
then applies it with the differentiable ``add`` / ``mul`` of ``functions.array``, so the
gradient reaches ``x`` through the same (fixed) noise:

- ``gaussian_noise(x, stddev)``: ``x + N(0, stddev**2)``.
- ``gaussian_dropout(x, rate)``: ``x * N(1, rate / (1 - rate))`` — multiplicative noise with
  the mean and variance of inverted dropout's mask.
- ``alpha_dropout(x, rate)``: for SELU networks. Dropped values are set to SELU's negative
  saturation ``alpha' = -scale * alpha`` instead of 0, then an affine map ``a * x + b`` restores
  zero mean and unit variance:

      a = ((1 - rate) * (1 + rate * alpha'**2)) ** -0.5,   b = -a * alpha' * rate

  so ``y = x * (a * keep) + (a * alpha' * (1 - keep) + b)`` (Keras 3's formula).
"""

from __future__ import annotations

import math

from ..autograd import as_tensor
from ..backend import rng as backend_rng
from ..backend import xp
from . import array

__all__ = ["gaussian_noise", "gaussian_dropout", "alpha_dropout"]

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _generator(generator):
    return backend_rng() if generator is None else generator


def _float_dtype(x):
    return x.dtype if xp.issubdtype(x.dtype, xp.floating) else xp.dtype("float32")


def _check_rate(name, rate):
    if isinstance(rate, bool) or not 0.0 <= float(rate) < 1.0:
        raise ValueError(f"{name}: rate must be a number in [0, 1), got {rate!r}")
    return float(rate)


def gaussian_noise(x, stddev, generator=None):
    """``x`` plus zero-mean Gaussian noise of standard deviation ``stddev``."""
    x = as_tensor(x)
    if float(stddev) < 0:
        raise ValueError(f"gaussian_noise: stddev must be non-negative, got {stddev!r}")
    dtype = _float_dtype(x)
    noise = _generator(generator).standard_normal(x.shape).astype(dtype, copy=False)
    noise *= dtype.type(stddev)
    return array.add(x, noise)


def gaussian_dropout(x, rate, generator=None):
    """``x`` times Gaussian noise of mean 1 and standard deviation ``sqrt(rate / (1 - rate))``;
    ``x`` itself when ``rate == 0``."""
    x = as_tensor(x)
    rate = _check_rate("gaussian_dropout", rate)
    if rate == 0.0:
        return x
    dtype = _float_dtype(x)
    noise = _generator(generator).standard_normal(x.shape).astype(dtype, copy=False)
    noise *= dtype.type(math.sqrt(rate / (1.0 - rate)))
    noise += dtype.type(1.0)
    return array.mul(x, noise)


def alpha_dropout(x, rate, noise_shape=None, generator=None):
    """Alpha dropout (see the module docstring); ``noise_shape`` as in ``dropout`` (``None``
    entries take ``x``'s size, a 1 shares one draw along that axis)."""
    x = as_tensor(x)
    rate = _check_rate("alpha_dropout", rate)
    if rate == 0.0:
        return x
    shape = tuple(x.shape) if noise_shape is None else tuple(
        n if m is None else int(m) for m, n in zip(noise_shape, x.shape))
    if len(shape) != x.ndim or any(m not in (1, n) for m, n in zip(shape, x.shape)):
        raise ValueError(
            f"alpha_dropout: noise_shape {noise_shape} does not broadcast to the input of shape "
            f"{tuple(x.shape)}"
        )
    dtype = _float_dtype(x)
    keep = _generator(generator).random(shape) >= rate
    alpha_p = -SELU_ALPHA * SELU_SCALE
    a = ((1.0 - rate) * (1.0 + rate * alpha_p**2)) ** -0.5
    b = -a * alpha_p * rate
    scale = xp.where(keep, a, 0.0).astype(dtype)
    shift = xp.where(keep, b, a * alpha_p + b).astype(dtype)
    return array.add(array.mul(x, scale), shift)
