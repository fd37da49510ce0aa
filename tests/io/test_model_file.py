"""Model files round-trip: every layer kind, functional graphs, compile and optimizer state.

A saved and reloaded model must predict the same outputs, report the same ``get_config``, hold
the same weights, and — when it was compiled — train on exactly as the original would.
"""

import os
import subprocess
import sys
import zipfile

import numpy as np
import pytest

import npconv
from npconv import layers as L
from npconv import optimizers
from npconv.callbacks import ModelCheckpoint
from npconv.io import ModelFileError, register_custom_object
from npconv.models import Model, Sequential, load_model
from npconv.utils import set_random_seed

RNG = np.random.default_rng(0)


def randomize(model):
    """Give every weight distinct values in [0.5, 1.5) (positive: valid moving variances)."""
    model.set_weights([RNG.uniform(0.5, 1.5, size=w.shape) for w in model.get_weights()])


def assert_same_model(a, b, x):
    assert type(a) is type(b)
    assert a.get_config() == b.get_config()
    assert [layer.name for layer in a.layers] == [layer.name for layer in b.layers]
    assert [v.name for v in a.weights] == [v.name for v in b.weights]
    for u, v in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(u, v)
    pa, pb = a.predict(x, verbose=0), b.predict(x, verbose=0)
    for u, v in zip(pa if isinstance(pa, list) else [pa], pb if isinstance(pb, list) else [pb]):
        np.testing.assert_array_equal(u, v)


def round_trip(model, tmp_path, name="m.keras", **kwargs):
    path = tmp_path / name
    model.save(path)
    return load_model(path, **kwargs)


# (layer, input shape without batch)
LAYER_CASES = {
    "Dense": (lambda: L.Dense(4, activation="relu", kernel_regularizer="l2"), (3,)),
    "DropConnectDense": (lambda: L.DropConnectDense(4, rate=0.3), (3,)),
    "Conv1D": (lambda: L.Conv1D(2, 3, padding="causal", dilation_rate=2), (9, 3)),
    "Conv2D": (
        lambda: L.Conv2D(4, 3, strides=2, dropconnect=0.2, kernel_constraint="max_norm"),
        (9, 9, 2),
    ),
    "Conv3D": (lambda: L.Conv3D(2, 2, padding="same", use_bias=False), (4, 4, 4, 2)),
    "MaxPooling1D": (lambda: L.MaxPooling1D(2), (8, 3)),
    "MaxPooling2D": (lambda: L.MaxPooling2D(2, strides=1), (5, 5, 3)),
    "MaxPooling3D": (lambda: L.MaxPooling3D(2), (4, 4, 4, 2)),
    "AveragePooling1D": (lambda: L.AveragePooling1D(3, padding="same"), (7, 3)),
    "AveragePooling2D": (lambda: L.AveragePooling2D(2, padding="same"), (7, 7, 3)),
    "AveragePooling3D": (lambda: L.AveragePooling3D(2), (4, 4, 4, 2)),
    "GlobalMaxPooling1D": (lambda: L.GlobalMaxPooling1D(), (5, 3)),
    "GlobalMaxPooling2D": (lambda: L.GlobalMaxPooling2D(keepdims=True), (4, 4, 3)),
    "GlobalMaxPooling3D": (lambda: L.GlobalMaxPooling3D(), (3, 3, 3, 2)),
    "GlobalAveragePooling1D": (lambda: L.GlobalAveragePooling1D(), (5, 3)),
    "GlobalAveragePooling2D": (lambda: L.GlobalAveragePooling2D(), (4, 4, 3)),
    "GlobalAveragePooling3D": (lambda: L.GlobalAveragePooling3D(keepdims=True), (3, 3, 3, 2)),
    "BatchNormalization": (lambda: L.BatchNormalization(momentum=0.9, epsilon=1e-2), (4, 4, 3)),
    "SyncBatchNormalization": (lambda: L.SyncBatchNormalization(momentum=0.9), (4, 4, 3)),
    "Dropout": (lambda: L.Dropout(0.3, noise_shape=(None, 1, 3), seed=3), (4, 3)),
    "SpatialDropout1D": (lambda: L.SpatialDropout1D(0.2), (4, 3)),
    "SpatialDropout2D": (lambda: L.SpatialDropout2D(0.2), (4, 4, 3)),
    "SpatialDropout3D": (lambda: L.SpatialDropout3D(0.2), (2, 2, 2, 3)),
    "Flatten": (lambda: L.Flatten(), (4, 4, 3)),
    "Reshape": (lambda: L.Reshape((-1, 4)), (4, 4, 3)),
    "Permute": (lambda: L.Permute((2, 1)), (4, 3)),
    "ZeroPadding1D": (lambda: L.ZeroPadding1D((1, 2)), (4, 3)),
    "ZeroPadding2D": (lambda: L.ZeroPadding2D(((1, 2), (0, 1))), (4, 4, 3)),
    "ZeroPadding3D": (lambda: L.ZeroPadding3D(1), (2, 2, 2, 1)),
    "Activation": (lambda: L.Activation("tanh"), (3,)),
    "ReLU": (lambda: L.ReLU(max_value=6.0, negative_slope=0.1), (3,)),
    "LeakyReLU": (lambda: L.LeakyReLU(0.1), (3,)),
    "ELU": (lambda: L.ELU(alpha=0.5), (3,)),
    "Softmax": (lambda: L.Softmax(axis=1), (3, 2)),
    "StochasticPooling1D": (lambda: L.StochasticPooling1D(2), (6, 3)),
    "StochasticPooling2D": (lambda: L.StochasticPooling2D(2), (4, 4, 3)),
    "StochasticPooling3D": (lambda: L.StochasticPooling3D(2), (4, 4, 4, 1)),
    "Conv1DTranspose": (lambda: L.Conv1DTranspose(2, 3, strides=2, output_padding=1), (5, 3)),
    "Conv2DTranspose": (
        lambda: L.Conv2DTranspose(3, 3, strides=2, padding="same", activation="relu"),
        (4, 4, 2),
    ),
    "Conv3DTranspose": (lambda: L.Conv3DTranspose(2, 2, dilation_rate=2), (2, 3, 2, 2)),
    "DepthwiseConv1D": (lambda: L.DepthwiseConv1D(3, depth_multiplier=2), (6, 3)),
    "DepthwiseConv2D": (lambda: L.DepthwiseConv2D(3, strides=2, padding="same"), (5, 5, 3)),
    "SeparableConv1D": (lambda: L.SeparableConv1D(4, 3, padding="same"), (6, 3)),
    "SeparableConv2D": (
        lambda: L.SeparableConv2D(4, 3, depth_multiplier=2, use_bias=False), (5, 5, 3)
    ),
    "Rescaling": (lambda: L.Rescaling(1 / 255, offset=0.5), (4, 5, 3)),
    "Normalization": (lambda: L.Normalization(), (4, 5, 3)),
    "Resizing": (lambda: L.Resizing(3, 7, crop_to_aspect_ratio=True), (4, 5, 3)),
    "CenterCrop": (lambda: L.CenterCrop(3, 3), (4, 5, 3)),
    "RandomCrop": (lambda: L.RandomCrop(3, 3, seed=2), (4, 5, 3)),
    "RandomFlip": (lambda: L.RandomFlip("horizontal"), (4, 5, 3)),
    "RandomRotation": (lambda: L.RandomRotation(0.2, fill_mode="constant"), (4, 5, 3)),
    "RandomZoom": (lambda: L.RandomZoom(0.2, 0.1), (4, 5, 3)),
    "RandomTranslation": (lambda: L.RandomTranslation(0.2, (0.0, 0.1)), (4, 5, 3)),
    "RandomContrast": (lambda: L.RandomContrast(0.3), (4, 5, 3)),
    "RandomBrightness": (lambda: L.RandomBrightness(0.2, value_range=(0, 1)), (4, 5, 3)),
}
MERGE_LAYERS = {"Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate"}
# issue 10's layers (resampling, embedding, noise, per-sample normalization, Lambda, ...)
LAYER_CASES.update({
    "UpSampling1D": (lambda: L.UpSampling1D(3), (4, 2)),
    "UpSampling2D": (lambda: L.UpSampling2D((2, 1), interpolation="bilinear"), (3, 3, 2)),
    "UpSampling3D": (lambda: L.UpSampling3D(2, data_format="channels_first"), (1, 2, 2, 2)),
    "Cropping1D": (lambda: L.Cropping1D((1, 2)), (6, 2)),
    "Cropping2D": (lambda: L.Cropping2D(((1, 0), (2, 1))), (5, 6, 2)),
    "Cropping3D": (lambda: L.Cropping3D(1), (3, 4, 3, 2)),
    "Embedding": (lambda: L.Embedding(3, 2, embeddings_regularizer="l2"), (4,)),
    "RepeatVector": (lambda: L.RepeatVector(3), (4,)),
    "Identity": (lambda: L.Identity(), (3,)),
    "Lambda": (lambda: L.Lambda(npconv.activations.relu, output_shape=(3,)), (3,)),
    "PReLU": (lambda: L.PReLU(shared_axes=[1]), (4, 3)),
    "ThresholdedReLU": (lambda: L.ThresholdedReLU(0.6), (3,)),
    "GaussianNoise": (lambda: L.GaussianNoise(0.2, seed=1), (3,)),
    "GaussianDropout": (lambda: L.GaussianDropout(0.2), (3,)),
    "AlphaDropout": (lambda: L.AlphaDropout(0.2, noise_shape=(None, 1)), (3,)),
    "ActivityRegularization": (lambda: L.ActivityRegularization(l1=0.1), (3,)),
    "LayerNormalization": (lambda: L.LayerNormalization(axis=[1, 2]), (3, 2)),
    "GroupNormalization": (lambda: L.GroupNormalization(2, scale=False), (3, 4)),
    "UnitNormalization": (lambda: L.UnitNormalization(), (3,)),
})
MERGE_LAYERS |= {"Dot"}


def test_every_layer_class_has_a_round_trip_case():
    classes = {
        obj.__name__
        for obj in vars(L).values()
        if isinstance(obj, type) and issubclass(obj, L.Layer) and obj is not L.Layer
    }
    missing = classes - set(LAYER_CASES) - MERGE_LAYERS - {"InputLayer"}
    assert not missing, f"add a round-trip case in tests/io for {sorted(missing)}"


@pytest.mark.parametrize("kind", sorted(LAYER_CASES))
@pytest.mark.parametrize("wrapper", ["sequential", "functional"])
def test_layer_round_trip(kind, wrapper, tmp_path):
    make, shape = LAYER_CASES[kind]
    if wrapper == "sequential":
        model = Sequential([L.Input(shape), make()])
    else:
        x = L.Input(shape, name="pixels")
        model = Model(x, make()(x), name="single")
    randomize(model)
    loaded = round_trip(model, tmp_path)
    assert_same_model(model, loaded, RNG.uniform(0, 1, size=(3, *shape)).astype("float32"))


def test_batch_normalization_moving_statistics_survive(tmp_path):
    set_random_seed(1)
    model = Sequential([L.Input((4,)), L.BatchNormalization(momentum=0.5), L.Dense(1)])
    model.compile("sgd", "mse")
    x = RNG.normal(3.0, 2.0, size=(32, 4)).astype("float32")
    model.fit(x, x[:, :1], epochs=2, verbose=0)
    bn = model.layers[0]
    assert not np.allclose(bn.moving_mean.data, 0)  # training moved them
    loaded = round_trip(model, tmp_path)
    np.testing.assert_array_equal(loaded.layers[0].moving_mean.data, bn.moving_mean.data)
    np.testing.assert_array_equal(loaded.layers[0].moving_variance.data, bn.moving_variance.data)
    assert_same_model(model, loaded, x)


def two_branch_model():
    """Two inputs, two outputs, a layer shared by both branches, every merging layer."""
    a = L.Input((6,), name="left")
    b = L.Input((6,), name="right")
    shared = L.Dense(4, activation="tanh", name="shared")
    ha, hb = shared(a), shared(b)
    merged = [
        L.Add(name="add")([ha, hb]),
        L.Subtract(name="sub")([ha, hb]),
        L.Multiply(name="mul")([ha, hb]),
        L.Average(name="avg")([ha, hb]),
        L.Maximum(name="max")([ha, hb]),
        L.Minimum(name="min")([ha, hb, shared(a)]),  # the shared layer's third call
    ]
    joined = L.Concatenate(name="concat")(merged)
    first = L.Dense(3, activation="softmax", name="classes")(joined)
    second = L.Dense(1, name="value")(L.Add(name="skip")([ha, hb]))
    return Model([a, b], [first, second], name="two_branch")


def test_functional_model_with_shared_layers_two_inputs_and_outputs(tmp_path):
    model = two_branch_model()
    randomize(model)
    loaded = round_trip(model, tmp_path)
    x = [RNG.normal(size=(5, 6)).astype("float32") for _ in range(2)]
    assert_same_model(model, loaded, x)
    assert len(loaded.outputs) == 2 and len(loaded.inputs) == 2
    assert loaded.get_layer("shared").weights[0] is loaded.weights[0]  # still one shared layer


def test_single_input_given_as_a_list_stays_a_list(tmp_path):
    x = L.Input((3,))
    model = Model([x], [L.Dense(2)(x)])
    loaded = round_trip(model, tmp_path)
    # called directly: predict() unwraps a one-element input list before the model sees it
    out = loaded([np.ones((2, 3), "float32")])
    assert isinstance(out, list) and out[0].shape == (2, 2)
    assert loaded.input_is_list and loaded.output_is_list


def test_nested_sequential_inside_functional_and_sequential(tmp_path):
    inner = Sequential([L.Input((3,)), L.Dense(4, activation="relu"), L.Dense(2)], name="inner")
    x = L.Input((3,))
    functional = Model(x, L.Dense(1)(inner(x)))
    data = RNG.normal(size=(4, 3)).astype("float32")
    assert_same_model(functional, round_trip(functional, tmp_path, "f.keras"), data)
    outer = Sequential([inner, L.Dense(1)], name="outer")
    outer.build((None, 3))
    assert_same_model(outer, round_trip(outer, tmp_path, "s.keras"), data)


def test_sequential_built_from_data_and_unbuilt_sequential(tmp_path):
    data = RNG.normal(size=(4, 3)).astype("float32")
    model = Sequential([L.Dense(3), L.Dense(2)])
    model.predict(data, verbose=0)  # builds it from the data's shape
    loaded = round_trip(model, tmp_path, "built.npconv")
    assert loaded.built
    assert_same_model(model, loaded, data)
    unbuilt = round_trip(Sequential([L.Dense(3)]), tmp_path, "unbuilt.keras")
    assert not unbuilt.built and unbuilt.weights == []


def test_frozen_layers_stay_frozen(tmp_path):
    model = Sequential([L.Input((3,)), L.Dense(3, name="frozen"), L.Dense(1, name="free")])
    model.layers[0].trainable = False
    loaded = round_trip(model, tmp_path)
    assert not loaded.get_layer("frozen").trainable
    assert [v.name for v in loaded.trainable_weights] == ["free/kernel", "free/bias"]


# ---------------------------------------------------------------------------------- compile
def small_cnn():
    return Sequential(
        [
            L.Input((6, 6, 1)),
            L.Conv2D(3, 3, activation="relu"),
            L.BatchNormalization(),
            L.MaxPooling2D(),
            L.Flatten(),
            L.Dense(3, activation="softmax"),
        ]
    )


def cnn_data(n=16):
    x = RNG.uniform(size=(n, 6, 6, 1)).astype("float32")
    y = np.eye(3, dtype="float32")[RNG.integers(0, 3, n)]
    return x, y


OPTIMIZERS = {
    "sgd_momentum_nesterov": lambda: optimizers.SGD(0.05, momentum=0.9, nesterov=True),
    "sgd_keras2_decay": lambda: optimizers.SGD(lr=0.1, momentum=0.5, decay=0.01),
    "adam_amsgrad": lambda: optimizers.Adam(1e-2, amsgrad=True),
    "adamw": lambda: optimizers.AdamW(1e-2, weight_decay=0.1),
    "adadelta": lambda: optimizers.Adadelta(),
    "rmsprop_centered": lambda: optimizers.RMSprop(1e-2, momentum=0.5, centered=True),
    "adagrad": lambda: optimizers.Adagrad(0.1),
    "adamax": lambda: optimizers.Adamax(1e-2),
    "nadam": lambda: optimizers.Nadam(1e-2),
    "adam_schedule": lambda: optimizers.Adam(
        optimizers.schedules.ExponentialDecay(1e-2, decay_steps=1, decay_rate=0.5)
    ),
    "sgd_ema_clip": lambda: optimizers.SGD(0.1, use_ema=True, clipnorm=1.0),
    "adam_accumulation": lambda: optimizers.Adam(1e-2, gradient_accumulation_steps=3),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_loaded_model_trains_on_exactly_as_the_original(name, tmp_path):
    set_random_seed(0)
    model = small_cnn()
    model.compile(OPTIMIZERS[name](), "categorical_crossentropy", metrics=["accuracy"])
    x, y = cnn_data()
    for _ in range(2):
        model.train_on_batch(x, y)
    loaded = round_trip(model, tmp_path)
    assert int(loaded.optimizer._iterations) == int(model.optimizer._iterations) == 2
    for u, v in zip(model.optimizer.get_weights(), loaded.optimizer.get_weights()):
        np.testing.assert_array_equal(u, v)
    for _ in range(2):
        a, b = model.train_on_batch(x, y), loaded.train_on_batch(x, y)
        assert a == b
    for u, v in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(u, v)
    for u, v in zip(model.optimizer.get_weights(), loaded.optimizer.get_weights()):
        np.testing.assert_array_equal(u, v)


def test_fit_continues_identically_and_learning_rate_changes_survive(tmp_path):
    set_random_seed(0)
    model = small_cnn()
    model.compile(optimizers.Adam(1e-2), "categorical_crossentropy")
    x, y = cnn_data(32)
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    model.optimizer.learning_rate = 0.003  # as ReduceLROnPlateau would
    loaded = round_trip(model, tmp_path)
    assert float(loaded.optimizer.learning_rate) == pytest.approx(0.003)
    set_random_seed(5)
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    set_random_seed(5)
    loaded.fit(x, y, epochs=2, batch_size=8, verbose=0)
    for u, v in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(u, v)


def test_compile_settings_round_trip(tmp_path):
    model = two_branch_model()
    model.compile(
        optimizer=optimizers.RMSprop(learning_rate=0.01, rho=0.8),
        loss=["categorical_crossentropy", npconv.losses.Huber(delta=0.5)],
        loss_weights=[1.0, 0.25],
        metrics={
            "classes": ["accuracy", npconv.metrics.TopKCategoricalAccuracy(k=2)],
            "value": ["mae"],
        },
    )
    loaded = round_trip(model, tmp_path)
    assert loaded.compiled
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    assert [type(loss) for loss in loaded.compiled_losses] == [
        npconv.losses.CategoricalCrossentropy,
        npconv.losses.Huber,
    ]
    assert loaded.compiled_losses[1].get_config() == model.compiled_losses[1].get_config()
    assert loaded.loss_weights == [1.0, 0.25]
    specs = loaded.metric_specs
    assert specs[0][0] == "accuracy" and specs[1] == ["mae"]
    assert specs[0][1].get_config() == model.metric_specs[0][1].get_config()
    x = [RNG.normal(size=(4, 6)).astype("float32") for _ in range(2)]
    y = [np.eye(3, dtype="float32")[[0, 1, 2, 0]], np.zeros((4, 1), "float32")]
    assert loaded.evaluate(x, y, verbose=0) == model.evaluate(x, y, verbose=0)


def test_compile_false_and_include_optimizer_false(tmp_path):
    model = small_cnn()
    model.compile("adam", "categorical_crossentropy")
    model.train_on_batch(*cnn_data())
    assert not round_trip(model, tmp_path, compile=False).compiled
    model.save(tmp_path / "bare.keras", include_optimizer=False)
    assert not load_model(tmp_path / "bare.keras").compiled


def test_custom_objects_and_registration(tmp_path):
    class Scale(L.Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def build(self, input_shape):
            self.w = self.add_weight((input_shape[-1],), "ones", name="w")

        def call(self, inputs, training=False):
            return inputs * self.w * self.factor

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    def cube(x):
        return x * x * x

    def my_loss(y_true, y_pred):
        return npconv.losses.mean_squared_error(y_true, y_pred)

    model = Sequential([L.Input((3,)), Scale(3.0, name="scale"), L.Dense(2, activation=cube)])
    model.compile("sgd", loss=my_loss)
    path = tmp_path / "custom.keras"
    model.save(path)
    with pytest.raises(ModelFileError, match="Unknown layer class 'Scale'.*custom_objects"):
        load_model(path)
    objects = {"Scale": Scale, "cube": cube, "my_loss": my_loss}
    loaded = load_model(path, custom_objects=objects)
    assert_same_model(model, loaded, RNG.normal(size=(2, 3)).astype("float32"))
    assert loaded.compiled_losses[0].fn is my_loss
    register_custom_object(Scale)
    register_custom_object(cube)
    register_custom_object(my_loss)
    assert load_model(path).get_layer("scale").factor == 3.0


def test_weights_files(tmp_path):
    model = two_branch_model()
    randomize(model)
    for name in ("w.weights.npz", "w.weights.h5"):
        model.save_weights(tmp_path / name)
        fresh = two_branch_model()
        fresh.load_weights(tmp_path / name)
        for u, v in zip(model.get_weights(), fresh.get_weights()):
            np.testing.assert_array_equal(u, v)
    # a weights file is a zip of .npy members, so NumPy reads it too
    with np.load(tmp_path / "w.weights.npz") as npz:
        np.testing.assert_array_equal(npz["weights/00000"], model.get_weights()[0])
    # a whole-model file also gives its weights
    model.save(tmp_path / "full.keras")
    fresh = two_branch_model()
    fresh.load_weights(tmp_path / "full.keras")
    np.testing.assert_array_equal(fresh.get_weights()[-1], model.get_weights()[-1])
    with pytest.raises(ModelFileError, match="holds only weights.*load_weights"):
        load_model(tmp_path / "w.weights.npz")


def test_load_weights_mismatch_names_the_layer_and_changes_nothing(tmp_path):
    Sequential([L.Input((3,)), L.Dense(4, name="a"), L.Dense(2, name="b")]).save_weights(
        tmp_path / "w.weights.h5"
    )
    other = Sequential([L.Input((3,)), L.Dense(4, name="a"), L.Dense(5, name="b")])
    before = other.get_weights()
    with pytest.raises(ModelFileError, match=r"layer 'b'.*\(4, 5\).*\(4, 2\)") as info:
        other.load_weights(tmp_path / "w.weights.h5")
    assert str(tmp_path / "w.weights.h5") in str(info.value)
    for u, v in zip(before, other.get_weights()):
        np.testing.assert_array_equal(u, v)
    with pytest.raises(ModelFileError, match="holds 4 weight arrays.*has 2"):
        Sequential([L.Input((3,)), L.Dense(4)]).load_weights(tmp_path / "w.weights.h5")
    with pytest.raises(ModelFileError, match="build it first"):
        Sequential([L.Dense(4)]).load_weights(tmp_path / "w.weights.h5")


def test_file_names_and_overwrite(tmp_path):
    model = Sequential([L.Input((3,)), L.Dense(1)])
    with pytest.raises(ValueError, match=r"\.keras or \.npconv or \.h5 or \.hdf5, got"):
        model.save(tmp_path / "m.json")
    with pytest.raises(ValueError, match="save_weights"):
        model.save(tmp_path / "m.weights.h5")
    with pytest.raises(ValueError, match=r"\.weights\.npz or \.weights\.h5"):
        model.save_weights(tmp_path / "m.keras")
    model.save(tmp_path / "m.keras")
    before = (tmp_path / "m.keras").read_bytes()
    with pytest.raises(FileExistsError):
        Sequential([L.Input((3,)), L.Dense(2)]).save(tmp_path / "m.keras", overwrite=False)
    assert (tmp_path / "m.keras").read_bytes() == before
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "nothing.keras")
    assert sorted(os.listdir(tmp_path)) == ["m.keras"]


HDF5_BYTES = b"\x89HDF\r\n\x1a\n" + bytes(64)


def test_hdf5_files_point_to_keras_h5_or_are_delegated(tmp_path, monkeypatch):
    path = tmp_path / "keras.weights.h5"
    path.write_bytes(HDF5_BYTES)
    model = Sequential([L.Input((3,)), L.Dense(1)])
    monkeypatch.setitem(sys.modules, "npconv.io.keras_h5", None)  # as if it did not exist
    with pytest.raises(ModelFileError, match="HDF5.*npconv.io.keras_h5"):
        model.load_weights(path)
    with pytest.raises(ModelFileError, match="HDF5"):
        load_model(path)
    calls = []
    fake = type(sys)("npconv.io.keras_h5")
    fake.load_weights_h5 = lambda m, p: calls.append((m, p))
    monkeypatch.setitem(sys.modules, "npconv.io.keras_h5", fake)
    model.load_weights(path)
    assert calls == [(model, str(path))]


def test_model_checkpoint_end_to_end(tmp_path):
    set_random_seed(0)
    model = small_cnn()
    model.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
    x, y = cnn_data(24)
    best = ModelCheckpoint(tmp_path / "best.keras", monitor="loss", save_best_only=True)
    every = ModelCheckpoint(str(tmp_path / "ckpt-{epoch:02d}.weights.h5"), save_weights_only=True)
    model.fit(x, y, epochs=3, batch_size=8, callbacks=[best, every], verbose=0)
    assert sorted(os.listdir(tmp_path)) == [
        "best.keras",
        "ckpt-01.weights.h5",
        "ckpt-02.weights.h5",
        "ckpt-03.weights.h5",
    ]
    loaded = load_model(tmp_path / "best.keras")
    assert loaded.compiled and int(loaded.optimizer.iterations) > 0
    fresh = small_cnn()
    fresh.load_weights(tmp_path / "ckpt-03.weights.h5")
    for u, v in zip(model.get_weights(), fresh.get_weights()):
        np.testing.assert_array_equal(u, v)


def test_file_layout_is_documented_members_only(tmp_path):
    model = small_cnn()
    model.compile("sgd", "categorical_crossentropy")
    model.train_on_batch(*cnn_data())
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as zf:
        names = zf.namelist()
        assert all(i.compress_type == zipfile.ZIP_STORED for i in zf.infolist())
    n = len(model.weights)
    assert names[:3] == ["metadata.json", "config.json", "weights.json"]
    assert names[3 : 3 + n] == [f"weights/{i:05d}.npy" for i in range(n)]
    assert all(name.startswith("optimizer/") for name in names[3 + n :])


def test_import_npconv_does_not_load_io():
    code = "import sys, npconv; print('npconv.io' in sys.modules, 'json' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split()[0] == "False"
    assert npconv.io.ModelFileError.__name__ == "ModelFileError"
