"""Keras's ``keras.applications`` (VGG16, ResNet50, MobileNetV2, ...): not provided.

Those are pretrained ImageNet models whose weights Keras downloads; npconv ships no pretrained
weights. ``from npconv.applications import VGG16`` raises an ``ImportError`` that says so; to
use such a model, build its architecture with ``npconv.layers`` and load weights saved by Keras
(``model.load_weights("vgg16.weights.h5")``).
"""

_NOTE = (
    "npconv ships no pretrained Keras applications (their ImageNet weights are Keras "
    "downloads): build the architecture with npconv.layers and load Keras-saved weights with "
    "model.load_weights(...)"
)


def __getattr__(name):
    from .._missing import not_provided

    raise not_provided(__name__, name, (), note=_NOTE)
