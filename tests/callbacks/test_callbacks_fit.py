"""EarlyStopping and ReduceLROnPlateau through the real ``fit`` of a tiny Dense model.

Skipped while the modules it needs (layers, optimizers) cannot be imported.
"""

import numpy as np
import pytest

pytest.importorskip("npconv.optimizers", exc_type=ImportError)
layers = pytest.importorskip("npconv.layers", exc_type=ImportError)
models = pytest.importorskip("npconv.models", exc_type=ImportError)
utils = pytest.importorskip("npconv.utils", exc_type=ImportError)

from npconv.callbacks import EarlyStopping, LambdaCallback, ReduceLROnPlateau  # noqa: E402


def tiny_model():
    utils.set_random_seed(0)
    model = models.Sequential([layers.Input(shape=(3,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5]]) + 0.1 * rng.normal(size=(64, 1))).astype("float32")
    return x, y


def test_early_stopping_in_fit_restores_the_best_epoch():
    model = tiny_model()
    x, y = data()
    seen = []
    record = LambdaCallback(
        on_epoch_end=lambda epoch, logs: seen.append((logs["val_loss"], model.get_weights()))
    )
    es = EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
    history = model.fit(
        x, y, epochs=40, batch_size=16, validation_split=0.25, callbacks=[record, es], verbose=0
    )
    n = len(history.history["val_loss"])
    assert n == len(seen)
    if n < 40:
        assert es.stopped_epoch == n - 1 and es.stopped_epoch - es.best_epoch == 3
    best = int(np.argmin([v for v, _ in seen]))
    assert es.best_epoch == best
    for restored, kept in zip(model.get_weights(), seen[best][1]):
        np.testing.assert_array_equal(restored, kept)


def test_early_stopping_in_fit_stops():
    model = tiny_model()
    x, y = data()
    es = EarlyStopping(monitor="loss", min_delta=1e9, patience=1)  # nothing can improve
    history = model.fit(x, y, epochs=10, batch_size=16, callbacks=[es], verbose=0)
    assert len(history.history["loss"]) == 2 and es.stopped_epoch == 1


def test_reduce_lr_on_plateau_in_fit():
    model = tiny_model()
    x, y = data()
    cb = ReduceLROnPlateau(monitor="loss", min_delta=1e9, patience=1, factor=0.5)
    history = model.fit(x, y, epochs=3, batch_size=16, callbacks=[cb], verbose=0)
    lr0 = history.history["learning_rate"][0]
    # Epoch 0 improves on the initial +inf; epochs 1 and 2 do not, so the rate is halved at the
    # end of each (logs carry the rate in force during the epoch, as Keras's do).
    assert history.history["learning_rate"] == pytest.approx([lr0, lr0, lr0 / 2], rel=1e-6)
    assert float(model.optimizer.learning_rate) == pytest.approx(lr0 / 4, rel=1e-6)
