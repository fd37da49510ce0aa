"""Keras 3's custom-training hooks: ``train_step``/``test_step``/``predict_step``,
``compute_loss``/``compute_metrics``, ``compile()`` without a loss, ``fit(x)`` alone,
``add_loss``, ``metrics`` trackers reset each epoch, frozen layers in custom steps, and
``npconv.GradientTape`` / ``npconv.random``."""

import numpy as np
import pytest

import npconv
from npconv import layers
from npconv.autograd.gradcheck import numerical_gradients
from npconv.functions import array as F


def _data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 5)).astype("float32")
    w = rng.normal(size=(5, 1)).astype("float32")
    return x, (x @ w).astype("float32")


def _dense_model():
    return npconv.Sequential([npconv.Input((5,)), layers.Dense(1)])


# ------------------------------------------------------------------------------ GradientTape
def test_tape_gradient_matches_finite_differences():
    rng = np.random.default_rng(1)
    a0, b0 = rng.normal(size=(3, 4)), rng.normal(size=(4,))

    def f(a, b):
        return F.sum(F.exp(a * 0.3) * b, axis=1)

    a, b = npconv.Tensor(a0), npconv.Tensor(b0)
    with npconv.GradientTape() as tape:
        tape.watch([a, b])
        y = F.sum(f(a, b) * np.arange(3.0))
    ga, gb = tape.gradient(y, [a, b])
    na, nb = numerical_gradients(f, [a0, b0], [np.arange(3.0)])
    np.testing.assert_allclose(ga, na, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(gb, nb, rtol=1e-6, atol=1e-8)


def test_tape_structures_none_persistent_and_grads_left_untouched():
    dense = layers.Dense(2)
    other = npconv.Variable(np.ones(3, "float32"))
    x = np.ones((4, 3), "float32")
    with npconv.GradientTape(persistent=True) as tape:
        loss = F.mean(dense(x) * dense(x))
    grads = tape.gradient(loss, {"k": dense.kernel, "rest": [dense.bias, other]})
    assert grads["k"].shape == (3, 2) and grads["rest"][0].shape == (2,)
    assert grads["rest"][1] is None  # unconnected
    zero = tape.gradient(loss, [other], unconnected_gradients="zero")
    np.testing.assert_array_equal(zero[0], np.zeros(3))
    assert dense.kernel.grad is None  # the tape returns gradients, it does not store them


def test_non_persistent_tape_is_used_once():
    v = npconv.Variable(np.float32(2.0))
    with npconv.GradientTape() as tape:
        y = v * v
    assert float(tape.gradient(y, v)) == 4.0
    with pytest.raises(RuntimeError, match="persistent"):
        tape.gradient(y, v)


def test_tape_records_inside_no_grad_and_frozen_weights_get_none():
    dense = layers.Dense(2)
    dense.build((None, 3))
    dense.trainable = False
    x = npconv.Tensor(np.ones((1, 3), "float32"))
    with npconv.no_grad():
        with npconv.GradientTape() as tape:
            tape.watch(x)
            y = F.sum(dense(x))
    gx, gk = tape.gradient(y, [x, dense.kernel])
    np.testing.assert_allclose(gx, dense.kernel.data.sum(1)[None])
    assert gk is None
    assert npconv.autograd.GradientTape is npconv.GradientTape


# -------------------------------------------------------------------------------- random
def test_random_seeds():
    a = npconv.random.normal((1000,), mean=2.0, stddev=3.0, seed=4).numpy()
    b = npconv.random.normal((1000,), mean=2.0, stddev=3.0, seed=4).numpy()
    np.testing.assert_array_equal(a, b)
    assert a.dtype == np.float32 and abs(a.mean() - 2.0) < 0.3 and abs(a.std() - 3.0) < 0.3
    gen = npconv.random.SeedGenerator(7)
    c, d = npconv.random.uniform((5,), seed=gen), npconv.random.uniform((5,), seed=gen)
    assert not np.array_equal(c.numpy(), d.numpy())  # the generator's stream advances
    again = npconv.random.SeedGenerator(7)
    np.testing.assert_array_equal(npconv.random.uniform((5,), seed=again).numpy(), c.numpy())
    npconv.utils.set_random_seed(3)
    e = npconv.random.randint((50,), 0, 4).numpy()
    npconv.utils.set_random_seed(3)
    np.testing.assert_array_equal(npconv.random.randint((50,), 0, 4).numpy(), e)
    assert e.dtype == np.int32 and set(e) <= {0, 1, 2, 3}
    s = npconv.random.shuffle(np.arange(10), seed=1).numpy()
    assert sorted(s) == list(range(10)) and list(s) != list(range(10))
    t = npconv.random.truncated_normal((2000,), seed=2).numpy()
    assert np.abs(t).max() <= 2.0
    ones = np.ones((100, 100), "float32")
    d1 = npconv.random.dropout(ones, 0.25, seed=5).numpy()
    np.testing.assert_array_equal(d1, npconv.random.dropout(ones, 0.25, seed=5).numpy())
    assert set(np.unique(d1)) == {0.0, np.float32(1 / 0.75)}
    assert abs((d1 == 0).mean() - 0.25) < 0.03


# ---------------------------------------------------------------------------- the steps
class CountingSteps(npconv.Model):
    """A regression model whose train/test/predict steps are overridden."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = layers.Dense(1)
        self.loss_tracker = npconv.metrics.Mean(name="loss")
        self.mae = npconv.metrics.MeanAbsoluteError(name="mae")
        self.calls = {"train": 0, "test": 0, "predict": 0}

    def call(self, x):
        return self.dense(x)

    def train_step(self, data):
        self.calls["train"] += 1
        x, y = data
        with npconv.GradientTape() as tape:
            pred = self(x, training=True)
            loss = F.mean(F.square(pred - y))
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply(grads, self.trainable_variables)
        self.loss_tracker.update_state(loss)
        self.mae.update_state(y, pred)
        return {"loss": self.loss_tracker.result(), "mae": self.mae.result()}

    def test_step(self, data):
        self.calls["test"] += 1
        x, y = data
        pred = self(x)
        self.loss_tracker.update_state(F.mean(F.square(pred - y)))
        return {"loss": self.loss_tracker.result()}

    def predict_step(self, data):
        self.calls["predict"] += 1
        return self(data) * 2.0


def test_overridden_steps_are_used_and_trackers_reset_each_epoch():
    x, y = _data()
    model = CountingSteps()
    model.compile(npconv.optimizers.SGD(0.1))  # no loss: the step computes its own
    seen = []
    cb = npconv.callbacks.LambdaCallback(
        on_epoch_begin=lambda epoch, logs: seen.append(float(model.loss_tracker.count)))
    history = model.fit(x, y, batch_size=16, epochs=3, verbose=0, callbacks=[cb])
    assert model.calls["train"] == 12
    assert seen == [0.0, 0.0, 0.0]  # the trackers (found as attributes) reset each epoch
    assert [m.name for m in model.metrics] == ["loss", "mae"]
    assert history.history["loss"][-1] < 0.3 * history.history["loss"][0]
    result = model.evaluate(x, y, batch_size=32, verbose=0, return_dict=True)
    assert model.calls["test"] == 2 and set(result) == {"loss"}
    raw = model.dense(x).data
    np.testing.assert_allclose(model.predict(x, batch_size=32, verbose=0), 2 * raw, rtol=1e-6)
    assert model.calls["predict"] == 2


def test_compile_without_loss_and_no_model_loss_says_what_to_do():
    model = _dense_model()
    model.compile("sgd")
    with pytest.raises(ValueError, match="no loss"):
        model.fit(*_data(), verbose=0)


def test_fit_on_x_alone_with_add_loss():
    """An autoencoder-like model that adds its own loss trains on ``fit(x)``."""

    class AddsLoss(npconv.Model):
        def __init__(self):
            super().__init__()
            self.encode = layers.Dense(2)
            self.decode = layers.Dense(5)

        def call(self, x):
            out = self.decode(self.encode(x))
            self.add_loss(F.mean(F.square(out - x)))
            return out

    x, _ = _data(128)
    npconv.utils.set_random_seed(0)
    model = AddsLoss()
    model.compile(npconv.optimizers.Adam(0.02))
    history = model.fit(x, epochs=8, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < 0.7 * history.history["loss"][0]
    assert len(model.losses) == 1
    loss = model.evaluate(x, verbose=0)
    np.testing.assert_allclose(loss, np.mean((model.predict(x, verbose=0) - x) ** 2), rtol=1e-5)


def test_compute_loss_and_compute_metrics_overrides():
    class Weighted(npconv.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(1)
            self.seen = []

        def call(self, x):
            return self.dense(x)

        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None):
            return F.mean(F.abs(y_pred - y)) * 3.0

        def compute_metrics(self, x, y, y_pred, sample_weight=None):
            self.seen.append(len(x))
            return {**super().compute_metrics(x, y, y_pred, sample_weight), "n": len(x)}

    x, y = _data()
    model = Weighted()
    model.compile("sgd", metrics=["mae"])
    model.fit(x, y, batch_size=32, epochs=1, verbose=0)
    logs = model.evaluate(x, y, batch_size=64, verbose=0, return_dict=True)
    assert model.seen == [32, 32, 64]
    np.testing.assert_allclose(logs["loss"], 3 * logs["mae"], rtol=1e-5)
    assert logs["n"] == 64


def test_frozen_discriminator_in_a_keras2_style_gan():
    """``discriminator.trainable = False`` before compiling the combined model: training
    the combined model moves the generator only."""
    generator = npconv.Sequential([npconv.Input((3,)), layers.Dense(4)])
    discriminator = npconv.Sequential([npconv.Input((4,)), layers.Dense(1, activation="sigmoid")])
    discriminator.trainable = False
    combined = npconv.Sequential([generator, discriminator])
    combined.compile("adam", "binary_crossentropy")
    d_before, g_before = discriminator.get_weights(), generator.get_weights()
    combined.train_on_batch(np.ones((8, 3), "float32"), np.ones((8, 1), "float32"))
    for a, b in zip(discriminator.get_weights(), d_before):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, b) for a, b in zip(generator.get_weights(), g_before))
    assert len(combined.trainable_weights) == 2


def test_step_that_returns_no_dict_is_named():
    class Bad(npconv.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(1)

        def call(self, x):
            return self.dense(x)

        def train_step(self, data):
            return 1.0

    model = Bad()
    model.compile("sgd")
    with pytest.raises(TypeError, match="must return a dict"):
        model.fit(*_data(), verbose=0)


def _guide_model(train_step):
    """The model of the Keras guides "Customizing what happens in fit()" (one Dense layer
    regressing 5 features), with the guide's ``train_step``."""

    class Guide(npconv.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(1)

        def call(self, x):
            return self.dense(x)

    Guide.train_step = train_step
    npconv.utils.set_random_seed(0)
    return Guide()


def _default_step_twin():
    npconv.utils.set_random_seed(0)
    model = _dense_model()
    model.compile(npconv.optimizers.SGD(0.05), "mse", metrics=["mae"])
    return model


def test_keras3_guide_step_updating_every_metric():
    def train_step(self, data):
        x, y = data
        with npconv.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
        trainable_vars = self.trainable_variables
        gradients = tape.gradient(loss, trainable_vars)
        self.optimizer.apply(gradients, trainable_vars)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}

    x, y = _data()
    model = _guide_model(train_step)
    model.compile(npconv.optimizers.SGD(0.05), "mse", metrics=["mae"])
    history = model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    assert [m.name for m in model.metrics] == ["loss", "compile_metrics"]
    assert model.metrics_names == ["loss", "mae"]
    assert sorted(history.history) == ["loss", "mae"]
    assert history.history["loss"][1] < history.history["loss"][0]


def test_keras2_compiled_loss_and_compiled_metrics_match_the_default_step():
    def train_step(self, data):
        x, y = data
        with npconv.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compiled_loss(y, y_pred, regularization_losses=self.losses)
        trainable_vars = self.trainable_variables
        gradients = tape.gradient(loss, trainable_vars)
        self.optimizer.apply_gradients(zip(gradients, trainable_vars))
        self.compiled_metrics.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}

    x, y = _data()
    model = _guide_model(train_step)
    model.compile(npconv.optimizers.SGD(0.05), "mse", metrics=["mae"])
    model.build((None, 5))
    twin = _default_step_twin()
    twin.set_weights(model.get_weights())
    h = model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    h_twin = twin.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    assert h.history == h_twin.history
    for a, b in zip(model.get_weights(), twin.get_weights()):
        np.testing.assert_array_equal(a, b)


# --- data a custom step interprets itself is not checked against the model's inputs ----------


class _PairStep(npconv.Model):
    """A metric-learning step (keras.io's): each batch is one (2, n, 4) array of anchors and
    positives, which the step splits into two calls of the model."""

    def train_step(self, data):
        if isinstance(data, tuple):
            data = data[0]
        with npconv.GradientTape() as tape:
            a, p = self(data[0], training=True), self(data[1], training=True)
            loss = npconv.ops.mean(npconv.ops.square(a - p))
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        return {"loss": loss}


class _Pairs(npconv.utils.PyDataset):
    def __len__(self):
        return 3

    def __getitem__(self, i):
        return np.random.default_rng(i).random((2, 8, 4)).astype("float32")


def _pair_model():
    npconv.utils.set_random_seed(0)
    inputs = npconv.Input((4,))
    return _PairStep(inputs, npconv.layers.Dense(2)(inputs))


def test_fit_hands_a_custom_train_step_data_of_another_shape():
    model = _pair_model()
    model.compile(optimizer="adam")
    before = model.get_weights()[0].copy()
    history = model.fit(_Pairs(), epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    assert history.history["loss"][1] < history.history["loss"][0]  # pulls pairs together
    assert not np.allclose(before, model.get_weights()[0])
    # the default predict_step still checks its input
    with pytest.raises(ValueError, match="expects input of shape"):
        model.predict(np.zeros((2, 8, 4), "float32"), verbose=0)


def test_validation_data_without_targets_for_a_model_that_needs_none():
    class AddsItsLoss(npconv.layers.Layer):
        def call(self, x):
            self.add_loss(npconv.ops.mean(npconv.ops.square(x)))
            return x

    npconv.utils.set_random_seed(0)
    inputs = npconv.Input((4,))
    model = npconv.Model(inputs, AddsItsLoss()(npconv.layers.Dense(4)(inputs)))
    model.compile(optimizer="rmsprop")
    x = np.random.default_rng(0).random((32, 4)).astype("float32")
    for validation_data in ((x, None), (x,)):
        history = model.fit(x, validation_data=validation_data, epochs=1, verbose=0)
        assert np.isfinite(history.history["val_loss"][0])
        assert history.history["val_loss"][0] > 0


# --- a gradient penalty (second order) is refused, not silently dropped -------------------------


def _one_weight_layer():
    layer = npconv.layers.Dense(1, use_bias=False, kernel_initializer="ones")
    x = npconv.ops.convert_to_tensor(np.array([[3.0]], "float32"))
    layer(x)
    return layer, x


def test_a_gradient_penalty_is_refused_with_a_clear_error():
    from npconv.autograd.tape import SecondOrderError

    layer, x = _one_weight_layer()
    with npconv.GradientTape() as outer:
        with npconv.GradientTape() as inner:
            inner.watch(x)
            y = npconv.ops.square(layer(x))
        (g,) = inner.gradient(y, [x])
        penalty = npconv.ops.sum(npconv.ops.square(g))  # WGAN-GP's, of d/dx (w x)^2
    with pytest.raises(SecondOrderError, match="gradient penalty.*stop_gradient"):
        outer.gradient(penalty, layer.trainable_variables)


def test_a_gradient_inside_another_tape_still_works_where_no_second_order_is_needed():
    layer, x = _one_weight_layer()
    with npconv.GradientTape() as outer:
        with npconv.GradientTape() as inner:
            inner.watch(x)
            y = npconv.ops.square(layer(x))
        (g,) = inner.gradient(y, [x])  # 2 w^2 x = 6
        loss = npconv.ops.sum(layer(x)) + npconv.ops.sum(npconv.ops.stop_gradient(g))
    np.testing.assert_allclose(np.asarray(g), [[6.0]])
    (gw,) = outer.gradient(loss, layer.trainable_variables)
    np.testing.assert_allclose(np.asarray(gw), [[3.0]])  # d(w x)/dw; the constant adds nothing
    # and outside any tape a gradient is a plain array, as before
    with npconv.GradientTape() as tape:
        z = npconv.ops.sum(layer(x))
    (gz,) = tape.gradient(z, layer.trainable_variables)
    assert type(gz) is np.ndarray
