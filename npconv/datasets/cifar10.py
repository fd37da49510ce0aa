"""CIFAR-10 small images: ``load_data()`` as ``keras.datasets.cifar10.load_data()``.

Classes: 0 airplane, 1 automobile, 2 bird, 3 cat, 4 deer, 5 dog, 6 frog, 7 horse, 8 ship,
9 truck. Home: https://www.cs.toronto.edu/~kriz/cifar.html (A. Krizhevsky, 2009).
"""

from __future__ import annotations

import numpy as np

from ._cifar import cifar_spec, load_cifar

__all__ = ["load_data", "CLASS_NAMES"]

CLASS_NAMES = (
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
)  # fmt: skip

_TOP = "cifar-10-batches-py"
_TRAIN = tuple(f"data_batch_{i}" for i in range(1, 6))
_TEST = ("test_batch",)


def _spec():
    return cifar_spec(
        "cifar10",
        "CIFAR-10",
        _TOP,
        _TRAIN + _TEST,
        "cifar-10-python.tar.gz",
        ("cifar-10-batches-py.tar.gz", "cifar-10-batches-py-target_archive"),
    )


def load_data():
    """Load CIFAR-10: 50,000 training and 10,000 test 32x32 colour images in 10 classes.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: ``x`` uint8 ``(50000, 32, 32, 3)`` and
        ``(10000, 32, 32, 3)`` (``(N, 3, 32, 32)`` when ``image_data_format()`` is
        ``'channels_first'``, as in Keras); ``y`` uint8 ``(50000, 1)`` and ``(10000, 1)``.

    Looks for the extracted ``cifar-10-batches-py/`` folder or the ``cifar-10-python.tar.gz``
    archive (also under the names Keras 2 and 3 cache it as) in ``$NPCONV_DATA``, npconv's cache
    and Keras's cache, and otherwise downloads the archive from www.cs.toronto.edu, checking its
    SHA-256. The archive is read in place, never extracted; its pickled batches go through a
    restricted unpickler that admits NumPy arrays and plain containers only.
    """
    return load_cifar(_spec(), _TOP, _TRAIN, _TEST, "labels", 10, np.uint8)
