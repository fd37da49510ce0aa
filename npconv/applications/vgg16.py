"""``keras.applications.vgg16``: ``VGG16`` and its ``preprocess_input``."""

from .vgg import VGG16, preprocess_input

__all__ = ["VGG16", "preprocess_input"]
