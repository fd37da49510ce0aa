"""A graph kept for a second backward (``GradientTape(persistent=True)``, ``retain_graph=True``)
gives the same gradients on every walk: no op may drop or overwrite what it saved for its
backward while the graph is retained (ops that free their saved arrays early do so through
``Function.release``, which keeps them then)."""

import numpy as np

import npconv
from npconv import layers


def _model(seed=0):
    npconv.utils.set_random_seed(seed)
    inputs = npconv.Input((8, 8, 3))
    x = layers.Conv2D(6, 3, padding="same", activation="relu")(inputs)
    x = layers.MaxPooling2D()(x)
    x = layers.BatchNormalization()(x)
    x = layers.Conv2DTranspose(4, 3, strides=2, padding="same", activation="relu")(x)
    x = layers.DepthwiseConv2D(3, activation="gelu")(x)
    x = layers.SeparableConv2D(5, 3, activation="elu")(x)
    x = layers.Dropout(0.3, seed=1)(x)
    x = layers.UpSampling2D()(x)
    x = layers.LayerNormalization()(x)
    x = layers.Flatten()(x)
    x = layers.Dense(7, activation="relu")(x)
    x = layers.Dropout(0.2, seed=2)(x)
    outputs = layers.Dense(3, activation="softmax")(x)
    return npconv.Model(inputs, outputs)


def _data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 8, 8, 3)).astype("float32")
    y = np.eye(3, dtype="float32")[[0, 1, 2, 1]]
    return x, y


def test_persistent_tape_gives_the_same_gradients_twice():
    model, (x, y) = _model(), _data()
    loss_fn = npconv.losses.CategoricalCrossentropy()
    with npconv.GradientTape(persistent=True) as tape:
        pred = model(x, training=True)
        loss = loss_fn(y, pred)
        second = npconv.ops.mean(pred * pred)
    first = tape.gradient(loss, model.trainable_weights)
    again = tape.gradient(loss, model.trainable_weights)
    other = tape.gradient(second, model.trainable_weights)
    assert len(first) == len(model.trainable_weights) > 10
    for a, b in zip(first, again):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    # the second target's gradients equal a one-use tape's over the same forward (a twin
    # model: the same weights and dropout seeds, so the same masks on its first call)
    twin = _model()
    with npconv.GradientTape() as fresh:
        pred = twin(x, training=True)
        second = npconv.ops.mean(pred * pred)
    expected = fresh.gradient(second, twin.trainable_weights)
    for a, b in zip(other, expected):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-7)
    assert any(np.abs(np.asarray(g)).max() > 0 for g in other)


def test_retain_graph_backward_twice_doubles_the_gradients():
    from npconv.autograd import Tensor
    from npconv.functions.conv import conv
    from npconv.functions.linear import dense

    rng = np.random.default_rng(1)
    x = Tensor(rng.standard_normal((2, 6, 6, 3)).astype("float32"), requires_grad=True)
    k = Tensor(rng.standard_normal((3, 3, 3, 4)).astype("float32"), requires_grad=True)
    w = Tensor(rng.standard_normal((64, 5)).astype("float32"), requires_grad=True)
    y = conv(x, k, activation="relu")
    out = dense(y.reshape(2, -1), w, activation="relu").sum()
    out.backward(retain_graph=True)
    once = [t.grad.copy() for t in (x, k, w)]
    out.backward()
    for t, g in zip((x, k, w), once):
        assert np.abs(g).max() > 0
        np.testing.assert_allclose(t.grad, 2 * g, rtol=1e-6)


def test_a_tape_that_is_not_persistent_still_frees_the_saved_arrays():
    from npconv.autograd import Tensor
    from npconv.functions.conv import Conv, conv

    x = Tensor(np.ones((1, 5, 5, 2), "float32"), requires_grad=True)
    k = Tensor(np.ones((3, 3, 2, 2), "float32"), requires_grad=True)
    with npconv.GradientTape() as tape:
        y = conv(x, k)
        loss = y.sum()
    op = y.creator
    assert isinstance(op, Conv) and op.x is not None
    tape.gradient(loss, [k])
    assert op.x is None and op.kernel is None
