"""Broken and hostile model files: each is refused with a ``ModelFileError`` that names the
file and the problem, and loading it has no side effect (no file created, nothing executed,
no memory spent on what the file merely claims)."""

import io
import json
import os
import pickle
import struct
import tracemalloc
import warnings
import zipfile

import numpy as np
import pytest

from npconv import layers as L
from npconv.io import ModelFileError, limits
from npconv.models import Model, Sequential, load_model


@pytest.fixture
def valid(tmp_path):
    """A compiled, trained model file (the starting point every attack edits)."""
    model = Sequential([L.Input((3,)), L.Dense(4, name="d"), L.Dense(2, name="out")])
    model.compile("adam", "mse")
    model.train_on_batch(np.ones((2, 3), "float32"), np.zeros((2, 2), "float32"))
    path = tmp_path / "good.keras"
    model.save(path)
    return path


def members(path):
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def write_zip(path, items, compression=zipfile.ZIP_STORED):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns on duplicate names
        with zipfile.ZipFile(path, "w", compression=compression) as zf:
            for name, data in items:
                info = zipfile.ZipInfo(name)
                info.compress_type = compression
                zf.writestr(info, data)
    return path


def edited(valid, name="bad.keras", replace=None, drop=(), add=()):
    """A copy of ``valid`` with members replaced, dropped or added."""
    items = [(n, (replace or {}).get(n, d)) for n, d in members(valid).items() if n not in drop]
    return write_zip(valid.parent / name, items + list(add))


def json_bytes(obj):
    return json.dumps(obj).encode()


def config_of(valid):
    return json.loads(members(valid)["config.json"])


def refused(path, match, load=load_model):
    """Loading ``path`` raises ModelFileError matching ``match``, naming the file, and leaves
    the folder as it was."""
    before = sorted(os.listdir(path.parent))
    with pytest.raises(ModelFileError, match=match) as info:
        load(path)
    assert str(path) in str(info.value)
    assert sorted(os.listdir(path.parent)) == before
    return info.value


def central_entry(raw, name):
    """Offset of ``name``'s central-directory header in the zip bytes ``raw``."""
    pos = raw.find(b"PK\x01\x02")
    while pos != -1:
        length = struct.unpack_from("<H", raw, pos + 28)[0]
        if raw[pos + 46 : pos + 46 + length] == name.encode():
            return pos
        pos = raw.find(b"PK\x01\x02", pos + 4)
    raise KeyError(name)


# ---------------------------------------------------------------------------------- not a zip
@pytest.mark.parametrize(
    "content", [b"", b"hello, I am a text file\n", bytes(range(256)) * 8, b"PK\x03\x04" + bytes(40)]
)
def test_not_a_zip(tmp_path, content):
    path = tmp_path / "x.keras"
    path.write_bytes(content)
    refused(path, "not a valid zip file")


@pytest.mark.parametrize("keep", [0.5, 0.9, 0.99])
def test_truncated(valid, keep):
    raw = valid.read_bytes()
    valid.write_bytes(raw[: int(len(raw) * keep)])
    refused(valid, "not a valid zip file|damaged|missing|past the end|does not fit")


def test_bad_crc(valid):
    raw = bytearray(valid.read_bytes())
    data = members(valid)["weights/00000.npy"]
    start = raw.find(data)
    raw[start + len(data) - 1] ^= 0xFF  # the last byte of the first kernel
    valid.write_bytes(bytes(raw))
    refused(valid, r"'weights/00000.npy' is damaged .*CRC")


def test_a_folder(tmp_path):
    refused_folder = tmp_path / "dir.keras"
    refused_folder.mkdir()
    with pytest.raises(ModelFileError, match="folder"):
        load_model(refused_folder)


# ---------------------------------------------------------------------------------- members
@pytest.mark.parametrize(
    "member",
    ["metadata.json", "config.json", "weights.json", "weights/00001.npy", "optimizer/00000.npy"],
)
def test_missing_member(valid, member):
    refused(edited(valid, drop=[member]), f"member '{member}' is missing")


def test_wrong_format_name_and_keras_files(valid):
    metadata = json.loads(members(valid)["metadata.json"])
    bad = edited(valid, replace={"metadata.json": json_bytes({**metadata, "format": "keras"})})
    refused(bad, "names the format 'keras'.*not an npconv model file")
    keras3 = write_zip(
        valid.parent / "keras3.keras",
        [("config.json", b"{}"), ("model.weights.h5", b"\x89HDF\r\n\x1a\n")],
    )
    # a real Keras 3 .keras goes to npconv.io.keras_h5, which refuses this empty config
    refused(keras3, "config.json: cannot rebuild the model: the model config has no 'config'")


def test_newer_format_version(valid):
    metadata = json.loads(members(valid)["metadata.json"])
    bad = edited(valid, replace={"metadata.json": json_bytes({**metadata, "format_version": 2})})
    refused(bad, "format_version 2.*reads format_version up to 1.*upgrade")


@pytest.mark.parametrize(
    "content, match",
    [
        (b"{not json", "config.json is not valid JSON"),
        (b"[1, 2]", "config.json must hold a JSON object"),
        (b"\xff\xfe{}", "config.json is not valid JSON"),
        (b"[" * 200_000, "config.json is not valid JSON"),
        (b'{"model": 7, "compile": null}', "cannot rebuild the model"),
        (b'{"model": {"class_name": "Sequential", "config": {"layers": 5}}}', "must be a list"),
    ],
)
def test_bad_json(valid, content, match):
    refused(edited(valid, replace={"config.json": content}), match)


def test_pickle_payload_is_refused_without_running_it(valid, tmp_path):
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    buffer = io.BytesIO()
    np.save(buffer, np.array([Payload()], dtype=object), allow_pickle=True)
    # the payload is live: unpickling it would create the marker
    np.load(io.BytesIO(buffer.getvalue()), allow_pickle=True)
    assert marker.exists()
    marker.unlink()
    bad = edited(valid, replace={"weights/00000.npy": buffer.getvalue()})
    refused(bad, "'weights/00000.npy' holds Python objects \\(a pickle\\)")
    assert not marker.exists()
    # a raw pickle in place of an array is not an array either
    raw = edited(valid, "raw.keras", replace={"weights/00000.npy": pickle.dumps(Payload())})
    refused(raw, "not a valid .npy array")
    assert not marker.exists()


@pytest.mark.parametrize("name", ["../evil.txt", "/etc/evil.txt", "weights/../../evil.npy"])
def test_member_names_escaping_the_folder(valid, name):
    bad = edited(valid, add=[(name, b"x")])
    refused(bad, "not a plain relative path")
    assert not os.path.exists(valid.parent.parent / "evil.txt")


def test_duplicate_member(valid):
    refused(edited(valid, add=[("config.json", b"{}")]), "'config.json' appears twice")


def test_encrypted_or_odd_compression(valid):
    raw = bytearray(valid.read_bytes())
    pos = central_entry(raw, "weights.json")
    raw[pos + 8] |= 0x1
    valid.write_bytes(bytes(raw))
    refused(valid, "encrypted")
    odd = write_zip(
        valid.parent / "bz.keras", [("metadata.json", b"{}")], compression=zipfile.ZIP_BZIP2
    )
    refused(odd, "compression method 12")


# ---------------------------------------------------------------------------------- sizes
def npy_header(shape, descr="<f4"):
    f = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        f, {"descr": descr, "fortran_order": False, "shape": shape}
    )
    return f.getvalue()


def traced_peak(fn):
    """The peak of Python-traced memory while ``fn()`` runs."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_array_header_claiming_1e12_elements_costs_nothing(valid):
    bad = edited(valid, replace={"weights/00000.npy": npy_header((10**12,)) + bytes(48)})
    peak = traced_peak(lambda: refused(
        bad, r"header says shape \(1000000000000,\) of float32 \(4000000000000 bytes\)"))
    assert peak < 20 * 2**20


def test_array_member_longer_or_shorter_than_its_header(valid):
    good = members(valid)["weights/00000.npy"]
    refused(edited(valid, replace={"weights/00000.npy": good + b"\0" * 4}), "holds 52 bytes")
    refused(edited(valid, "b.keras", replace={"weights/00000.npy": good[:-4]}), "holds 44 bytes")


def test_non_numeric_arrays(valid):
    buffer = io.BytesIO()
    np.save(buffer, np.array(["abc", "def"]))
    refused(edited(valid, replace={"weights/00000.npy": buffer.getvalue()}), "only numbers")


def test_manifest_disagreeing_with_the_array(valid):
    manifest = json.loads(members(valid)["weights.json"])
    manifest["weights"][0]["shape"] = [4, 3]
    bad = edited(valid, replace={"weights.json": json_bytes(manifest)})
    refused(bad, r"holds shape \(3, 4\) <f4, weights.json says \[4, 3\]")


def test_zip_bomb_is_capped(valid, monkeypatch):
    zeros = io.BytesIO()
    np.save(zeros, np.zeros(200_000, "float32"))
    bomb = write_zip(
        valid.parent / "bomb.keras",
        list(members(valid).items())[:3] + [("weights/00000.npy", zeros.getvalue())],
        compression=zipfile.ZIP_DEFLATED,
    )
    monkeypatch.setattr(limits, "MAX_INFLATED_BYTES", 100_000)
    refused(bomb, "would inflate to .*MAX_INFLATED_BYTES")


def test_declared_sizes_that_lie(valid):
    deflated = write_zip(
        valid.parent / "lie.keras", list(members(valid).items()), zipfile.ZIP_DEFLATED
    )
    raw = bytearray(deflated.read_bytes())
    struct.pack_into("<I", raw, central_entry(raw, "config.json") + 24, 0xFFFFFFF0)
    deflated.write_bytes(bytes(raw))
    refused(deflated, "claims 4294967280 bytes from .* compressed ones")
    raw = bytearray(valid.read_bytes())
    pos = central_entry(raw, "weights/00000.npy")
    struct.pack_into("<II", raw, pos + 20, 0x7FFFFFFF, 0x7FFFFFFF)
    valid.write_bytes(bytes(raw))
    refused(valid, "past the end of the file")


def test_total_size_cap(valid, monkeypatch):
    monkeypatch.setattr(limits, "MAX_TOTAL_BYTES", 1000)
    refused(valid, "members total .*MAX_TOTAL_BYTES")


# ---------------------------------------------------------------------------------- the model
def with_config(valid, edit, name="bad.keras"):
    config = config_of(valid)
    edit(config)
    return edited(valid, name, replace={"config.json": json_bytes(config)})


def first_dense(config):
    return config["model"]["config"]["layers"][0]["config"]


def test_weights_not_fitting_the_rebuilt_model(valid):
    bad = with_config(valid, lambda c: first_dense(c).update(units=3))
    refused(bad, r"layer 'd': weight 'd/kernel' is \(3, 3\) float32 in the model, .*\(3, 4\)")


def test_absurd_architecture_is_refused_before_allocating(valid):
    bad = with_config(valid, lambda c: first_dense(c).update(units=10**9))
    peak = traced_peak(
        lambda: refused(bad, r"'d' would create a weight of shape \(3, 1000000000\)"))
    assert peak < 20 * 2**20


def test_unknown_classes_ask_for_custom_objects(valid):
    def rename(config):
        config["model"]["config"]["layers"][0]["class_name"] = "Danse"

    refused(with_config(valid, rename), "Unknown layer class 'Danse': pass it in custom_objects")

    def loss(config):
        config["compile"]["loss"][0]["class_name"] = "MyLoss"

    refused(with_config(valid, loss, "l.keras"), "unknown loss class 'MyLoss'.*custom_objects")

    def optimizer(config):
        config["compile"]["optimizer"]["class_name"] = "Turbo"

    refused(with_config(valid, optimizer, "o.keras"), "Unknown optimizer: 'Turbo'")


def test_unknown_function_names_are_never_imported(valid):
    def fn(config):
        config["compile"]["loss"][0] = {"class_name": "function", "function": "system"}

    refused(with_config(valid, fn), "unknown loss function 'system'.*custom_objects")

    def act(config):
        first_dense(config)["activation"] = "os.system"

    refused(with_config(valid, act, "a.keras"), "Unknown activation 'os.system'")


def test_broken_functional_graphs(tmp_path):
    x = L.Input((3,))
    model = Model(x, L.Dense(2)(L.Dense(4)(x)))
    path = tmp_path / "f.keras"
    model.save(path)
    cases = {
        "loop": lambda g: g["nodes"][1].update(inputs=[2]),
        "negative": lambda g: g["nodes"][1].update(inputs=[-1]),
        "layer": lambda g: g["nodes"][1].update(layer=99),
        "output": lambda g: g.update(outputs=[7]),
        "kwargs": lambda g: g["nodes"][1].update(kwargs={"surprise": 1}),
    }
    for name, edit in cases.items():
        bad = with_config(path, lambda c, edit=edit: edit(c["model"]["config"]), f"{name}.keras")
        refused(bad, "cannot rebuild the model")


def test_hostile_weights_file_leaves_the_model_untouched(valid):
    model = Sequential([L.Input((3,)), L.Dense(4, name="d"), L.Dense(2, name="out")])
    before = model.get_weights()
    raw = bytearray(valid.read_bytes())
    data = members(valid)["weights/00003.npy"]
    start = raw.find(data)
    raw[start + len(data) - 1] ^= 0xFF
    valid.write_bytes(bytes(raw))
    refused(valid, "CRC", load=model.load_weights)
    for u, v in zip(before, model.get_weights()):
        np.testing.assert_array_equal(u, v)
