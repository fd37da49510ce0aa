"""``model.input``/``output``, ``layer.input``/``output`` and ``K.function``: the Keras idioms
for reading a trained model's activations (feature-map pictures, Grad-CAM's
``Model(model.inputs, [conv.output, model.output])``), for Sequential and functional models."""

import numpy as np
import pytest

import npconv
from npconv import backend as K
from npconv import layers as L


def sequential(first_input_shape=False):
    head = [L.Conv2D(4, 3, activation="relu", name="c1", input_shape=(10, 10, 1))] \
        if first_input_shape else [L.Input((10, 10, 1)), L.Conv2D(4, 3, activation="relu",
                                                                   name="c1")]
    model = npconv.Sequential([*head, L.MaxPooling2D(), L.Flatten(),
                               L.Dense(3, activation="softmax")])
    npconv.utils.set_random_seed(0)
    return model


@pytest.mark.parametrize("first_input_shape", [False, True])
def test_sequential_activations_model(first_input_shape):
    model = sequential(first_input_shape)
    assert model.input.shape == (None, 10, 10, 1) and model.output.shape == (None, 3)
    assert model.get_layer("c1").output.shape == (None, 8, 8, 4)
    activations = npconv.Model(inputs=model.inputs,
                               outputs=[layer.output for layer in model.layers])
    x = np.random.default_rng(0).random((5, 10, 10, 1)).astype("float32")
    outs = activations.predict(x, verbose=0)
    assert [o.shape for o in outs] == [(5, 8, 8, 4), (5, 4, 4, 4), (5, 64), (5, 3)]
    np.testing.assert_allclose(outs[-1], model.predict(x, verbose=0), rtol=1e-6)
    conv = model.get_layer("c1")
    expect = np.maximum(npconv.functions.conv.conv(x, conv.kernel, conv.bias).data, 0)
    np.testing.assert_allclose(outs[0], expect, rtol=1e-5, atol=1e-6)


def test_layers_added_later_and_popped_keep_one_graph():
    model = sequential()
    model.add(L.Dense(2))
    assert model.output.shape == (None, 2) and len(model.layers[-2].inbound_nodes) == 1
    model.pop()
    assert model.output.shape == (None, 3)


def test_grad_cam_model_of_a_functional_model():
    i = L.Input((10, 10, 1))
    c = L.Conv2D(3, 3, name="last_conv")(i)
    out = L.Dense(2)(L.Flatten()(c))
    model = npconv.Model(i, out)
    grad_model = npconv.Model(model.inputs, [model.get_layer("last_conv").output, model.output])
    conv_out, preds = grad_model.predict(np.ones((1, 10, 10, 1), "float32"), verbose=0)
    assert conv_out.shape == (1, 8, 8, 3) and preds.shape == (1, 2)


def test_errors_say_why():
    layer = L.Dense(2)
    with pytest.raises(AttributeError, match="never been called"):
        _ = layer.output
    i = L.Input((3,))
    shared = L.Dense(2)
    shared(i), shared(i)
    with pytest.raises(AttributeError, match="called 2 times"):
        _ = shared.output

    class Net(npconv.Model):
        def call(self, x):
            return x

    with pytest.raises(AttributeError, match="subclassed"):
        _ = Net().input


def test_k_function_reads_a_layer_and_takes_the_learning_phase():
    model = npconv.Sequential([L.Input((10, 10, 1)), L.Conv2D(4, 3, name="c1"),
                               L.Dropout(0.5), L.Flatten(), L.Dense(3)])
    x = np.random.default_rng(1).random((2, 10, 10, 1)).astype("float32")
    first = K.function([model.input], [model.layers[0].output])
    assert first([x])[0].shape == (2, 8, 8, 4)
    full = K.function([model.input, K.learning_phase()], [model.output])
    np.testing.assert_allclose(full([x, 0])[0], model.predict(x, verbose=0), rtol=1e-6)
    assert not np.allclose(full([x, 1])[0], full([x, 0])[0])  # dropout on when training
