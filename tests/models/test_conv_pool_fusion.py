"""predict runs a convolution and the max pooling after it as one op (functions.conv.conv_max_pool):
the same numbers as the two ops in turn, and only where the pair qualifies."""

import numpy as np
import pytest

from npconv import layers as L
from npconv.autograd import Tensor, no_grad
from npconv.functions import conv as ops_conv
from npconv.functions.conv import conv, conv_max_pool
from npconv.functions.pooling import max_pool
from npconv.models import Sequential

rng = np.random.default_rng(0)

CASES = [  # x shape, kernel shape, pool, padding, groups
    ((3, 9, 10, 16), (3, 3, 16, 8), (2, 2), "valid", 1),  # pixel-pair patches
    ((2, 8, 8, 1), (3, 3, 1, 5), (2, 2), "same", 1),  # one channel (bias inside the GEMM)
    ((2, 11, 12, 4), (3, 3, 2, 6), (3, 2), "valid", 2),  # groups, a remainder row left out
    ((2, 10, 6), (3, 6, 4), (2,), "valid", 1),  # 1-D
    ((2, 6, 7, 8, 3), (3, 3, 3, 3, 4), (2, 2, 2), "same", 1),  # 3-D
]


@pytest.mark.parametrize("activation", [None, "relu"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[2]}-{c[3]}-g{c[4]}")
def test_conv_max_pool_is_bit_identical_to_the_two_ops(case, activation):
    xs, ks, pool, padding, groups = case
    x = rng.standard_normal(xs).astype(np.float32)
    k = rng.standard_normal(ks).astype(np.float32)
    for bias in (rng.standard_normal(ks[-1]).astype(np.float32), None):
        with no_grad():
            fused = conv_max_pool(x, k, bias, pool, padding=padding, groups=groups,
                                  activation=activation)
            y = conv(x, k, bias, padding=padding, groups=groups, activation=activation)
            separate = max_pool(y, pool)
        assert fused.shape == separate.shape
        np.testing.assert_array_equal(fused.data, separate.data)


def test_conv_max_pool_records_gradients_through_the_separate_ops():
    x = Tensor(rng.standard_normal((2, 6, 6, 3)), requires_grad=True)
    k = Tensor(rng.standard_normal((3, 3, 3, 4)), requires_grad=True)
    y = conv_max_pool(x, k, None, (2, 2), activation="relu")
    assert type(y.creator).__name__ == "MaxPool"
    y.backward(np.ones(y.shape))
    assert x.grad is not None and k.grad is not None


def test_conv_max_pool_rejects_a_pool_larger_than_the_output():
    with pytest.raises(ValueError, match="smaller than pool_size"):
        conv_max_pool(np.ones((1, 4, 4, 1), np.float32), np.ones((3, 3, 1, 2), np.float32),
                      pool_size=(3, 3))


def model(conv_activation="relu", pool_padding="valid"):
    m = Sequential([
        L.Conv2D(4, (3, 3), activation=conv_activation, input_shape=(9, 9, 2)),
        L.MaxPooling2D((2, 2), padding=pool_padding),
        L.Conv2D(3, (2, 2), activation="relu"),
        L.MaxPooling2D((2, 2)),
        L.Flatten(),
        L.Dense(5, activation="softmax"),
    ])
    m.compile(optimizer="sgd", loss="categorical_crossentropy")
    return m


def layer_by_layer(m, x):
    with no_grad():
        for layer in m.layers:
            x = layer(x, training=False)
    return x.data


@pytest.mark.parametrize("conv_activation, pool_padding, fused_pairs", [
    ("relu", "valid", 2),
    (None, "valid", 2),  # linear
    ("tanh", "valid", 1),  # not monotone-safe here: the first pair runs as two ops
    ("relu", "same", 1),  # 'same' pooling: two ops
])
def test_predict_fuses_qualifying_pairs(conv_activation, pool_padding, fused_pairs,
                                        monkeypatch):
    m = model(conv_activation, pool_padding)
    x = rng.standard_normal((7, 9, 9, 2)).astype(np.float32)
    y = rng.standard_normal((7, 5)).astype(np.float32)
    calls = []
    original = ops_conv.conv_max_pool

    def spy(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(ops_conv, "conv_max_pool", spy)
    out = m.predict(x, batch_size=4, verbose=0)
    assert len(calls) == 2 * fused_pairs  # two batches
    np.testing.assert_array_equal(out, layer_by_layer(m, x))
    calls.clear()
    m.evaluate(x, y, batch_size=4, verbose=0)
    assert len(calls) == 2 * fused_pairs  # evaluate is inference, as in predict
    calls.clear()
    m.fit(x, y, batch_size=4, epochs=1, verbose=0)  # training: the pairs too
    assert len(calls) == 2 * fused_pairs


def counting(fn, calls):
    """``fn``, appending to ``calls`` on every call."""
    return lambda *args, **kwargs: calls.append(1) or fn(*args, **kwargs)


def test_functional_models_fuse_a_conv_whose_output_only_the_pool_reads(monkeypatch):
    from npconv.models import Model

    inputs = L.Input((9, 9, 2))
    a = L.Conv2D(4, 3, activation="relu")(inputs)
    a = L.MaxPooling2D(2)(a)  # fused: the conv's output goes only here
    b = L.Conv2D(3, 2)(a)
    pooled = L.MaxPooling2D(2)(b)  # not fused: b is also read by the Flatten below
    out = L.Concatenate()([L.Flatten()(pooled), L.Flatten()(b)])
    m = Model(inputs, L.Dense(5)(out))
    calls = []
    monkeypatch.setattr(ops_conv, "conv_max_pool", counting(ops_conv.conv_max_pool, calls))
    x = rng.standard_normal((6, 9, 9, 2)).astype(np.float32)
    fused = m.predict(x, batch_size=3, verbose=0)
    assert len(calls) == 2  # one pair, two batches
    with no_grad():
        va = m.layers[2](m.layers[1](x))
        vb = m.layers[3](va)
        flat = L.Concatenate()([L.Flatten()(m.layers[4](vb)), L.Flatten()(vb)])
        expected = m.layers[-1](flat).data
    np.testing.assert_array_equal(fused, expected)


def test_a_conv_subclass_with_its_own_call_is_not_bypassed():
    # a user's Conv2D whose call does more than the convolution (here: doubles it) must run
    # its own call in predict, not the fused convolution + pooling
    class Doubled(L.Conv2D):
        def call(self, inputs, training=False):
            return super().call(inputs, training) * 2.0

    m = Sequential([L.Input((8, 8, 1)), Doubled(2, 3, activation="relu"), L.MaxPooling2D(2)])
    x = rng.standard_normal((3, 8, 8, 1)).astype(np.float32)
    out = m.predict(x, verbose=0)
    np.testing.assert_array_equal(out, layer_by_layer(m, x))
    plain = Sequential([L.Input((8, 8, 1)), L.Conv2D(2, 3, activation="relu"),
                        L.MaxPooling2D(2)])
    plain.set_weights(m.get_weights())
    np.testing.assert_allclose(out, 2 * plain.predict(x, verbose=0), rtol=1e-6)


def test_a_pooling_subclass_with_its_own_call_is_not_bypassed():
    class Negated(L.MaxPooling2D):
        def call(self, inputs, training=False):
            return -super().call(inputs, training)

    m = Sequential([L.Input((8, 8, 1)), L.Conv2D(2, 3, activation="relu"), Negated(2)])
    x = rng.standard_normal((3, 8, 8, 1)).astype(np.float32)
    out = m.predict(x, verbose=0)
    np.testing.assert_array_equal(out, layer_by_layer(m, x))
    assert (out <= 0).all() and (out < 0).any()


@pytest.mark.parametrize("functional", [False, True])
def test_training_moves_the_relu_mask_to_the_pooled_gradient(functional, monkeypatch):
    # the same weights and losses after fit as with every layer run on its own, bit for bit:
    # the ReLU's mask applied to the pooled gradient is the same mask
    from npconv import utils
    from npconv.functions import pooling
    from npconv.models import Model, fusion, sequential
    from npconv.models import model as model_module

    def build():
        utils.set_random_seed(5)
        layers = [L.Conv2D(4, 3, activation="relu"), L.MaxPooling2D(2),
                  L.Conv2D(3, 2, activation="relu"), L.MaxPooling2D(2),
                  L.Flatten(), L.Dense(5, activation="softmax")]
        if functional:
            inputs = L.Input((11, 10, 2))
            out = inputs
            for layer in layers:
                out = layer(out)
            m = Model(inputs, out)
        else:
            m = Sequential([L.Input((11, 10, 2)), *layers])
        m.compile(optimizer="adam", loss="categorical_crossentropy")
        return m

    x = rng.standard_normal((12, 11, 10, 2)).astype(np.float32)
    y = np.eye(5, dtype=np.float32)[rng.integers(0, 5, 12)]
    masked = []
    original = pooling.MaxPool.backward

    def spy(self, gy):
        masked.append(self.relu_input)
        return original(self, gy)

    monkeypatch.setattr(pooling.MaxPool, "backward", spy)
    fused = build()
    h1 = fused.fit(x, y, batch_size=4, epochs=2, verbose=0, shuffle=False).history["loss"]
    assert masked and all(masked)  # every pooling's backward took the mask
    masked.clear()
    for module in (fusion, model_module, sequential):
        monkeypatch.setattr(module, "conv_pool_pairs", lambda calls, outputs=(): {},
                            raising=False)
    monkeypatch.setattr(fusion, "conv_pool_pairs", lambda calls, outputs=(): {})
    plain = build()
    h2 = plain.fit(x, y, batch_size=4, epochs=2, verbose=0, shuffle=False).history["loss"]
    assert masked and not any(masked)
    assert h1 == h2
    for a, b in zip(fused.get_weights(), plain.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_conv_max_pool_gradients_with_the_mask_moved_are_the_two_ops():
    from npconv.autograd.gradcheck import gradcheck
    from npconv.functions.activations import relu

    # conv -> fused ReLU -> max pool recorded (training), against the separate ops; the
    # bias pushes some windows' maxima below zero (no gradient through them)
    x = rng.standard_normal((2, 8, 9, 2))
    k = rng.standard_normal((3, 3, 2, 3))
    b = rng.standard_normal(3) - 2.0
    gradcheck(lambda x, k, b: conv_max_pool(x, k, b, 2, activation="relu"), x, k, b)
    xs, ks, bs = (Tensor(v, requires_grad=True) for v in (x, k, b))
    fused = conv_max_pool(xs, ks, bs, 2, activation="relu")
    gy = rng.standard_normal(fused.shape)
    fused.backward(gy)
    got = [t.grad for t in (xs, ks, bs)]
    xs2, ks2, bs2 = (Tensor(v, requires_grad=True) for v in (x, k, b))
    separate = max_pool(relu(conv(xs2, ks2, bs2)), 2)
    separate.backward(gy)
    np.testing.assert_array_equal(fused.data, separate.data)
    for g, w in zip(got, (xs2.grad, ks2.grad, bs2.grad)):
        np.testing.assert_array_equal(g, w)
