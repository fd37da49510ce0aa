"""Keras weight import (``npconv.io.keras_h5``): files written by real Keras load into the
matching npconv model and give Keras's predictions; wrong or hostile files are refused with
the file, the layer and the shapes named, and change nothing.

The Keras files in ``tests/references/keras_files/`` were written by Keras 3.15.1
(tensorflow-cpu 2.21.0) with ``tools/keras_references/make_h5_files.py``; the npconv models
below are the same architectures, built with npconv's layers.
"""

import io
import json
import pathlib
import sys
import zipfile

import numpy as np
import pytest

h5py = pytest.importorskip("h5py")

from npconv import layers as L  # noqa: E402
from npconv.io import ModelFileError, keras_h5  # noqa: E402
from npconv.models import Model, Sequential, load_model  # noqa: E402

REF = pathlib.Path(__file__).resolve().parents[1] / "references" / "keras_files"
PREDICTIONS = np.load(REF / "predictions.npz")
TOLERANCE = 1e-5


# ----------------------------------------------------------------------------- the models
def tutorial004(names=None):
    n = _namer(names)
    return Sequential(
        [
            L.Input((10, 10, 1)),
            L.Conv2D(3, kernel_size=(3, 3), activation="relu", name=n()),
            L.Conv2D(4, (3, 3), activation="relu", name=n()),
            L.MaxPooling2D(pool_size=(2, 2), name=n()),
            L.Dropout(0.25, name=n()),
            L.Flatten(name=n()),
            L.Dense(8, activation="relu", name=n()),
            L.Dropout(0.5, name=n()),
            L.Dense(3, activation="softmax", name=n()),
        ]
    )


def mixed(names=None):
    n = _namer(names)
    return Sequential(
        [
            L.Input((6, 6, 6, 1)),
            L.Conv3D(2, 3, activation="relu", name=n()),
            L.BatchNormalization(name=n()),
            L.AveragePooling3D(2, name=n()),
            L.Reshape((8, 2), name=n()),
            L.Conv1D(3, 2, padding="same", name=n()),
            L.BatchNormalization(name=n()),
            L.Conv1D(3, 3, activation="tanh", name=n()),
            L.AveragePooling1D(2, name=n()),
            L.GlobalAveragePooling1D(name=n()),
            L.Dense(2, name=n()),
        ]
    )


def two_inputs(names=None):
    """With ``names=None`` the layers get Keras's names (``conv``, ``bn``, ...), so layers are
    matched by name; otherwise by position."""
    n = _namer(names)

    def name(keras_name):
        return keras_name if names is None else n()

    image = L.Input((8, 8, 1), name=name("image"))
    vector = L.Input((5,), name=name("vector"))
    x = L.Conv2D(3, 3, padding="same", activation="relu", name=name("conv"))(image)
    x = L.BatchNormalization(name=name("bn"))(x)
    x = L.AveragePooling2D(2, name=name("avg"))(x)
    x = L.GlobalAveragePooling2D(name=name("gap"))(x)
    v = L.Dense(4, activation="relu", name=name("vec_dense"))(vector)
    h = L.Concatenate(name=name("concat"))([x, v])
    h = L.Dense(4, activation="relu", name=name("hidden"))(h)
    out = L.Dense(2, activation="softmax", name=name("out"))(h)
    return Model([image, vector], out)


def nested(names=None):
    n = _namer(names)
    inner = Sequential(
        [
            L.Input((6,)),
            L.Dense(4, activation="relu", name=n()),
            L.BatchNormalization(name=n()),
            L.Dense(3, name=n()),
        ],
        name=n(),
    )
    return Sequential([L.Input((5,)), L.Dense(6, name=n()), inner, L.Dense(2, name=n())])


def _namer(prefix):
    """Names ``prefix_0``, ``prefix_1``, ... (unlike Keras's), or npconv's own with None."""
    count = iter(range(1000))
    return lambda: None if prefix is None else f"{prefix}_{next(count)}"


BUILDERS = {
    "tutorial004": tutorial004,
    "mixed": mixed,
    "two_inputs": two_inputs,
    "nested": nested,
}
KINDS = {
    "tutorial004": [".weights.h5", ".keras", ".h5", ".legacy.weights.h5"],
    "mixed": [".weights.h5", ".keras", ".h5"],
    "two_inputs": [".weights.h5", ".keras", ".h5"],
    "nested": [".weights.h5", ".h5"],
}
CASES = [(name, kind) for name, kinds in KINDS.items() for kind in kinds]


def inputs(name):
    if f"{name}/x" in PREDICTIONS:
        return PREDICTIONS[f"{name}/x"]
    return [PREDICTIONS[f"{name}/x0"], PREDICTIONS[f"{name}/x1"]]


def max_difference(model, name):
    y = model.predict(inputs(name), verbose=0)
    return float(np.abs(np.asarray(y) - PREDICTIONS[f"{name}/y"]).max())


def weights_of(model):
    return [w.copy() for w in model.get_weights()]


def assert_unchanged(model, before):
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)


# ----------------------------------------------------------------------------- real Keras files
def test_reference_files_are_small_and_complete():
    # files written by Keras: a budget for the folder, which grows by a file or two with each
    # layer family Keras files are tested for (conv_family, layers_extra, ...); npconv_*
    # (written by npconv, read by Keras) are checked in test_keras_h5_write.py
    total = sum(p.stat().st_size for p in REF.iterdir() if not p.name.startswith("npconv_"))
    assert total < 1_000_000
    for name, kind in CASES:
        assert (REF / f"{name}{kind}").is_file()


@pytest.mark.parametrize("names", [None, "mine"], ids=["npconv-names", "other-names"])
@pytest.mark.parametrize("name, kind", CASES)
def test_keras_file_gives_keras_predictions(name, kind, names):
    model = BUILDERS[name](names)
    before = max_difference(model, name)
    model.load_weights(REF / f"{name}{kind}")
    assert max_difference(model, name) < TOLERANCE
    assert before > 1e-3  # the check is not vacuous


def test_two_inputs_matched_by_keras_names():
    model = two_inputs()  # Keras's names: matched by name
    model.load_weights(REF / "two_inputs.weights.h5")
    assert max_difference(model, "two_inputs") < TOLERANCE


@pytest.mark.parametrize(
    "name, kind, load",
    [
        ("tutorial004", ".weights.h5", keras_h5.load_weights_h5),
        ("mixed", ".h5", keras_h5.load_weights_h5),
        ("tutorial004", ".legacy.weights.h5", keras_h5.load_weights_h5),
        ("two_inputs", ".keras", keras_h5.load_keras_file),
    ],
)
def test_module_functions_directly(name, kind, load):
    model = BUILDERS[name]("direct")
    load(model, REF / f"{name}{kind}")
    assert max_difference(model, name) < TOLERANCE


def test_batch_normalization_order_gamma_beta_mean_variance():
    """The four arrays land where Keras keeps them, in both formats (the legacy file names
    them, the Keras 3 file numbers them)."""
    model = mixed("bn")
    model.load_weights(REF / "mixed.weights.h5")
    bns = [layer for layer in model.layers if isinstance(layer, L.BatchNormalization)]
    with h5py.File(REF / "mixed.h5", "r") as f:
        root = f["model_weights"]
        names = [n for n in root.attrs["layer_names"] if n.startswith("batch_normalization")]
        for layer, keras_name in zip(bns, names):
            group = root[keras_name]
            stored = {w.rsplit("/", 1)[-1]: group[w][()] for w in group.attrs["weight_names"]}
            for attr in ("gamma", "beta", "moving_mean", "moving_variance"):
                np.testing.assert_array_equal(getattr(layer, attr).data, stored[attr])
    assert len(bns) == 2


@pytest.mark.parametrize("name", ["tutorial004", "mixed", "two_inputs"])
def test_load_keras_model_rebuilds_from_config(name):
    model = keras_h5.load_keras_model(REF / f"{name}.keras")
    assert max_difference(model, name) < TOLERANCE
    with zipfile.ZipFile(REF / f"{name}.keras") as zf:
        config = json.loads(zf.read("config.json"))
    keras_names = [
        item["config"]["name"]
        for item in config["config"]["layers"]
        if item["class_name"] != "InputLayer" or config["class_name"] != "Sequential"
    ]
    assert sorted(layer.name for layer in model.layers) == sorted(keras_names)


@pytest.mark.parametrize("name", ["tutorial004", "mixed", "two_inputs", "nested"])
def test_load_model_reads_legacy_whole_model_h5(name):
    model = load_model(REF / f"{name}.h5")
    assert max_difference(model, name) < TOLERANCE


@pytest.mark.parametrize("name", ["tutorial004", "mixed", "two_inputs"])
def test_load_model_reads_a_real_keras_file(name):
    model = load_model(REF / f"{name}.keras")
    assert max_difference(model, name) < TOLERANCE


def test_load_model_h5_refuses_weights_only_file():
    with pytest.raises(ModelFileError, match="weights only"):
        load_model(REF / "tutorial004.legacy.weights.h5")


# ----------------------------------------------------------------------------- wrong models
@pytest.mark.parametrize("kind", KINDS["tutorial004"])
def test_shape_mismatch_names_layer_and_shapes_and_changes_nothing(kind):
    model = Sequential(
        [
            L.Input((10, 10, 1)),
            L.Conv2D(3, (3, 3), activation="relu", name="c1"),
            L.Conv2D(4, (3, 3), activation="relu", name="c2"),
            L.MaxPooling2D((2, 2)),
            L.Flatten(),
            L.Dense(9, activation="relu", name="wide"),  # Keras's has 8 units
            L.Dense(3, activation="softmax", name="last"),
        ]
    )
    before = weights_of(model)
    path = REF / f"tutorial004{kind}"
    with pytest.raises(ModelFileError) as info:
        model.load_weights(path)
    message = str(info.value)
    assert str(path) in message
    assert "layer 'wide'" in message
    assert "(36, 9)" in message and "(36, 8)" in message
    assert_unchanged(model, before)  # c1 and c2 fitted, yet nothing was assigned


@pytest.mark.parametrize("kind", [".weights.h5", ".h5"])
def test_layer_count_mismatch_lists_both_sides(kind):
    model = Sequential([L.Input((10, 10, 1)), L.Conv2D(3, 3), L.Flatten(), L.Dense(3)])
    before = weights_of(model)
    with pytest.raises(ModelFileError, match=r"weights for 4 layers.*has 2 layers with weights"):
        model.load_weights(REF / f"tutorial004{kind}")
    assert_unchanged(model, before)


def test_unbuilt_model_is_told_to_build():
    model = Sequential([L.Conv2D(3, 3), L.Dense(2)])
    with pytest.raises(ModelFileError, match="build it first"):
        model.load_weights(REF / "tutorial004.weights.h5")


# ----------------------------------------------------------------------------- not Keras files
def test_non_hdf5_file_with_h5_name(tmp_path):
    model = tutorial004()
    before = weights_of(model)
    for name in ("fake.h5", "fake.weights.h5", "fake.hdf5"):
        path = tmp_path / name
        path.write_bytes(b"this is not HDF5 at all\n" * 10)
        for load in (model.load_weights, lambda p: keras_h5.load_weights_h5(model, p)):
            with pytest.raises(ModelFileError, match="not an HDF5 file") as info:
                load(path)
            assert str(path) in str(info.value)
    assert_unchanged(model, before)


def test_hdf5_that_is_not_keras(tmp_path):
    path = tmp_path / "data.h5"
    with h5py.File(path, "w") as f:
        f["x"] = np.zeros(3)
    with pytest.raises(ModelFileError, match="not Keras weights"):
        tutorial004().load_weights(path)


def test_truncated_hdf5(tmp_path):
    path = tmp_path / "cut.weights.h5"
    path.write_bytes((REF / "tutorial004.weights.h5").read_bytes()[:3000])
    model = tutorial004()
    before = weights_of(model)
    with pytest.raises(ModelFileError, match="cut.weights.h5"):
        model.load_weights(path)
    assert_unchanged(model, before)


def test_npconv_files_still_load_as_before(tmp_path):
    model = tutorial004()
    model.load_weights(REF / "tutorial004.weights.h5")
    model.save_weights(tmp_path / "own.weights.h5")  # npconv's own format, a zip
    model.save(tmp_path / "own.keras")
    for path in (tmp_path / "own.weights.h5", tmp_path / "own.keras"):
        assert keras_h5.loader_for(path) is None
        other = tutorial004()
        other.load_weights(path)
        assert max_difference(other, "tutorial004") < TOLERANCE


def test_missing_h5py_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "h5py", None)
    for path in ("tutorial004.weights.h5", "tutorial004.keras", "tutorial004.h5"):
        with pytest.raises(ImportError, match=r'pip install "npconv\[h5\]"'):
            tutorial004().load_weights(REF / path)


# ----------------------------------------------------------------------------- hostile files
def keras3_file(path, arrays, layer="dense", name="dense"):
    """A Keras 3 style ``.weights.h5`` with one layer; ``arrays`` maps var index -> a callable
    that creates the dataset in the ``vars`` group."""
    with h5py.File(path, "w") as f:
        f.create_group("vars")
        group = f.create_group(f"layers/{layer}/vars")
        group.attrs["name"] = name
        for key, make in arrays.items():
            make(group, key)
    return path


def small_dense():
    return Sequential([L.Input((4,)), L.Dense(3, name="dense")])


def test_well_formed_synthetic_file_loads(tmp_path):
    kernel = np.arange(12, dtype="float32").reshape(4, 3)
    path = keras3_file(
        tmp_path / "ok.weights.h5",
        {
            "0": lambda g, k: g.create_dataset(k, data=kernel, compression="gzip"),
            "1": lambda g, k: g.create_dataset(k, data=np.ones(3, "float64")),
        },
    )
    model = small_dense()
    model.load_weights(path)
    np.testing.assert_array_equal(model.get_weights()[0], kernel)
    np.testing.assert_array_equal(model.get_weights()[1], np.ones(3))


def test_absurd_dataset_shape_refused_before_reading(tmp_path):
    huge = (10**9, 10**9)
    path = keras3_file(
        tmp_path / "huge.weights.h5",
        {
            "0": lambda g, k: g.create_dataset(k, shape=huge, dtype="float32", chunks=(4, 3)),
            "1": lambda g, k: g.create_dataset(k, data=np.ones(3, "float32")),
        },
    )
    assert path.stat().st_size < 100_000  # the file claims 4 EB it does not hold
    model = small_dense()
    before = weights_of(model)
    with pytest.raises(ModelFileError) as info:
        model.load_weights(path)
    message = str(info.value)
    assert "layer 'dense'" in message and "(4, 3)" in message
    assert "(1000000000, 1000000000)" in message and str(path) in message
    assert_unchanged(model, before)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda g, k: g.create_dataset(k, data=np.array([b"abc"] * 3)), "not numbers"),
        (
            lambda g, k: g.create_dataset(
                k, data=np.array(["a", "b", "c"], dtype=object), dtype=h5py.string_dtype()
            ),
            "not numbers",
        ),
        (
            lambda g, k: g.create_dataset(k, data=np.zeros(3, [("a", "f4"), ("b", "f4")])),
            "not numbers",
        ),
        (lambda g, k: g.create_dataset(k, data=np.zeros(3, "complex64")), "not numbers"),
        (lambda g, k: g.create_group(k), "not a dataset"),
        (lambda g, k: g.create_dataset(k, data=h5py.Empty("f4")), "null"),
        (
            lambda g, k: g.create_dataset(
                k, shape=(3,), dtype="float32", maxshape=(None,), chunks=(2**22,)
            ),
            "chunks",
        ),
    ],
    ids=["bytes", "vlen-str", "compound", "complex", "group", "null", "huge-chunk"],
)
def test_non_numeric_or_odd_datasets_refused(tmp_path, make, match):
    kernel = np.ones((4, 3), "float32")
    path = keras3_file(
        tmp_path / "odd.weights.h5",
        {"0": lambda g, k: g.create_dataset(k, data=kernel), "1": make},
    )
    model = small_dense()
    before = weights_of(model)
    with pytest.raises(ModelFileError, match=match) as info:
        model.load_weights(path)
    assert str(path) in str(info.value)
    assert_unchanged(model, before)


def test_links_and_external_storage_refused(tmp_path):
    elsewhere = tmp_path / "elsewhere.h5"
    with h5py.File(elsewhere, "w") as f:
        f["kernel"] = np.ones((4, 3), "float32")
    raw = tmp_path / "raw.bin"
    np.ones(3, "float32").tofile(raw)

    def external_link(g, k):
        g[k] = h5py.ExternalLink(str(elsewhere), "/kernel")

    def soft_link(g, k):
        g.file["real"] = np.ones((4, 3), "float32")
        g[k] = h5py.SoftLink("/real")

    def external_storage(g, k):
        g.create_dataset(k, shape=(3,), dtype="float32", external=[(str(raw), 0, 12)])

    ones = {"1": lambda g, k: g.create_dataset(k, data=np.ones(3, "float32"))}
    kernel = {"0": lambda g, k: g.create_dataset(k, data=np.ones((4, 3), "float32"))}
    cases = [
        ({"0": external_link, **ones}, "ExternalLink"),
        ({"0": soft_link, **ones}, "SoftLink"),
        ({**kernel, "1": external_storage}, "outside this file"),
    ]
    for i, (arrays, match) in enumerate(cases):
        path = keras3_file(tmp_path / f"link{i}.weights.h5", arrays)
        model = small_dense()
        before = weights_of(model)
        with pytest.raises(ModelFileError, match=match):
            model.load_weights(path)
        assert_unchanged(model, before)


def test_huge_layer_names_attribute_refused(tmp_path, monkeypatch):
    path = tmp_path / "names.h5"
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = np.array([b"x"] * 50)
    monkeypatch.setattr(keras_h5.limits, "MAX_MEMBERS", 10)
    with pytest.raises(ModelFileError, match="lists 50 names"):
        small_dense().load_weights(path)


def test_keras2_style_legacy_file(tmp_path):
    """What Keras 2 wrote: byte-string attributes, ``:0`` weight names, ``layer_names`` split
    into chunks (``layer_names0``, ``layer_names1``) as Keras 2 did for long lists."""
    kernel = np.arange(12, dtype="float32").reshape(4, 3)
    path = tmp_path / "keras2.h5"
    with h5py.File(path, "w") as f:
        f.attrs["layer_names0"] = np.array([b"input_1"])
        f.attrs["layer_names1"] = np.array([b"dense_7"])
        f.create_group("input_1").attrs["weight_names"] = np.array([], dtype="S1")
        g = f.create_group("dense_7")
        g.attrs["weight_names"] = np.array([b"dense_7/kernel:0", b"dense_7/bias:0"])
        g["dense_7/kernel:0"] = kernel
        g["dense_7/bias:0"] = np.full(3, 2.0, "float32")
    model = small_dense()
    model.load_weights(path)
    np.testing.assert_array_equal(model.get_weights()[0], kernel)
    np.testing.assert_array_equal(model.get_weights()[1], np.full(3, 2.0))


def test_legacy_weight_name_escaping_the_group_refused(tmp_path):
    path = tmp_path / "escape.h5"
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = np.array([b"dense"])
        f["kernel"] = np.ones((4, 3), "float32")
        g = f.create_group("dense")
        g.attrs["weight_names"] = np.array([b"/kernel", b"../bias"])
    with pytest.raises(ModelFileError, match="plain relative"):
        small_dense().load_weights(path)


def write_keras_zip(path, members):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def test_keras_zip_with_garbage_weights(tmp_path):
    path = write_keras_zip(
        tmp_path / "bad.keras",
        {
            "metadata.json": json.dumps({"keras_version": "3.15.1"}),
            "config.json": "{}",
            "model.weights.h5": b"\x89HDF\r\n\x1a\n" + bytes(100),
        },
    )
    assert keras_h5.is_keras_archive(path)
    model = tutorial004()
    before = weights_of(model)
    with pytest.raises(ModelFileError, match="model.weights.h5: not a readable HDF5") as info:
        model.load_weights(path)
    assert str(path) in str(info.value)
    assert_unchanged(model, before)


def test_keras_zip_bomb_refused(tmp_path, monkeypatch):
    with zipfile.ZipFile(REF / "tutorial004.keras") as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    path = tmp_path / "deflated.keras"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    model = tutorial004()
    model.load_weights(path)  # a re-zipped (deflated) Keras file is fine
    assert max_difference(model, "tutorial004") < TOLERANCE
    monkeypatch.setattr(keras_h5.limits, "MAX_INFLATED_BYTES", 1000)
    with pytest.raises(ModelFileError, match="inflate"):
        keras_h5.load_keras_file(tutorial004(), path)


def edited_keras(tmp_path, name, edit):
    with zipfile.ZipFile(REF / f"{name}.keras") as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    config = json.loads(members["config.json"])
    edit(config)
    members["config.json"] = json.dumps(config)
    return write_keras_zip(tmp_path / f"edited_{name}.keras", members)


@pytest.mark.parametrize(
    "edit, match",
    [
        (
            lambda c: c["config"]["layers"][1].update(class_name="Lambda"),
            "Lambda 'conv2d': its function entry must be an object",
        ),
        (
            lambda c: c["config"]["layers"][1].update(module="evil.module"),
            "not one npconv rebuilds",
        ),
        (lambda c: c["config"]["layers"][1]["config"].update(groups=3), "groups=3"),
        (lambda c: c["config"]["layers"][1]["config"].update(activation={"x": 1}), "activation"),
        (lambda c: c.update(class_name="MyModel"), "'MyModel' is not rebuilt"),
    ],
    ids=["lambda", "module", "groups", "activation", "model-class"],
)
def test_load_keras_model_refuses_unknown_things(tmp_path, edit, match):
    path = edited_keras(tmp_path, "tutorial004", edit)
    with pytest.raises(ModelFileError, match=match) as info:
        keras_h5.load_keras_model(path)
    assert str(path) in str(info.value)


def test_in_memory_hdf5_from_bytes():
    """h5py opens the ``.keras`` member from memory: nothing is extracted to disk."""
    with zipfile.ZipFile(REF / "tutorial004.keras") as zf:
        data = zf.read("model.weights.h5")
    with h5py.File(io.BytesIO(data), "r") as f:
        assert "layers" in f


def test_damaged_global_heap_refused_before_libhdf5_reads_it(tmp_path):
    """A global heap object of size 0 made libhdf5 loop forever (found by fuzzing); the
    collection is now walked in Python first."""
    data = bytearray((REF / "tutorial004.h5").read_bytes())
    start = data.find(b"GCOL\x01\x00\x00\x00")
    first = start + 16  # the first object's header: index, references, reserved, size
    assert int.from_bytes(data[first : first + 2], "little") == 1
    data[first : first + 2] = (0).to_bytes(2, "little")  # a free-space object ...
    data[first + 8 : first + 16] = (0).to_bytes(8, "little")  # ... of size 0
    path = tmp_path / "loop.h5"
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="damaged HDF5 global heap") as info:
        tutorial004().load_weights(path)
    assert str(path) in str(info.value)
    data = bytearray((REF / "tutorial004.h5").read_bytes())
    data[start + 8 : start + 16] = (10**9).to_bytes(8, "little")  # past the end of the file
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="global heap"):
        tutorial004().load_weights(path)


FUZZ_CHILD = r"""
import json, os, sys, tempfile
from collections import Counter
import numpy as np
sys.path.insert(0, sys.argv[1])
import test_keras_h5 as T
from npconv.io import ModelFileError
count, seed = int(sys.argv[2]), int(sys.argv[3])
models = {name: build("fuzz") for name, build in T.BUILDERS.items()}
files = {case: (T.REF / (case[0] + case[1])).read_bytes() for case in T.CASES}
folder, outcomes = tempfile.mkdtemp(), Counter()
for i in range(count):
    rng = np.random.default_rng([seed, i])
    name, kind = T.CASES[i % len(T.CASES)]
    data = bytearray(files[(name, kind)])
    if rng.random() < 0.15:
        data = data[: rng.integers(0, len(data))]
    for _ in range(rng.integers(1, 20)):
        if data:
            data[rng.integers(0, len(data))] = rng.integers(0, 256)
    path = os.path.join(folder, "f" + kind)
    with open(path, "wb") as f:
        f.write(data)
    try:
        models[name].load_weights(path)
        outcomes["loaded"] += 1
    except ModelFileError:
        outcomes["ModelFileError"] += 1
    except Exception as e:
        outcomes[f"{type(e).__name__} ({name}{kind}, input {i})"] += 1
print(json.dumps(outcomes))
"""


def test_damaged_keras_files_fuzz():
    """Bytes flipped and files cut short, in every reference file: each load either succeeds
    or raises ModelFileError. Run in a child process, so that a libhdf5 crash or endless loop
    fails the test instead of taking pytest down. ``NPCONV_FUZZ_EXAMPLES`` (default 300) sets
    how many damaged files are tried; run with ``-s`` to see the outcomes."""
    import os
    import subprocess

    count = int(os.environ.get("NPCONV_FUZZ_EXAMPLES", "300"))
    here = str(pathlib.Path(__file__).parent)
    result = subprocess.run(
        [sys.executable, "-c", FUZZ_CHILD, here, str(count), "0"],
        capture_output=True,
        text=True,
        timeout=120 + count,
    )
    assert result.returncode == 0, f"libhdf5 crashed (rc {result.returncode}): {result.stderr}"
    outcomes = json.loads(result.stdout.strip().splitlines()[-1])
    print(f"\nKeras file fuzzing: {count} damaged files -> {outcomes}")
    assert set(outcomes) <= {"loaded", "ModelFileError"}, outcomes
    assert sum(outcomes.values()) == count
