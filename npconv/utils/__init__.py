"""Utilities with Keras's names: ``to_categorical``, ``normalize``, ``set_random_seed``,
``Progbar``, ``get_custom_objects``, ``custom_object_scope``, ``PyDataset``/``Sequence`` and
``pack_x_y_sample_weight``/``unpack_x_y_sample_weight``; ``image_dataset_from_directory``
and the image file helpers ``load_img``, ``img_to_array``, ``array_to_img``, ``save_img``
(these need Pillow: ``pip install "npconv[image]"``); ``pad_sequences``; ``plot_model``
(drawn with matplotlib: ``pip install "npconv[plot]"``).

``npconv.utils.np_utils`` and ``npconv.utils.generic_utils`` are the Keras 2 module paths the
tutorials import.
"""

from __future__ import annotations

import random

import numpy as np

from .. import backend

__all__ = [
    "set_random_seed",
    "to_categorical",
    "normalize",
    "np_utils",
    "generic_utils",
    "Progbar",
    "to_list",
    "get_custom_objects",
    "CustomObjectScope",
    "custom_object_scope",
    "PyDataset",
    "Sequence",
    "pack_x_y_sample_weight",
    "unpack_x_y_sample_weight",
    "image_dataset_from_directory",
    "load_img",
    "img_to_array",
    "array_to_img",
    "save_img",
    "get_file",
    "pad_sequences",
    "plot_model",
    "model_to_dot",
]
#: names of ``generic_utils`` re-exported here, imported when first asked for
_GENERIC = {"generic_utils", "Progbar", "to_list", "get_custom_objects", "CustomObjectScope",
            "custom_object_scope"}


def set_random_seed(seed: int) -> None:
    """Seed every source of randomness npconv uses, so a run repeats exactly.

    Seeds npconv's backend generator (weights, dropout, shuffling), Python's ``random`` and
    NumPy's legacy global generator (the latter two for user code, as Keras's function does).
    """
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise ValueError(f"set_random_seed expects an integer seed, got {seed!r}")
    seed = int(seed)
    backend.set_seed(seed)
    random.seed(seed)
    np.random.seed(seed % (2**32))


def to_categorical(x, num_classes=None):
    """Integer class labels -> one-hot float32 rows: ``to_categorical([0, 2], 3)`` gives
    ``[[1, 0, 0], [0, 0, 1]]``. A trailing axis of size 1 is dropped first, as in Keras."""
    y = np.asarray(x)
    if y.size and not np.all(np.equal(np.mod(y, 1), 0)):
        raise ValueError("to_categorical expects integer class labels, got non-integer values")
    y = y.astype(np.int64)
    shape = y.shape
    if len(shape) > 1 and shape[-1] == 1:
        shape = shape[:-1]
    y = y.reshape(-1)
    if y.size and y.min() < 0:
        raise ValueError(f"to_categorical expects labels >= 0, got {int(y.min())}")
    if num_classes is None:
        num_classes = int(y.max()) + 1 if y.size else 0
    elif y.size and y.max() >= num_classes:
        raise ValueError(
            f"to_categorical: label {int(y.max())} does not fit num_classes={num_classes}"
        )
    out = np.zeros((y.size, num_classes), dtype=backend.floatx())
    out[np.arange(y.size), y] = 1
    return out.reshape(*shape, num_classes)


def normalize(x, axis=-1, order=2):
    """Scale ``x`` to unit ``order``-norm along ``axis`` (zero vectors stay zero)."""
    x = np.asarray(x)
    norm = np.linalg.norm(x, ord=order, axis=axis, keepdims=True)
    norm = np.where(norm == 0, 1, norm)
    return x / norm


from ..training.adapters import (  # noqa: E402
    pack_x_y_sample_weight,
    unpack_x_y_sample_weight,
)
from . import np_utils  # noqa: E402  - Keras 2's `npconv.utils.np_utils.to_categorical`
from .file_utils import get_file  # noqa: E402
from .image_dataset import image_dataset_from_directory  # noqa: E402
from .image_utils import array_to_img, img_to_array, load_img, save_img  # noqa: E402
from .model_plot import model_to_dot, plot_model  # noqa: E402
from .py_dataset import PyDataset, Sequence  # noqa: E402
from .sequence_utils import pad_sequences  # noqa: E402


def __getattr__(name):
    if name in _GENERIC:
        import importlib

        generic_utils = importlib.import_module(f"{__name__}.generic_utils")
        return generic_utils if name == "generic_utils" else getattr(generic_utils, name)
    from .._missing import not_provided

    raise not_provided(__name__, name, [*globals(), *_GENERIC])
