"""The loaders on small files in the real formats: search order, layouts, Keras's dtypes and
shapes, format checks that name the bad file, and the restricted unpickler."""

from __future__ import annotations

import codecs
import gzip
import io
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest

from npconv import backend
from npconv.datasets import (
    DatasetFormatError,
    DatasetNotFoundError,
    UnsafePickleError,
    _formats,
    _sources,
    cifar10,
    cifar100,
    describe,
    fashion_mnist,
    mnist,
)


def assert_split_equal(got, want):
    for (gx, gy), (wx, wy) in zip(got, want):
        assert gx.dtype == np.uint8 and gy.dtype == np.uint8
        np.testing.assert_array_equal(gx, wx)
        np.testing.assert_array_equal(gy, wy)


# --------------------------------------------------------------------------------------- MNIST


def test_mnist_npz_from_npconv_data(tmp_path, monkeypatch, files):
    data = files.mnist_like()
    files.write_npz(tmp_path / "data" / "mnist.npz", data)
    monkeypatch.setenv("NPCONV_DATA", str(tmp_path / "data"))
    (x_train, y_train), (x_test, y_test) = result = mnist.load_data()
    assert x_train.shape == (12, 28, 28) and y_train.shape == (12,)
    assert x_test.shape == (5, 28, 28) and y_test.shape == (5,)
    assert_split_equal(result, data)


@pytest.mark.parametrize("gz", [True, False])
@pytest.mark.parametrize("subdir", ["mnist", os.path.join("MNIST", "raw")])
def test_mnist_from_idx_files(tmp_path, monkeypatch, files, gz, subdir):
    data = files.mnist_like(seed=3)
    files.write_idx_set(tmp_path / "data" / subdir, data, gz=gz)
    monkeypatch.setenv("NPCONV_DATA", str(tmp_path / "data"))
    assert_split_equal(mnist.load_data(), data)


def test_search_order_npconv_data_then_npconv_cache_then_keras_cache(tmp_path, monkeypatch, files):
    sets = [files.mnist_like(seed=s) for s in range(3)]
    paths = [
        files.write_npz(tmp_path / "data" / "mnist.npz", sets[0]),
        files.write_npz(tmp_path / "nphome" / "datasets" / "mnist.npz", sets[1]),
        files.write_npz(tmp_path / "kerashome" / "datasets" / "mnist.npz", sets[2]),
    ]
    monkeypatch.setenv("NPCONV_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("NPCONV_HOME", str(tmp_path / "nphome"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "kerashome"))
    for path, data in zip(paths, sets):
        assert_split_equal(mnist.load_data(), data)
        os.unlink(path)
    with pytest.raises(DatasetNotFoundError):
        mnist.load_data()


def test_default_caches_under_home(clean_env, files):
    keras = files.mnist_like(seed=7)
    files.write_npz(clean_env / ".keras" / "datasets" / "mnist.npz", keras)
    assert_split_equal(mnist.load_data(), keras)
    mine = files.mnist_like(seed=8)
    files.write_npz(clean_env / ".npconv" / "datasets" / "mnist.npz", mine)
    assert_split_equal(mnist.load_data(), mine)


def test_mnist_path_argument(tmp_path, monkeypatch, files):
    data = files.mnist_like(seed=4)
    files.write_npz(tmp_path / "data" / "other.npz", data)
    monkeypatch.setenv("NPCONV_DATA", str(tmp_path / "data"))
    assert_split_equal(mnist.load_data(path="other.npz"), data)
    explicit = files.write_npz(tmp_path / "elsewhere" / "m.npz", data)
    assert_split_equal(mnist.load_data(path=explicit), data)


def test_search_several_npconv_data_folders(tmp_path, monkeypatch, files):
    data = files.mnist_like(seed=5)
    files.write_npz(tmp_path / "second" / "mnist.npz", data)
    folders = os.pathsep.join([str(tmp_path / "first"), str(tmp_path / "second")])
    monkeypatch.setenv("NPCONV_DATA", folders)
    assert_split_equal(mnist.load_data(), data)


# ------------------------------------------------------------------------------ Fashion-MNIST


def test_fashion_mnist_keras_layout(tmp_path, monkeypatch, files):
    data = files.mnist_like(seed=11)
    files.write_idx_set(tmp_path / "kh" / "datasets" / "fashion-mnist", data)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "kh"))
    assert_split_equal(fashion_mnist.load_data(), data)


def test_fashion_mnist_system_folder_comes_after_user_folders(tmp_path, monkeypatch, files):
    system, mine = files.mnist_like(seed=1), files.mnist_like(seed=2)
    files.write_idx_set(tmp_path / "debian", system)
    monkeypatch.setattr(_sources, "DEBIAN_FASHION_MNIST", str(tmp_path / "debian"))
    assert_split_equal(fashion_mnist.load_data(), system)
    files.write_idx_set(tmp_path / "data" / "fashion-mnist", mine)
    monkeypatch.setenv("NPCONV_DATA", str(tmp_path / "data"))
    assert_split_equal(fashion_mnist.load_data(), mine)


DEBIAN = "/usr/share/datasets/fashion-mnist"


@pytest.mark.skipif(
    not os.path.isfile(os.path.join(DEBIAN, "train-images-idx3-ubyte.gz")),
    reason="Debian package dataset-fashion-mnist not installed "
    "(apt-get install dataset-fashion-mnist)",
)
def test_fashion_mnist_from_debian_package(monkeypatch):
    monkeypatch.setattr(_sources, "DEBIAN_FASHION_MNIST", DEBIAN)
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
    assert x_train.shape == (60000, 28, 28) and x_train.dtype == np.uint8
    assert y_train.shape == (60000,) and y_train.dtype == np.uint8
    assert x_test.shape == (10000, 28, 28) and y_test.shape == (10000,)
    assert np.bincount(y_train).tolist() == [6000] * 10
    assert np.bincount(y_test).tolist() == [1000] * 10
    assert 60 < x_train.mean() < 85  # Fashion-MNIST's mean pixel is about 72.9
    status = {s.name: s for s in describe()}["fashion_mnist"]
    assert status.available and status.source == "Debian package dataset-fashion-mnist"


# -------------------------------------------------------------------------------------- CIFAR


def expected_cifar(batches, names, label_key, channels_last=True):
    x = np.concatenate([batches[n][b"data"] for n in names]).reshape(-1, 3, 32, 32)
    y = np.concatenate([batches[n][label_key.encode()] for n in names]).reshape(-1, 1)
    return (x.transpose(0, 2, 3, 1) if channels_last else x), y


def check_cifar10(result, batches, channels_last=True):
    (x_train, y_train), (x_test, y_test) = result
    train_names = [f"data_batch_{i}" for i in range(1, 6)]
    train = expected_cifar(batches, train_names, "labels", channels_last)
    test = expected_cifar(batches, ["test_batch"], "labels", channels_last)
    for (gx, gy), (wx, wy) in (((x_train, y_train), train), ((x_test, y_test), test)):
        assert gx.dtype == np.uint8 and gy.dtype == np.uint8
        assert gy.ndim == 2 and gy.shape[1] == 1
        np.testing.assert_array_equal(gx, wx)
        np.testing.assert_array_equal(gy, wy)
    assert x_train.shape == ((15, 32, 32, 3) if channels_last else (15, 3, 32, 32))
    assert x_test.shape[0] == 4


def test_cifar10_from_extracted_folder(tmp_path, monkeypatch, files):
    batches = files.cifar10_batches()
    folder = tmp_path / "data" / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    for name, batch in batches.items():
        (folder / name).write_bytes(files.cifar_pickle(batch))
    monkeypatch.setenv("NPCONV_DATA", str(tmp_path / "data"))
    result = cifar10.load_data()
    check_cifar10(result, batches)
    # pixel layout: x[i, row, col, channel] == data[i, channel * 1024 + row * 32 + col]
    x = result[0][0]
    assert x[1, 2, 3, 2] == batches["data_batch_1"][b"data"][1, 2 * 1024 + 2 * 32 + 3]


def test_cifar10_channels_first(tmp_path, monkeypatch, files):
    batches = files.cifar10_batches()
    members = {f"cifar-10-batches-py/{n}": files.cifar_pickle(b) for n, b in batches.items()}
    files.write_tar(tmp_path / "data" / "cifar-10-python.tar.gz", members)
    monkeypatch.setenv("NPCONV_DATA", str(tmp_path / "data"))
    monkeypatch.setattr(backend, "_IMAGE_DATA_FORMAT", "channels_first")
    check_cifar10(cifar10.load_data(), batches, channels_last=False)


@pytest.mark.parametrize(
    "root, name",
    [
        ("nphome/datasets", "cifar-10-python.tar.gz"),  # the canonical archive
        ("kerashome/datasets", "cifar-10-batches-py.tar.gz"),  # Keras 2's cache name
        ("kerashome/datasets", "cifar-10-batches-py-target_archive"),  # Keras 3's
    ],
)
def test_cifar10_read_from_archive_without_extracting(tmp_path, monkeypatch, files, root, name):
    batches = files.cifar10_batches()
    members = {"cifar-10-batches-py/readme.html": b"<html></html>"}
    members.update({f"cifar-10-batches-py/{n}": files.cifar_pickle(b) for n, b in batches.items()})
    archive = files.write_tar(tmp_path / root / name, members)
    monkeypatch.setenv("NPCONV_HOME", str(tmp_path / "nphome"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "kerashome"))
    before = sorted(os.listdir(os.path.dirname(archive)))
    check_cifar10(cifar10.load_data(), batches)
    assert sorted(os.listdir(os.path.dirname(archive))) == before  # nothing extracted


def test_cifar10_keras3_extracted_folder(tmp_path, monkeypatch, files):
    batches = files.cifar10_batches()
    folder = tmp_path / "kh" / "datasets" / "cifar-10-batches-py-target" / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    for name, batch in batches.items():
        (folder / name).write_bytes(files.py2_pickle(batch))  # as the real, Python 2 files
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "kh"))
    check_cifar10(cifar10.load_data(), batches)


@pytest.mark.parametrize("label_mode", ["fine", "coarse"])
def test_cifar100(tmp_path, monkeypatch, files, label_mode):
    batches = files.cifar100_batches()
    members = {f"cifar-100-python/{n}": files.py2_pickle(b) for n, b in batches.items()}
    files.write_tar(tmp_path / "data" / "cifar-100-python.tar.gz", members)
    monkeypatch.setenv("NPCONV_DATA", str(tmp_path / "data"))
    (x_train, y_train), (x_test, y_test) = cifar100.load_data(label_mode=label_mode)
    assert x_train.shape == (4, 32, 32, 3) and x_train.dtype == np.uint8
    assert x_test.shape == (3, 32, 32, 3)
    assert y_train.shape == (4, 1) and y_test.shape == (3, 1)
    assert y_train.dtype == np.int64  # Keras's dtype for CIFAR-100 labels
    want_x, want_y = expected_cifar(batches, ["train"], f"{label_mode}_labels")
    np.testing.assert_array_equal(x_train, want_x)
    np.testing.assert_array_equal(y_train, want_y)


def test_cifar100_label_mode_checked():
    with pytest.raises(ValueError, match="label_mode"):
        cifar100.load_data(label_mode="medium")


# ----------------------------------------------------------------------- restricted unpickler


class _System:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


class _Open:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


class _Rot13:
    def __reduce__(self):
        return (codecs.encode, ("abc", "rot13"))


@pytest.mark.parametrize("gadget", [_System, _Open])
@pytest.mark.parametrize("container", ["folder", "archive"])
def test_malicious_cifar_batch_refused(tmp_path, monkeypatch, files, gadget, container):
    marker = tmp_path / "pwned"
    batches = files.cifar10_batches()
    batches["data_batch_2"][b"labels"] = gadget(str(marker))
    monkeypatch.setenv("NPCONV_DATA", str(tmp_path / "data"))
    if container == "folder":
        folder = tmp_path / "data" / "cifar-10-batches-py"
        folder.mkdir(parents=True)
        for name, batch in batches.items():
            (folder / name).write_bytes(files.cifar_pickle(batch))
        bad = str(folder / "data_batch_2")
    else:
        members = {f"cifar-10-batches-py/{n}": files.cifar_pickle(b) for n, b in batches.items()}
        files.write_tar(tmp_path / "data" / "cifar-10-python.tar.gz", members)
        bad = "cifar-10-batches-py/data_batch_2"
    with pytest.raises(UnsafePickleError) as excinfo:
        cifar10.load_data()
    message = str(excinfo.value)
    assert bad in message and "refused" in message
    assert ("system" in message) if gadget is _System else ("open" in message)
    assert not marker.exists()


def test_unpickler_admits_numpy1_names_and_refuses_other_codecs():
    array = np.arange(12, dtype=np.uint8).reshape(3, 4)
    data = pickle.dumps({b"data": array}, protocol=2)
    old = data.replace(b"numpy._core.multiarray", b"numpy.core.multiarray")
    assert old != data
    for payload in (data, old):
        got = _formats.RestrictedUnpickler(io.BytesIO(payload), "x").load()
        np.testing.assert_array_equal(got[b"data"], array)
    # _codecs.encode is admitted only as encode(str, 'latin1')
    rot = pickle.dumps(_Rot13(), protocol=2)
    assert b"_codecs" in rot
    with pytest.raises(pickle.UnpicklingError, match="latin1"):
        _formats.RestrictedUnpickler(io.BytesIO(rot), "x").load()
    evil = b"\x80\x02csubprocess\nPopen\nq\x00."
    with pytest.raises(UnsafePickleError, match="evil.pkl.*subprocess.Popen"):
        _formats.RestrictedUnpickler(io.BytesIO(evil), "evil.pkl").load()


# --------------------------------------------------------------------------- bad local files


def _fashion_folder(tmp_path, monkeypatch, files):
    folder = tmp_path / "data" / "fashion-mnist"
    paths = files.write_idx_set(folder, files.mnist_like())
    monkeypatch.setenv("NPCONV_DATA", str(tmp_path / "data"))
    return paths


def test_bad_magic_reported_by_name(tmp_path, monkeypatch, files):
    paths = _fashion_folder(tmp_path, monkeypatch, files)
    with open(paths[0], "wb") as f:
        f.write(gzip.compress(b"\x00\x00\x08\x02" + b"\x00" * 64))  # 2 dimensions, not 3
    with pytest.raises(DatasetFormatError, match="2 dimensions") as excinfo:
        fashion_mnist.load_data()
    assert excinfo.value.path == paths[0] and paths[0] in str(excinfo.value)
    with open(paths[0], "wb") as f:
        f.write(b"PK\x03\x04 definitely not IDX")
    with pytest.raises(DatasetFormatError, match="not an IDX file") as excinfo:
        fashion_mnist.load_data()
    assert paths[0] in str(excinfo.value)


def test_truncated_gzip_reported_by_name(tmp_path, monkeypatch, files):
    paths = _fashion_folder(tmp_path, monkeypatch, files)
    raw = open(paths[2], "rb").read()
    with open(paths[2], "wb") as f:
        f.write(raw[: len(raw) // 2])
    with pytest.raises(DatasetFormatError) as excinfo:
        fashion_mnist.load_data()
    assert excinfo.value.path == paths[2]


def test_truncated_and_overlong_idx_reported(tmp_path, monkeypatch, files):
    folder = tmp_path / "data" / "mnist"
    paths = files.write_idx_set(folder, files.mnist_like(), gz=False)
    monkeypatch.setenv("NPCONV_DATA", str(tmp_path / "data"))
    raw = open(paths[0], "rb").read()
    with open(paths[0], "wb") as f:
        f.write(raw[:-100])
    with pytest.raises(DatasetFormatError, match="truncated") as excinfo:
        mnist.load_data()
    assert excinfo.value.path == paths[0]
    with open(paths[0], "wb") as f:
        f.write(raw + b"\x00")
    with pytest.raises(DatasetFormatError, match="continues after"):
        mnist.load_data()


def test_mismatched_counts_and_labels(tmp_path, monkeypatch, files):
    paths = _fashion_folder(tmp_path, monkeypatch, files)
    files.write_idx(paths[1], np.zeros(11, np.uint8))  # 11 labels for 12 images
    with pytest.raises(DatasetFormatError, match="11 labels for 12 images") as excinfo:
        fashion_mnist.load_data()
    assert excinfo.value.path == paths[1]
    files.write_idx(paths[1], np.full(12, 10, np.uint8))
    with pytest.raises(DatasetFormatError, match="out of range"):
        fashion_mnist.load_data()
    files.write_idx(paths[0], np.zeros((12, 27, 28), np.uint8))
    with pytest.raises(DatasetFormatError, match="shape"):
        fashion_mnist.load_data()


def test_bad_npz_reported_by_name(tmp_path, monkeypatch, files):
    path = tmp_path / "data" / "mnist.npz"
    path.parent.mkdir()
    monkeypatch.setenv("NPCONV_DATA", str(tmp_path / "data"))
    path.write_bytes(b"this is not a zip file at all")
    with pytest.raises(DatasetFormatError) as excinfo:
        mnist.load_data()
    assert str(path) in str(excinfo.value)
    good = files.write_npz(tmp_path / "good.npz", files.mnist_like())
    path.write_bytes(open(good, "rb").read()[:-200])  # truncated zip
    with pytest.raises(DatasetFormatError, match=str(path)):
        mnist.load_data()
    with open(path, "wb") as f:
        np.savez(f, x_train=np.zeros((2, 28, 28), np.uint8))
    with pytest.raises(DatasetFormatError, match="lacks y_train"):
        mnist.load_data()


def test_bad_cifar_archives_reported_by_name(tmp_path, monkeypatch, files):
    batches = files.cifar10_batches()
    members = {f"cifar-10-batches-py/{n}": files.cifar_pickle(b) for n, b in batches.items()}
    archive = tmp_path / "data" / "cifar-10-python.tar.gz"
    files.write_tar(archive, members)
    monkeypatch.setenv("NPCONV_DATA", str(tmp_path / "data"))
    raw = archive.read_bytes()
    archive.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(DatasetFormatError, match=str(archive)):
        cifar10.load_data()
    del members["cifar-10-batches-py/data_batch_4"]
    files.write_tar(archive, members)
    with pytest.raises(DatasetFormatError, match="lacks cifar-10-batches-py/data_batch_4"):
        cifar10.load_data()
    members["cifar-10-batches-py/data_batch_4"] = files.cifar_pickle({b"data": b"nope"})
    files.write_tar(archive, members)
    with pytest.raises(DatasetFormatError, match="data_batch_4.*'data'"):
        cifar10.load_data()


# ------------------------------------------------------------------------- not found, describe


def test_nothing_found_offline_says_where_and_how(monkeypatch, clean_env):
    monkeypatch.setenv("NPCONV_OFFLINE", "1")
    with pytest.raises(DatasetNotFoundError) as excinfo:
        mnist.load_data()
    err = excinfo.value
    assert isinstance(err, FileNotFoundError) and isinstance(err, OSError)
    message = str(err)
    assert "$NPCONV_DATA (not set)" in message
    assert os.path.join(str(clean_env), ".npconv", "datasets", "mnist.npz") in message
    assert os.path.join(str(clean_env), ".keras", "datasets", "mnist.npz") in message
    assert "NPCONV_OFFLINE" in message and "mnist.npz" in message
    assert "NPCONV_DATASETS_URL" in message
    assert err.searched and err.dataset == "mnist"


def test_nothing_found_unreachable_host(clean_env):
    with pytest.raises(DatasetNotFoundError) as excinfo:
        fashion_mnist.load_data()
    message = str(excinfo.value)
    assert "Could not download http://127.0.0.1:" in message
    assert "apt-get install dataset-fashion-mnist" in message
    assert "Debian package dataset-fashion-mnist" in message
    assert not os.path.exists(os.path.join(str(clean_env), ".npconv", "datasets", "fashion-mnist",
                                           "train-images-idx3-ubyte.gz"))  # fmt: skip


def test_incomplete_folder_named_in_error(tmp_path, monkeypatch, files):
    paths = _fashion_folder(tmp_path, monkeypatch, files)
    os.unlink(paths[3])
    monkeypatch.setenv("NPCONV_OFFLINE", "1")
    with pytest.raises(DatasetNotFoundError, match="incomplete: no t10k-labels-idx1-ubyte.gz"):
        fashion_mnist.load_data()


def test_describe(tmp_path, monkeypatch, files):
    files.write_npz(tmp_path / "data" / "mnist.npz", files.mnist_like())
    monkeypatch.setenv("NPCONV_DATA", str(tmp_path / "data"))
    statuses = describe()
    assert [s.name for s in statuses] == ["digits", "mnist", "fashion_mnist", "cifar10", "cifar100",
                                          "imdb", "reuters"]
    by_name = {s.name: s for s in statuses}
    assert by_name["digits"].available and by_name["digits"].source == "bundled"
    assert by_name["mnist"].available and by_name["mnist"].source == "$NPCONV_DATA"
    assert by_name["mnist"].location == str(tmp_path / "data" / "mnist.npz")
    cifar = by_name["cifar10"]
    assert not cifar.available and "cifar-10-python.tar.gz" in cifar.detail
    assert any("Keras cache" in line for line in cifar.searched)
    assert "not found" in str(cifar) and "mnist.npz" in str(by_name["mnist"])
    monkeypatch.setenv("NPCONV_OFFLINE", "1")
    assert "disabled" in {s.name: s for s in describe()}["cifar100"].detail


def test_import_cost_stays_lazy():
    code = (
        "import sys, npconv; assert 'npconv.datasets' not in sys.modules;"
        "import npconv.datasets.mnist, npconv.datasets.cifar10, npconv.datasets.fashion_mnist;"
        "heavy = [m for m in ('http.client', 'urllib.request', 'tarfile', 'ssl') "
        "if m in sys.modules]; assert not heavy, heavy"
    )
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root, timeout=60)
