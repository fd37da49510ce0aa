"""Keras 2's ``keras.preprocessing``: ``npconv.preprocessing.image.ImageDataGenerator``, the
image file helpers (``load_img``, ``img_to_array``, ``array_to_img``, ``save_img``),
``npconv.preprocessing.sequence.pad_sequences`` and, under its
Keras 2.4+ path, ``image_dataset_from_directory``."""

from ..utils.image_dataset import image_dataset_from_directory
from . import image, sequence

__all__ = ["image", "sequence", "image_dataset_from_directory"]
