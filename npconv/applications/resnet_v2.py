"""``keras.applications.resnet_v2``: ``ResNet50V2``, ``ResNet101V2``, ``ResNet152V2`` (built
in ``applications.resnet``) and their ``preprocess_input``."""

from __future__ import annotations

from .resnet import ResNet50V2, ResNet101V2, ResNet152V2

__all__ = ["ResNet50V2", "ResNet101V2", "ResNet152V2", "preprocess_input"]


def preprocess_input(x, data_format=None):
    """Keras's 'tf' preprocessing of ResNetV2: pixels in [0, 255] scaled to [-1, 1]."""
    import numpy as np

    from .. import backend
    from .vgg import _is_tensor

    if _is_tensor(x):
        return x / 127.5 - 1.0
    a = np.asarray(x)
    dtype = np.dtype(a.dtype if np.issubdtype(a.dtype, np.floating) else backend.floatx())
    return a.astype(dtype) / dtype.type(127.5) - dtype.type(1.0)
