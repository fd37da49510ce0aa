"""Keras's ``keras.applications``: VGG16/VGG19 and ResNet50/101/152 (v1 and V2), built as
Keras builds them (the ``vgg16``, ``vgg19``, ``resnet``, ``resnet50`` and ``resnet_v2`` modules
with ``preprocess_input``), with fresh weights (``weights=None``) or Keras's ImageNet weights
file from Keras's cache (``weights='imagenet'``, downloaded with ``utils.get_file`` where
downloads are allowed).

Other applications (MobileNetV2, Xception, EfficientNet, ...) are not provided: asking for one
raises an error that says so.
"""

from .resnet import ResNet50, ResNet50V2, ResNet101, ResNet101V2, ResNet152, ResNet152V2
from .vgg import VGG16, VGG19

__all__ = ["VGG16", "VGG19", "ResNet50", "ResNet101", "ResNet152", "ResNet50V2",
           "ResNet101V2", "ResNet152V2", "vgg16", "vgg19", "resnet", "resnet50", "resnet_v2"]

_MODULES = ("vgg16", "vgg19", "resnet", "resnet50", "resnet_v2")
_NOTE = (
    "npconv builds VGG16/19 and ResNet50/101/152 (and V2) only; for another application, "
    "build the architecture with npconv.layers and load Keras-saved weights with "
    "model.load_weights(...)"
)


def __getattr__(name):
    if name in _MODULES:  # keras.applications.vgg16.preprocess_input
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    from .._missing import not_provided

    raise not_provided(__name__, name, globals(), note=_NOTE)
