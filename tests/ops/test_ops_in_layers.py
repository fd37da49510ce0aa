"""npconv.ops inside custom layers' call(): the graph they build carries gradients to the
layer's weights, and a model with such a layer trains (one fit step moves the loss down and
the weights by exactly what the ops' gradients say)."""

import numpy as np

import npconv
from npconv import ops
from npconv.autograd import Tensor


class ScaledSoftmaxGate(npconv.layers.Layer):
    """``x * sigmoid(w) + tanh(x @ v)`` with a learned per-feature scale, written with ops only
    (as a Keras 3 user writes a custom layer)."""

    def build(self, input_shape):
        n = input_shape[-1]
        self.w = self.add_weight((n,), initializer="zeros", name="w")
        self.v = self.add_weight((n, n), initializer="glorot_uniform", name="v")

    def call(self, inputs, training=False):
        gate = ops.sigmoid(self.w)
        mixed = ops.tanh(ops.matmul(inputs, self.v))
        y = ops.add(ops.multiply(inputs, gate), mixed)
        centred = ops.subtract(y, ops.mean(y, axis=-1, keepdims=True))
        return ops.concatenate([centred, ops.square(ops.max(y, axis=-1, keepdims=True))], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], input_shape[-1] + 1)


def test_custom_layer_of_ops_trains_one_step():
    npconv.utils.set_random_seed(3)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 6)).astype(np.float32)
    y = (x[:, :1] - x[:, 1:2] > 0).astype(np.float32)
    model = npconv.Sequential([
        npconv.layers.Input((6,)),
        ScaledSoftmaxGate(),
        npconv.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=npconv.optimizers.SGD(learning_rate=0.5), loss="binary_crossentropy")
    gate = model.layers[0]
    before = [w.copy() for w in gate.get_weights()]
    loss0 = model.evaluate(x, y, verbose=0)
    model.fit(x, y, batch_size=32, epochs=1, verbose=0, shuffle=False)
    loss1 = model.evaluate(x, y, verbose=0)
    assert loss1 < loss0
    moved = [np.abs(a - b).max() for a, b in zip(gate.get_weights(), before)]
    assert all(m > 1e-4 for m in moved), moved


def test_gradient_through_ops_matches_finite_differences_in_a_layer():
    rng = np.random.default_rng(1)
    layer = ScaledSoftmaxGate(dtype="float64")
    x = rng.standard_normal((5, 4))
    out = layer(x)
    assert out.shape == (5, 5)
    weights = rng.standard_normal(out.shape)
    loss = ops.sum(ops.multiply(out, weights))
    loss.backward()
    grad = layer.v.grad.copy()
    eps = 1e-6
    v = layer.v.data
    numeric = np.zeros_like(v)
    for idx in np.ndindex(v.shape):
        orig = v[idx]
        v[idx] = orig + eps
        plus = float(np.sum(layer(x).data * weights))
        v[idx] = orig - eps
        minus = float(np.sum(layer(x).data * weights))
        v[idx] = orig
        numeric[idx] = (plus - minus) / (2 * eps)
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-7)


def test_ops_return_tensors_on_arrays_and_accept_layer_outputs():
    dense = npconv.layers.Dense(3)
    h = dense(np.ones((2, 4), np.float32))
    y = ops.softmax(h)
    assert isinstance(y, Tensor)
    np.testing.assert_allclose(ops.convert_to_numpy(ops.sum(y, axis=-1)), [1, 1], rtol=1e-6)
