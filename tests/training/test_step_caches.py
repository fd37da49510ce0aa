"""What a training step looks up once and reuses (a layer's input check per input shape,
``compute_loss``'s signature, Adam's step size per step) must follow every change a user
makes between calls."""

import numpy as np
import pytest

import npconv
from npconv import layers


def data(n=16, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 4)).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, n)]
    return x, y


def small_model(optimizer="adam"):
    model = npconv.Sequential([layers.Input((4,)), layers.Dense(5, activation="relu"),
                               layers.Dense(3, activation="softmax")])
    model.compile(optimizer=optimizer, loss="categorical_crossentropy")
    return model


def test_layer_checks_each_new_input_shape():
    dense = layers.Dense(2, name="d")
    dense(np.ones((3, 4), np.float32))
    dense(np.ones((5, 4), np.float32))  # another batch size: fine
    with pytest.raises(ValueError, match=r"Dense 'd' expects input of shape \(None, 4\)"):
        dense(np.ones((3, 6), np.float32))
    dense(np.ones((3, 4), np.float32))
    conv = layers.Conv2D(2, 3, name="c")
    conv(np.ones((1, 6, 6, 3), np.float32))
    with pytest.raises(ValueError, match="Conv2D 'c' expects input of rank 4"):
        conv(np.ones((1, 6, 3), np.float32))
    with pytest.raises(ValueError, match="Conv2D 'c'"):
        conv(np.ones((1, 6, 6, 5), np.float32))


def test_compute_loss_override_with_and_without_training():
    seen = []

    class WithTraining(npconv.Model):
        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            seen.append(training)
            return super().compute_loss(x, y, y_pred, sample_weight)

    class WithoutTraining(npconv.Model):
        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None):
            seen.append("none")
            return super().compute_loss(x, y, y_pred, sample_weight)

    x, y = data()
    for cls in (WithTraining, WithoutTraining):
        inputs = layers.Input((4,))
        model = cls(inputs, layers.Dense(3, activation="softmax")(inputs))
        model.compile(optimizer="sgd", loss="categorical_crossentropy")
        model.fit(x, y, batch_size=8, epochs=1, verbose=0)
        model.evaluate(x, y, batch_size=16, verbose=0)
    assert seen == [True, True, False, "none", "none", "none"]


def test_compute_loss_set_on_the_instance_is_used():
    x, y = data()
    model = small_model("sgd")
    model.compute_loss = lambda x, y, y_pred, sample_weight: npconv.ops.sum(y_pred) * 0.0 + 7.0
    logs = model.train_on_batch(x, y, return_dict=True)
    assert logs["loss"] == pytest.approx(7.0)


def test_learning_rate_change_between_fits_is_used():
    x, y = data()
    model = small_model(npconv.optimizers.Adam(learning_rate=0.01))
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    before = [w.copy() for w in model.get_weights()]
    model.optimizer.learning_rate = 0.0
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    model.optimizer.learning_rate = 0.01
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def test_trainable_flag_and_recompile_between_fits():
    x, y = data()
    model = small_model()
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    first = model.layers[0]
    first.trainable = False
    model.compile(optimizer="adam", loss="mse")
    frozen = [w.copy() for w in first.get_weights()]
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    for a, b in zip(frozen, first.get_weights()):
        np.testing.assert_array_equal(a, b)
    pred = model.predict(x, verbose=0)
    mse = float(np.mean(np.mean((pred - y) ** 2, axis=-1)))
    assert model.evaluate(x, y, batch_size=16, verbose=0) == pytest.approx(mse, rel=1e-5)
