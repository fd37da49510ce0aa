"""Keras 2's ``keras.preprocessing``: ``npconv.preprocessing.image.ImageDataGenerator`` and the
image file helpers (``load_img``, ``img_to_array``, ``array_to_img``, ``save_img``)."""

from . import image

__all__ = ["image"]
