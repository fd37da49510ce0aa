"""Reference outputs of the real Keras layers that issue 10 added to npconv (resampling,
cropping, Embedding, PReLU, noise, LayerNormalization, GroupNormalization, UnitNormalization,
Dot, ...), for ``tests/layers/test_keras_parity_extra.py``.

Run with TensorFlow's Keras in a separate virtual environment (never needed by npconv):

    python3 -m venv /tmp/tfenv && /tmp/tfenv/bin/pip install tensorflow-cpu==2.21.0
    CUDA_VISIBLE_DEVICES= /tmp/tfenv/bin/python tools/keras_references/layers_extra.py

Writes ``tests/references/keras_files/layers_extra.keras`` (a functional model of the new
layers, saved by Keras, with ``layers_extra_io.npz`` holding an input and Keras's prediction)
and ``tests/references/keras_files/lambda.keras`` (a Sequential model ending in a ``Lambda``
holding a Python lambda ``t * 2``), for npconv's import tests; and
``tests/references/keras_layers_extra.npz``, in the form of ``layers.py``'s
``keras_layers.npz``: per case its layer as JSON (class name, arguments, input shape or
shapes), the inputs, the weights (``get_weights`` order, perturbed so that no weight is at its
initial value) and Keras's ``predict`` output. ``<case>/loss`` holds the layer's ``losses``
summed after one call, where the layer adds one (``ActivityRegularization``).
"""

from __future__ import annotations

import json
import os
import pathlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parents[2] / "tests" / "references"
RNG = np.random.default_rng(10)
CF = {"data_format": "channels_first"}

# (case name, layer class, arguments, input shape without batch)
LAYER_CASES = [
    ("upsampling1d", "UpSampling1D", {"size": 3}, (5, 2)),
    ("upsampling2d", "UpSampling2D", {"size": (2, 3)}, (3, 4, 2)),
    ("upsampling2d_cf", "UpSampling2D", {"size": 2, **CF}, (2, 3, 4)),
    ("upsampling2d_bilinear", "UpSampling2D", {"size": (2, 3), "interpolation": "bilinear"},
     (3, 4, 2)),
    ("upsampling2d_bilinear_cf", "UpSampling2D",
     {"size": (3, 2), "interpolation": "bilinear", **CF}, (2, 4, 3)),
    ("upsampling2d_bilinear_1px", "UpSampling2D", {"size": 4, "interpolation": "bilinear"},
     (1, 2, 1)),
    ("upsampling3d", "UpSampling3D", {"size": (2, 1, 3)}, (2, 3, 2, 2)),
    ("upsampling3d_cf", "UpSampling3D", {"size": 2, **CF}, (2, 2, 3, 2)),
    ("cropping1d", "Cropping1D", {"cropping": (1, 2)}, (7, 3)),
    ("cropping1d_int", "Cropping1D", {"cropping": 2}, (7, 3)),
    ("cropping2d", "Cropping2D", {"cropping": ((1, 2), (0, 1))}, (6, 5, 2)),
    ("cropping2d_cf", "Cropping2D", {"cropping": (1, 2), **CF}, (2, 6, 7)),
    ("cropping3d", "Cropping3D", {"cropping": ((1, 0), (0, 1), (1, 1))}, (4, 4, 4, 2)),
    ("cropping3d_cf", "Cropping3D", {"cropping": 1, **CF}, (2, 4, 3, 5)),
    ("embedding", "Embedding", {"input_dim": 10, "output_dim": 4}, (6,)),
    ("embedding_2d_ids", "Embedding", {"input_dim": 7, "output_dim": 3}, (2, 5)),
    ("repeat_vector", "RepeatVector", {"n": 3}, (4,)),
    ("identity", "Identity", {}, (3, 4)),
    ("prelu", "PReLU", {}, (4, 3)),
    ("prelu_shared", "PReLU", {"shared_axes": [1, 2]}, (4, 5, 3)),
    ("gaussian_noise_inference", "GaussianNoise", {"stddev": 0.5}, (6,)),
    ("gaussian_dropout_inference", "GaussianDropout", {"rate": 0.3}, (6,)),
    ("alpha_dropout_inference", "AlphaDropout", {"rate": 0.2}, (6,)),
    ("activity_regularization", "ActivityRegularization", {"l1": 0.01, "l2": 0.02}, (5,)),
    ("layer_norm", "LayerNormalization", {}, (3, 5)),
    ("layer_norm_axes", "LayerNormalization", {"axis": [1, 2], "epsilon": 0.01}, (3, 4, 2)),
    ("layer_norm_no_center", "LayerNormalization", {"center": False}, (6,)),
    ("layer_norm_rms", "LayerNormalization", {"rms_scaling": True}, (3, 5)),
    ("group_norm", "GroupNormalization", {"groups": 2}, (4, 4, 6)),
    ("group_norm_cf", "GroupNormalization", {"groups": 3, "axis": 1}, (6, 4, 4)),
    ("group_norm_instance", "GroupNormalization", {"groups": -1, "scale": False}, (3, 3, 4)),
    ("unit_norm", "UnitNormalization", {}, (3, 5)),
    ("unit_norm_axes", "UnitNormalization", {"axis": [1, 2]}, (3, 4, 2)),
]

# (case name, layer class, arguments, input shapes without batch)
MERGE_CASES = [
    ("dot_2d", "Dot", {"axes": 1}, [(5,), (5,)]),
    ("dot_normalize", "Dot", {"axes": 1, "normalize": True}, [(5,), (5,)]),
    ("dot_3d", "Dot", {"axes": [2, 2]}, [(3, 4), (2, 4)]),
    ("dot_3d_axes12", "Dot", {"axes": [1, 2]}, [(4, 3), (2, 4)]),
    ("dot_negative_axes", "Dot", {"axes": -1}, [(3, 4), (2, 4)]),
    ("minimum", "Minimum", {}, [(3, 4), (3, 4)]),
]

INT_INPUT = {"Embedding"}


def _inputs(cls, shape, kwargs):
    if cls in INT_INPUT:
        return RNG.integers(0, kwargs["input_dim"], (4, *shape)).astype("int32")
    return RNG.standard_normal((4, *shape)).astype("float32")


def layer_references():
    out = {}
    for name, cls, kwargs, shape in LAYER_CASES:
        layer = getattr(keras.layers, cls)(**kwargs)
        x = _inputs(cls, shape, kwargs)
        dtype = "int32" if cls in INT_INPUT else "float32"
        model = keras.Sequential([keras.Input(shape, dtype=dtype), layer])
        weights = [
            w + RNG.standard_normal(w.shape).astype("float32") * 0.5 for w in model.get_weights()
        ]
        model.set_weights(weights)
        out[f"{name}/y"] = model.predict(x, verbose=0)
        layer(x)
        if layer.losses:
            out[f"{name}/loss"] = np.array(sum(float(v) for v in layer.losses))
        out[f"{name}/spec"] = json.dumps(
            {"class_name": cls, "config": kwargs, "input_shape": shape}
        )
        out[f"{name}/x"] = x
        for i, w in enumerate(weights):
            out[f"{name}/w{i}"] = w
    for name, cls, kwargs, shapes in MERGE_CASES:
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


def keras_files():
    """The .keras files (see the module docstring) and the npz of the first one's input and
    Keras's prediction."""
    layers = keras.layers
    inp = keras.Input((6, 6, 2))
    a = layers.UpSampling2D(2, interpolation="bilinear")(inp)
    a = layers.Cropping2D(((1, 1), (2, 2)))(a)
    a = layers.PReLU(shared_axes=[1, 2])(a)
    a = layers.GroupNormalization(groups=2)(a)
    a = layers.LayerNormalization()(a)
    b = layers.Cropping2D(((1, 1), (2, 2)))(layers.UpSampling2D(2)(inp))
    m = layers.average([layers.multiply([a, b]), a])
    m = layers.GaussianNoise(0.1)(m)
    f = layers.Flatten()(layers.UnitNormalization()(m))
    f = layers.Dense(4)(layers.AlphaDropout(0.1)(f))
    d = layers.dot([f, layers.RepeatVector(2)(f)], axes=(1, 2), normalize=True)
    model = keras.Model(inp, layers.concatenate([d, layers.Identity()(f)]))
    model.set_weights([
        w + RNG.standard_normal(w.shape).astype("float32") * 0.3 for w in model.get_weights()
    ])
    x = RNG.standard_normal((3, 6, 6, 2)).astype("float32")
    folder = OUT / "keras_files"
    model.save(folder / "layers_extra.keras")
    np.savez_compressed(folder / "layers_extra_io.npz", x=x, y=model.predict(x, verbose=0))
    lam = keras.Sequential([keras.Input((5,)), layers.Embedding(10, 3), layers.Flatten(),
                            layers.Lambda(lambda t: t * 2)])
    lam.save(folder / "lambda.keras")
    print(f"{folder}: layers_extra.keras, layers_extra_io.npz, lambda.keras")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    keras_files()
    arrays = layer_references()
    path = OUT / "keras_layers_extra.npz"
    np.savez_compressed(path, **arrays)
    print(f"{path}: {len(arrays)} arrays, {path.stat().st_size} bytes, keras {keras.__version__}")


if __name__ == "__main__":
    main()
