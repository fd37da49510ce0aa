"""``keras.layers.experimental.preprocessing``: the preprocessing layers under their TF 2.3-2.5
path (the same classes as ``npconv.layers``)."""
# ruff: noqa: F401 - this module re-exports the layers

from ..preprocessing import (
    CenterCrop,
    Normalization,
    RandomBrightness,
    RandomContrast,
    RandomCrop,
    RandomFlip,
    RandomRotation,
    RandomTranslation,
    RandomZoom,
    Rescaling,
    Resizing,
)

__all__ = [name for name in dir() if not name.startswith("_")]
