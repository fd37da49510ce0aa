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


def test_one_sample_weight_array_per_output():
    """Keras's ``sample_weight=[w0, w1]`` (or a dict by output name) weighs each output's loss
    by its own array: here output 1's weights zero out half its samples."""
    i = L.Input((3,))
    model = npconv.Model(i, [L.Dense(1, name="a")(i), L.Dense(1, name="b")(i)])
    model.compile(loss=["mse", "mse"], optimizer="sgd")
    rng = np.random.default_rng(2)
    x = rng.random((8, 3)).astype("float32")
    y = [rng.random((8, 1)).astype("float32"), rng.random((8, 1)).astype("float32")]
    w0, w1 = np.ones(8, "float32"), np.array([1, 0] * 4, "float32")
    pa, pb = model.predict(x, verbose=0)
    expect_a = np.mean((pa - y[0]) ** 2)
    expect_b = np.sum(w1[:, None] * (pb - y[1]) ** 2) / 8  # Keras: sum over batch size
    got = model.evaluate(x, y, sample_weight=[w0, w1], batch_size=8, verbose=0,
                         return_dict=True)
    assert np.isclose(got["a_loss"], expect_a, rtol=1e-5)
    assert np.isclose(got["b_loss"], expect_b, rtol=1e-5)
    by_name = model.evaluate(x, y, sample_weight={"a": w0, "b": w1}, batch_size=8, verbose=0,
                             return_dict=True)
    assert np.isclose(by_name["b_loss"], expect_b, rtol=1e-5)
    logs = model.train_on_batch(x, y, sample_weight=[w0, w1], return_dict=True)
    assert np.isfinite(logs["loss"])
