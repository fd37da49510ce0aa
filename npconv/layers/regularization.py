"""Regularization layers that add noise or a penalty: ``GaussianNoise``, ``GaussianDropout``,
``AlphaDropout`` (active only when training; the identity at inference, as in Keras) and
``ActivityRegularization`` (adds ``l1 * sum|x| + l2 * sum x**2``, divided by the batch size as
Keras does, to the model's loss).

The noise comes from ``npconv.backend.rng()`` (so ``npconv.utils.set_random_seed`` makes a run
repeat), or, when the layer is given an integer ``seed``, from the layer's own generator seeded
with it: a fresh draw on every call, the same sequence in every run. The arithmetic is
``npconv.functions.noise``.
"""

from __future__ import annotations

from ..backend import xp
from ..functions import noise
from .base import Layer


class _Noise(Layer):
    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self._generator = None if seed is None else xp.random.default_rng(seed)

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


def _rate(name, rate):
    if isinstance(rate, bool) or not 0.0 <= float(rate) < 1.0:
        raise ValueError(f"{name} rate must be a number in [0, 1), got {rate!r}")
    return float(rate)


class GaussianNoise(_Noise):
    """Adds zero-mean Gaussian noise of standard deviation ``stddev`` while training."""

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if float(stddev) < 0:
            raise ValueError(f"GaussianNoise stddev must be non-negative, got {stddev!r}")
        self.stddev = float(stddev)

    def call(self, inputs, training=False):
        if not training or self.stddev == 0.0:
            return inputs
        return noise.gaussian_noise(inputs, self.stddev, self._generator)

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev}


class GaussianDropout(_Noise):
    """Multiplies by Gaussian noise of mean 1 and standard deviation
    ``sqrt(rate / (1 - rate))`` while training (Srivastava et al. 2014)."""

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = _rate("GaussianDropout", rate)

    def call(self, inputs, training=False):
        if not training or self.rate == 0.0:
            return inputs
        return noise.gaussian_dropout(inputs, self.rate, self._generator)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate}


class AlphaDropout(_Noise):
    """Dropout for self-normalizing (SELU) networks (Klambauer et al. 2017): dropped values
    take SELU's negative saturation value and an affine correction keeps the mean and variance
    of the inputs, while training. ``noise_shape`` as in ``Dropout``."""

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = _rate("AlphaDropout", rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)

    def call(self, inputs, training=False):
        if not training or self.rate == 0.0:
            return inputs
        return noise.alpha_dropout(inputs, self.rate, self.noise_shape, self._generator)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "noise_shape": self.noise_shape}


class ActivityRegularization(Layer):
    """Passes its input through and adds ``l1 * sum(|x|) + l2 * sum(x ** 2)`` (divided by the
    batch size) to the loss — an activity regularizer as a layer of its own."""

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        from .. import regularizers

        kwargs.pop("activity_regularizer", None)
        self.l1, self.l2 = float(l1), float(l2)
        super().__init__(activity_regularizer=regularizers.L1L2(l1=self.l1, l2=self.l2),
                         **kwargs)

    def call(self, inputs, training=False):
        return inputs

    def get_config(self):
        config = super().get_config()
        config.pop("activity_regularizer", None)
        return {**config, "l1": self.l1, "l2": self.l2}
