"""A layer whose ``call`` takes several tensors as positional arguments (DLwP's VAE
``Sampler()(z_mean, z_log_var)``): Keras forwards positional arguments to ``call``."""

import numpy as np
import pytest

import npconv
from npconv import layers, ops


class Sampler(layers.Layer):
    def call(self, z_mean, z_log_var):
        epsilon = npconv.random.normal(shape=ops.shape(z_mean), seed=3)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon


class Scale(layers.Layer):
    def call(self, x, factor, training=None):
        return x * factor * (2.0 if training else 1.0)


def test_eager_and_symbolic_calls_spread_the_tensors():
    a, b = np.ones((2, 3), "float32"), np.full((2, 3), 2.0, "float32")
    np.testing.assert_allclose(np.asarray(Scale()(a, b)), 2.0)
    np.testing.assert_allclose(np.asarray(Scale()(a, b, True)), 4.0)  # training by place
    np.testing.assert_allclose(np.asarray(Scale()(a, b, training=True)), 4.0)
    x, y = npconv.Input((3,)), npconv.Input((3,))
    out = Scale()(x, y)
    assert out.shape == (None, 3)
    model = npconv.Model([x, y], out)
    np.testing.assert_allclose(model.predict([a, b], verbose=0), 2.0)
    with pytest.raises(TypeError, match="takes 3 positional"):
        Scale()(a, b, True, 4)


def test_a_vae_encoder_with_a_two_argument_sampler_trains():
    npconv.utils.set_random_seed(0)
    inputs = npconv.Input((8,))
    h = layers.Dense(6, activation="relu")(inputs)
    z_mean, z_log_var = layers.Dense(2)(h), layers.Dense(2)(h)
    z = Sampler()(z_mean, z_log_var)
    encoder = npconv.Model(inputs, [z_mean, z_log_var, z])
    assert [tuple(t.shape) for t in encoder.outputs] == [(None, 2)] * 3
    decoder = npconv.Sequential([npconv.Input((2,)), layers.Dense(8, activation="sigmoid")])
    x = (np.random.default_rng(0).random((64, 8)) > 0.5).astype("float32")
    optimizer = npconv.optimizers.Adam(1e-2)
    weights = encoder.trainable_weights + decoder.trainable_weights
    losses = []
    for _ in range(30):
        with npconv.GradientTape() as tape:
            mean, log_var, sample = encoder(x, training=True)
            recon = ops.mean(npconv.losses.binary_crossentropy(x, decoder(sample)))
            kl = -0.5 * ops.mean(1 + log_var - ops.square(mean) - ops.exp(log_var))
            loss = recon + kl
        optimizer.apply_gradients(zip(tape.gradient(loss, weights), weights))
        losses.append(float(np.asarray(loss)))
    assert losses[-1] < losses[0] - 0.05
