"""The chains of ``models.fusion.fused_chains``: a BatchNormalization folded into the
convolution before it for prediction, BatchNormalization + ReLU and Add + ReLU as one op in
training and inference. The numbers are the unfused layers' (to float32 rounding), for
Sequential and functional models, and only where the graph allows."""

import numpy as np
import pytest

import npconv
from npconv import layers as L
from npconv.autograd import GradientTape, no_grad
from npconv.autograd.gradcheck import gradcheck
from npconv.functions.residual import add_relu
from npconv.layers.convolutional import BaseConv
from npconv.layers.merging import Add
from npconv.layers.normalization import BatchNormalization
from npconv.models import Model, Sequential, fusion
from npconv.models import model as model_module

rng = np.random.default_rng(0)


def randomize_norms(m):
    """Give every BatchNormalization non-trivial weights and moving statistics."""
    for layer in m.layers:
        if isinstance(layer, BatchNormalization):
            c = layer.moving_mean.shape[0]
            weights = [rng.uniform(0.5, 2, c) if w.name == "gamma" else
                       rng.standard_normal(c) if w.name in ("beta", "moving_mean") else
                       rng.uniform(0.2, 3, c) for w in layer.weights]
            layer.set_weights([w.astype(np.float32) for w in weights])


def unfused(m, x, training=False):
    """The model's output with every layer called on its own."""
    with no_grad():
        if isinstance(m, Sequential):
            for layer in m.layers:
                x = layer(x, training=training)
            return x.data
        return m.walk_graph([x], lambda node, args: node.layer(
            args, training=training, **node.kwargs)).data


@pytest.fixture
def chains_run(monkeypatch):
    """Counts of the chains that ran fused, by the method that ran them."""
    counts = {}
    for cls, name in ((BaseConv, "call_normalized"), (BatchNormalization, "call_relu"),
                      (Add, "call_relu")):
        original = getattr(cls, name)

        def spy(self, *args, _original=original, _key=f"{cls.__name__}.{name}", **kwargs):
            out = _original(self, *args, **kwargs)
            if out is not None:
                counts[_key] = counts.get(_key, 0) + 1
            return out

        monkeypatch.setattr(cls, name, spy)
    return counts


def no_chains(monkeypatch):
    monkeypatch.setattr(fusion, "fused_chains", lambda calls, outputs=(): {})
    monkeypatch.setattr(model_module, "fused_chains", lambda calls, outputs=(): {})


def assert_close(got, want):
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5 * np.abs(want).max())


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("use_bias", [True, False])
@pytest.mark.parametrize("after", [None, "Activation", "ReLU"])
def test_sequential_predict_folds_the_normalization_into_the_conv(
        chains_run, data_format, use_bias, after):
    axis = 1 if data_format == "channels_first" else -1
    shape = (3, 9, 8) if data_format == "channels_first" else (9, 8, 3)
    stack = [L.Input(shape), L.Conv2D(6, 3, padding="same", use_bias=use_bias,
                                      data_format=data_format),
             L.BatchNormalization(axis=axis)]
    stack += {None: [], "Activation": [L.Activation("relu")], "ReLU": [L.ReLU()]}[after]
    m = Sequential(stack + [L.Conv2D(2, 3, data_format=data_format)])
    randomize_norms(m)
    x = rng.standard_normal((5, *shape)).astype(np.float32)
    got = m.predict(x, batch_size=5, verbose=0)
    assert chains_run == {"BaseConv.call_normalized": 1}
    assert_close(got, unfused(m, x))


@pytest.mark.parametrize("center, scale", [(True, True), (False, True), (True, False),
                                           (False, False)])
def test_folding_without_gamma_or_beta(chains_run, center, scale):
    m = Sequential([L.Input((7, 6)), L.Conv1D(4, 3),
                    L.BatchNormalization(center=center, scale=scale), L.Activation("relu")])
    randomize_norms(m)
    x = rng.standard_normal((4, 7, 6)).astype(np.float32)
    assert_close(m.predict(x, verbose=0), unfused(m, x))
    assert chains_run == {"BaseConv.call_normalized": 1}


def test_folded_weights_follow_the_weights_and_leave_them_unchanged(chains_run):
    m = Sequential([L.Input((8, 8, 2)), L.Conv2D(4, 3), L.BatchNormalization(),
                    L.ReLU(), L.Flatten(), L.Dense(3)])
    m.compile(optimizer="adam", loss="mse")
    x = rng.standard_normal((16, 8, 8, 2)).astype(np.float32)
    y = rng.standard_normal((16, 3)).astype(np.float32)
    before = m.predict(x, verbose=0)
    weights = [w.copy() for w in m.get_weights()]
    m.predict(x, verbose=0)
    for a, b in zip(weights, m.get_weights()):
        np.testing.assert_array_equal(a, b)  # predicting never writes the weights
    m.fit(x, y, epochs=2, batch_size=8, verbose=0)
    after = m.predict(x, verbose=0)
    assert np.abs(after - before).max() > 1e-2  # the fit moved the weights...
    assert_close(after, unfused(m, x))  # ...and the folded kernel followed them
    assert chains_run["BaseConv.call_normalized"] == 3
    assert chains_run["BatchNormalization.call_relu"] == 4  # fit: 2 epochs of 2 batches


def vgg_block():
    inputs = L.Input((10, 10, 3))
    a = L.Conv2D(4, 3, padding="same")(inputs)
    a = L.BatchNormalization()(a)
    a = L.Activation("relu")(a)
    a = L.MaxPooling2D(2)(a)  # conv + bn + relu + pool: one conv_max_pool
    b = L.Conv2D(5, 3, padding="same")(a)
    nb = L.BatchNormalization()(b)  # read twice: conv + bn fused, not the relu
    out = L.Concatenate()([L.Activation("relu")(nb), nb])
    return Model(inputs, L.Flatten()(out))


def test_functional_chains_stop_where_an_output_is_read_twice(chains_run, monkeypatch):
    from npconv.functions import conv as ops_conv

    m = vgg_block()
    randomize_norms(m)
    pooled = []
    original = ops_conv.conv_max_pool
    monkeypatch.setattr(ops_conv, "conv_max_pool",
                        lambda *a, **k: pooled.append(1) or original(*a, **k))
    x = rng.standard_normal((3, 10, 10, 3)).astype(np.float32)
    assert_close(m.predict(x, verbose=0), unfused(m, x))
    assert chains_run == {"BaseConv.call_normalized": 2} and pooled == [1]


def test_no_fusion_across_a_model_output(chains_run):
    inputs = L.Input((6, 6, 2))
    norm = L.BatchNormalization()(L.Conv2D(3, 3)(inputs))
    m = Model(inputs, [norm, L.Activation("relu")(norm)])
    randomize_norms(m)
    x = rng.standard_normal((2, 6, 6, 2)).astype(np.float32)
    outs = m.predict(x, verbose=0)
    with no_grad():
        want = m.walk_graph([x], lambda node, args: node.layer(args, training=False))
    for got, w in zip(outs, want):
        assert_close(got, w.data)
    assert chains_run == {"BaseConv.call_normalized": 1}  # conv + bn only


def resnet_block():
    inputs = L.Input((8, 8, 4))
    y = L.Conv2D(4, 3, padding="same")(inputs)
    y = L.BatchNormalization()(y)
    y = L.Activation("relu")(y)
    y = L.Conv2D(4, 3, padding="same")(y)
    y = L.BatchNormalization()(y)
    x = L.add([inputs, y])
    x = L.Activation("relu")(x)
    out = L.Dense(3, activation="softmax")(L.GlobalAveragePooling2D()(x))
    m = Model(inputs, out)
    m.compile(optimizer="adam", loss="categorical_crossentropy")
    return m


def test_residual_training_step_gradients_match_unfused(chains_run):
    m = resnet_block()
    x = rng.standard_normal((6, 8, 8, 4)).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 6)]

    def step(run):
        with GradientTape() as tape:
            loss = npconv.losses.categorical_crossentropy(y, run()).mean()
        return loss.data, tape.gradient(loss, m.trainable_weights)

    loss, grads = step(lambda: m(x, training=True))
    assert chains_run == {"BatchNormalization.call_relu": 1, "Add.call_relu": 1}
    want_loss, want = step(lambda: m.walk_graph([x], lambda node, args: node.layer(
        args, training=True, **node.kwargs)))
    np.testing.assert_allclose(loss, want_loss, rtol=1e-6)
    for g, w in zip(grads, want):
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-6 * np.abs(w).max())


def test_fit_gives_the_unfused_weights(monkeypatch):
    x = rng.standard_normal((8, 8, 8, 4)).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 8)]
    npconv.utils.set_random_seed(3)
    fused = resnet_block()
    npconv.utils.set_random_seed(3)
    no_chains(monkeypatch)
    plain = resnet_block()
    for m in (fused, plain):
        m.fit(x, y, batch_size=4, epochs=2, verbose=0, shuffle=False)
    for a, b in zip(fused.get_weights(), plain.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_add_relu_gradients():
    a, b, c = (rng.standard_normal((3, 4, 5)) for _ in range(3))
    gradcheck(lambda a, b: add_relu(a, b), a, b)
    gradcheck(lambda a, b, c: add_relu(a, b, c), a, b, c)


@pytest.fixture(params=[1, 2])
def threads(request):
    before = npconv.backend.num_threads()
    npconv.backend.set_num_threads(request.param)
    yield request.param
    npconv.backend.set_num_threads(before)


def test_add_relu_is_the_two_ops_bit_for_bit(monkeypatch, threads):
    from npconv.functions import residual
    from npconv.functions.activations import relu
    from npconv.functions.array import add

    monkeypatch.setattr(residual, "BLOCK", 7)  # several blocks, on each thread
    a, b = (npconv.autograd.Tensor(rng.standard_normal((4, 5, 6)).astype(np.float32),
                                   requires_grad=True) for _ in range(2))
    gy = rng.standard_normal((4, 5, 6)).astype(np.float32)
    fused = add_relu(a, b)
    fused.backward(gy)
    got = fused.data, a.grad, b.grad
    a.grad = b.grad = None
    separate = relu(add(a, b))
    separate.backward(gy)
    for g, w in zip(got, (separate.data, a.grad, b.grad)):
        np.testing.assert_array_equal(g, w)


def test_add_with_broadcasting_is_not_fused(chains_run):
    inputs = L.Input((4, 3))
    other = L.Input((1, 3))
    m = Model([inputs, other], L.Activation("relu")(L.add([inputs, other])))
    x, z = rng.standard_normal((2, 4, 3)), rng.standard_normal((2, 1, 3))
    np.testing.assert_allclose(m.predict([x, z], verbose=0), np.maximum(x + z, 0), rtol=1e-6)
    assert chains_run == {}


def test_a_normalization_of_another_axis_is_not_folded(chains_run):
    m = Sequential([L.Input((5, 6, 2)), L.Conv2D(3, 3, padding="same"),
                    L.BatchNormalization(axis=1)])
    randomize_norms(m)
    x = rng.standard_normal((2, 5, 6, 2)).astype(np.float32)
    assert_close(m.predict(x, verbose=0), unfused(m, x))
    assert chains_run == {}


def test_normalization_and_relu_after_a_dense_layer(chains_run):
    m = Sequential([L.Input((6,)), L.Dense(5), L.BatchNormalization(), L.Activation("relu"),
                    L.Dense(2)])
    randomize_norms(m)
    x = rng.standard_normal((7, 6)).astype(np.float32)
    np.testing.assert_array_equal(m.predict(x, verbose=0), unfused(m, x))
    assert chains_run == {"BatchNormalization.call_relu": 1}


def resnet_blocks(projection_first):
    """Two ResNet v1 blocks: an identity block, then a strided block with a 1x1 projection
    shortcut, computed before the residual branch or (as Keras's cifar10_resnet writes it)
    after it."""
    inputs = L.Input((8, 8, 4))
    x = inputs
    for strides in (1, 2):
        shortcut = x
        if strides > 1 and projection_first:
            shortcut = L.Conv2D(6, 1, strides=strides)(x)
        y = L.Conv2D(4 if strides == 1 else 6, 3, strides=strides, padding="same")(x)
        y = L.Activation("relu")(L.BatchNormalization()(y))
        y = L.BatchNormalization()(L.Conv2D(4 if strides == 1 else 6, 3, padding="same")(y))
        if strides > 1 and not projection_first:
            shortcut = L.Conv2D(6, 1, strides=strides)(x)
        x = L.Activation("relu")(L.add([shortcut, y]))
    m = Model(inputs, L.Dense(3)(L.GlobalAveragePooling2D()(x)))
    randomize_norms(m)
    return m


@pytest.mark.parametrize("projection_first", [True, False])
def test_predict_adds_the_shortcut_inside_the_convolution(chains_run, projection_first):
    m = resnet_blocks(projection_first)
    x = rng.standard_normal((5, 8, 8, 4)).astype(np.float32)
    assert_close(m.predict(x, batch_size=5, verbose=0), unfused(m, x))
    # four conv + BN chains, and both adds inside the convolution: the graph runs by depth,
    # so the projection shortcut is ready before the branch's last convolution either way
    assert chains_run == {"BaseConv.call_normalized": 4}


def test_a_shortcut_computed_later_declines_the_residual_chain(chains_run):
    # calls in an order where the shortcut (key "s") is made after the convolution
    conv, bn = L.Conv2D(4, 3, padding="same"), L.BatchNormalization()
    add, relu, proj = L.Add(), L.Activation("relu"), L.Conv2D(4, 1)
    x = rng.standard_normal((2, 6, 6, 4)).astype(np.float32)
    for layer, arg in ((conv, x), (bn, conv(x)), (proj, x)):
        layer(arg)
    randomize_norms(Sequential([L.Input((6, 6, 4)), conv, bn]))
    calls = [fusion.Call(conv, "x", "c", {}), fusion.Call(bn, "c", "b", {}),
             fusion.Call(proj, "x", "s", {}), fusion.Call(add, ["s", "b"], "a", {}),
             fusion.Call(relu, "a", "out", {})]
    chains = fusion.fused_chains(calls, outputs=("out",))
    assert [c.indices for c in chains[0]] == [(0, 1, 3, 4), (0, 1)]

    def call_layer(call, args):
        return call.layer(args, training=False)

    with no_grad():
        want = fusion.run_calls(calls, {"x": x}, call_layer)["out"].data
        ready = fusion.run_calls(calls, {"x": x}, call_layer, chains=chains)["out"].data
        late = [calls[2], *calls[:2], *calls[3:]]  # the shortcut first: the chain runs
        late_chains = fusion.fused_chains(late, outputs=("out",))
        first = fusion.run_calls(late, {"x": x}, call_layer, chains=late_chains)["out"].data
    assert_close(ready, want)
    assert_close(first, want)
    # as ordered in ``calls`` the shortcut is not there yet: conv + BN fold, then Add + ReLU
    assert chains_run == {"BaseConv.call_normalized": 2, "Add.call_relu": 1}


def test_conv_residual_is_the_ops_in_turn_bit_for_bit(threads):
    from npconv.functions.activations import relu
    from npconv.functions.array import add
    from npconv.functions.conv import conv, conv_residual

    x = rng.standard_normal((7, 9, 8, 5)).astype(np.float32)
    kernel = rng.standard_normal((3, 3, 5, 6)).astype(np.float32)
    bias = rng.standard_normal(6).astype(np.float32)
    shortcut = rng.standard_normal((7, 9, 8, 6)).astype(np.float32)
    with no_grad():
        got = conv_residual(x, kernel, bias, shortcut, padding="same", activation="relu")
        want = relu(add(shortcut, conv(x, kernel, bias, padding="same")))
        np.testing.assert_array_equal(got.data, want.data)
        plain = conv_residual(x, kernel, None, shortcut, padding="same")
        np.testing.assert_array_equal(plain.data, (conv(x, kernel, padding="same")
                                                   + shortcut).data)
    # recording gradients: the ops in turn, differentiable
    gradcheck(lambda x, s: conv_residual(x, kernel[:, :, :2, :3].astype(np.float64), None, s,
                                         padding="same", activation="relu"),
              rng.standard_normal((2, 4, 3, 2)), rng.standard_normal((2, 4, 3, 3)))
