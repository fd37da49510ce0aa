"""Input checks before training: each mistake in the data is refused (or, for NaN, warned
about) by ``fit``/``evaluate``/``predict``/``train_on_batch`` before any weight changes or any
callback runs, with a message that names the argument, the layer, what was expected and what
came. Also the trainer bugs fixed with them: per-output metric lists, ``Model([x], [y])``
given a one-element list, and callbacks receiving dicts as in Keras."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import npconv
from npconv import layers as L
from npconv.callbacks import Callback
from npconv.models import Model, Sequential

RNG = np.random.default_rng(0)


class Recorder(Callback):
    """Records every hook called and the logs it got."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def __getattribute__(self, name):
        if name.startswith("on_"):
            calls = object.__getattribute__(self, "calls")

            def hook(*args):
                calls.append((name, args))

            return hook
        return object.__getattribute__(self, name)


def conv_model(loss="categorical_crossentropy", units=10):
    npconv.utils.set_random_seed(0)
    model = Sequential(
        [
            L.Input((8, 8, 1)),
            L.Conv2D(2, 3, activation="relu", name="conv"),
            L.Flatten(),
            L.Dense(units, activation="softmax", name="out"),
        ]
    )
    model.compile("sgd", loss, metrics=["accuracy"])
    return model


def images(n=12):
    return RNG.random((n, 8, 8, 1)).astype("float32")


def onehot(n=12, k=10):
    return np.eye(k, dtype="float32")[np.arange(n) % k]


def ids(n=12, k=10):
    return np.arange(n) % k


def refused(model, call, exc, *fragments):
    """``call(model)`` raises ``exc`` whose message holds every fragment; the weights are
    unchanged and no callback hook ran."""
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(exc) as info:
        call(model)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    return message


ENTRY_POINTS = {
    "fit": lambda m, x, y: m.fit(x, y, epochs=1, verbose=0, callbacks=[Recorder()]),
    "evaluate": lambda m, x, y: m.evaluate(x, y, verbose=0),
    "train_on_batch": lambda m, x, y: m.train_on_batch(x, y),
    "test_on_batch": lambda m, x, y: m.test_on_batch(x, y),
}


# ------------------------------------------------------------------------------ input shapes
@pytest.mark.parametrize("entry", [*ENTRY_POINTS, "predict", "predict_on_batch"])
def test_missing_channels_axis_is_added_as_keras_3_does(entry):
    """MNIST-style images without their channels axis, ``(N, 8, 8)`` for an input of
    ``(None, 8, 8, 1)``: Keras 3's functional models (a Sequential with an Input too) add the
    axis themselves, so every entry point gives what the 4-D images give."""
    x4 = images()

    def run(x):
        model = conv_model()
        if entry.startswith("predict"):
            out = getattr(model, entry)(x, **({"verbose": 0} if entry == "predict" else {}))
            return [np.asarray(out)]
        result = ENTRY_POINTS[entry](model, x, onehot())
        return [np.asarray(r) for r in (result.history["loss"] if entry == "fit" else
                                        np.ravel(result))] + model.get_weights()

    for a, b in zip(run(x4[..., 0]), run(x4)):
        np.testing.assert_array_equal(a, b)


def test_missing_channels_axis_in_a_direct_call_and_a_trailing_one_dropped():
    model = conv_model()
    x4 = images()
    np.testing.assert_array_equal(np.asarray(model(x4[..., 0])), np.asarray(model(x4)))
    npconv.utils.set_random_seed(0)
    inputs = L.Input((8,))
    dense = npconv.Model(inputs, L.Dense(2)(inputs))
    x = RNG.random((3, 8)).astype("float32")
    np.testing.assert_array_equal(dense.predict(x[..., None], verbose=0),
                                  dense.predict(x, verbose=0))


def test_channels_first_images_without_their_axis_get_a_hint():
    npconv.utils.set_random_seed(0)
    model = Sequential([L.Input((1, 8, 8)), L.Conv2D(2, 3, data_format="channels_first",
                                                     name="conv"), L.Flatten(), L.Dense(3)])
    model.compile("sgd", "mse")
    refused(model, lambda m: m.fit(images()[..., 0], np.ones((12, 3)), verbose=0), ValueError,
            "(None, 1, 8, 8)", "(None, 8, 8)", "x[:, np.newaxis]")


def test_wrong_feature_count_dense():
    npconv.utils.set_random_seed(0)
    model = Sequential([L.Input((4,)), L.Dense(3, name="hidden"), L.Dense(1)])
    model.compile("sgd", "mse")
    refused(
        model,
        lambda m: m.fit(np.ones((5, 6)), np.ones((5, 1)), verbose=0),
        ValueError,
        "Dense 'hidden'",
        "(None, 4)",
        "(None, 6)",
    )


def test_flat_images_get_a_reshape_hint():
    model = conv_model()
    message = refused(
        model, lambda m: m.predict(np.ones((3, 64)), verbose=0), ValueError, "Conv2D 'conv'"
    )
    assert "x.reshape(-1, 8, 8, 1)" in message


def two_input_model():
    npconv.utils.set_random_seed(0)
    a, b = L.Input((4,), name="left"), L.Input((3,), name="right")
    out = L.Dense(2, activation="softmax", name="out")(L.Concatenate()([a, b]))
    model = Model([a, b], out)
    model.compile("adam", "sparse_categorical_crossentropy")
    return model


def test_functional_input_count_and_shape():
    model = two_input_model()
    y = np.zeros(5, int)
    refused(
        model,
        lambda m: m.fit([np.ones((5, 4))], y, verbose=0),
        ValueError,
        "expects 2 input array(s) (left, right), got 1",
    )
    refused(
        model,
        lambda m: m.fit([np.ones((5, 4)), np.ones((5, 5))], y, verbose=0),
        ValueError,
        "'right'",
        "(None, 3)",
        "(None, 5)",
    )


# ------------------------------------------------------------------------- label encodings
def test_integer_labels_with_categorical_crossentropy():
    message = refused(
        conv_model(),
        lambda m: m.fit(images(), ids(), verbose=0),
        ValueError,
        "categorical_crossentropy expects one-hot labels of shape (None, 10)",
        "got y of shape (None,)",
        "sparse_categorical_crossentropy",
        "to_categorical(y, 10)",
    )
    assert "Integer class labels" in message


def test_integer_column_labels_with_categorical_crossentropy():
    refused(
        conv_model(),
        lambda m: m.evaluate(images(), ids()[:, None], verbose=0),
        ValueError,
        "(None, 1)",
        "sparse_categorical_crossentropy",
    )


def test_onehot_width_differs_from_output_units():
    refused(
        conv_model(),
        lambda m: m.fit(images(), onehot(k=5), verbose=0),
        ValueError,
        "one-hot over 5 classes but the output has 10 units",
    )


def test_onehot_labels_with_sparse_categorical_crossentropy():
    refused(
        conv_model("sparse_categorical_crossentropy"),
        lambda m: m.train_on_batch(images(), onehot()),
        ValueError,
        "sparse_categorical_crossentropy expects integer class ids",
        "loss='categorical_crossentropy'",
        "argmax",
    )


@pytest.mark.parametrize(
    "labels, fragment",
    [
        (np.arange(12) % 10 + 1, "from 1 to 10"),
        (np.arange(12) % 10 - 1, "from -1 to 8"),
        (np.full(12, 10), "from 10 to 10"),
    ],
)
def test_class_ids_outside_range(labels, fragment):
    message = refused(
        conv_model("sparse_categorical_crossentropy"),
        lambda m: m.fit(images(), labels, verbose=0),
        ValueError,
        "class ids must be in [0, 10)",
        fragment,
    )
    assert ("Subtract 1" in message) == (labels.min() >= 1)


def test_sparse_labels_must_be_integer_valued():
    y = np.full(12, 0.5, dtype="float32")
    refused(
        conv_model("sparse_categorical_crossentropy"),
        lambda m: m.fit(images(), y, verbose=0),
        ValueError,
        "non-integer values such as 0.5",
    )
    # floats that are whole numbers are class ids like any others
    conv_model("sparse_categorical_crossentropy").fit(images(), ids().astype("float32"), verbose=0)


def test_loss_object_with_custom_name_is_still_checked():
    loss = npconv.losses.CategoricalCrossentropy(name="my_loss")
    refused(
        conv_model(loss),
        lambda m: m.fit(images(), ids(), verbose=0),
        ValueError,
        "sparse_categorical_crossentropy",
    )


def test_binary_crossentropy_labels_outside_0_1():
    npconv.utils.set_random_seed(0)
    model = Sequential([L.Input((3,)), L.Dense(1, activation="sigmoid")])
    model.compile("sgd", "binary_crossentropy")
    refused(
        model,
        lambda m: m.fit(np.ones((6, 3)), np.arange(6), verbose=0),
        ValueError,
        "binary_crossentropy expects labels in [0, 1]",
        "from 0 to 5",
    )


def test_regression_target_shape_mismatch():
    npconv.utils.set_random_seed(0)
    model = Sequential([L.Input((3,)), L.Dense(2)])
    model.compile("sgd", "mse")
    refused(
        model,
        lambda m: m.fit(np.ones((6, 3)), np.ones((6, 3)), verbose=0),
        ValueError,
        "mean_squared_error",
        "(None, 2)",
        "(None, 3)",
    )
    # (n,) against an output (None, 1) is fine, as in Keras
    model2 = Sequential([L.Input((3,)), L.Dense(1)])
    model2.compile("sgd", "mse")
    model2.fit(np.ones((6, 3)), np.ones(6), verbose=0)


def test_multi_output_names_the_output():
    npconv.utils.set_random_seed(0)
    a = L.Input((4,))
    o1 = L.Dense(3, activation="softmax", name="digit")(a)
    o2 = L.Dense(1, name="size")(a)
    model = Model(a, [o1, o2])
    model.compile("sgd", ["categorical_crossentropy", "mse"])
    refused(
        model,
        lambda m: m.fit(np.ones((6, 4)), [np.arange(6) % 3, np.ones(6)], verbose=0),
        ValueError,
        "for output 'digit'",
        "y[0]",
    )


# ------------------------------------------------------------------------ NaN and infinity
@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
def test_nan_in_x_warns_with_count():
    model = conv_model()
    x = images()
    x[0, 0, 0, 0] = np.nan
    x[3, 1, 1, 0] = np.nan
    x[4, 2, 2, 0] = np.inf
    with pytest.warns(RuntimeWarning, match=r"^x contains 2 NaN and 1 infinite value\(s\)"):
        model.evaluate(x, onehot(), verbose=0)


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
def test_inf_in_y_and_validation_data_named():
    model = conv_model()
    y = onehot()
    y[1, 0] = np.inf
    with pytest.warns(RuntimeWarning, match=r"^y contains 1 infinite value"):
        model.train_on_batch(images(), y)
    xv = images(4)
    xv[0] = np.nan
    with pytest.warns(RuntimeWarning, match=r"^validation_data x contains 64 NaN"):
        model.fit(images(), onehot(), validation_data=(xv, onehot(4)), epochs=1, verbose=0)


def test_warning_points_at_the_callers_line():
    model = conv_model()
    x = images()
    x[0] = np.nan
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.predict(x, verbose=0)
    assert caught and caught[0].filename == __file__


def test_finite_data_gives_no_warning():
    model = conv_model()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(images(), onehot(), verbose=0)


def test_large_finite_data_whose_sum_overflows_gives_no_warning():
    # the quick check sums in float32, which overflows here: the data must still pass
    from npconv.training import data as D

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        D._warn_not_finite(np.full((4, 8), 3e38, np.float32), "x")
    with pytest.warns(RuntimeWarning, match=r"^x contains 1 infinite value"):
        D._warn_not_finite(np.array([3e38, 3e38, -np.inf], np.float32), "x")


# ------------------------------------------------------------ empty, non-numeric, lengths
@pytest.mark.parametrize(
    "x, exc, fragments",
    [
        (np.zeros((0, 8, 8, 1)), ValueError, ["x is empty", "(0, 8, 8, 1)"]),
        (np.array([["a"] * 4] * 3), TypeError, ["x must be numeric", "<U1", "strings"]),
        (np.array([{}, {}], dtype=object), TypeError, ["x must be numeric", "object"]),
        (np.ones((3, 8, 8, 1), complex), TypeError, ["real numbers", "complex128"]),
        ([[[1.0, 2.0], [3.0]]], ValueError, ["x is ragged", "different lengths"]),
        (np.float32(3.0), ValueError, ["got a scalar"]),
    ],
)
def test_bad_x(x, exc, fragments):
    refused(conv_model(), lambda m: m.fit(x, onehot(3), verbose=0), exc, *fragments)


def test_bad_y():
    refused(
        conv_model(),
        lambda m: m.fit(images(), np.array(["cat"] * 12), verbose=0),
        TypeError,
        "y must be numeric",
        "strings",
    )
    refused(
        conv_model(),
        lambda m: m.evaluate(images(), np.zeros((0, 10)), verbose=0),
        ValueError,
        "y is empty",
    )


def test_mismatched_lengths():
    refused(
        conv_model(),
        lambda m: m.fit(images(12), onehot(10), verbose=0),
        ValueError,
        "same number of samples",
        "x has 12",
        "y has 10",
    )
    refused(
        conv_model(),
        lambda m: m.fit(images(), onehot(), sample_weight=np.ones(7), verbose=0),
        ValueError,
        "sample_weight has 7",
    )
    refused(
        conv_model(),
        lambda m: m.fit(images(), onehot(), validation_data=(images(4), onehot(3)), verbose=0),
        ValueError,
        "validation_data x has 4",
        "validation_data y has 3",
    )


def test_bad_sample_weight_and_validation_data():
    refused(
        conv_model(),
        lambda m: m.fit(images(), onehot(), sample_weight=["a"] * 12, verbose=0),
        TypeError,
        "sample_weight must be numeric",
    )
    refused(
        conv_model(),
        lambda m: m.fit(images(), onehot(), sample_weight=[[1.0], [1.0, 2.0]], verbose=0),
        ValueError,
        "sample_weight is ragged",
    )
    refused(
        conv_model(),
        lambda m: m.fit(images(), onehot(), validation_data=images(3), verbose=0),
        ValueError,
        "validation_data must be a tuple (x_val, y_val)",
    )


def test_no_callback_runs_when_the_data_is_refused():
    recorder = Recorder()
    with pytest.raises(ValueError):
        conv_model().fit(images(), ids(), verbose=0, callbacks=[recorder])
    assert recorder.calls == []


# ------------------------------------------------------------------------------ fixed bugs
def test_per_output_metric_lists():
    npconv.utils.set_random_seed(0)
    a = L.Input((4,))
    o1 = L.Dense(3, activation="softmax", name="digit")(a)
    o2 = L.Dense(1, name="size")(a)
    model = Model(a, [o1, o2])
    model.compile("sgd", ["categorical_crossentropy", "mse"], metrics=[["accuracy"], ["mae"]])
    history = model.fit(np.ones((6, 4)), [onehot(6, 3), np.ones((6, 1))], verbose=0)
    assert {"digit_accuracy", "size_mae"} <= set(history.history)
    assert "size_accuracy" not in history.history and "digit_mae" not in history.history
    model.compile("sgd", ["categorical_crossentropy", "mse"], metrics=[["accuracy"], None])
    logs = model.evaluate(np.ones((6, 4)), [onehot(6, 3), np.ones((6, 1))], return_dict=True)
    assert "digit_accuracy" in logs and not any(
        k.startswith("size_") and k != "size_loss" for k in logs
    )
    with pytest.raises(ValueError, match="names outputs \\['typo'\\]"):
        model.compile("sgd", "mse", metrics={"typo": "mae"})
    with pytest.raises(ValueError, match="got 3 entries for a model of 2 output"):
        model.compile("sgd", "mse", metrics=[["mae"], ["mae"], ["mae"]])


def test_list_of_one_input_and_output():
    npconv.utils.set_random_seed(0)
    a = L.Input((4,))
    model = Model([a], [L.Dense(3, activation="softmax")(a)])
    model.compile("sgd", "categorical_crossentropy")
    x = RNG.random((8, 4)).astype("float32")
    model.fit([x], [onehot(8, 3)], verbose=0)
    model.fit(x, onehot(8, 3), verbose=0)
    out = model.predict([x], verbose=0)
    np.testing.assert_allclose(out, model.predict(x, verbose=0))
    assert out.shape == (8, 3)
    np.testing.assert_allclose(model.predict_on_batch([x]), out, rtol=1e-6)


def test_callbacks_always_get_dicts():
    model = conv_model()
    recorder = Recorder()
    x, y = images(), onehot()
    model.fit(x, y, epochs=1, batch_size=6, validation_data=(x, y), verbose=0, callbacks=[recorder])
    model.evaluate(x, y, verbose=0, callbacks=[recorder])
    model.predict(x, verbose=0, callbacks=[recorder])
    hooks = {name for name, _ in recorder.calls}
    assert {
        "on_train_begin",
        "on_epoch_begin",
        "on_train_batch_begin",
        "on_test_begin",
        "on_test_batch_begin",
        "on_predict_begin",
        "on_predict_end",
    } <= hooks
    for name, args in recorder.calls:
        assert isinstance(args[-1], dict), (name, args)


def test_python_lists_of_samples_and_labels():
    """A single-input, single-output model takes plain Python lists as Keras users write
    them: a list of samples is data, not a list of inputs."""
    npconv.utils.set_random_seed(0)
    model = Sequential([L.Input((2,)), L.Dense(3, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy")
    x, y = [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]], [0, 1, 2]
    assert model.fit(x, y, verbose=0).epoch == [0]
    assert model.predict(x, verbose=0).shape == (3, 3)
    refused(model, lambda m: m.fit([[0.1, 0.2], [0.3]], [0, 1], verbose=0), ValueError, "ragged")
