"""VGG16 and VGG19 (Simonyan & Zisserman 2014) as ``keras.applications`` builds them.

The same layers, names, shapes and defaults as Keras 3's ``keras/src/applications/vgg16.py``
and ``vgg19.py``: blocks of 3x3 'same' convolutions with ReLU and a 2x2 max pooling, then
(``include_top=True``) Flatten, two Dense(4096) and the classifier, so weights saved by Keras
load by layer name. ``weights=None`` builds the architecture with fresh weights;
``weights='imagenet'`` loads Keras's published file from Keras's cache (``~/.keras/models``),
downloading it with ``npconv.utils.get_file`` where downloads are allowed; any other string is a
path to a weights file.
"""

from __future__ import annotations

from .. import layers as L
from ..models import Model

WEIGHTS_BASE = "https://storage.googleapis.com/tensorflow/keras-applications/vgg{depth}/"
WEIGHTS = {  # (file, md5) as Keras publishes them
    (16, True): ("vgg16_weights_tf_dim_ordering_tf_kernels.h5",
                 "64373286793e3c8b2b4e3219cbf3544b"),
    (16, False): ("vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
                  "6d6bbae143d832006294945121d1f1fc"),
    (19, True): ("vgg19_weights_tf_dim_ordering_tf_kernels.h5",
                 "cbe5617147190e668d6c5d5026f83318"),
    (19, False): ("vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5",
                  "253f8cb515780f3b799900260a226db6"),
}
BLOCKS = {16: (2, 2, 3, 3, 3), 19: (2, 2, 4, 4, 4)}
FILTERS = (64, 128, 256, 512, 512)


def _vgg(depth, include_top, weights, input_tensor, input_shape, pooling, classes,
         classifier_activation, name):
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError("VGG: weights='imagenet' with include_top=True needs classes=1000, got "
                         f"classes={classes}")
    if input_shape is None:
        input_shape = (224, 224, 3) if include_top or weights == "imagenet" else (None, None, 3)
    if include_top and tuple(input_shape)[:2] != (224, 224):
        raise ValueError(f"VGG: include_top=True needs input_shape (224, 224, 3), got "
                         f"{tuple(input_shape)}")
    inputs = input_tensor if input_tensor is not None else L.Input(shape=input_shape)
    x = inputs
    for block, (convs, filters) in enumerate(zip(BLOCKS[depth], FILTERS), start=1):
        for i in range(1, convs + 1):
            x = L.Conv2D(filters, (3, 3), activation="relu", padding="same",
                         name=f"block{block}_conv{i}")(x)
        x = L.MaxPooling2D((2, 2), strides=(2, 2), name=f"block{block}_pool")(x)
    if include_top:
        x = L.Flatten(name="flatten")(x)
        x = L.Dense(4096, activation="relu", name="fc1")(x)
        x = L.Dense(4096, activation="relu", name="fc2")(x)
        x = L.Dense(classes, activation=classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = L.GlobalAveragePooling2D()(x)
    elif pooling == "max":
        x = L.GlobalMaxPooling2D()(x)
    model = Model(inputs, x, name=name)
    if weights == "imagenet":
        from ..utils import get_file

        fname, md5 = WEIGHTS[depth, bool(include_top)]
        path = get_file(fname, WEIGHTS_BASE.format(depth=depth) + fname, cache_subdir="models",
                        file_hash=md5)
        model.load_weights(path)
    elif weights is not None:
        model.load_weights(weights)
    return model


def VGG16(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,  # noqa: N802
          pooling=None, classes=1000, classifier_activation="softmax", name="vgg16"):
    """Keras's ``keras.applications.VGG16`` (see the module docstring)."""
    return _vgg(16, include_top, weights, input_tensor, input_shape, pooling, classes,
                classifier_activation, name)


def VGG19(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,  # noqa: N802
          pooling=None, classes=1000, classifier_activation="softmax", name="vgg19"):
    """Keras's ``keras.applications.VGG19`` (see the module docstring)."""
    return _vgg(19, include_top, weights, input_tensor, input_shape, pooling, classes,
                classifier_activation, name)


def preprocess_input(x, data_format=None):
    """Keras's 'caffe' preprocessing of VGG: RGB -> BGR, then the ImageNet channel means
    subtracted (no scaling), for channels-last or channels-first arrays."""
    import numpy as np

    from .. import backend

    fmt = data_format or backend.image_data_format()
    if _is_tensor(x):  # a Keras tensor (a node of the model) or an npconv Tensor
        mean = np.array([103.939, 116.779, 123.68], dtype=backend.floatx())
        if fmt == "channels_first":
            return x[:, ::-1] - mean.reshape(3, 1, 1)
        return x[..., ::-1] - mean
    x = np.array(x, dtype=backend.floatx() if not np.issubdtype(
        np.asarray(x).dtype, np.floating) else np.asarray(x).dtype)
    mean = np.array([103.939, 116.779, 123.68], dtype=x.dtype)
    if fmt == "channels_first":
        x = x[..., ::-1, :, :] if x.ndim == 3 else x[:, ::-1]
        shape = (3, 1, 1)
    else:
        x = x[..., ::-1]
        shape = (3,)
    return np.ascontiguousarray(x - mean.reshape(shape))


def _is_tensor(x):
    """Whether ``x`` is a Keras tensor or an npconv Tensor, which ``preprocess_input`` transforms
    with ops (a graph node inside a model, as Keras's does) instead of as a NumPy array."""
    from ..autograd import Tensor

    return isinstance(x, Tensor) or type(x).__name__ == "KerasTensor"
