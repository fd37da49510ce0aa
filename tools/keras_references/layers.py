"""Reference outputs of real Keras layers and training steps, for npconv's parity tests.

Run with TensorFlow's Keras in a separate virtual environment (never needed by npconv):

    python3 -m venv /tmp/tfenv && /tmp/tfenv/bin/pip install tensorflow-cpu==2.21.0
    /tmp/tfenv/bin/python tools/keras_references/layers.py

Writes ``tests/references/keras_layers.npz`` and ``tests/references/keras_training.npz``.
Each case stores its layer as JSON (class name, arguments, input shape), the inputs, the
weights (in ``get_weights`` order) and Keras's ``predict`` output; the tests rebuild the
layer in npconv from the JSON, ``set_weights``, and compare.
"""

from __future__ import annotations

import json
import os
import pathlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parents[2] / "tests" / "references"
RNG = np.random.default_rng(0)

# (case name, layer class, arguments, input shape without batch)
LAYER_CASES = [
    ("dense", "Dense", {"units": 5}, (7,)),
    ("dense_relu_3d", "Dense", {"units": 4, "activation": "relu"}, (3, 6)),
    ("dense_softmax", "Dense", {"units": 6, "activation": "softmax"}, (8,)),
    ("dense_nobias_tanh", "Dense", {"units": 3, "use_bias": False, "activation": "tanh"}, (5,)),
    ("activation_sigmoid", "Activation", {"activation": "sigmoid"}, (4, 5)),
    ("activation_elu", "Activation", {"activation": "elu"}, (9,)),
    ("activation_selu", "Activation", {"activation": "selu"}, (9,)),
    ("activation_gelu", "Activation", {"activation": "gelu"}, (9,)),
    ("activation_softplus", "Activation", {"activation": "softplus"}, (9,)),
    ("activation_softsign", "Activation", {"activation": "softsign"}, (9,)),
    ("activation_swish", "Activation", {"activation": "swish"}, (9,)),
    ("activation_hard_sigmoid", "Activation", {"activation": "hard_sigmoid"}, (9,)),
    ("activation_exponential", "Activation", {"activation": "exponential"}, (9,)),
    ("activation_leaky_relu", "Activation", {"activation": "leaky_relu"}, (9,)),
    ("flatten", "Flatten", {}, (3, 4, 2)),
    ("reshape", "Reshape", {"target_shape": [4, -1]}, (3, 4, 2)),
    ("permute", "Permute", {"dims": [2, 1, 3]}, (3, 4, 2)),
    ("dropout_inference", "Dropout", {"rate": 0.5}, (6,)),
    ("spatial_dropout1d", "SpatialDropout1D", {"rate": 0.5}, (5, 3)),
    ("spatial_dropout2d", "SpatialDropout2D", {"rate": 0.5}, (4, 4, 3)),
    ("spatial_dropout3d", "SpatialDropout3D", {"rate": 0.5}, (3, 3, 3, 2)),
    ("conv1d", "Conv1D", {"filters": 4, "kernel_size": 3}, (10, 3)),
    (
        "conv1d_same_s2",
        "Conv1D",
        {"filters": 4, "kernel_size": 4, "strides": 2, "padding": "same"},
        (11, 3),
    ),
    (
        "conv1d_causal_d2",
        "Conv1D",
        {"filters": 2, "kernel_size": 3, "padding": "causal", "dilation_rate": 2},
        (9, 2),
    ),
    ("conv2d", "Conv2D", {"filters": 4, "kernel_size": 3, "activation": "relu"}, (8, 8, 3)),
    (
        "conv2d_same_s2",
        "Conv2D",
        {"filters": 3, "kernel_size": (3, 2), "strides": 2, "padding": "same"},
        (7, 8, 2),
    ),
    (
        "conv2d_dilated",
        "Conv2D",
        {"filters": 2, "kernel_size": 3, "dilation_rate": 2, "padding": "same"},
        (9, 9, 2),
    ),
    ("conv2d_groups", "Conv2D", {"filters": 4, "kernel_size": 3, "groups": 2}, (6, 6, 4)),
    (
        "conv2d_channels_first",
        "Conv2D",
        {"filters": 3, "kernel_size": 3, "data_format": "channels_first"},
        (2, 7, 7),
    ),
    (
        "conv3d",
        "Conv3D",
        {"filters": 2, "kernel_size": 2, "padding": "same", "strides": (1, 2, 2)},
        (4, 5, 5, 2),
    ),
    ("maxpool1d", "MaxPooling1D", {"pool_size": 2}, (9, 3)),
    ("maxpool2d", "MaxPooling2D", {"pool_size": (2, 2)}, (7, 7, 3)),
    (
        "maxpool2d_same_s1",
        "MaxPooling2D",
        {"pool_size": 3, "strides": 1, "padding": "same"},
        (5, 6, 2),
    ),
    (
        "maxpool2d_channels_first",
        "MaxPooling2D",
        {"pool_size": 2, "data_format": "channels_first"},
        (2, 6, 6),
    ),
    ("maxpool3d", "MaxPooling3D", {"pool_size": 2}, (4, 4, 5, 2)),
    (
        "avgpool1d_same",
        "AveragePooling1D",
        {"pool_size": 3, "strides": 2, "padding": "same"},
        (8, 2),
    ),
    ("avgpool2d", "AveragePooling2D", {"pool_size": 2}, (6, 7, 3)),
    (
        "avgpool2d_same",
        "AveragePooling2D",
        {"pool_size": 3, "strides": 2, "padding": "same"},
        (7, 8, 2),
    ),
    ("avgpool3d", "AveragePooling3D", {"pool_size": 2, "padding": "same"}, (3, 4, 5, 2)),
    ("gmp1d", "GlobalMaxPooling1D", {}, (6, 3)),
    ("gmp2d", "GlobalMaxPooling2D", {}, (4, 5, 3)),
    ("gmp3d", "GlobalMaxPooling3D", {"keepdims": True}, (3, 3, 4, 2)),
    ("gap1d", "GlobalAveragePooling1D", {}, (6, 3)),
    ("gap2d", "GlobalAveragePooling2D", {"data_format": "channels_first"}, (3, 4, 5)),
    ("gap3d", "GlobalAveragePooling3D", {}, (3, 3, 4, 2)),
    ("zeropad1d", "ZeroPadding1D", {"padding": (1, 2)}, (4, 3)),
    ("zeropad2d", "ZeroPadding2D", {"padding": ((1, 0), (2, 1))}, (3, 4, 2)),
    ("zeropad3d", "ZeroPadding3D", {"padding": 1}, (2, 3, 2, 2)),
    ("batchnorm", "BatchNormalization", {}, (4, 4, 3)),
    ("batchnorm_axis1", "BatchNormalization", {"axis": 1, "epsilon": 0.01}, (3, 4, 4)),
    ("relu_layer", "ReLU", {"max_value": 1.0, "negative_slope": 0.1, "threshold": 0.2}, (9,)),
    ("leaky_relu_layer", "LeakyReLU", {}, (9,)),
    ("softmax_layer", "Softmax", {"axis": 1}, (4, 3)),
]

MERGE_CASES = [
    ("add", "Add", {}, 3),
    ("subtract", "Subtract", {}, 2),
    ("multiply", "Multiply", {}, 2),
    ("average", "Average", {}, 3),
    ("maximum", "Maximum", {}, 2),
    ("concatenate", "Concatenate", {"axis": -1}, 2),
    ("concatenate_axis1", "Concatenate", {"axis": 1}, 2),
]


def layer_references():
    out = {}
    for name, cls, kwargs, shape in LAYER_CASES:
        # TensorFlow's CPU kernels have no channels_first convolution or pooling: compute those
        # cases with the channels_last layer on transposed data (same weights) and transpose back.
        first = kwargs.get("data_format") == "channels_first"
        keras_kwargs = {**kwargs, "data_format": "channels_last"} if first else kwargs
        to_last = (0, *range(2, len(shape) + 1), 1)
        to_first = (0, len(shape), *range(1, len(shape)))
        layer = getattr(keras.layers, cls)(**keras_kwargs)
        x = RNG.standard_normal((4, *shape)).astype("float32")
        keras_x = x.transpose(to_last) if first else x
        model = keras.Sequential([keras.Input(keras_x.shape[1:]), layer])
        weights = [
            w + RNG.standard_normal(w.shape).astype("float32") * 0.5 for w in model.get_weights()
        ]
        if cls == "BatchNormalization":
            weights[-1] = np.abs(weights[-1]) + 0.5  # a variance is positive
        model.set_weights(weights)
        y = model.predict(keras_x, verbose=0)
        if first and y.ndim == x.ndim:
            y = y.transpose(to_first)
        out[f"{name}/spec"] = json.dumps(
            {"class_name": cls, "config": kwargs, "input_shape": shape}
        )
        out[f"{name}/x"] = x
        out[f"{name}/y"] = y
        for i, w in enumerate(weights):
            out[f"{name}/w{i}"] = w
    for name, cls, kwargs, n in MERGE_CASES:
        shapes = [(3, 4)] * n if "axis1" not in name else [(3, 4), (2, 4)]
        inputs = [keras.Input(s) for s in shapes]
        model = keras.Model(inputs, getattr(keras.layers, cls)(**kwargs)(inputs))
        xs = [RNG.standard_normal((4, *s)).astype("float32") for s in shapes]
        out[f"{name}/spec"] = json.dumps(
            {"class_name": cls, "config": kwargs, "input_shapes": shapes}
        )
        for i, x in enumerate(xs):
            out[f"{name}/x{i}"] = x
        out[f"{name}/y"] = model.predict(xs, verbose=0)
    return out


OPTIMIZER_CASES = [
    ("sgd", "SGD", {"learning_rate": 0.1}),
    ("sgd_momentum", "SGD", {"learning_rate": 0.05, "momentum": 0.5}),
    ("sgd_nesterov", "SGD", {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True}),
    ("adam", "Adam", {}),
    ("adam_amsgrad", "Adam", {"learning_rate": 0.01, "amsgrad": True}),
    ("adamw", "AdamW", {"learning_rate": 0.01}),
    ("adadelta", "Adadelta", {"learning_rate": 1.0}),
    ("rmsprop", "RMSprop", {}),
    ("rmsprop_centered_momentum", "RMSprop", {"momentum": 0.5, "centered": True}),
    ("adagrad", "Adagrad", {"learning_rate": 0.05}),
    ("adamax", "Adamax", {"learning_rate": 0.01}),
    ("nadam", "Nadam", {"learning_rate": 0.01}),
    ("sgd_clipnorm", "SGD", {"learning_rate": 0.1, "clipnorm": 0.1}),
    ("adam_clipvalue", "Adam", {"learning_rate": 0.01, "clipvalue": 0.01}),
    ("sgd_global_clipnorm", "SGD", {"learning_rate": 0.1, "global_clipnorm": 0.2}),
]


def small_model():
    return keras.Sequential(
        [
            keras.Input((6, 6, 2)),
            keras.layers.Conv2D(3, 3, activation="relu"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Flatten(),
            keras.layers.Dense(4, activation="softmax"),
        ]
    )


def training_references():
    out = {}
    x = RNG.standard_normal((8, 6, 6, 2)).astype("float32")
    y = keras.utils.to_categorical(RNG.integers(0, 4, 8), 4)
    start = [
        RNG.standard_normal(w.shape).astype("float32") * 0.5 for w in small_model().get_weights()
    ]
    out["x"], out["y"] = x, y
    for i, w in enumerate(start):
        out[f"w0_{i}"] = w
    for name, cls, kwargs in OPTIMIZER_CASES:
        model = small_model()
        model.set_weights(start)
        model.compile(
            optimizer=getattr(keras.optimizers, cls)(**kwargs),
            loss="categorical_crossentropy",
            metrics=["accuracy"],
        )
        losses = [model.train_on_batch(x, y)[0] for _ in range(5)]
        out[f"{name}/spec"] = json.dumps({"class_name": cls, "config": kwargs})
        out[f"{name}/losses"] = np.array(losses, dtype="float64")
        for i, w in enumerate(model.get_weights()):
            out[f"{name}/w{i}"] = w
    return out


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for filename, make in (
        ("keras_layers.npz", layer_references),
        ("keras_training.npz", training_references),
    ):
        arrays = make()
        path = OUT / filename
        np.savez_compressed(path, **arrays)
        print(
            f"{path}: {len(arrays)} arrays, {path.stat().st_size} bytes, keras {keras.__version__}"
        )


if __name__ == "__main__":
    main()
