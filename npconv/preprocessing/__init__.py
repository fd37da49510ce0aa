"""Keras 2's ``keras.preprocessing``: ``npconv.preprocessing.image.ImageDataGenerator``, the
image file helpers (``load_img``, ``img_to_array``, ``array_to_img``, ``save_img``) and, under its
Keras 2.4+ path, ``image_dataset_from_directory``."""

from ..utils.image_dataset import image_dataset_from_directory
from . import image

__all__ = ["image", "image_dataset_from_directory"]
