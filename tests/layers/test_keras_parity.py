"""Every layer kind against real Keras 3.15: same weights and inputs -> Keras's predict output.

References: tests/references/keras_layers.npz, written by tools/keras_references/layers.py.
"""

import json
import pathlib

import numpy as np
import pytest

import npconv
from npconv import layers

REF = np.load(pathlib.Path(__file__).parents[1] / "references" / "keras_layers.npz")
CASES = sorted({k.split("/")[0] for k in REF.files})


def _spec(name):
    return json.loads(str(REF[f"{name}/spec"]))


@pytest.mark.parametrize("name", CASES)
def test_layer_matches_keras(name):
    spec = _spec(name)
    cls = getattr(layers, spec["class_name"])
    if "input_shapes" in spec:
        inputs = [npconv.Input(tuple(s)) for s in spec["input_shapes"]]
        model = npconv.Model(inputs, cls(**spec["config"])(inputs))
        xs = [REF[f"{name}/x{i}"] for i in range(len(inputs))]
        y = model.predict(xs, verbose=0)
    else:
        model = npconv.Sequential([npconv.Input(tuple(spec["input_shape"])), cls(**spec["config"])])
        weights = [REF[f"{name}/w{i}"] for i in range(len(model.get_weights()))]
        model.set_weights(weights)
        y = model.predict(REF[f"{name}/x"], verbose=0)
    expected = REF[f"{name}/y"]
    assert y.shape == expected.shape
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, expected, atol=1e-4, rtol=1e-4)


def test_every_requested_layer_kind_is_covered():
    covered = {_spec(name)["class_name"] for name in CASES}
    wanted = {
        "Dense",
        "Activation",
        "Flatten",
        "Reshape",
        "Permute",
        "Dropout",
        "SpatialDropout1D",
        "SpatialDropout2D",
        "SpatialDropout3D",
        "Conv1D",
        "Conv2D",
        "Conv3D",
        "MaxPooling1D",
        "MaxPooling2D",
        "MaxPooling3D",
        "AveragePooling1D",
        "AveragePooling2D",
        "AveragePooling3D",
        "GlobalMaxPooling1D",
        "GlobalMaxPooling2D",
        "GlobalMaxPooling3D",
        "GlobalAveragePooling1D",
        "GlobalAveragePooling2D",
        "GlobalAveragePooling3D",
        "ZeroPadding1D",
        "ZeroPadding2D",
        "ZeroPadding3D",
        "BatchNormalization",
        "Add",
        "Subtract",
        "Multiply",
        "Average",
        "Maximum",
        "Concatenate",
        "ReLU",
        "LeakyReLU",
        "Softmax",
    }
    assert wanted <= covered, wanted - covered
