"""A subclassed model trained by ``fit`` for 5 steps matches real Keras 3 from the same weights
and data: a ``train_step`` written with ``GradientTape`` and metric trackers, and the default
step with a compiled loss plus ``add_loss`` in ``call``.

References: tests/references/keras_custom_training.npz, written by
tools/keras_references/custom_train_step.py (whose docstring describes the cases).
"""

import json
import pathlib

import numpy as np
import pytest

import npconv
from npconv import layers

REF = np.load(pathlib.Path(__file__).parents[1] / "references" / "keras_custom_training.npz")


class Net(npconv.Model):
    def __init__(self, penalty=False, **kwargs):
        super().__init__(**kwargs)
        self.penalty = penalty
        self.conv = layers.Conv2D(4, 3, activation="relu")
        self.flatten = layers.Flatten()
        self.dense = layers.Dense(3)

    def call(self, x):
        h = self.flatten(self.conv(x))
        if self.penalty:
            self.add_loss(0.05 * (h * h).mean())
        return self.dense(h)


class CustomStep(Net):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.loss_tracker = npconv.metrics.Mean(name="loss")
        self.penalty_tracker = npconv.metrics.Mean(name="penalty")
        self.ce = npconv.losses.SparseCategoricalCrossentropy(from_logits=True)

    @property
    def metrics(self):
        return [self.loss_tracker, self.penalty_tracker]

    def train_step(self, data):
        x, y = data
        with npconv.GradientTape() as tape:
            logits = self(x, training=True)
            penalty = 0.1 * (logits * logits).mean()
            loss = self.ce(y, logits) + penalty
        grads = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
        self.loss_tracker.update_state(loss)
        self.penalty_tracker.update_state(penalty)
        return {"loss": self.loss_tracker.result(), "penalty": self.penalty_tracker.result()}


def _check(name, model, **compile_kwargs):
    x, y = REF["x"], REF["y"]
    model(x[:1])
    model.set_weights([REF[f"{name}/init/{i}"] for i in range(4)])
    model.compile(**compile_kwargs)
    history = model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    for i, w in enumerate(model.get_weights()):
        np.testing.assert_allclose(w, REF[f"{name}/after/{i}"], rtol=1e-4, atol=2e-5,
                                   err_msg=f"{name} weight {i}")
    expected = json.loads(str(REF[f"{name}/logs"]))
    assert sorted(history.history) == sorted(expected)
    for key, values in expected.items():
        np.testing.assert_allclose(history.history[key], values, rtol=1e-5, err_msg=key)
    return model


def test_overridden_train_step_matches_keras():
    model = _check("custom_step", CustomStep(), optimizer=npconv.optimizers.Adam(0.01))
    assert [m.name for m in model.metrics] == ["loss", "penalty"]


def test_default_step_with_add_loss_matches_keras():
    model = _check(
        "add_loss", Net(penalty=True),
        optimizer=npconv.optimizers.SGD(0.1, momentum=0.9),
        loss=npconv.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    assert len(model.losses) == 1  # the add_loss term of the last call


def test_weights_move_differently_without_the_penalty():
    """The parity above is not met by chance: drop add_loss and the weights differ."""
    with pytest.raises(AssertionError):
        _check(
            "add_loss", Net(penalty=False),
            optimizer=npconv.optimizers.SGD(0.1, momentum=0.9),
            loss=npconv.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=["accuracy"],
        )
