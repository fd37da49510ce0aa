"""``from npconv import backend as K``: Keras 2's backend functions, ``K.gradients`` against
finite differences, ``K.set_image_data_format`` honoured by layers created afterwards, and
``K.clear_session``."""

import numpy as np
import pytest

import npconv
from npconv import backend as K
from npconv.autograd import Tensor, Variable
from npconv.autograd.gradcheck import numerical_gradients

RNG = np.random.default_rng(0)
X = RNG.standard_normal((2, 3, 4)).astype(np.float32)


@pytest.fixture
def channels_first():
    K.set_image_data_format("channels_first")
    yield
    K.set_image_data_format("channels_last")


def arr(t):
    return np.asarray(t)


def test_shape_facts():
    assert K.int_shape(X) == (2, 3, 4)
    assert K.int_shape(npconv.layers.Input((5, 6))) == (None, 5, 6)
    np.testing.assert_array_equal(K.shape(X), [2, 3, 4])
    assert K.shape(X)[0] == 2
    assert K.ndim(X) == 3 and K.dtype(X) == "float32"
    assert K.dtype(K.variable(np.ones(2))) == "float32"
    assert K.count_params(K.zeros((3, 5))) == 15
    assert K.is_keras_tensor(npconv.layers.Input((2,)))
    assert not K.is_keras_tensor(Tensor(X))


def test_keras2_math_with_keras2_arguments():
    np.testing.assert_allclose(arr(K.sum(X, axis=1, keepdims=True)), X.sum(1, keepdims=True))
    np.testing.assert_allclose(arr(K.mean(X, axis=-1)), X.mean(-1), rtol=1e-6)
    np.testing.assert_allclose(arr(K.max(X, axis=0)), X.max(0))
    np.testing.assert_allclose(arr(K.min(X)), X.min())
    np.testing.assert_allclose(arr(K.square(X)), X * X)
    np.testing.assert_allclose(arr(K.sqrt(X)), np.sqrt(np.maximum(X, 0)))  # Keras 2 clips at 0
    np.testing.assert_allclose(arr(K.exp(X)), np.exp(X), rtol=1e-6)
    np.testing.assert_allclose(arr(K.log(np.abs(X))), np.log(np.abs(X)), rtol=1e-6)
    np.testing.assert_allclose(arr(K.abs(X)), np.abs(X))
    # Keras 2 defaults: concatenate and expand_dims on the last axis, argmax too
    assert K.concatenate([X, X]).shape == (2, 3, 8)
    assert K.expand_dims(X).shape == (2, 3, 4, 1)
    np.testing.assert_array_equal(arr(K.argmax(X)), X.argmax(-1))
    assert K.reshape(X, (6, 4)).shape == (6, 4)
    assert K.flatten(X).shape == (24,)
    np.testing.assert_array_equal(arr(K.batch_flatten(X)), X.reshape(2, 12))
    np.testing.assert_allclose(arr(K.clip(X, 0.5, 0.1)), np.full_like(X, 0.5))
    np.testing.assert_allclose(
        arr(K.permute_dimensions(X, (2, 0, 1))), X.transpose(2, 0, 1)
    )
    np.testing.assert_allclose(arr(K.gather(X, [1, 0])), X[[1, 0]])
    a, b = RNG.standard_normal((4, 3, 5)), RNG.standard_normal((4, 5, 2))
    np.testing.assert_allclose(arr(K.batch_dot(a, b)), np.einsum("bij,bjk->bik", a, b))
    np.testing.assert_allclose(
        arr(K.batch_dot(a[:, 0], a[:, 1], axes=1)), np.sum(a[:, 0] * a[:, 1], -1, keepdims=True)
    )


def test_variables_and_values():
    v = K.variable([[1.0, 2.0]], name="v")
    assert isinstance(v, Variable) and v.dtype == np.float32 and v.trainable
    K.set_value(v, [[3.0, 4.0]])
    np.testing.assert_array_equal(K.get_value(v), [[3.0, 4.0]])
    assert K.get_value(v) is not v.data  # a copy, as Keras returns
    c = K.constant(2.0, shape=(2, 2))
    np.testing.assert_array_equal(K.eval(c), np.full((2, 2), 2.0))
    K.batch_set_value([(v, np.zeros((1, 2)))])
    assert K.batch_get_value([v])[0].tolist() == [[0.0, 0.0]]
    with pytest.raises(ValueError, match="shape"):
        K.set_value(v, np.zeros(3))


def test_gradients_match_finite_differences_and_leave_grads_alone():
    w = K.variable(RNG.standard_normal((4, 3)), dtype="float64")
    b = K.variable(RNG.standard_normal(3), dtype="float64")
    unused = K.variable(np.ones(2), dtype="float64")
    x = RNG.standard_normal((5, 4))
    w.grad = np.full((4, 3), 7.0)  # an existing gradient must survive

    def loss_of(wv, bv):
        hidden = K.tanh(K.dot(x, wv) + bv)
        return K.sum(K.square(hidden)), hidden

    loss, hidden = loss_of(w, b)
    gw, gb, gu = K.gradients(loss, [w, b, unused])
    assert gu is None
    numeric = numerical_gradients(
        lambda wv, bv: loss_of(wv, bv)[0], [w.data, b.data], [np.ones(())]
    )
    np.testing.assert_allclose(arr(gw), numeric[0], rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(arr(gb), numeric[1], rtol=1e-6, atol=1e-8)
    np.testing.assert_array_equal(w.grad, np.full((4, 3), 7.0))
    # an intermediate tensor (Grad-CAM's use) and a second call on the same loss
    (gh,) = K.gradients(loss, [hidden])
    np.testing.assert_allclose(arr(gh), 2 * hidden.data)
    np.testing.assert_allclose(arr(K.gradients(loss, w)), arr(gw))


def test_epsilon_and_floatx_round_trip():
    eps, fx = K.epsilon(), K.floatx()
    try:
        K.set_epsilon(1e-5)
        K.set_floatx("float64")
        assert K.epsilon() == 1e-5 and K.floatx() == "float64"
        assert K.variable([1.0]).dtype == np.float64
    finally:
        K.set_epsilon(eps)
        K.set_floatx(fx)


def test_clear_session_resets_layer_names_and_learning_phase():
    K.clear_session()
    first = npconv.layers.Dense(2).name
    npconv.layers.Dense(2)
    K.set_learning_phase(1)
    assert K.learning_phase() == 1
    K.clear_session()
    assert npconv.layers.Dense(2).name == first == "dense"
    assert K.learning_phase() == 0


def _model(x_shape, bn_axis):
    npconv.utils.set_random_seed(0)
    return npconv.Sequential([
        npconv.layers.Input(x_shape),
        npconv.layers.Conv2D(4, 3, padding="same", activation="relu"),
        npconv.layers.MaxPooling2D(2),
        npconv.layers.BatchNormalization(axis=bn_axis),
        npconv.layers.Flatten(),
        npconv.layers.Dense(3),
    ])


def test_image_data_format_is_honoured_by_layers_created_afterwards(channels_first):
    x_last = RNG.standard_normal((2, 6, 6, 2)).astype(np.float32)
    x_first = np.ascontiguousarray(x_last.transpose(0, 3, 1, 2))
    model_first = _model((2, 6, 6), bn_axis=1)
    assert all(
        getattr(layer, "data_format", "channels_first") == "channels_first"
        for layer in model_first.layers
    )
    K.set_image_data_format("channels_last")
    model_last = _model((6, 6, 2), bn_axis=-1)
    model_last.set_weights(model_first.get_weights())  # same layouts in both formats
    bn_first, bn_last = model_first.layers[2], model_last.layers[2]
    stats = [RNG.uniform(0.5, 1.5, 4).astype(np.float32) for _ in range(4)]
    bn_first.set_weights(stats)
    bn_last.set_weights(stats)
    out_first = model_first.predict(x_first, verbose=0)
    out_last = model_last.predict(x_last, verbose=0)
    assert model_first.layers[0].compute_output_shape((None, 2, 6, 6)) == (None, 4, 6, 6)
    # Flatten moves channels last under channels_first, so the Dense sees the same order
    np.testing.assert_allclose(out_first, out_last, rtol=1e-4, atol=1e-5)


def test_keras2_layer_helpers_and_random_draws():
    x = RNG.standard_normal((2, 5, 5, 3)).astype(np.float32)
    k = RNG.standard_normal((3, 3, 3, 2)).astype(np.float32)
    y = K.conv2d(x, k, padding="same")
    assert y.shape == (2, 5, 5, 2)
    np.testing.assert_allclose(arr(K.bias_add(y, [1.0, -1.0])), arr(y) + [1.0, -1.0])
    xc = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
    np.testing.assert_allclose(
        arr(K.bias_add(xc, [1.0, 2.0, 3.0], data_format="channels_first")),
        xc + np.array([1.0, 2.0, 3.0])[:, None, None],
    )
    np.testing.assert_allclose(arr(K.pool2d(x, (2, 2), (2, 2))), x[:, :4, :4].reshape(
        2, 2, 2, 2, 2, 3).max(axis=(2, 4)))
    up = K.resize_images(x, 2, 3, data_format="channels_last")
    np.testing.assert_array_equal(arr(up), x.repeat(2, axis=1).repeat(3, axis=2))
    np.testing.assert_allclose(arr(K.switch(x > 0, x, -x)), np.abs(x))
    assert K.in_train_phase(lambda: "train", "test", training=True) == "train"
    assert K.in_train_phase("train", "test") == "test"  # learning phase 0
    npconv.utils.set_random_seed(5)
    a = arr(K.random_normal((2000,), mean=1.0, stddev=2.0))
    npconv.utils.set_random_seed(5)
    np.testing.assert_array_equal(arr(K.random_normal((2000,), mean=1.0, stddev=2.0)), a)
    assert a.dtype == np.float32 and abs(a.mean() - 1.0) < 0.15 and abs(a.std() - 2.0) < 0.15
    t = arr(K.truncated_normal((2000,), stddev=0.5))
    assert np.abs(t).max() <= 1.0 and abs(t.std() - 0.44) < 0.05
    u = arr(K.random_uniform((2000,), -1.0, 3.0))
    assert u.min() >= -1.0 and u.max() < 3.0 and abs(u.mean() - 1.0) < 0.1
    assert abs(arr(K.random_binomial((4000,), p=0.25)).mean() - 0.25) < 0.03


def test_a_custom_loss_written_with_K_trains():
    """Keras 2 programs write losses with K (here a squared hinge with a margin)."""

    def margin_loss(y_true, y_pred):
        signs = 2.0 * y_true - 1.0
        return K.mean(K.square(K.maximum(1.0 - signs * y_pred, 0.0)), axis=-1)

    npconv.utils.set_random_seed(1)
    x = RNG.standard_normal((64, 4)).astype(np.float32)
    y = (x.sum(axis=1, keepdims=True) > 0).astype(np.float32)
    model = npconv.Sequential([npconv.layers.Input((4,)), npconv.layers.Dense(1)])
    model.compile(optimizer=npconv.optimizers.SGD(learning_rate=0.1), loss=margin_loss)
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, batch_size=16, epochs=3, verbose=0)
    assert model.evaluate(x, y, verbose=0) < 0.7 * before


def test_gradients_without_a_recorded_graph_say_why():
    """SWWAE's Lambda(K.gradients(...)) under predict: nothing is recorded there, and the old
    ``None`` broke the next layer far away; the error says what happened."""
    w = K.variable(np.ones((2, 2)))
    with npconv.autograd.no_grad():
        out = K.sum(K.dot(np.ones((1, 2), "float32"), w))
        with pytest.raises(RuntimeError, match="runs without gradients"):
            K.gradients(out, [w])
    out = K.sum(np.ones(3, "float32"))  # with gradients on, an unconnected loss is None
    assert K.gradients(out, [w]) == [None]
