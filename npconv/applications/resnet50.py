"""``keras.applications.resnet50``: ``ResNet50`` and its ``preprocess_input``."""

from .resnet import ResNet50, preprocess_input

__all__ = ["ResNet50", "preprocess_input"]
