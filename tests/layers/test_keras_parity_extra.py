"""The layers issue 10 added against real Keras 3.15: same weights and inputs -> Keras's
predict output (and, for ActivityRegularization, Keras's added loss).

References: tests/references/keras_layers_extra.npz, written by
tools/keras_references/layers_extra.py.
"""

import json
import pathlib

import numpy as np
import pytest

import npconv
from npconv import layers

REF = np.load(pathlib.Path(__file__).parents[1] / "references" / "keras_layers_extra.npz")
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
        y = model.predict([REF[f"{name}/x{i}"] for i in range(len(inputs))], verbose=0)
    else:
        layer = cls(**spec["config"])
        model = npconv.Sequential([npconv.Input(tuple(spec["input_shape"])), layer])
        weights = [REF[f"{name}/w{i}"] for i in range(len(model.get_weights()))]
        assert f"{name}/w{len(weights)}" not in REF.files  # as many weights as Keras
        model.set_weights(weights)
        y = model.predict(REF[f"{name}/x"], verbose=0)
        if f"{name}/loss" in REF.files:
            layer(REF[f"{name}/x"])
            loss = sum(float(v.data) for v in layer.losses)
            np.testing.assert_allclose(loss, REF[f"{name}/loss"], rtol=1e-5)
    expected = REF[f"{name}/y"]
    assert y.shape == expected.shape
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, expected, atol=1e-5, rtol=1e-4)


def test_every_new_layer_kind_is_covered():
    covered = {_spec(name)["class_name"] for name in CASES}
    wanted = {
        "UpSampling1D", "UpSampling2D", "UpSampling3D", "Cropping1D", "Cropping2D", "Cropping3D",
        "Embedding", "RepeatVector", "Identity", "PReLU", "GaussianNoise", "GaussianDropout",
        "AlphaDropout", "ActivityRegularization", "LayerNormalization", "GroupNormalization",
        "UnitNormalization", "Dot", "Minimum",
    }
    assert wanted <= covered, wanted - covered
