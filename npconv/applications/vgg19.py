"""``keras.applications.vgg19``: ``VGG19`` and its ``preprocess_input``."""

from .vgg import VGG19, preprocess_input

__all__ = ["VGG19", "preprocess_input"]
