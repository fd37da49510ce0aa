"""Where a model's arrays live: weights created through ``backend.to_backend`` (on the GPU under
``NPCONV_BACKEND=cupy``), each batch moved once per step, ``get_weights`` back in NumPy. CuPy is
not here, so a device is simulated: ``to_backend`` replaced by a move onto array_api_strict's
'device1', or counted."""

import numpy as np
import pytest

import npconv
from npconv import backend
from npconv.backend import selection
from npconv.training import device as training_device

xps = pytest.importorskip("array_api_strict", reason="pip install array-api-strict (test extra)")
DEVICE1 = xps.Device("device1")


@pytest.fixture
def restore_backend():
    before = backend.backend()
    yield
    backend.set_backend(before)


def _model(seed):
    npconv.backend.set_seed(seed)
    model = npconv.Sequential([
        npconv.Input((6, 6, 1)),
        npconv.layers.Conv2D(3, 3, activation="relu"),
        npconv.layers.MaxPooling2D(2),
        npconv.layers.Flatten(),
        npconv.layers.Dense(4, activation="softmax"),
    ])
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    return model


def _data():
    rng = np.random.default_rng(0)
    return (rng.standard_normal((20, 6, 6, 1)).astype("float32"),
            np.eye(4, dtype="float32")[rng.integers(0, 4, 20)])


def test_each_batch_moved_once_and_nothing_moved_under_numpy(monkeypatch, restore_backend):
    x, y = _data()
    model = _model(1)
    moved = []

    def count(a):
        moved.append(a.shape)
        return a

    monkeypatch.setattr(backend, "to_backend", count)
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)
    assert moved == []  # the NumPy backend: no call per batch
    backend.set_backend("generic")
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)
    assert moved == [(8, 6, 6, 1), (8, 4), (8, 6, 6, 1), (8, 4), (4, 6, 6, 1), (4, 4)]
    moved.clear()
    model.predict(x, batch_size=10, verbose=0)
    assert moved == [(10, 6, 6, 1), (10, 6, 6, 1)]


def test_generic_backend_changes_nothing_for_numpy_arrays(restore_backend):
    x, y = _data()
    want = _model(3)
    want.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False)
    backend.set_backend("generic")
    got = _model(3)
    got.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False)
    for a, b in zip(got.get_weights(), want.get_weights()):
        assert type(a) is np.ndarray
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(got.predict(x, verbose=0), want.predict(x, verbose=0))


def test_weights_made_on_the_device_and_returned_as_numpy(monkeypatch):
    """Layers build their weights through ``to_backend``: a conv -> dense stack then runs where
    its weights are, and ``get_weights``/``set_weights`` speak NumPy."""
    monkeypatch.setattr(backend, "to_backend", lambda a: xps.asarray(a, device=DEVICE1))
    conv = npconv.layers.Conv2D(4, 3, padding="same", activation="relu")
    dense = npconv.layers.Dense(3)
    x = np.random.default_rng(2).standard_normal((2, 5, 5, 2))
    y = dense(conv(xps.asarray(x, device=DEVICE1)))
    assert y.data.device == DEVICE1 and y.shape == (2, 5, 5, 3)
    assert all(v.data.device == DEVICE1 for v in conv.weights + dense.weights)
    weights = conv.get_weights()
    assert [type(w) for w in weights] == [np.ndarray, np.ndarray]
    conv.set_weights([w * 2 for w in weights])
    assert conv.kernel.data.device == DEVICE1
    np.testing.assert_array_equal(conv.get_weights()[0], weights[0] * 2)
    # the same layer computation on NumPy, from the device weights
    monkeypatch.setattr(backend, "to_backend", selection.to_backend)
    conv_np = npconv.layers.Conv2D(4, 3, padding="same", activation="relu")
    dense_np = npconv.layers.Dense(3)
    dense_np(conv_np(x))  # built by a first call
    conv_np.set_weights(conv.get_weights())
    dense_np.set_weights(dense.get_weights())
    y = dense(conv(xps.asarray(x, device=DEVICE1)))
    np.testing.assert_allclose(backend.to_numpy(y.data), dense_np(conv_np(x)).data, rtol=1e-5,
                               atol=1e-6)


def test_to_host_gives_numpy():
    a = xps.asarray([1.0, 2.0], device=DEVICE1)
    assert type(training_device.to_host(npconv.autograd.Tensor(a))) is np.ndarray
    b = np.ones(3)
    assert training_device.to_host(b) is b
    assert training_device.to_device((b, [b], {"k": b})) == (b, [b], {"k": b})


def test_predict_and_evaluate_with_the_model_on_a_device(monkeypatch, restore_backend):
    """Weights on 'device1', NumPy data moved there batch by batch: ``predict`` (which fuses
    conv + pool) and ``evaluate`` (loss and accuracy) give what the NumPy model gives."""
    x, y = _data()
    want = _model(5)
    want.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["accuracy"])
    want_out = want.predict(x, batch_size=8, verbose=0)
    want_eval = want.evaluate(x, y, batch_size=8, verbose=0)
    backend.set_backend("generic")  # so that batches go through to_backend
    monkeypatch.setattr(backend, "to_backend", lambda a: xps.asarray(a, device=DEVICE1))
    got = _model(5)
    got.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["accuracy"])
    assert all(v.data.device == DEVICE1 for v in got.weights)
    for a, b in zip(got.get_weights(), want.get_weights()):
        np.testing.assert_array_equal(a, b)
    out = got.predict(x, batch_size=8, verbose=0)
    assert type(out) is np.ndarray
    np.testing.assert_allclose(out, want_out, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got.evaluate(x, y, batch_size=8, verbose=0), want_eval,
                               rtol=1e-5)
