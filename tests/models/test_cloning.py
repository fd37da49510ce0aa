"""clone_model (Sequential and functional: same config, fresh weights, shared layers stay
shared, clone_function, input_tensors), Model.to_json / model_from_json (npconv's and real
Keras's JSON)."""

import json
import pathlib

import numpy as np
import pytest

import npconv
from npconv import layers as L
from npconv.models import clone_model, model_from_json

REF = np.load(
    pathlib.Path(__file__).resolve().parents[1] / "references" / "keras_losses_metrics.npz"
)
X = np.random.default_rng(0).random((3, 8, 8, 1)).astype("float32")


def cnn():
    return npconv.Sequential(
        [
            L.Conv2D(4, 3, activation="relu", input_shape=(8, 8, 1)),
            L.MaxPooling2D(),
            L.Flatten(),
            L.Dense(3, activation="softmax"),
        ],
        name="cnn",
    )


def shared_graph():
    inputs = L.Input((6,), name="x")
    dense = L.Dense(6, name="shared")
    a = dense(inputs)
    b = dense(L.Dense(6, name="other")(a))
    return npconv.Model(inputs, L.Add(name="sum")([a, b]), name="graph")


def test_sequential_clone_has_the_config_and_fresh_weights():
    model = cnn()
    clone = clone_model(model)
    assert clone is not model and clone.get_config() == model.get_config()
    assert [w.shape for w in clone.get_weights()] == [w.shape for w in model.get_weights()]
    assert not np.allclose(clone.get_weights()[0], model.get_weights()[0])
    assert all(a is not b for a, b in zip(clone.layers, model.layers))
    clone.set_weights(model.get_weights())
    np.testing.assert_array_equal(clone.predict(X, verbose=0), model.predict(X, verbose=0))


def test_functional_clone_shares_what_the_original_shares():
    model = shared_graph()
    clone = clone_model(model)
    assert [layer.name for layer in clone.layers] == [layer.name for layer in model.layers]
    assert len(clone.weights) == len(model.weights) == 4  # "shared" counted once
    clone.set_weights(model.get_weights())
    x = np.random.default_rng(1).random((2, 6)).astype("float32")
    np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0))


def test_clone_function_and_input_tensors():
    model = cnn()
    dense = model.layers[-1]
    clone = clone_model(
        model,
        input_tensors=L.Input(batch_shape=(None, 8, 8, 1)),
        clone_function=lambda layer: layer if layer is dense else layer.from_config(
            layer.get_config()
        ),
    )
    assert clone.layers[-1] is dense
    graph = shared_graph()
    new_input = L.Input((6,), name="new_x")
    assert clone_model(graph, input_tensors=[new_input]).inputs[0] is new_input
    with pytest.raises(ValueError, match="has 1 inputs, got 2"):
        clone_model(graph, input_tensors=[new_input, new_input])


def test_subclassed_model_is_refused_with_a_reason():
    class Net(npconv.Model):
        def __init__(self):
            super().__init__()
            self.dense = L.Dense(2)

        def call(self, x, training=False):
            return self.dense(x)

    with pytest.raises(ValueError, match="subclassed model has no graph"):
        clone_model(Net())


@pytest.mark.parametrize("make", [cnn, shared_graph])
def test_to_json_round_trip(make):
    model = make()
    text = model.to_json()
    assert json.loads(text)["class_name"] in ("Sequential", "Functional")
    again = model_from_json(text)
    assert type(again) is type(model) and again.get_config() == model.get_config()


@pytest.mark.parametrize(
    "name, shapes",
    [
        ("sequential", [(3, 3, 1, 4), (4,), (100, 5), (5,)]),
        ("functional", [(10, 8), (8,), (18, 1), (1,)]),
    ],
)
def test_model_from_keras_json(name, shapes):
    model = model_from_json(str(REF[f"model_json/{name}"]))
    assert [w.shape for w in model.get_weights()] == shapes


def test_model_from_json_rejects_what_is_not_a_model():
    with pytest.raises(ValueError, match="not JSON"):
        model_from_json("{nope")
    with pytest.raises(ValueError, match="'class_name' and 'config'"):
        model_from_json("[1, 2]")


def test_nested_model_is_cloned_too():
    inner = npconv.Sequential([L.Dense(4, activation="relu", input_shape=(6,)), L.Dense(2)])
    inputs = L.Input((6,))
    model = npconv.Model(inputs, L.Dense(1)(inner(inputs)))
    clone = clone_model(model)
    assert clone.layers[1] is not inner and len(clone.weights) == len(model.weights) == 6
    clone.set_weights(model.get_weights())
    x = np.random.default_rng(2).random((3, 6)).astype("float32")
    np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0))
