"""Keras's ``keras.applications``: the VGG16 and VGG19 architectures (``vgg16``/``vgg19``
modules with ``preprocess_input``), built as Keras builds them, with fresh weights
(``weights=None``) or Keras's ImageNet weights file from Keras's cache (``weights='imagenet'``,
downloaded with ``utils.get_file`` where downloads are allowed).

Other applications (ResNet50, MobileNetV2, Xception, ...) are not provided: asking for one
raises an error that says so.
"""

from .vgg import VGG16, VGG19

__all__ = ["VGG16", "VGG19", "vgg16", "vgg19"]

_NOTE = (
    "npconv builds VGG16 and VGG19 only; for another application, build the architecture "
    "with npconv.layers and load Keras-saved weights with model.load_weights(...)"
)


def __getattr__(name):
    if name in ("vgg16", "vgg19"):  # keras.applications.vgg16.preprocess_input
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    from .._missing import not_provided

    raise not_provided(__name__, name, globals(), note=_NOTE)
