"""A small CNN trained under ``NPCONV_BACKEND=cupy``: its weights live on the GPU, each NumPy
batch is moved there once per step, and ``get_weights``/``predict`` give NumPy back. Runs only
when npconv was imported with the CuPy backend on a machine with a GPU (``bench/gpu_check.sh``
runs it so); skipped elsewhere, with the reason."""

import numpy as np
import pytest

import npconv
from npconv import backend

if backend.backend() != "cupy":
    pytest.skip("needs NPCONV_BACKEND=cupy at import (bench/gpu_check.sh)",
                allow_module_level=True)
cupy = pytest.importorskip("cupy")


def _model():
    npconv.backend.set_seed(0)
    model = npconv.Sequential([
        npconv.Input((8, 8, 1)),
        npconv.layers.Conv2D(4, 3, activation="relu"),
        npconv.layers.MaxPooling2D(2),
        npconv.layers.Flatten(),
        npconv.layers.Dense(3, activation="softmax"),
    ])
    model.compile(optimizer=npconv.optimizers.SGD(0.1), loss="categorical_crossentropy")
    return model


def test_fit_on_the_gpu_moves_each_batch_once(monkeypatch):
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 48)
    x = (rng.standard_normal((48, 8, 8, 1)) * 0.1 + labels[:, None, None, None]).astype(
        "float32")
    y = np.eye(3, dtype="float32")[labels]
    model = _model()
    assert all(isinstance(v.data, cupy.ndarray) for v in model.weights)
    moved = []
    to_backend = backend.to_backend

    def count(a):
        moved.append(a.shape)
        return to_backend(a)

    monkeypatch.setattr(backend, "to_backend", count)
    history = model.fit(x, y, batch_size=16, epochs=5, verbose=0, shuffle=False)
    assert moved[:2] == [(16, 8, 8, 1), (16, 3)] and len(moved) == 5 * 3 * 2
    losses = history.history["loss"]
    assert losses[-1] < 0.5 * losses[0]  # it learns
    assert all(isinstance(v.data, cupy.ndarray) for v in model.weights)
    weights = model.get_weights()
    assert all(type(w) is np.ndarray for w in weights)
    out = model.predict(x, verbose=0)
    assert type(out) is np.ndarray and out.shape == (48, 3)
    assert (out.argmax(axis=1) == labels).mean() > 0.9
