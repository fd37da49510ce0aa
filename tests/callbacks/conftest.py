"""A fake model for driving callbacks with synthetic logs, as ``fit`` would."""

from __future__ import annotations

import os
import tempfile

import numpy as np
import pytest

from npconv.callbacks import CallbackList


class FakeOptimizer:
    """``learning_rate`` is a float property with a setter, as npconv's optimizers have."""

    def __init__(self, learning_rate=0.01):
        self._lr = float(learning_rate)
        self.iterations = 0

    @property
    def learning_rate(self):
        return self._lr

    @learning_rate.setter
    def learning_rate(self, value):
        self._lr = float(value)


class FakeModel:
    """Weights are two arrays filled with the number of the epoch that produced them."""

    def __init__(self, learning_rate=0.01, metrics=()):
        self.weights = [np.zeros((2, 3), np.float32), np.zeros(3, np.float32)]
        self.stop_training = False
        self.optimizer = FakeOptimizer(learning_rate)
        self.metrics = list(metrics)
        self.saved = []  # (method, path) of each save

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, weights):
        self.weights = [np.array(w, copy=True) for w in weights]

    def train_epoch(self, epoch):
        self.weights = [np.full_like(w, epoch) for w in self.weights]

    def _write(self, method, filepath, overwrite):
        assert overwrite is True
        folder = os.path.dirname(filepath) or "."
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
        with os.fdopen(fd, "w") as f:
            f.write(f"{method} {self.weights[0].flat[0]:g}")
        os.replace(tmp, filepath)
        self.saved.append((method, filepath))

    def save(self, filepath, overwrite=True):
        self._write("save", filepath, overwrite)

    def save_weights(self, filepath, overwrite=True):
        self._write("save_weights", filepath, overwrite)


def run_fit(callbacks, model, epoch_logs, steps=1, batch_logs=None):
    """Drive ``callbacks`` like ``fit``: ``epoch_logs[e]`` are epoch ``e``'s logs.

    Before each epoch's end the model's weights become ``full(e)``. Returns the number of
    epochs run. ``batch_logs(epoch, step)`` gives each batch's logs (default ``{'loss': 1}``).
    """
    callbacks = callbacks if isinstance(callbacks, (list, tuple)) else [callbacks]
    cbs = CallbackList(callbacks, model, {"epochs": len(epoch_logs), "steps": steps})
    model.stop_training = False
    cbs.on_train_begin()
    epochs_run = 0
    logs = {}
    for epoch, logs in enumerate(epoch_logs):
        cbs.on_epoch_begin(epoch)
        for step in range(steps):
            cbs.on_train_batch_begin(step)
            cbs.on_train_batch_end(step, batch_logs(epoch, step) if batch_logs else {"loss": 1.0})
            if model.stop_training:
                break
        model.train_epoch(epoch)
        epochs_run += 1
        cbs.on_epoch_end(epoch, logs)
        if model.stop_training:
            break
    cbs.on_train_end(logs)
    return epochs_run


def val_losses(*values, key="val_loss"):
    return [{"loss": 1.0, key: v} for v in values]


@pytest.fixture
def model():
    return FakeModel()


@pytest.fixture(name="FakeModel")
def fake_model_class():
    return FakeModel


@pytest.fixture(name="run_fit")
def run_fit_fixture():
    return run_fit


@pytest.fixture(name="val_losses")
def val_losses_fixture():
    return val_losses
