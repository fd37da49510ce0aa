"""Keras 2's ``keras.utils.np_utils`` path: ``from npconv.utils import np_utils``."""

from . import normalize, to_categorical

__all__ = ["to_categorical", "normalize"]
