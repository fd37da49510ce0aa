"""Keras 3's ``keras.random``: random tensors drawn from npconv's generator.

``normal``, ``uniform``, ``truncated_normal``, ``randint``, ``shuffle``, ``dropout`` and
``SeedGenerator``, with Keras's signatures. The ``seed`` argument, as in Keras:

- ``None``: draw from the backend's generator (``npconv.backend.rng()``), so
  ``npconv.utils.set_random_seed`` makes a run repeat;
- an int: the same numbers on every call (a fresh generator seeded with it);
- a ``SeedGenerator``: its own stream, advancing at each call (the layer-owned seed of a VAE's
  sampling layer).

Draws are returned as npconv ``Tensor``s of ``floatx()`` (``int32`` for ``randint``), which
combine with other tensors in a differentiable expression (the reparameterization
``z_mean + exp(0.5 * z_log_var) * normal(shape)``). The numbers are NumPy's, not
TensorFlow's: a seeded npconv draw does not equal a seeded Keras one.
"""

from __future__ import annotations

import numbers

from .. import backend
from ..autograd import Tensor, as_array
from ..backend import xp

__all__ = [
    "SeedGenerator",
    "normal",
    "uniform",
    "truncated_normal",
    "randint",
    "shuffle",
    "dropout",
    "gamma",
    "beta",
    "binomial",
    "categorical",
]


class SeedGenerator:
    """A stream of random numbers of its own, made from ``seed`` (an int, or ``None`` to take
    a seed from the backend's generator)."""

    def __init__(self, seed=None, name=None, **kwargs):
        if seed is None:
            seed = int(backend.rng().integers(0, 2**31 - 1))
        if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
            raise ValueError(f"SeedGenerator: seed must be an int or None, got {seed!r}")
        self.seed = int(seed)
        self.name = name or "seed_generator"
        self.generator = xp.random.default_rng(self.seed)

    def next(self, ordered=True):
        """A fresh integer seed from the stream (Keras's ``SeedGenerator.next``)."""
        return int(self.generator.integers(0, 2**31 - 1))

    def get_config(self):
        return {"seed": self.seed}


def _generator(seed):
    if seed is None:
        return backend.rng()
    if isinstance(seed, SeedGenerator):
        return seed.generator
    if isinstance(seed, xp.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise ValueError(
            f"seed must be None, an int or a npconv.random.SeedGenerator, got {seed!r}"
        )
    return xp.random.default_rng(int(seed))


def _shape(shape):
    if isinstance(shape, numbers.Integral):
        return (int(shape),)
    return tuple(int(d) for d in shape)


def _dtype(dtype):
    return xp.dtype(dtype or backend.floatx())


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Samples of a normal distribution N(``mean``, ``stddev``^2)."""
    dt = _dtype(dtype)
    z = _generator(seed).standard_normal(_shape(shape))
    return Tensor((z * stddev + mean).astype(dt))


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Samples of the uniform distribution on ``[minval, maxval)``."""
    dt = _dtype(dtype)
    u = _generator(seed).uniform(minval, maxval, _shape(shape))
    return Tensor(u.astype(dt))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal samples, those beyond two standard deviations drawn again (Keras's rule)."""
    rng = _generator(seed)
    z = rng.standard_normal(_shape(shape))
    bad = xp.abs(z) > 2.0
    while bad.any():
        z[bad] = rng.standard_normal(int(bad.sum()))
        bad = xp.abs(z) > 2.0
    return Tensor((z * stddev + mean).astype(_dtype(dtype)))


def randint(shape, minval, maxval, dtype="int32", seed=None):
    """Integers drawn uniformly from ``[minval, maxval)``."""
    return Tensor(_generator(seed).integers(minval, maxval, _shape(shape)).astype(dtype))


def shuffle(x, axis=0, seed=None):
    """``x`` with its entries permuted along ``axis`` (a new array; ``x`` is not changed)."""
    a = as_array(x)
    order = _generator(seed).permutation(a.shape[axis])
    return Tensor(xp.take(a, order, axis=axis))


def dropout(inputs, rate, noise_shape=None, seed=None):
    """Inverted dropout (``npconv.functions.dropout``): differentiable, always active."""
    from ..functions import dropout as _dropout

    return _dropout.dropout(inputs, rate, training=True, noise_shape=noise_shape,
                            seed=_generator(seed) if seed is not None else None)


def gamma(shape, alpha, dtype=None, seed=None):
    """Samples of the gamma distribution of shape ``alpha`` and scale 1 (mixup draws its
    Beta weights as the ratio of two of them)."""
    return Tensor(_generator(seed).gamma(as_array(alpha), 1.0, _shape(shape)).astype(
        _dtype(dtype)))


def beta(shape, alpha, beta, dtype=None, seed=None):  # noqa: A002 - Keras's name
    """Samples of the Beta(``alpha``, ``beta``) distribution."""
    return Tensor(_generator(seed).beta(as_array(alpha), as_array(beta), _shape(shape)).astype(
        _dtype(dtype)))


def binomial(shape, counts, probabilities, dtype=None, seed=None):
    """Samples of the binomial distribution: successes in ``counts`` trials of probability
    ``probabilities`` (returned as ``dtype``, floats by default, as Keras)."""
    draws = _generator(seed).binomial(as_array(counts).astype(xp.int64),
                                      as_array(probabilities), _shape(shape))
    return Tensor(draws.astype(_dtype(dtype)))


def categorical(logits, num_samples, dtype="int32", seed=None):
    """For each row of ``logits`` (``(batch, classes)``, unnormalized log-probabilities),
    ``num_samples`` class ids drawn from its softmax: ``(batch, num_samples)``."""
    z = xp.asarray(as_array(logits), dtype=xp.float64)
    p = xp.exp(z - z.max(axis=-1, keepdims=True))
    p /= p.sum(axis=-1, keepdims=True)
    rng = _generator(seed)
    draws = [rng.choice(p.shape[-1], size=int(num_samples), p=row) for row in p]
    return Tensor(xp.asarray(draws).astype(dtype))
