"""Reference runs of real Keras 3 subclassed models trained by ``fit`` for 5 steps, for npconv's
custom-training parity tests (tests/training/test_custom_training_parity.py).

Run with TensorFlow's Keras in a separate virtual environment (never needed by npconv):

    CUDA_VISIBLE_DEVICES= TF_CPP_MIN_LOG_LEVEL=3 /tmp/refenv/bin/python \
        tools/keras_references/custom_train_step.py

Writes ``tests/references/keras_custom_training.npz``. Both cases train the same small CNN
(``Conv2D(4, 3, relu) -> Flatten -> Dense(3)`` logits) on fixed random data (40 samples of
8x8x1, labels 0..2), batch 8, no shuffling: 5 steps, from fixed weights. Keys, for case ``c``:

- ``x``, ``y``: the data; ``c/init/{i}``: the weights set before training (get_weights order);
- ``c/after/{i}``: the weights after ``fit``; ``c/logs``: JSON of ``history.history``.

Cases:

- ``custom_step``: ``train_step`` overridden with ``tf.GradientTape``: loss = sparse
  cross-entropy from logits + 0.1 * mean(logits^2), Adam(0.01), two ``Mean`` trackers listed
  by an overridden ``metrics`` property, the step returning ``{"loss", "penalty"}``.
- ``add_loss``: the default ``train_step``; ``call`` adds 0.05 * mean(hidden^2) with
  ``self.add_loss``; ``compile(SGD(0.1, momentum=0.9), SparseCategoricalCrossentropy(
  from_logits=True), metrics=["accuracy"])``.
"""

from __future__ import annotations

import json
import os
import pathlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parents[2] / "tests" / "references"


class Net(keras.Model):
    def __init__(self, penalty=False, **kwargs):
        super().__init__(**kwargs)
        self.penalty = penalty
        self.conv = keras.layers.Conv2D(4, 3, activation="relu")
        self.flatten = keras.layers.Flatten()
        self.dense = keras.layers.Dense(3)

    def call(self, x):
        h = self.flatten(self.conv(x))
        if self.penalty:
            self.add_loss(0.05 * keras.ops.mean(keras.ops.square(h)))
        return self.dense(h)


class CustomStep(Net):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.penalty_tracker = keras.metrics.Mean(name="penalty")
        self.ce = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    @property
    def metrics(self):
        return [self.loss_tracker, self.penalty_tracker]

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            logits = self(x, training=True)
            penalty = 0.1 * keras.ops.mean(keras.ops.square(logits))
            loss = self.ce(y, logits) + penalty
        grads = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
        self.loss_tracker.update_state(loss)
        self.penalty_tracker.update_state(penalty)
        return {"loss": self.loss_tracker.result(), "penalty": self.penalty_tracker.result()}


def initial_weights(rng):
    return [
        rng.normal(0, 0.4, (3, 3, 1, 4)).astype("float32"),
        rng.normal(0, 0.1, (4,)).astype("float32"),
        rng.normal(0, 0.2, (144, 3)).astype("float32"),
        rng.normal(0, 0.1, (3,)).astype("float32"),
    ]


def run(name, model, compile_kwargs, x, y, out, rng):
    model(x[:1])
    init = initial_weights(rng)
    model.set_weights(init)
    model.compile(**compile_kwargs)
    history = model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    for i, w in enumerate(init):
        out[f"{name}/init/{i}"] = w
    for i, w in enumerate(model.get_weights()):
        out[f"{name}/after/{i}"] = w
    logs = {k: [float(v) for v in vs] for k, vs in history.history.items()}
    out[f"{name}/logs"] = np.array(json.dumps(logs))
    print(name, logs)


def main():
    rng = np.random.default_rng(11)
    x = rng.normal(size=(40, 8, 8, 1)).astype("float32")
    y = rng.integers(0, 3, 40).astype("int64")
    out = {"x": x, "y": y}
    run("custom_step", CustomStep(), {"optimizer": keras.optimizers.Adam(0.01)}, x, y, out, rng)
    run(
        "add_loss",
        Net(penalty=True),
        {
            "optimizer": keras.optimizers.SGD(0.1, momentum=0.9),
            "loss": keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            "metrics": ["accuracy"],
        },
        x, y, out, rng,
    )
    path = OUT / "keras_custom_training.npz"
    np.savez(path, **out)
    print("wrote", path, path.stat().st_size, "bytes")


if __name__ == "__main__":
    main()
