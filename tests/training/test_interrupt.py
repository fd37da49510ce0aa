"""Stopping a run: Ctrl-C (SIGINT) during ``fit`` ends it at the end of the current batch,
keeps the ``History`` of the finished epochs, leaves the model usable with the weights of the
last finished batch, says so in one line, and still runs ``on_train_end``; ``TerminateOnNaN``
stops a diverging run at the very batch whose loss is not finite."""

from __future__ import annotations

import os
import re
import signal
import threading

import numpy as np
import pytest

import npconv
from npconv import layers as L
from npconv.callbacks import Callback, TerminateOnNaN
from npconv.models import Sequential

N, BATCH = 40, 8  # 5 batches per epoch


def make_model(optimizer="adam"):
    npconv.utils.set_random_seed(3)
    model = Sequential(
        [
            L.Input((6, 6, 1)),
            L.Conv2D(3, 3, activation="relu"),
            L.Flatten(),
            L.Dropout(0.2),
            L.Dense(4, activation="softmax"),
        ]
    )
    model.compile(optimizer, "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def data():
    rng = np.random.default_rng(1)
    return rng.random((N, 6, 6, 1)).astype("float32"), rng.integers(0, 4, N)


class Counter(Callback):
    """Counts batches and records hooks; at ``(epoch, batch)`` it calls ``action(self)``."""

    def __init__(self, at=None, action=None):
        super().__init__()
        self.at, self.action = at, action
        self.batches, self.epoch, self.ended, self.batch_logs = [], None, False, []
        self.snapshot = None

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        self.batches.append((self.epoch, batch))
        self.batch_logs.append(dict(logs))
        if (self.epoch, batch) == self.at:
            self.snapshot = [w.copy() for w in self.model.get_weights()]
            self.action(self)

    def on_train_end(self, logs=None):
        self.ended = True


def sigint(_callback):
    os.kill(os.getpid(), signal.SIGINT)


def test_ctrl_c_mid_epoch_stops_after_the_batch(capsys):
    x, y = data()
    model = make_model()
    counter = Counter(at=(1, 2), action=sigint)
    previous = signal.getsignal(signal.SIGINT)
    history = model.fit(x, y, batch_size=BATCH, epochs=3, verbose=0, callbacks=[counter])
    # stopped right after epoch 2's third batch: no batch after it ran
    assert counter.batches[-1] == (1, 2)
    assert len(counter.batches) == 5 + 3
    # the History holds the one finished epoch, and fit returned it
    assert history is model.history
    assert history.epoch == [0]
    assert all(len(v) == 1 for v in history.history.values())
    # the model holds the weights of the last finished batch, and still predicts
    for a, b in zip(counter.snapshot, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert model.predict(x, verbose=0).shape == (N, 4)
    assert counter.ended  # on_train_end still ran
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if "interrupted" in line]
    assert len(lines) == 1
    assert re.fullmatch(
        r"Training interrupted at epoch 2/3, batch 3/5: the model holds the weights of that "
        r"batch, the last one finished; the History returned has the 1 finished epoch\(s\)\.",
        lines[0],
    )
    assert model.fit_interrupted
    assert signal.getsignal(signal.SIGINT) is previous  # the handler was put back
    # the model trains on normally afterwards
    counter2 = Counter()
    history = model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0, callbacks=[counter2])
    assert history.epoch == [0] and len(counter2.batches) == 5
    assert not model.fit_interrupted


def test_ctrl_c_during_epoch_end_keeps_that_epoch(capsys):
    x, y = data()
    model = make_model()

    class AtEpochEnd(Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 0:
                os.kill(os.getpid(), signal.SIGINT)

    counter = Counter()
    history = model.fit(
        x, y, batch_size=BATCH, epochs=3, verbose=0, callbacks=[AtEpochEnd(), counter]
    )
    assert history.epoch == [0]
    assert len(counter.batches) == 5
    assert "interrupted at epoch 1/3, batch 5/5" in capsys.readouterr().out


def test_second_ctrl_c_aborts_at_once():
    x, y = data()
    model = make_model()
    previous = signal.getsignal(signal.SIGINT)

    def twice(_callback):
        os.kill(os.getpid(), signal.SIGINT)
        os.kill(os.getpid(), signal.SIGINT)

    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, batch_size=BATCH, epochs=2, verbose=0, callbacks=[Counter((0, 1), twice)])
    assert signal.getsignal(signal.SIGINT) is previous


def test_ignored_sigint_stays_ignored():
    x, y = data()
    model = make_model()
    seen = []

    class Look(Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(signal.getsignal(signal.SIGINT))

    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0, callbacks=[Look()])
        assert set(seen) == {signal.SIG_IGN}
    finally:
        signal.signal(signal.SIGINT, previous)


def test_fit_in_a_thread_leaves_signals_alone():
    x, y = data()
    model = make_model()
    previous = signal.getsignal(signal.SIGINT)
    result = {}

    def work():
        try:
            result["history"] = model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)
        except BaseException as e:  # reported below
            result["error"] = e

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert "error" not in result, result.get("error")
    assert result["history"].epoch == [0]
    assert signal.getsignal(signal.SIGINT) is previous


def test_handler_restored_when_fit_raises():
    x, y = data()
    model = make_model()
    previous = signal.getsignal(signal.SIGINT)

    def fail(_callback):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0, callbacks=[Counter((0, 1), fail)])
    assert signal.getsignal(signal.SIGINT) is previous


# ---------------------------------------------------------------------------- TerminateOnNaN
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_terminate_on_nan_stops_at_the_nan_batch(capsys):
    x, y = data()
    x[19, 0, 0, 0] = np.nan  # sample 19: batch 2 (samples 16..23) of every epoch
    model = make_model()
    counter = Counter()
    history = model.fit(
        x,
        y,
        batch_size=BATCH,
        epochs=4,
        shuffle=False,
        verbose=0,
        callbacks=[TerminateOnNaN(), counter],
    )
    assert counter.batches == [(0, 0), (0, 1), (0, 2)]
    assert np.isnan(counter.batch_logs[-1]["loss"])
    assert np.isfinite(counter.batch_logs[-2]["loss"])
    assert history.epoch == [0]  # the epoch ends (on_epoch_end runs), no later one starts
    assert "Batch 2: Invalid loss, terminating training" in capsys.readouterr().out
    assert counter.ended


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_terminate_on_nan_stops_a_diverging_run():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3)).astype("float32") * 10
    y = rng.normal(size=(64, 1)).astype("float32") * 10
    npconv.utils.set_random_seed(0)
    model = Sequential([L.Input((3,)), L.Dense(8), L.Dense(1)])
    model.compile(npconv.optimizers.SGD(learning_rate=0.003), "mse")
    counter = Counter()
    model.fit(x, y, batch_size=4, epochs=50, verbose=0, callbacks=[TerminateOnNaN(), counter])
    losses = [logs["loss"] for logs in counter.batch_logs]
    assert not np.isfinite(losses[-1])
    assert np.all(np.isfinite(losses[:-1]))  # it stopped at the first non-finite loss
    assert 3 < len(losses) < 16  # it trained a few batches, diverged within the first epoch


def test_terminate_on_nan_raise_error():
    x, y = data()
    x[3] = np.inf
    model = make_model()
    with pytest.warns(RuntimeWarning), pytest.raises(RuntimeError, match="NaN or Inf loss"):
        model.fit(
            x,
            y,
            batch_size=BATCH,
            shuffle=False,
            verbose=0,
            callbacks=[TerminateOnNaN(raise_error=True)],
        )
