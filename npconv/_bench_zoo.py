"""The models ``npconv bench`` times: the three tutorial models and a zoo of the CNNs people
train after the tutorials, each written for Keras 3 and for PyTorch with the same layers,
shapes, loss and optimizer.

The Keras version is written once (``build_keras_style(k, name)``) and run with ``k`` the
``keras`` module or the ``npconv`` module: the same source, only ``keras`` -> ``npconv``, which
is the promise npconv makes its users. The PyTorch version (``build_torch``) is the same net
in PyTorch's idiom: NCHW data, the classifiers' softmax folded into ``CrossEntropyLoss`` on the
logits, BatchNormalization with Keras's momentum (0.99, i.e. PyTorch's 0.01) and epsilon
(1e-3), Adam and Adadelta with Keras's epsilon (1e-7). Initializers and regularizers are left
at each framework's default: they do not change the time of a step.

This module imports only the standard library at the top (each builder imports its framework
inside), so the Keras and PyTorch interpreters load it by path without npconv's packages.

The models (``ZOO``; input shapes channels_last without the batch axis):

- ``mnist_simple`` (tutorial 002): Conv16-Conv8-Dense10, Adam, batch 32, 28x28x1.
- ``mnist_cnn`` (tutorial 004): Conv32-Conv64-MaxPool-Dropout-Dense128-Dropout-Dense10,
  Adadelta(1.0), batch 128, 28x28x1.
- ``cifar10_cnn`` (tutorials 001/003): Conv32 same-Dropout-Conv32-MaxPool-Dense512-Dropout-
  Dense10, SGD(0.01, momentum 0.5), batch 512, 32x32x3.
- ``resnet20_b32`` / ``resnet20_b128``: ResNet-20 v1 of Keras's ``cifar10_resnet`` example
  (3 stages x 3 basic blocks of 16/32/64 filters; Conv3x3-BN-ReLU, Conv3x3-BN, add, ReLU; the
  first block of stages 2 and 3 strided 3x3 with a 1x1 strided projection shortcut, which the
  example leaves without BatchNormalization; global average pooling; Dense softmax 10), Adam
  1e-3, batch 32 and 128, 32x32x3. The example's l2(1e-4) kernel regularizer is left out.
- ``vgg_bn``: [Conv3x3 same-BN-ReLU x2, MaxPool2] x3 with 32/64/128 filters, Flatten,
  Dense softmax 10, Adam, batch 128, 32x32x3.
- ``conv_autoencoder``: Conv32 same relu-MaxPool-Conv16 same relu-MaxPool (7x7x16), then
  Conv2DTranspose16 3x3 stride 2 relu (14x14)-UpSampling2D (28x28)-Conv1 3x3 same sigmoid;
  binary cross-entropy against the input, Adam, batch 128, 28x28x1.
- ``lenet5``: Conv6 5x5 tanh-AveragePool-Conv16 5x5 tanh-AveragePool-Dense120 tanh-Dense84
  tanh-Dense softmax 10, SGD(0.01), batch 64, 32x32x1.
- ``conv1d_seq``: Conv1D64 k5 relu-MaxPool1D-Conv1D64 k5 relu-GlobalMaxPool1D-Dense softmax 10,
  Adam, batch 64, 128 steps x 16 channels.
- ``conv3d_vol``: Conv3D16 k3 relu-MaxPool3D-Conv3D32 k3 relu-GlobalAveragePool3D-Dense
  softmax 10, Adam, batch 32, 16x16x16x1.
"""

from __future__ import annotations

ZOO = {
    "mnist_simple": {
        "title": "002 mnist_simple: Conv16-Conv8-Dense10, Adam, batch 32",
        "input": (28, 28, 1), "batch": 32, "optimizer": "adam", "loss": "categorical",
    },
    "mnist_cnn": {
        "title": "004 mnist_cnn: Conv32-Conv64-Pool-Drop-Dense128-Drop-Dense10, Adadelta, "
                 "batch 128",
        "input": (28, 28, 1), "batch": 128, "optimizer": "adadelta", "loss": "categorical",
    },
    "cifar10_cnn": {
        "title": "cifar10_cnn: Conv32same-Drop-Conv32-Pool-Dense512-Drop-Dense10, SGD, batch 512",
        "input": (32, 32, 3), "batch": 512, "optimizer": "sgd_momentum", "loss": "categorical",
    },
    "resnet20_b32": {
        "title": "ResNet-20 v1 (Keras cifar10_resnet), Adam, batch 32",
        "input": (32, 32, 3), "batch": 32, "optimizer": "adam", "loss": "categorical",
    },
    "resnet20_b128": {
        "title": "ResNet-20 v1 (Keras cifar10_resnet), Adam, batch 128",
        "input": (32, 32, 3), "batch": 128, "optimizer": "adam", "loss": "categorical",
    },
    "vgg_bn": {
        "title": "VGG-style [Conv-BN-ReLU x2, Pool] x3 32/64/128, Dense10, Adam, batch 128",
        "input": (32, 32, 3), "batch": 128, "optimizer": "adam", "loss": "categorical",
    },
    "conv_autoencoder": {
        "title": "conv autoencoder: Conv/MaxPool encoder, Conv2DTranspose/UpSampling2D decoder, "
                 "sigmoid, binary cross-entropy, Adam, batch 128",
        "input": (28, 28, 1), "batch": 128, "optimizer": "adam", "loss": "binary",
    },
    "lenet5": {
        "title": "LeNet-5: Conv6 5x5 tanh-AvgPool-Conv16 5x5 tanh-AvgPool-120-84-10, SGD, batch 64",
        "input": (32, 32, 1), "batch": 64, "optimizer": "sgd", "loss": "categorical",
    },
    "conv1d_seq": {
        "title": "Conv1D on sequences (128x16): Conv64 k5-MaxPool-Conv64 k5-GlobalMaxPool-Dense10, "
                 "Adam, batch 64",
        "input": (128, 16), "batch": 64, "optimizer": "adam", "loss": "categorical",
    },
    "conv3d_vol": {
        "title": "Conv3D on volumes (16^3x1): Conv16 k3-MaxPool3D-Conv32 k3-GlobalAvgPool3D-"
                 "Dense10, Adam, batch 32",
        "input": (16, 16, 16, 1), "batch": 32, "optimizer": "adam", "loss": "categorical",
    },
}
TUTORIAL = ("mnist_simple", "mnist_cnn", "cifar10_cnn")
NUM_CLASSES = 10

# Keras 3.15's model.count_params() for each model, printed by tools/bench_zoo_params.py with the
# reference interpreter (PyTorch's counts, with BatchNormalization's running statistics, are the
# same); the tests check npconv's counts against these.
KERAS_PARAMS = {
    "mnist_simple": 47_410,
    "mnist_cnn": 1_199_882,
    "cifar10_cnn": 3_702_186,
    "resnet20_b32": 274_442,
    "resnet20_b128": 274_442,
    "vgg_bn": 309_290,
    "conv_autoencoder": 7_409,
    "lenet5": 61_706,
    "conv1d_seq": 26_378,
    "conv3d_vol": 14_634,
}


def _check(name):
    if name not in ZOO:
        raise ValueError(f"unknown model {name!r}; choose from {', '.join(ZOO)}")
    return ZOO[name]


# --- Keras 3 and npconv: one source, k = keras or npconv ------------------------------------


def _resnet20(k, shape):
    layers = k.layers

    def conv_bn(x, filters, kernel=3, strides=1, relu=True):
        x = layers.Conv2D(filters, kernel, strides=strides, padding="same")(x)
        x = layers.BatchNormalization()(x)
        return layers.Activation("relu")(x) if relu else x

    inputs = k.Input(shape)
    x = conv_bn(inputs, 16)
    for stage, filters in enumerate((16, 32, 64)):
        for block in range(3):
            strides = 2 if stage > 0 and block == 0 else 1
            y = conv_bn(x, filters, strides=strides)
            y = conv_bn(y, filters, relu=False)
            if strides == 2:  # the projection shortcut (no BatchNormalization in the example)
                x = layers.Conv2D(filters, 1, strides=2, padding="same")(x)
            x = layers.Activation("relu")(layers.add([x, y]))
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(NUM_CLASSES, activation="softmax")(x)
    return k.Model(inputs, outputs)


def _keras_layers(k, name, shape):
    """The layers of a Sequential model (ResNet-20, which has branches, is built apart)."""
    L = k.layers
    if name == "mnist_simple":
        return [L.Conv2D(16, 3, activation="relu"), L.Conv2D(8, 3, activation="relu"),
                L.Flatten(), L.Dense(10, activation="softmax")]
    if name == "mnist_cnn":
        return [L.Conv2D(32, 3, activation="relu"), L.Conv2D(64, 3, activation="relu"),
                L.MaxPooling2D(2), L.Dropout(0.25), L.Flatten(), L.Dense(128, activation="relu"),
                L.Dropout(0.5), L.Dense(10, activation="softmax")]
    if name == "cifar10_cnn":
        return [L.Conv2D(32, 3, padding="same", activation="relu"), L.Dropout(0.2),
                L.Conv2D(32, 3, activation="relu"), L.MaxPooling2D(2), L.Flatten(),
                L.Dense(512, activation="relu"), L.Dropout(0.3), L.Dense(10, activation="softmax")]
    if name == "vgg_bn":
        rows = []
        for filters in (32, 64, 128):
            for _ in range(2):
                rows += [L.Conv2D(filters, 3, padding="same"), L.BatchNormalization(),
                         L.Activation("relu")]
            rows.append(L.MaxPooling2D(2))
        return rows + [L.Flatten(), L.Dense(10, activation="softmax")]
    if name == "conv_autoencoder":
        return [L.Conv2D(32, 3, padding="same", activation="relu"), L.MaxPooling2D(2),
                L.Conv2D(16, 3, padding="same", activation="relu"), L.MaxPooling2D(2),
                L.Conv2DTranspose(16, 3, strides=2, padding="same", activation="relu"),
                L.UpSampling2D(2), L.Conv2D(1, 3, padding="same", activation="sigmoid")]
    if name == "lenet5":
        return [L.Conv2D(6, 5, activation="tanh"), L.AveragePooling2D(2),
                L.Conv2D(16, 5, activation="tanh"), L.AveragePooling2D(2), L.Flatten(),
                L.Dense(120, activation="tanh"), L.Dense(84, activation="tanh"),
                L.Dense(10, activation="softmax")]
    if name == "conv1d_seq":
        return [L.Conv1D(64, 5, activation="relu"), L.MaxPooling1D(2),
                L.Conv1D(64, 5, activation="relu"), L.GlobalMaxPooling1D(),
                L.Dense(10, activation="softmax")]
    if name == "conv3d_vol":
        return [L.Conv3D(16, 3, activation="relu"), L.MaxPooling3D(2),
                L.Conv3D(32, 3, activation="relu"), L.GlobalAveragePooling3D(),
                L.Dense(10, activation="softmax")]
    raise ValueError(f"no Keras layers for {name!r}")


def _keras_optimizer(k, kind):
    opt = k.optimizers
    if kind == "adam":
        return opt.Adam(learning_rate=1e-3)
    if kind == "adadelta":
        return opt.Adadelta(learning_rate=1.0)  # Keras 2's default, which tutorial 004 used
    if kind == "sgd_momentum":
        return opt.SGD(learning_rate=0.01, momentum=0.5)
    return opt.SGD(learning_rate=0.01)


def build_keras_style(k, name):
    """``name`` built and compiled with ``k``, the ``keras`` module or the ``npconv`` module."""
    spec = _check(name)
    if name.startswith("resnet20"):
        model = _resnet20(k, spec["input"])
    else:
        model = k.Sequential([k.Input(spec["input"]), *_keras_layers(k, name, spec["input"])])
    if spec["loss"] == "binary":
        model.compile(optimizer=_keras_optimizer(k, spec["optimizer"]), loss="binary_crossentropy")
    else:
        model.compile(optimizer=_keras_optimizer(k, spec["optimizer"]),
                      loss="categorical_crossentropy", metrics=["accuracy"])
    return model


# --- PyTorch ---------------------------------------------------------------------------------


def build_torch(name):
    """``(model, optimizer, loss_fn)`` for ``name`` in PyTorch (NCHW / NCL / NCDHW input)."""
    import torch
    from torch import nn

    spec = _check(name)
    bn = {"eps": 1e-3, "momentum": 0.01}  # Keras's BatchNormalization defaults

    if name == "mnist_simple":
        model = nn.Sequential(nn.Conv2d(1, 16, 3), nn.ReLU(), nn.Conv2d(16, 8, 3), nn.ReLU(),
                              nn.Flatten(), nn.Linear(24 * 24 * 8, 10))
    elif name == "mnist_cnn":
        model = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 64, 3), nn.ReLU(),
                              nn.MaxPool2d(2), nn.Dropout(0.25), nn.Flatten(),
                              nn.Linear(12 * 12 * 64, 128), nn.ReLU(), nn.Dropout(0.5),
                              nn.Linear(128, 10))
    elif name == "cifar10_cnn":
        model = nn.Sequential(nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.Dropout(0.2),
                              nn.Conv2d(32, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                              nn.Linear(15 * 15 * 32, 512), nn.ReLU(), nn.Dropout(0.3),
                              nn.Linear(512, 10))
    elif name.startswith("resnet20"):
        model = _TorchResNet20(nn, bn)
    elif name == "vgg_bn":
        mods, c = [], 3
        for filters in (32, 64, 128):
            for _ in range(2):
                mods += [nn.Conv2d(c, filters, 3, padding=1), nn.BatchNorm2d(filters, **bn),
                         nn.ReLU()]
                c = filters
            mods.append(nn.MaxPool2d(2))
        model = nn.Sequential(*mods, nn.Flatten(), nn.Linear(4 * 4 * 128, 10))
    elif name == "conv_autoencoder":
        model = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.ConvTranspose2d(16, 16, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
            nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(16, 1, 3, padding=1),
            nn.Sigmoid())
    elif name == "lenet5":
        model = nn.Sequential(nn.Conv2d(1, 6, 5), nn.Tanh(), nn.AvgPool2d(2),
                              nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2), nn.Flatten(),
                              nn.Linear(5 * 5 * 16, 120), nn.Tanh(), nn.Linear(120, 84),
                              nn.Tanh(), nn.Linear(84, 10))
    elif name == "conv1d_seq":
        model = nn.Sequential(nn.Conv1d(16, 64, 5), nn.ReLU(), nn.MaxPool1d(2),
                              nn.Conv1d(64, 64, 5), nn.ReLU(), nn.AdaptiveMaxPool1d(1),
                              nn.Flatten(), nn.Linear(64, 10))
    elif name == "conv3d_vol":
        model = nn.Sequential(nn.Conv3d(1, 16, 3), nn.ReLU(), nn.MaxPool3d(2),
                              nn.Conv3d(16, 32, 3), nn.ReLU(), nn.AdaptiveAvgPool3d(1),
                              nn.Flatten(), nn.Linear(32, 10))
    params = model.parameters()
    kind = spec["optimizer"]
    if kind == "adam":
        opt = torch.optim.Adam(params, lr=1e-3, eps=1e-7)
    elif kind == "adadelta":
        opt = torch.optim.Adadelta(params, lr=1.0, rho=0.95, eps=1e-7)
    elif kind == "sgd_momentum":
        opt = torch.optim.SGD(params, lr=0.01, momentum=0.5)
    else:
        opt = torch.optim.SGD(params, lr=0.01)
    loss_fn = nn.BCELoss() if spec["loss"] == "binary" else nn.CrossEntropyLoss()
    return model, opt, loss_fn


def _TorchResNet20(nn, bn):
    class Block(nn.Module):
        def __init__(self, c_in, c_out, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1)
            self.bn1 = nn.BatchNorm2d(c_out, **bn)
            self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1)
            self.bn2 = nn.BatchNorm2d(c_out, **bn)
            self.shortcut = nn.Conv2d(c_in, c_out, 1, stride=stride) if stride != 1 else None
            self.relu = nn.ReLU()

        def forward(self, x):
            y = self.relu(self.bn1(self.conv1(x)))
            y = self.bn2(self.conv2(y))
            if self.shortcut is not None:
                x = self.shortcut(x)
            return self.relu(x + y)

    blocks, c = [], 16
    for stage, filters in enumerate((16, 32, 64)):
        for block in range(3):
            blocks.append(Block(c, filters, 2 if stage > 0 and block == 0 else 1))
            c = filters
    return nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16, **bn), nn.ReLU(),
                         *blocks, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))


def torch_param_count(model):
    """Parameters plus BatchNormalization's running statistics, as Keras's ``count_params``
    counts its moving mean and variance (PyTorch keeps them as buffers)."""
    n = sum(p.numel() for p in model.parameters())
    return n + sum(b.numel() for key, b in model.named_buffers() if key.endswith(("running_mean",
                                                                                   "running_var")))
