"""Reference outputs of real Keras's transposed, depthwise and separable convolution layers.

Run with TensorFlow's Keras in a separate virtual environment (never needed by npconv):

    python3 -m venv /tmp/tfenv && /tmp/tfenv/bin/pip install tensorflow-cpu==2.21.0
    CUDA_VISIBLE_DEVICES= TF_CPP_MIN_LOG_LEVEL=3 /tmp/tfenv/bin/python \
        tools/keras_references/conv_transpose.py

Writes ``tests/references/keras_conv_transpose.npz``, in the form of ``keras_layers.npz``
(see ``layers.py``): per case the layer as JSON (class name, arguments, input shape), the input,
the weights (in ``get_weights`` order, Keras's initial ones plus noise, so that the bias is not
zero) and Keras's ``predict`` output. ``tests/layers/test_conv_transpose_layers.py`` rebuilds
each layer in npconv, sets the weights and compares.

Also writes a small model of all these layer kinds as Keras saves it, ``model.save`` to
``tests/references/keras_files/conv_family.keras`` and ``.h5`` (legacy format), with its input
and Keras's prediction stored in the npz as ``file/x`` and ``file/y``: npconv's
``load_model`` must rebuild it from Keras's own configs and predict the same.

Not covered, because TensorFlow itself refuses it: ``padding='same'`` with an even kernel and
``output_padding=0`` (TensorFlow's backprop-input kernel wants the output length that 'same'
forward padding maps back, which that combination does not give). npconv computes it with
Keras's backend-neutral padding rule, as Keras's JAX and NumPy backends do.
"""

from __future__ import annotations

import json
import os
import pathlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import keras  # noqa: E402
import numpy as np  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parents[2] / "tests" / "references"
RNG = np.random.default_rng(10)

CF = {"data_format": "channels_first"}

# (case name, layer class, arguments, input shape without batch)
CASES = [
    # Conv1DTranspose: strides 1-3, both paddings, output_padding, dilation, channels first
    ("t1_s1_valid", "Conv1DTranspose", {"filters": 2, "kernel_size": 3}, (5, 3)),
    ("t1_s2_valid", "Conv1DTranspose", {"filters": 2, "kernel_size": 3, "strides": 2}, (5, 3)),
    ("t1_s3_valid_k2", "Conv1DTranspose", {"filters": 2, "kernel_size": 2, "strides": 3},
     (5, 3)),
    ("t1_s2_same", "Conv1DTranspose",
     {"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same"}, (5, 3)),
    ("t1_s3_same_k4", "Conv1DTranspose",
     {"filters": 2, "kernel_size": 4, "strides": 3, "padding": "same"}, (5, 3)),
    ("t1_s2_valid_op1", "Conv1DTranspose",
     {"filters": 2, "kernel_size": 3, "strides": 2, "output_padding": 1}, (5, 3)),
    ("t1_s3_same_op2", "Conv1DTranspose",
     {"filters": 2, "kernel_size": 3, "strides": 3, "padding": "same", "output_padding": 2},
     (5, 3)),
    ("t1_s2_same_op0", "Conv1DTranspose",
     {"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same", "output_padding": 0},
     (5, 3)),
    ("t1_d2_valid", "Conv1DTranspose",
     {"filters": 2, "kernel_size": 3, "dilation_rate": 2}, (5, 3)),
    ("t1_d2_same", "Conv1DTranspose",
     {"filters": 2, "kernel_size": 3, "dilation_rate": 2, "padding": "same"}, (5, 3)),
    ("t1_s2_same_first", "Conv1DTranspose",
     {"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same", **CF}, (3, 5)),
    # Conv2DTranspose
    ("t2_s2_same_relu", "Conv2DTranspose",
     {"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same", "activation": "relu"},
     (4, 5, 2)),
    ("t2_s1_valid_nobias", "Conv2DTranspose",
     {"filters": 3, "kernel_size": (2, 3), "use_bias": False}, (4, 5, 2)),
    ("t2_s2_valid_op1", "Conv2DTranspose",
     {"filters": 3, "kernel_size": 3, "strides": 2, "output_padding": 1}, (4, 5, 2)),
    ("t2_s23_same_op12", "Conv2DTranspose",
     {"filters": 3, "kernel_size": (3, 2), "strides": (2, 3), "padding": "same",
      "output_padding": (1, 2)}, (4, 5, 2)),
    ("t2_s3_valid", "Conv2DTranspose",
     {"filters": 3, "kernel_size": 3, "strides": 3}, (4, 5, 2)),
    ("t2_d2_same", "Conv2DTranspose",
     {"filters": 3, "kernel_size": 3, "dilation_rate": 2, "padding": "same"}, (4, 5, 2)),
    ("t2_d12_valid", "Conv2DTranspose",
     {"filters": 3, "kernel_size": 2, "dilation_rate": (1, 2)}, (4, 5, 2)),
    ("t2_s2_same_op1_first", "Conv2DTranspose",
     {"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same", "output_padding": 1,
      **CF}, (2, 4, 5)),
    ("t2_s2_valid_first", "Conv2DTranspose",
     {"filters": 3, "kernel_size": 2, "strides": 2, **CF}, (2, 4, 5)),
    # Conv3DTranspose
    ("t3_s2_valid", "Conv3DTranspose", {"filters": 2, "kernel_size": 2, "strides": 2},
     (3, 4, 3, 2)),
    ("t3_s123_same", "Conv3DTranspose",
     {"filters": 2, "kernel_size": 3, "strides": (1, 2, 3), "padding": "same"}, (3, 4, 3, 2)),
    ("t3_s2_same_op1_first", "Conv3DTranspose",
     {"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same", "output_padding": 1,
      **CF}, (2, 3, 4, 3)),
    ("t3_d2_valid", "Conv3DTranspose",
     {"filters": 2, "kernel_size": 2, "dilation_rate": 2}, (3, 4, 3, 2)),
    ("t3_s3_valid_op2", "Conv3DTranspose",
     {"filters": 2, "kernel_size": 2, "strides": 3, "output_padding": 2}, (3, 4, 3, 2)),
    # DepthwiseConv1D/2D
    ("dw1_same_m2", "DepthwiseConv1D", {"kernel_size": 3, "padding": "same",
                                        "depth_multiplier": 2}, (6, 3)),
    ("dw1_s2_valid", "DepthwiseConv1D", {"kernel_size": 3, "strides": 2}, (7, 3)),
    ("dw2_valid", "DepthwiseConv2D", {"kernel_size": 3}, (5, 6, 3)),
    ("dw2_s2_same_m2_relu", "DepthwiseConv2D",
     {"kernel_size": 3, "strides": 2, "padding": "same", "depth_multiplier": 2,
      "activation": "relu"}, (5, 6, 3)),
    ("dw2_d2_same", "DepthwiseConv2D",
     {"kernel_size": (3, 2), "dilation_rate": 2, "padding": "same"}, (5, 6, 3)),
    ("dw2_first_nobias", "DepthwiseConv2D",
     {"kernel_size": 2, "depth_multiplier": 3, "use_bias": False, **CF}, (3, 5, 6)),
    # SeparableConv1D/2D
    ("sep1_same_m2", "SeparableConv1D",
     {"filters": 4, "kernel_size": 3, "padding": "same", "depth_multiplier": 2}, (6, 3)),
    ("sep1_s2_valid", "SeparableConv1D", {"filters": 2, "kernel_size": 3, "strides": 2},
     (7, 3)),
    ("sep2_same", "SeparableConv2D", {"filters": 4, "kernel_size": 3, "padding": "same"},
     (5, 6, 3)),
    ("sep2_s2_valid_m2_relu", "SeparableConv2D",
     {"filters": 2, "kernel_size": 3, "strides": 2, "depth_multiplier": 2,
      "activation": "relu"}, (5, 6, 3)),
    ("sep2_d2_same_first", "SeparableConv2D",
     {"filters": 4, "kernel_size": 3, "dilation_rate": 2, "padding": "same", **CF},
     (3, 5, 6)),
]


def references():
    out = {}
    for name, cls, kwargs, shape in CASES:
        # As in layers.py: channels-first cases run as the channels-last layer on transposed
        # data (same weights), since TensorFlow's CPU kernels lack most channels-first ones.
        first = kwargs.get("data_format") == "channels_first"
        keras_kwargs = {**kwargs, "data_format": "channels_last"} if first else kwargs
        to_last = (0, *range(2, len(shape) + 1), 1)
        to_first = (0, len(shape), *range(1, len(shape)))
        x = RNG.standard_normal((2, *shape)).astype("float32")
        keras_x = x.transpose(to_last) if first else x
        layer = getattr(keras.layers, cls)(**keras_kwargs)
        model = keras.Sequential([keras.Input(keras_x.shape[1:]), layer])
        weights = [
            w + RNG.standard_normal(w.shape).astype("float32") * 0.5 for w in model.get_weights()
        ]
        model.set_weights(weights)
        y = model.predict(keras_x, verbose=0)
        if first:
            y = y.transpose(to_first)
        out[f"{name}/spec"] = json.dumps({"class_name": cls, "config": kwargs,
                                          "input_shape": shape})
        out[f"{name}/x"] = x
        out[f"{name}/y"] = y
        for i, w in enumerate(weights):
            out[f"{name}/w{i}"] = w
    return out


def model_file(arrays):
    model = keras.Sequential([
        keras.Input((8, 8, 2)),
        keras.layers.SeparableConv2D(4, 3, padding="same", depth_multiplier=2,
                                     activation="relu"),
        keras.layers.DepthwiseConv2D(3, strides=2, padding="same"),
        keras.layers.Conv2DTranspose(3, 3, strides=2, padding="same", output_padding=1,
                                     activation="relu"),
        keras.layers.Conv2DTranspose(2, 2, dilation_rate=2),
        keras.layers.Reshape((10 * 10, 2)),
        keras.layers.SeparableConv1D(3, 3, strides=2),
        keras.layers.DepthwiseConv1D(3, depth_multiplier=2, padding="same"),
        keras.layers.Conv1DTranspose(2, 3, strides=3, padding="same"),
    ])
    model.set_weights([RNG.standard_normal(w.shape).astype("float32") * 0.5
                       for w in model.get_weights()])
    x = RNG.standard_normal((3, 8, 8, 2)).astype("float32")
    arrays["file/x"] = x
    arrays["file/y"] = model.predict(x, verbose=0)
    folder = OUT / "keras_files"
    folder.mkdir(exist_ok=True)
    model.save(folder / "conv_family.keras")
    model.save(folder / "conv_family.h5")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    arrays = references()
    model_file(arrays)
    path = OUT / "keras_conv_transpose.npz"
    tmp = path.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, **arrays)
    os.replace(tmp, path)
    print(f"{path}: {len(arrays)} arrays, {path.stat().st_size} bytes, keras {keras.__version__}")


if __name__ == "__main__":
    main()
