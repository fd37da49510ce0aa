"""CIFAR-100 small images: ``load_data(label_mode)`` as ``keras.datasets.cifar100.load_data``.

100 fine classes grouped into 20 coarse ones. Home: https://www.cs.toronto.edu/~kriz/cifar.html
"""

from __future__ import annotations

import numpy as np

from ._cifar import cifar_spec, load_cifar

__all__ = ["load_data"]

_TOP = "cifar-100-python"
_TRAIN = ("train",)
_TEST = ("test",)


def _spec():
    return cifar_spec(
        "cifar100",
        "CIFAR-100",
        _TOP,
        _TRAIN + _TEST,
        "cifar-100-python.tar.gz",
        ("cifar-100-python-target_archive",),
    )


def load_data(label_mode="fine"):
    """Load CIFAR-100: 50,000 training and 10,000 test 32x32 colour images.

    Args:
        label_mode: ``"fine"`` (100 classes) or ``"coarse"`` (20 superclasses).

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: ``x`` uint8 ``(50000, 32, 32, 3)`` and
        ``(10000, 32, 32, 3)`` (``(N, 3, 32, 32)`` under ``channels_first``); ``y``
        ``(50000, 1)`` and ``(10000, 1)`` of dtype int64 — Keras's dtype here (it reshapes the
        pickled label list, where CIFAR-10 gets uint8).

    Search, download and safe reading as for ``cifar10.load_data()``, with the
    ``cifar-100-python/`` folder or ``cifar-100-python.tar.gz`` archive.
    """
    if label_mode not in ("fine", "coarse"):
        raise ValueError(
            f'`label_mode` must be one of "fine", "coarse". Received: label_mode={label_mode!r}.'
        )
    num_classes = 100 if label_mode == "fine" else 20
    return load_cifar(_spec(), _TOP, _TRAIN, _TEST, f"{label_mode}_labels", num_classes, np.int64)
