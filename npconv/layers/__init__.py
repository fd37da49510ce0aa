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
from .convolutional_transpose import (
    Conv1DTranspose,
    Conv2DTranspose,
    Conv3DTranspose,
    Convolution1DTranspose,
    Convolution2DTranspose,
    Convolution3DTranspose,
    Deconv2D,
    Deconv3D,
    Deconvolution2D,
    Deconvolution3D,
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
from .depthwise import (
    DepthwiseConv1D,
    DepthwiseConv2D,
    SeparableConv1D,
    SeparableConv2D,
    SeparableConvolution1D,
    SeparableConvolution2D,
)
from .embedding import Embedding
from .function_layers import Identity, Lambda
from .input_layer import Input, InputLayer
from .layer_normalization import GroupNormalization, LayerNormalization, UnitNormalization
from .merging import (
    Add,
    Average,
    Concatenate,
    Dot,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    concatenate,
    dot,
    maximum,
    minimum,
    multiply,
    subtract,
)
from .normalization import BatchNormalization, SyncBatchNormalization
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
from .prelu import PReLU, ThresholdedReLU
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
from .regularization import (
    ActivityRegularization,
    AlphaDropout,
    GaussianDropout,
    GaussianNoise,
)
from .reshaping import (
    Cropping1D,
    Cropping2D,
    Cropping3D,
    RepeatVector,
    UpSampling1D,
    UpSampling2D,
    UpSampling3D,
)

__all__ = [name for name in dir() if not name.startswith("_")]


def __getattr__(name):
    # Keras 2 module paths that are not imported above (``npconv.layers.merge.Add``)
    if name in ("advanced_activations", "merge"):
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    from .._missing import not_provided

    raise not_provided(__name__, name, globals())
