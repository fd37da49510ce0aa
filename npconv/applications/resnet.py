"""ResNet (He et al. 2015) and ResNetV2 (He et al. 2016) as ``keras.applications`` builds them.

The same layers, names, shapes and defaults as Keras 3's ``keras/src/applications/resnet.py``
and ``resnet_v2.py``, so weights saved by Keras load by layer name:

- ResNet50/101/152 (v1): a 7x7/2 convolution and a 3x3/2 max pooling, then four stages of
  bottleneck blocks (1x1, 3x3, 1x1 convolutions, each followed by BatchNormalization; a ReLU
  after the residual ``add``), the first block of a stage with a 1x1 projection shortcut and
  the stride;
- ResNet50V2/101V2/152V2: pre-activation blocks (BatchNormalization and ReLU before each
  convolution), the stride in the last block of a stage, and BatchNormalization + ReLU after
  the last stage.

``weights=None`` builds the architecture with fresh weights (what keras.io's examples train
from scratch); ``weights='imagenet'`` loads Keras's published file from Keras's cache
(``~/.keras/models``), downloading it with ``npconv.utils.get_file`` where downloads are
allowed; any other string is a path to a weights file. On a CPU through NumPy these are big
nets (25 million weights, 4 GFLOPs an image at 224x224): fine to build, inspect and
fine-tune a head on, slow to train whole.
"""

from __future__ import annotations

from .. import layers as L
from ..models import Model

WEIGHTS_BASE = "https://storage.googleapis.com/tensorflow/keras-applications/resnet/"
WEIGHTS_HASHES = {  # (with the top, without), as Keras publishes them
    "resnet50": ("2cb95161c43110f7111970584f804107", "4d473c1dd8becc155b73f8504c6f6626"),
    "resnet101": ("f1aeb4b969a6efcfb50fad2f0c20cfc5", "88cf7a10940856eca736dc7b7e228a21"),
    "resnet152": ("100835be76be38e30d865e96f2aaae62", "ee4c566cf9a93f14d82f913c2dc6dd0c"),
    "resnet50v2": ("3ef43a0b657b3be2300d5770ece849e0", "fac2f116257151a9d068a22e544a4917"),
    "resnet101v2": ("6343647c601c52e1368623803854d971", "c0ed64b8031c3730f411d2eb4eea35b5"),
    "resnet152v2": ("a49b44d1979771252814e80f8ec446f9", "ed17cf2e0169df9d443503ef94b23b33"),
}
# blocks per stage (filters 64, 128, 256, 512)
BLOCKS = {50: (3, 4, 6, 3), 101: (3, 4, 23, 3), 152: (3, 8, 36, 3)}
EPSILON = 1.001e-5


def _bn(name):
    return L.BatchNormalization(axis=-1, epsilon=EPSILON, name=name)


def _block_v1(x, filters, stride=1, conv_shortcut=True, name=""):
    """A bottleneck block: shortcut + (1x1, 3x3, 1x1x4 convolutions, each batch-normalized),
    then ReLU."""
    if conv_shortcut:
        shortcut = L.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(x)
        shortcut = _bn(f"{name}_0_bn")(shortcut)
    else:
        shortcut = x
    x = L.Conv2D(filters, 1, strides=stride, name=f"{name}_1_conv")(x)
    x = L.Activation("relu", name=f"{name}_1_relu")(_bn(f"{name}_1_bn")(x))
    x = L.Conv2D(filters, 3, padding="same", name=f"{name}_2_conv")(x)
    x = L.Activation("relu", name=f"{name}_2_relu")(_bn(f"{name}_2_bn")(x))
    x = _bn(f"{name}_3_bn")(L.Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x))
    x = L.Add(name=f"{name}_add")([shortcut, x])
    return L.Activation("relu", name=f"{name}_out")(x)


def _block_v2(x, filters, stride=1, conv_shortcut=False, name=""):
    """A pre-activation bottleneck block: BatchNormalization + ReLU first, the stride on the
    3x3 convolution, no activation after the ``add``."""
    preact = L.Activation("relu", name=f"{name}_preact_relu")(_bn(f"{name}_preact_bn")(x))
    if conv_shortcut:
        shortcut = L.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(preact)
    else:
        shortcut = L.MaxPooling2D(1, strides=stride)(x) if stride > 1 else x
    x = L.Conv2D(filters, 1, strides=1, use_bias=False, name=f"{name}_1_conv")(preact)
    x = L.Activation("relu", name=f"{name}_1_relu")(_bn(f"{name}_1_bn")(x))
    x = L.ZeroPadding2D(padding=((1, 1), (1, 1)), name=f"{name}_2_pad")(x)
    x = L.Conv2D(filters, 3, strides=stride, use_bias=False, name=f"{name}_2_conv")(x)
    x = L.Activation("relu", name=f"{name}_2_relu")(_bn(f"{name}_2_bn")(x))
    x = L.Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    return L.Add(name=f"{name}_out")([shortcut, x])


def _stack_v1(x, filters, blocks, stride, name):
    x = _block_v1(x, filters, stride=stride, name=f"{name}_block1")
    for i in range(2, blocks + 1):
        x = _block_v1(x, filters, conv_shortcut=False, name=f"{name}_block{i}")
    return x


def _stack_v2(x, filters, blocks, stride, name):
    x = _block_v2(x, filters, conv_shortcut=True, name=f"{name}_block1")
    for i in range(2, blocks):
        x = _block_v2(x, filters, name=f"{name}_block{i}")
    return _block_v2(x, filters, stride=stride, name=f"{name}_block{blocks}")


def resnet(depth, v2, include_top, weights, input_tensor, input_shape, pooling, classes,
           classifier_activation, name):
    """The ResNet of ``depth`` (50, 101, 152), pre-activation when ``v2``."""
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError(f"{name}: weights='imagenet' with include_top=True needs classes=1000, "
                         f"got classes={classes}")
    if input_shape is None:
        input_shape = (224, 224, 3) if include_top or weights == "imagenet" else (None, None, 3)
    inputs = input_tensor if input_tensor is not None else L.Input(shape=input_shape)
    x = L.ZeroPadding2D(padding=((3, 3), (3, 3)), name="conv1_pad")(inputs)
    x = L.Conv2D(64, 7, strides=2, use_bias=True, name="conv1_conv")(x)
    if not v2:
        x = L.Activation("relu", name="conv1_relu")(_bn("conv1_bn")(x))
    x = L.ZeroPadding2D(padding=((1, 1), (1, 1)), name="pool1_pad")(x)
    x = L.MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    stack = _stack_v2 if v2 else _stack_v1
    for stage, (filters, blocks) in enumerate(zip((64, 128, 256, 512), BLOCKS[depth])):
        if v2:  # the stride sits in a stage's last block, and not in the last stage's
            stride = 1 if stage == 3 else 2
        else:  # in a stage's first block, and not in the first stage's
            stride = 1 if stage == 0 else 2
        x = stack(x, filters, blocks, stride, name=f"conv{stage + 2}")
    if v2:
        x = L.Activation("relu", name="post_relu")(_bn("post_bn")(x))
    if include_top:
        x = L.GlobalAveragePooling2D(name="avg_pool")(x)
        x = L.Dense(classes, activation=classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = L.GlobalAveragePooling2D(name="avg_pool")(x)
    elif pooling == "max":
        x = L.GlobalMaxPooling2D(name="max_pool")(x)
    model = Model(inputs, x, name=name)
    if weights == "imagenet":
        from ..utils import get_file

        key = name.lower()
        suffix = "" if include_top else "_notop"
        fname = f"{key}_weights_tf_dim_ordering_tf_kernels{suffix}.h5"
        path = get_file(fname, WEIGHTS_BASE + fname, cache_subdir="models",
                        file_hash=WEIGHTS_HASHES[key][0 if include_top else 1])
        model.load_weights(path)
    elif weights is not None:
        model.load_weights(weights)
    return model


def _builder(depth, v2, default_name):
    def build(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
              pooling=None, classes=1000, classifier_activation="softmax", name=default_name):
        return resnet(depth, v2, include_top, weights, input_tensor, input_shape, pooling,
                      classes, classifier_activation, name)

    build.__name__ = build.__qualname__ = default_name.replace("resnet", "ResNet").replace(
        "v2", "V2")
    build.__doc__ = (f"Keras's ``keras.applications.{build.__name__}`` (see "
                     "``applications.resnet``).")
    return build


ResNet50 = _builder(50, False, "resnet50")
ResNet101 = _builder(101, False, "resnet101")
ResNet152 = _builder(152, False, "resnet152")
ResNet50V2 = _builder(50, True, "resnet50v2")
ResNet101V2 = _builder(101, True, "resnet101v2")
ResNet152V2 = _builder(152, True, "resnet152v2")


def preprocess_input(x, data_format=None):
    """Keras's 'caffe' preprocessing of ResNet (v1), as VGG's: RGB -> BGR, ImageNet means
    subtracted."""
    from .vgg import preprocess_input as caffe

    return caffe(x, data_format)
