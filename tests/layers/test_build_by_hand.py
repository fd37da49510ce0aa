"""A layer built by hand (``layer.build(shape)``, as custom layers and Keras tutorials do) is
marked built, as in Keras 3: its first call keeps the weights build made instead of building
again with new ones (which also left two sets of weights on the layer)."""

import numpy as np
import pytest

import npconv
from npconv import layers


@pytest.mark.parametrize("make, shape", [
    (lambda: layers.Conv2D(4, 3), (None, 8, 8, 2)),
    (lambda: layers.Dense(3), (None, 5)),
    (lambda: layers.BatchNormalization(), (None, 6)),
])
def test_call_after_build_keeps_the_weights(make, shape):
    layer = make()
    layer.build(shape)
    assert layer.built
    before = [w.copy() for w in layer.get_weights()]
    x = np.ones((2, *shape[1:]), "float32")
    layer(x)
    after = layer.get_weights()
    assert len(after) == len(before) == len(layer.weights)
    for a, b in zip(after, before):
        np.testing.assert_array_equal(a, b)


def test_keras2_weights_argument_is_set_by_a_build_by_hand():
    kernel = np.arange(10, dtype="float32").reshape(5, 2)
    bias = np.array([1.0, -1.0], "float32")
    layer = layers.Dense(2, weights=[kernel, bias])
    layer.build((None, 5))
    np.testing.assert_array_equal(layer.get_weights()[0], kernel)
    y = layer(np.ones((1, 5), "float32")).numpy()
    np.testing.assert_allclose(y, np.ones((1, 5)) @ kernel + bias)


def test_custom_layer_build_calling_super_is_built_once():
    class Scale(layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")
            super().build(input_shape)

        def call(self, x):
            return x * self.w

    layer = Scale()
    layer.build((None, 3))
    layer.w.assign(np.array([1.0, 2.0, 3.0], "float32"))
    y = layer(np.ones((2, 3), "float32")).numpy()
    np.testing.assert_allclose(y, [[1, 2, 3], [1, 2, 3]])
    assert len(layer.weights) == 1
    model = npconv.Sequential([npconv.Input((3,)), layer])
    np.testing.assert_allclose(model.predict(np.ones((1, 3), "float32"), verbose=0), [[1, 2, 3]])
