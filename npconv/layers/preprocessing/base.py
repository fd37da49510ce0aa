"""What Keras 3's image preprocessing layers share: the data format, the random generator, and
the resampling (``npconv.image.affine``, the same code ``ImageDataGenerator`` uses).

Images are ``(batch, rows, cols, channels)`` (``channels_first``: ``(batch, channels, rows,
cols)``) or one image without the batch axis. The layers compute on arrays, outside the
autograd graph: they sit in front of a model, on data, as Keras's run in its data pipeline.
"""

from __future__ import annotations

import numpy as np

from ... import backend
from ...autograd.tensor import Tensor, as_array
from ...image.affine import affine_grid, sample_affine, sample_bilinear
from ..base import Layer, current_training


class ImagePreprocessingLayer(Layer):
    """Base of the image layers: ``call`` turns the input to a channels-last batch of floats,
    runs ``transform(images, training)`` and turns the result back.

    ``seed``: an integer gives the layer its own generator (its draws repeat from run to run);
    None draws from npconv's backend generator (``npconv.utils.set_random_seed``)."""

    min_input_rank = None

    def __init__(self, data_format=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = backend.normalize_data_format(data_format)
        self.seed = seed
        self._generator = np.random.default_rng(seed) if seed is not None else None

    def __call__(self, inputs, training=None, **kwargs):
        # Keras 3: called with no ``training`` (on its own, or in a model called directly), a
        # random layer augments (its call() defaults to training=True); predict passes False.
        if training is None:
            training = current_training()
        return super().__call__(inputs, training=True if training is None else training,
                                **kwargs)

    def rng(self):
        return self._generator if self._generator is not None else backend.noise_rng()

    def check_input_shape(self, shape) -> None:
        super().check_input_shape(shape)
        if len(shape) not in (3, 4):
            raise ValueError(f"{type(self).__name__} '{self.name}' expects images of rank 4 "
                             f"(batch, rows, cols, channels) or 3 (one image), got shape "
                             f"{tuple(shape)}")

    def _checks_built_shape(self) -> bool:
        return False  # image layers take any image size

    def call(self, inputs, training=False):
        x = as_array(inputs)
        single = x.ndim == 3
        if single:
            x = x[None]
        if self.data_format == "channels_first":
            x = np.moveaxis(x, 1, -1)
        dtype = x.dtype if x.dtype.kind == "f" else np.dtype(self.dtype)
        y = self.transform(x.astype(dtype, copy=False), bool(training))
        if y is None:  # the identity (a random layer at inference)
            return inputs
        if self.data_format == "channels_first":
            y = np.moveaxis(y, -1, 1)
        if single:
            y = y[0]
        return Tensor(np.ascontiguousarray(y, dtype=dtype))

    def transform(self, images, training):
        """The output for a channels-last float batch, or None for the input unchanged."""
        raise NotImplementedError

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


def factor_range(factor, name, who, bounds=(-1.0, 1.0)):
    """Keras 3's reading of a factor: a number f -> ``(-|f|, |f|)`` (the lower end raised to
    ``bounds[0]``), two numbers -> sorted; both within ``bounds``."""
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2:
            raise ValueError(f"{who}: {name} must be a number or two numbers, got {factor!r}")
        lower, upper = sorted(float(f) for f in factor)
        if lower > bounds[1] or upper < bounds[0]:
            raise ValueError(f"{who}: {name} must lie in {list(bounds)}, got {factor!r}")
        return lower, upper
    if isinstance(factor, (int, float)) and not isinstance(factor, bool):
        if not bounds[0] <= factor <= bounds[1]:
            raise ValueError(f"{who}: {name} must lie in {list(bounds)}, got {factor!r}")
        f = abs(float(factor))
        return max(-f, bounds[0]), f
    raise ValueError(f"{who}: {name} must be a number or two numbers, got {factor!r}")


def keras3_affine(images, a0, a1, a2, b0, b1, b2, fill_mode, fill_value, interpolation):
    """Keras 3's ``ops.image.affine_transform`` of a channels-last batch: output pixel
    (row y, col x) samples the input at column ``a0 x + a1 y + a2``, row ``b0 x + b1 y + b2``
    (one coefficient per image), with Keras 3's padding rule for ``fill_mode``."""
    n = len(images)
    m = np.empty((n, 2, 2))
    m[:, 0, 0], m[:, 0, 1], m[:, 1, 0], m[:, 1, 1] = b1, b0, a1, a0
    t = np.stack([np.broadcast_to(b2, n), np.broadcast_to(a2, n)], axis=1)
    if interpolation == "bilinear":
        return sample_affine(images, m, t, fill_mode, fill_value, convention="pad")
    rows, cols = affine_grid(m, t, images.shape[1], images.shape[2])
    rows = np.copysign(np.floor(np.abs(rows) + 0.5), rows)  # halves away from zero, as C
    cols = np.copysign(np.floor(np.abs(cols) + 0.5), cols)
    return sample_bilinear(images, rows, cols, fill_mode, fill_value, convention="pad")
