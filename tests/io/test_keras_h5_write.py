"""Keras HDF5 files written by npconv (``npconv.io.keras_h5_write``): real Keras reads them and
predicts what npconv predicts; npconv reads them back; models Keras could not rebuild exactly
are refused before anything is written; writes are atomic; without h5py the error names the
extra, and ``ModelCheckpoint`` says so when it is created; hostile ``.h5`` model files are
refused as hostile ``.keras`` files are.

``tests/references/keras_files/npconv_*`` were written by npconv and read by Keras 3.15.1
(tensorflow-cpu 2.21.0) with ``tools/keras_references/h5_roundtrip.py``, which stored Keras's
predictions in ``npconv_predictions.npz``.
"""

import importlib.util
import json
import pathlib
import shutil
import sys
import tracemalloc
import warnings

import numpy as np
import pytest

h5py = pytest.importorskip("h5py")

from npconv import layers as L  # noqa: E402
from npconv import optimizers  # noqa: E402
from npconv.callbacks import ModelCheckpoint  # noqa: E402
from npconv.io import ModelFileError, keras_h5_write  # noqa: E402
from npconv.models import Model, Sequential, load_model  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
REF = ROOT / "tests" / "references" / "keras_files"
KERAS = np.load(REF / "npconv_predictions.npz")
RTOL, ATOL = 1e-5, 1e-6


def _roundtrip_script():
    spec = importlib.util.spec_from_file_location(
        "h5_roundtrip", ROOT / "tools" / "keras_references" / "h5_roundtrip.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ROUNDTRIP = _roundtrip_script()
NAMES = list(ROUNDTRIP.FILES)


def numbered(key):
    """``KERAS[key]``, or the list ``KERAS[key0], KERAS[key1], ...``."""
    if key in KERAS:
        return KERAS[key]
    out = []
    while f"{key}{len(out)}" in KERAS:
        out.append(KERAS[f"{key}{len(out)}"])
    assert out, key
    return out


def feed(name):
    return numbered(f"{name}/x")


def assert_predicts(model, name, kind):
    """``model`` predicts on ``name``'s inputs what Keras predicted (``kind``: from the whole
    model file, ``model_y``, or from the weights-only file, ``weights_y``)."""
    expected = numbered(f"{name}/{kind}")
    y = model.predict(feed(name), verbose=0)
    if isinstance(expected, list):
        assert isinstance(y, list) and len(y) == len(expected)
    else:
        y, expected = [y], [expected]
    for ours, keras in zip(y, expected):
        np.testing.assert_allclose(ours, keras, rtol=RTOL, atol=ATOL)


def seed_of(name):
    return NAMES.index(name)


# ----------------------------------------------------------------------------- with real Keras
@pytest.mark.parametrize("name", NAMES)
def test_keras_predicts_what_npconv_predicts(name):
    """The npconv model whose files Keras read gives Keras's predictions, from both the whole
    model file (``load_model``) and the weights-only file (``load_weights``)."""
    model = ROUNDTRIP.build(name, seed_of(name))
    assert_predicts(model, name, "model_y")
    assert_predicts(model, name, "weights_y")


def _contents(path):
    """Every attribute and dataset of an HDF5 file, as comparable Python values."""
    out = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            for key, value in obj.attrs.items():
                out[f"{name}@{key}"] = np.asarray(value).tolist()
            if isinstance(obj, h5py.Dataset):
                out[name] = (obj.dtype.str, obj[()].tolist())

        visit("/", f)
        f.visititems(visit)
    return out


def test_stored_files_are_what_the_script_writes_now(tmp_path):
    """The reference files are reproducible from the script (fixed seeds), small, and what
    the current writer writes: if the writer changes, the files Keras read must be remade."""
    ROUNDTRIP.write(tmp_path)
    for model_file, weights_file in ROUNDTRIP.FILES.values():
        for file in (model_file, weights_file):
            assert (REF / file).stat().st_size < 200_000
            assert _contents(tmp_path / file) == _contents(REF / file), file


@pytest.mark.parametrize("name", NAMES)
def test_npconv_reads_its_h5_files_back(name):
    model_file, weights_file = ROUNDTRIP.FILES[name]
    assert_predicts(load_model(REF / model_file), name, "model_y")
    other = ROUNDTRIP.build(name, seed=99)  # same layers, other weights
    other.load_weights(REF / weights_file)
    assert_predicts(other, name, "weights_y")


def test_legacy_weights_matched_in_keras_layer_order():
    """With other layer names, legacy weights go to layers by position among those holding
    weights, in Keras's ``model.layers`` order (deepest first), which for npconv_merge is not
    npconv's: npconv lists ``vec_dense`` first, Keras ``conv_a``, ``conv_b``, ``bn`` first."""
    model = ROUNDTRIP.build("npconv_merge", seed=99)
    for layer in model.layers:
        layer.name = f"my_{layer.name}"
    model.load_weights(REF / ROUNDTRIP.FILES["npconv_merge"][1])
    assert_predicts(model, "npconv_merge", "weights_y")


@pytest.mark.parametrize(
    "name, optimizer, settings",
    [
        ("npconv_cnn", "Adam", {"learning_rate": 0.002}),
        ("npconv_keras2", "SGD", {"learning_rate": 0.01, "momentum": 0.9, "nesterov": True}),
    ],
)
def test_compile_settings_go_both_ways(name, optimizer, settings):
    """Keras compiled the models from npconv's training_config as npconv had them (optimizer
    and learning rate, categorical cross-entropy), and npconv compiles them back: both
    evaluate alike."""
    rate = f"{settings['learning_rate']:.6g}"
    expected = [optimizer, rate, "categorical_crossentropy"]
    assert KERAS[f"{name}/compiled"].tolist() == expected
    model = load_model(REF / ROUNDTRIP.FILES[name][0])
    assert type(model.optimizer).__name__ == optimizer
    config = model.optimizer.get_config()
    assert {k: config[k] for k in settings} == pytest.approx(settings)
    result = model.evaluate(feed(name), KERAS[f"{name}/labels"], verbose=0)
    np.testing.assert_allclose(result, KERAS[f"{name}/evaluate"], rtol=RTOL)
    assert not load_model(REF / ROUNDTRIP.FILES[name][0], compile=False).compiled


# ----------------------------------------------------------------------------- Keras's layout
def tutorial004():
    """The architecture of tests/references/keras_files/tutorial004.h5 (written by Keras),
    with Keras's layer names."""
    return Sequential(
        [
            L.Input((10, 10, 1), name="input_layer"),
            L.Conv2D(3, kernel_size=(3, 3), activation="relu", name="conv2d"),
            L.Conv2D(4, (3, 3), activation="relu", name="conv2d_1"),
            L.MaxPooling2D(pool_size=(2, 2), name="max_pooling2d"),
            L.Dropout(0.25, name="dropout"),
            L.Flatten(name="flatten"),
            L.Dense(8, activation="relu", name="dense"),
            L.Dropout(0.5, name="dropout_1"),
            L.Dense(3, activation="softmax", name="dense_1"),
        ],
        name="tutorial004",
    )


def _layout(path):
    """Groups, datasets (shape, dtype) and name lists of a file, without values."""
    out = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            names = {k: np.asarray(v).tolist() for k, v in obj.attrs.items() if "names" in k}
            shape = (obj.shape, obj.dtype.str) if isinstance(obj, h5py.Dataset) else None
            out[name] = (shape, names)

        visit("/", f)
        f.visititems(visit)
        keys = sorted(f.attrs)
    return out, keys


@pytest.mark.parametrize(
    "save, keras_file",
    [("save", "tutorial004.h5"), ("save_weights", "tutorial004.legacy.weights.h5")],
)
def test_same_layout_as_a_file_keras_wrote(tmp_path, save, keras_file):
    model = tutorial004()
    getattr(model, save)(tmp_path / "t.h5")
    ours, our_keys = _layout(tmp_path / "t.h5")
    theirs, their_keys = _layout(REF / keras_file)
    assert ours == theirs
    assert our_keys == their_keys
    if save == "save":
        with h5py.File(tmp_path / "t.h5") as a, h5py.File(REF / keras_file) as b:
            mine = json.loads(a.attrs["model_config"])
            keras = json.loads(b.attrs["model_config"])
        assert mine.keys() == keras.keys() and mine["class_name"] == keras["class_name"]
        for x, y in zip(mine["config"]["layers"], keras["config"]["layers"], strict=True):
            assert (x["class_name"], x["config"]["name"]) == (y["class_name"], y["config"]["name"])
            assert set(x["config"]) <= set(y["config"]), x["class_name"]
            for key in set(x["config"]) & set(y["config"]) - {"seed"}:
                assert x["config"][key] == y["config"][key], (x["config"]["name"], key)


def test_nested_model_same_layout_as_keras_and_reads_back(tmp_path):
    """A Sequential inside a Sequential: the inner model is one layer whose weights are named
    ``inner/<layer>/<weight>``, trainable ones first, as in Keras's nested.h5."""
    inner = Sequential(
        [
            L.Input((6,), name="input_layer_2"),
            L.Dense(4, activation="relu", name="dense_3"),
            L.BatchNormalization(name="batch_normalization_2"),
            L.Dense(3, name="dense_4"),
        ],
        name="inner",
    )
    model = Sequential(
        [L.Input((5,), name="input_layer_3"), L.Dense(6, name="dense_5"), inner,
         L.Dense(2, name="dense_6")],
        name="sequential",
    )
    model.load_weights(REF / "nested.h5")
    model.save(tmp_path / "n.h5")
    assert _layout(tmp_path / "n.h5") == _layout(REF / "nested.h5")
    x = np.random.default_rng(0).normal(size=(3, 5)).astype("float32")
    np.testing.assert_array_equal(
        load_model(tmp_path / "n.h5").predict(x, verbose=0), model.predict(x, verbose=0)
    )


# ----------------------------------------------------------------------------- refusals
def _shared():
    x = L.Input((4,))
    dense = L.Dense(4)
    return Model(x, dense(dense(x)))


class Subclassed(Model):
    def __init__(self):
        super().__init__()
        self.dense = L.Dense(2)

    def call(self, x, training=False):
        return self.dense(x)


def _subclassed():
    model = Subclassed()
    model.build((None, 3))
    return model


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: Sequential([L.Input((6, 6, 1)), L.StochasticPooling2D(name="sp")]),
         r"layer 'sp' \(StochasticPooling2D\) is npconv's own"),
        (lambda: Sequential([L.Input((5, 5, 1)), L.Conv2D(2, 3, dropconnect=0.5, name="c")]),
         r"layer 'c'.*dropconnect=0.5.*Keras's Conv2D does not have"),
        (_shared, "called 2 times"),
        (_subclassed, "subclassed model"),
        (lambda: Sequential([L.Dense(3)]), "not built"),
    ],
    ids=["npconv-layer", "npconv-argument", "shared-layer", "subclassed", "unbuilt"],
)
def test_models_keras_could_not_rebuild_are_refused_and_nothing_written(tmp_path, make, match):
    model = make()
    with pytest.raises(ValueError, match=match):
        model.save(tmp_path / "m.h5")
    assert list(tmp_path.iterdir()) == []


def test_npconv_argument_at_its_default_is_left_out(tmp_path):
    model = Sequential([L.Input((5, 5, 1)), L.Conv2D(2, 3, name="c")])
    model.save(tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5") as f:
        conv = json.loads(f.attrs["model_config"])["config"]["layers"][1]["config"]
    assert "dropconnect" not in conv and conv["filters"] == 2


def test_compile_settings_keras_lacks_warn_and_the_model_still_saves(tmp_path):
    model = Sequential([L.Input((3,)), L.Dense(2, activation="softmax")])
    model.compile(optimizers.SGD(0.1, decay=1e-4), "categorical_crossentropy")
    with pytest.warns(UserWarning, match=r"compile settings are not written.*decay=0.0001"):
        model.save(tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5") as f:
        assert "training_config" not in f.attrs
    loaded = load_model(tmp_path / "m.h5")
    assert not loaded.compiled
    x = np.ones((2, 3), "float32")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_writes_are_atomic(tmp_path, monkeypatch):
    model = Sequential([L.Input((3,)), L.Dense(2)])
    path = tmp_path / "m.h5"
    model.save(path)
    before = path.read_bytes()

    def fail(*args):
        raise RuntimeError("disk full")

    monkeypatch.setattr(keras_h5_write, "_write_subset", fail)
    for save in (model.save, model.save_weights):
        with pytest.raises(RuntimeError, match="disk full"):
            save(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.h5"]
    with pytest.raises(FileExistsError):
        model.save(path, overwrite=False)


# ----------------------------------------------------------------------------- without h5py
def test_without_h5py_the_error_names_the_extra_before_training(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "h5py", None)
    model = Sequential([L.Input((3,)), L.Dense(2)])
    for save, name in ((model.save, "m.h5"), (model.save_weights, "w.hdf5")):
        with pytest.raises(ImportError, match=r'pip install "npconv\[h5\]"'):
            save(tmp_path / name)
    with pytest.raises(ImportError, match=r"ModelCheckpoint.*npconv\[h5\]"):
        ModelCheckpoint(str(tmp_path / "weights.{epoch:02d}.h5"), save_weights_only=True)
    ModelCheckpoint(str(tmp_path / "w.weights.h5"), save_weights_only=True)
    model.save_weights(tmp_path / "w.weights.h5")  # npconv's own format needs no h5py
    model.save(tmp_path / "m.keras")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.keras", "w.weights.h5"]


@pytest.mark.parametrize(
    "filepath, weights_only, match",
    [
        ("weights.{epoch:02d}.h5", True, None),
        ("weights.{epoch:02d}.hdf5", True, None),
        ("weights.{epoch:02d}.weights.h5", True, None),
        ("model.{epoch:02d}.h5", False, None),
        ("model.keras", False, None),
        ("model.keras", True, r"whole-model name: pass save_weights_only=False"),
        ("w.weights.h5", False, r"pass save_weights_only=True"),
        ("model.{epoch:02d}", False, r"must end in \.keras or \.npconv or \.h5 or \.hdf5"),
    ],
)
def test_model_checkpoint_checks_its_file_name_when_created(filepath, weights_only, match):
    if match is None:
        ModelCheckpoint(filepath, save_weights_only=weights_only)
    else:
        with pytest.raises(ValueError, match=match):
            ModelCheckpoint(filepath, save_weights_only=weights_only)


def test_model_checkpoint_writes_keras_h5_files(tmp_path):
    model = Sequential([L.Input((3,)), L.Dense(4, activation="relu"), L.Dense(2)])
    model.compile("sgd", "mse")
    x = np.random.default_rng(0).normal(size=(8, 3)).astype("float32")
    y = np.zeros((8, 2), "float32")
    callbacks = [
        ModelCheckpoint(str(tmp_path / "w.{epoch:02d}.h5"), save_weights_only=True),
        ModelCheckpoint(str(tmp_path / "m.{epoch:02d}.hdf5")),
    ]
    model.fit(x, y, epochs=2, batch_size=4, verbose=0, callbacks=callbacks)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["m.01.hdf5", "m.02.hdf5", "w.01.h5", "w.02.h5"]
    expected = model.predict(x, verbose=0)
    np.testing.assert_allclose(load_model(tmp_path / "m.02.hdf5").predict(x, verbose=0), expected)
    fresh = Sequential([L.Input((3,)), L.Dense(4, activation="relu"), L.Dense(2)])
    fresh.load_weights(tmp_path / "w.02.h5")
    np.testing.assert_allclose(fresh.predict(x, verbose=0), expected)


# ----------------------------------------------------------------------------- hostile files
@pytest.fixture
def cnn_file(tmp_path):
    path = tmp_path / "cnn.h5"
    shutil.copy(REF / "npconv_cnn.h5", path)
    return path


def edit_config(path, edit, attr="model_config"):
    """``path`` made afresh from the reference CNN file, with one JSON attribute edited."""
    shutil.copy(REF / "npconv_cnn.h5", path)
    with h5py.File(path, "r+") as f:
        config = json.loads(f.attrs[attr])
        edit(config)
        f.attrs[attr] = json.dumps(config).encode()
    return path


def layers_of(config):
    return config["config"]["layers"]


def refused(path, match, **kwargs):
    with pytest.raises(ModelFileError, match=match) as info:
        load_model(path, **kwargs)
    assert str(path) in str(info.value)


def test_unknown_classes_and_lambdas_are_refused_without_running_anything(cnn_file):
    def unknown(config):
        layers_of(config)[1]["class_name"] = "os.system"

    refused(edit_config(cnn_file, unknown), r"layer class 'os.system'.*is not one npconv rebuilds")

    def lambda_layer(config):
        layers_of(config)[3] = {
            "class_name": "Lambda",
            "config": {"name": "l", "function": {"class_name": "__lambda__",
                                                 "config": {"code": "4wAAAAAAAAA="}}},
        }

    refused(edit_config(cnn_file, lambda_layer), "Python lambda")

    def activation(config):
        layers_of(config)[1]["config"]["activation"] = "os.system"

    refused(edit_config(cnn_file, activation), "model_config: cannot rebuild the model")


def test_huge_declared_layers_fail_before_allocating(cnn_file):
    def huge(config):
        for layer in layers_of(config):
            if layer["class_name"] == "Dense":
                layer["config"]["units"] = 10**6

    edit_config(cnn_file, huge)
    tracemalloc.start()
    try:
        refused(cnn_file, r"layer 'dense' would create a weight of shape \(48, 1000000\)")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50 * 2**20


def test_deep_nesting_is_refused(cnn_file):
    def deep(config):
        inner = {"class_name": "Dense", "config": {"name": "d", "units": 2}}
        for i in range(40):
            inner = {"class_name": "Sequential", "config": {"name": f"s{i}", "layers": [inner]}}
        layers_of(config).append(inner)

    refused(edit_config(cnn_file, deep), "nested more than 32 deep")
    with h5py.File(cnn_file, "r+") as f:
        f.attrs["model_config"] = ("[" * 100_000 + "]" * 100_000).encode()
    refused(cnn_file, "model_config (is not valid JSON|must hold a JSON object|.*nested)")


def test_malformed_attributes_are_refused(cnn_file):
    with h5py.File(cnn_file, "r+") as f:
        f.attrs["model_config"] = np.arange(3)
    refused(cnn_file, "'model_config' attribute is not a string")


def test_bad_compile_settings_say_to_pass_compile_false(cnn_file):
    def turbo(config):
        config["optimizer_config"]["class_name"] = "Turbo"

    edit_config(cnn_file, turbo, attr="training_config")
    refused(cnn_file, "training_config: cannot compile the model.*compile=False.*Turbo")
    assert not load_model(cnn_file, compile=False).compiled

    def loss(config):
        config["optimizer_config"]["class_name"] = "Adam"
        config["loss"] = "os.system"

    refused(edit_config(cnn_file, loss, attr="training_config"), "cannot compile the model")


def test_hostile_weights_in_a_model_file(cnn_file):
    with h5py.File(cnn_file, "r+") as f:
        group = f["model_weights/dense"]
        name = "npconv_cnn/dense/kernel"
        del group[name]
        group[name] = h5py.ExternalLink("/etc/passwd", "/")
    refused(cnn_file, "ExternalLink; only hard links are followed")
    with h5py.File(cnn_file, "r+") as f:
        group = f["model_weights/dense"]
        del group["npconv_cnn/dense/kernel"]
        group.create_dataset("npconv_cnn/dense/kernel", data=np.full((48, 8), b"x", "S4"))
    refused(cnn_file, "not numbers")


def test_a_file_keras_wrote_still_loads_and_compiles(tmp_path):
    """npconv writes .h5 now; reading Keras's own files is unchanged (and compiles them when
    they carry compile settings: tutorial004.h5 does not)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = load_model(REF / "tutorial004.h5")
    assert not model.compiled
    x = np.random.default_rng(0).normal(size=(2, 10, 10, 1)).astype("float32")
    model.save(tmp_path / "again.h5")
    np.testing.assert_array_equal(
        load_model(tmp_path / "again.h5").predict(x, verbose=0), model.predict(x, verbose=0)
    )
