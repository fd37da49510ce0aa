"""Keras layers. ``from npconv.layers import Conv2D, MaxPooling2D, Dense, ...``"""
# ruff: noqa: F401 - this module re-exports the layers

from .activation_layers import ELU, LeakyReLU, ReLU, Softmax
from .base import Layer
from .convolutional import (
    Conv1D,
    Conv2D,
    Conv3D,
    Convolution1D,
    Convolution2D,
    Convolution3D,
    ZeroPadding1D,
    ZeroPadding2D,
    ZeroPadding3D,
)
from .core import (
    Activation,
    Dense,
    DropConnectDense,
    Dropout,
    Flatten,
    Permute,
    Reshape,
    SpatialDropout1D,
    SpatialDropout2D,
    SpatialDropout3D,
)
from .input_layer import Input, InputLayer
from .merging import (
    Add,
    Average,
    Concatenate,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    concatenate,
)
from .normalization import BatchNormalization
from .pooling import (
    AveragePooling1D,
    AveragePooling2D,
    AveragePooling3D,
    AvgPool1D,
    AvgPool2D,
    AvgPool3D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAveragePooling3D,
    GlobalAvgPool1D,
    GlobalAvgPool2D,
    GlobalAvgPool3D,
    GlobalMaxPool1D,
    GlobalMaxPool2D,
    GlobalMaxPool3D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    GlobalMaxPooling3D,
    MaxPool1D,
    MaxPool2D,
    MaxPool3D,
    MaxPooling1D,
    MaxPooling2D,
    MaxPooling3D,
    StochasticPooling1D,
    StochasticPooling2D,
    StochasticPooling3D,
)
from .preprocessing import (
    CenterCrop,
    Normalization,
    RandomBrightness,
    RandomContrast,
    RandomCrop,
    RandomFlip,
    RandomRotation,
    RandomTranslation,
    RandomZoom,
    Rescaling,
    Resizing,
)

__all__ = [name for name in dir() if not name.startswith("_")]
