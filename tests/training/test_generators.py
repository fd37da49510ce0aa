"""``fit``/``evaluate``/``predict`` on Python generators, iterators, ``PyDataset`` and
``Sequence``: the same numbers as on arrays fed in the same order, Keras 2's ``*_generator``
aliases, and errors that name the batch."""

import threading
import warnings

import numpy as np
import pytest

import npconv
from npconv import layers


def _data(n=96, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 6, 6, 1)).astype("float32")
    y = rng.integers(0, 3, n)
    w = rng.uniform(0.5, 2.0, n).astype("float32")
    return x, y, w


def _model():
    npconv.utils.set_random_seed(1)
    model = npconv.Sequential([
        npconv.Input((6, 6, 1)), layers.Conv2D(4, 3, activation="relu"), layers.Flatten(),
        layers.Dropout(0.2), layers.Dense(3, activation="softmax"),
    ])
    model.compile(npconv.optimizers.Adam(0.01), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def _batches(x, y, w=None, batch=16, forever=True):
    while True:
        for i in range(0, len(x), batch):
            s = slice(i, i + batch)
            yield (x[s], y[s]) if w is None else (x[s], y[s], w[s])
        if not forever:
            return


class Batches(npconv.utils.PyDataset):
    def __init__(self, x, y, batch=16, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y, self.batch = x, y, batch
        self.epochs_ended = 0
        self.threads = set()

    def __len__(self):
        return -(-len(self.x) // self.batch)

    def __getitem__(self, i):
        self.threads.add(threading.get_ident())
        s = slice(i * self.batch, (i + 1) * self.batch)
        return self.x[s], self.y[s]

    def on_epoch_end(self):
        self.epochs_ended += 1


def _same_training(fit_other, sample_weight=False):
    x, y, w = _data()
    ref = _model()
    h_ref = ref.fit(x, y, sample_weight=w if sample_weight else None, batch_size=16, epochs=2,
                    shuffle=False, verbose=0)
    other = _model()
    h = fit_other(other, x, y, w)
    for a, b in zip(ref.get_weights(), other.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert h.history == h_ref.history
    return other


def test_generator_of_x_y_trains_as_arrays_do():
    _same_training(lambda m, x, y, w: m.fit(_batches(x, y), steps_per_epoch=6, epochs=2,
                                            verbose=0))


def test_generator_of_x_y_sample_weight():
    _same_training(lambda m, x, y, w: m.fit(_batches(x, y, w), steps_per_epoch=6, epochs=2,
                                            verbose=0), sample_weight=True)


def test_pydataset_with_worker_threads_in_index_order():
    box = {}

    def fit(m, x, y, w):
        box["ds"] = ds = Batches(x, y, workers=3, max_queue_size=4)
        return m.fit(ds, epochs=2, shuffle=False, verbose=0)

    _same_training(fit)
    assert box["ds"].epochs_ended == 2
    assert len(box["ds"].threads) > 1  # loaded on the worker threads


def test_keras2_sequence_without_super_init_and_shuffled_batch_order():
    x, y, _ = _data()
    order = []

    class Seq(npconv.utils.Sequence):
        def __len__(self):
            return 6

        def __getitem__(self, i):
            order.append(i)
            return x[i * 16:(i + 1) * 16], y[i * 16:(i + 1) * 16]

    model = _model()
    model.fit(Seq(), epochs=2, verbose=0)  # shuffle=True: the batch order is shuffled
    assert sorted(order) == sorted(list(range(6)) * 2)
    assert order != list(range(6)) * 2


def test_validation_data_generator_evaluate_and_predict():
    x, y, _ = _data()
    model = _model()
    history = model.fit(x[:64], y[:64], batch_size=16, epochs=1, verbose=0,
                        validation_data=_batches(x[64:], y[64:]), validation_steps=2)
    expected = model.evaluate(x[64:], y[64:], batch_size=16, verbose=0, return_dict=True)
    np.testing.assert_allclose(history.history["val_loss"], [expected["loss"]], rtol=1e-6)
    got = model.evaluate(_batches(x[64:], y[64:]), steps=2, verbose=0, return_dict=True)
    assert got == pytest.approx(expected)
    np.testing.assert_array_equal(
        model.predict(_batches(x, y, forever=False), verbose=0), model.predict(x, verbose=0))
    xs_only = iter([x[:10], x[10:20]])  # any iterator; batches of x alone
    np.testing.assert_array_equal(model.predict(xs_only, verbose=0),
                                  model.predict(x[:20], verbose=0))


def test_keras2_generator_methods_warn_and_work():
    x, y, _ = _data()
    model = _model()
    with pytest.warns(DeprecationWarning, match="fit_generator is deprecated"):
        history = model.fit_generator(_batches(x, y), steps_per_epoch=3, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    with pytest.warns(DeprecationWarning, match="evaluate_generator"):
        loss, acc = model.evaluate_generator(Batches(x, y), workers=2)
    assert loss == pytest.approx(model.evaluate(x, y, batch_size=16, verbose=0)[0])
    with pytest.warns(DeprecationWarning, match="predict_generator"):
        out = model.predict_generator(Batches(x, y), steps=2)
    assert out.shape == (32, 3)


def test_a_wrong_batch_is_named():
    x, y, w = _data()

    def shapes():
        yield x[:16], y[:16]
        yield x[16:32], y[16:32]
        yield x[32:48, :5], y[32:48]

    with pytest.raises(ValueError, match=r"batch 2 of the generator: .*expects input of shape "
                                         r"\(None, 6, 6, 1\), got \(None, 5, 6, 1\)"):
        _model().fit(shapes(), verbose=0)

    def strings():
        yield x[:16], y[:16]
        yield x[16:32], y[16:32].astype(str)

    with pytest.raises(TypeError, match="batch 1 of the generator: y must be numeric"):
        _model().fit(strings(), verbose=0)

    def weights_change():
        yield x[:16], y[:16], w[:16]
        yield x[16:32], y[16:32], w[16:32, None].repeat(2, axis=1)

    with pytest.raises(ValueError, match=r"batch 1 .*sample_weight has shape \(None, 2\), "
                                         r"earlier batches had \(None,\)"):
        _model().fit(weights_change(), verbose=0)

    with pytest.raises(ValueError, match="batch 0 .*holds x only"):
        _model().fit(iter([x[:16]]), verbose=0)
    with pytest.raises(ValueError, match="y must not be given"):
        _model().fit(_batches(x, y), y, verbose=0)


def test_generator_errors_reach_the_caller_and_running_out_warns():
    x, y, _ = _data()

    def broken():
        yield x[:16], y[:16]
        yield x[16:32], y[16:32]
        raise OSError("disk gone")

    with pytest.raises(OSError, match="disk gone"):
        _model().fit(broken(), verbose=0)
    model = _model()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = model.fit(_batches(x, y, forever=False), epochs=3, verbose=0)
    assert len(history.history["loss"]) == 1  # the generator ended with the first epoch
    assert any("ran out of data" in str(w.message) for w in caught)


def test_no_grad_in_a_loader_thread_does_not_stop_training():
    """Grad recording is per thread: a PyDataset that runs npconv under ``no_grad`` on its
    worker threads leaves the training step's recording on."""
    x, y, _ = _data()

    class Quiet(Batches):
        def __getitem__(self, i):
            with npconv.no_grad():
                assert not npconv.autograd.is_grad_enabled()
                return super().__getitem__(i)

    ref = _model()
    ref.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    model = _model()
    model.fit(Quiet(x, y, workers=2), epochs=1, shuffle=False, verbose=0)
    for a, b in zip(ref.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert npconv.autograd.is_grad_enabled()


def test_the_next_batch_is_read_while_the_current_one_trains():
    """A generator that takes 30 ms a batch feeding a step that takes 30 ms: read one batch
    ahead on a thread, 10 steps take about 10 x 30 ms, not 10 x 60 ms."""
    import time

    class Sleepy(npconv.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(1)

        def call(self, x):
            return self.dense(x)

        def train_step(self, data):
            time.sleep(0.03)
            return {"loss": 0.0}

    def slow():
        while True:
            time.sleep(0.03)
            yield np.zeros((4, 2), "float32"), np.zeros((4, 1), "float32")

    model = Sleepy()
    model.compile("sgd")
    model.fit(slow(), steps_per_epoch=2, verbose=0)  # builds the model
    start = time.perf_counter()
    model.fit(slow(), steps_per_epoch=10, verbose=0)
    elapsed = time.perf_counter() - start
    assert elapsed < 0.48, elapsed  # serial reading would take 0.6 s


def test_keras_2_loading_arguments_and_predict_classes():
    """Keras 2's fit(..., workers=, use_multiprocessing=, max_queue_size=) set a PyDataset's
    loading; Sequential.predict_classes/predict_proba (removed in TF 2.6) still answer."""
    import warnings

    import npconv
    from npconv import layers as L

    class Batches(npconv.utils.Sequence):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            rng = np.random.default_rng(i)
            return rng.random((8, 3)).astype("float32"), rng.integers(0, 2, (8, 1))

    model = npconv.Sequential([L.Input((3,)), L.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy")
    data = Batches()
    model.fit(data, epochs=1, verbose=0, workers=2, use_multiprocessing=False, max_queue_size=4)
    assert data.workers == 2 and data.max_queue_size == 4
    x = np.random.default_rng(0).random((5, 3)).astype("float32")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        classes = model.predict_classes(x)
        proba = model.predict_proba(x)
    np.testing.assert_array_equal(classes, (model.predict(x, verbose=0) > 0.5).astype("int32"))
    np.testing.assert_allclose(proba, model.predict(x, verbose=0))
    assert sum(issubclass(w.category, DeprecationWarning) for w in seen) == 2
