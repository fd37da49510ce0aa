"""Functional models called inside other functional models: a nested model's output shape
comes from its graph (not its input's), and a model with several outputs called on Keras
tensors gives one tensor per output, which train and predict like any other."""

import numpy as np

import npconv
from npconv import layers as L


def test_nested_model_with_another_output_width_predicts():
    i = L.Input((3,))
    inner = npconv.Model(i, L.Dense(2)(i))
    k = L.Input((5,))
    first = L.Dense(3)
    outer = npconv.Model(k, inner(first(k)))
    assert outer.output_shape == (None, 2)
    x = np.random.default_rng(0).random((4, 5)).astype("float32")
    expect = inner.predict(first(x).data, verbose=0)
    np.testing.assert_allclose(outer.predict(x, verbose=0), expect, rtol=1e-6)


def test_multi_output_model_called_on_keras_tensors_unpacks_and_trains():
    i = L.Input((4,))
    h = L.Dense(3)(i)
    inner = npconv.Model(i, [L.Dense(1, name="fake")(h), L.Dense(2, name="aux")(h)])
    j = L.Input((4,))
    fake, aux = inner(L.Dense(4)(j))
    assert fake.shape == (None, 1) and aux.shape == (None, 2)
    outer = npconv.Model(j, [fake, aux])
    x = np.random.default_rng(1).random((16, 4)).astype("float32")
    y = [x[:, :1] * 2, x[:, 1:3] - 1]
    outer.compile(loss=["mse", "mse"], optimizer=npconv.optimizers.Adam(0.05))
    history = outer.fit(x, y, epochs=30, verbose=0)
    assert {"loss", "fake_loss", "aux_loss"} <= set(history.history)
    assert history.history["loss"][-1] < 0.2 * history.history["loss"][0]
    p_fake, p_aux = outer.predict(x, verbose=0)
    assert p_fake.shape == (16, 1) and p_aux.shape == (16, 2)
