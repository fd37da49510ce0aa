"""``npconv train --dataset FOLDER``: a folder of class sub-folders of real digit PNGs."""

import json

import numpy as np
import pytest

from npconv.cli import main
from npconv.cli.data import load
from npconv.datasets import digits

pil = pytest.importorskip("PIL.Image")
NAMES = ["one", "seven", "zero"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """60 real digits of each of three classes, as grey PNGs in class sub-folders."""
    (x, y), _ = digits.load_data()
    root = tmp_path_factory.mktemp("digits_folder")
    for name, digit in zip(NAMES, (1, 7, 0)):
        (root / name).mkdir()
        for k, image in enumerate(x[y == digit][:60]):
            pil.fromarray(image).save(root / name / f"{k:03d}.png")
    return root


def test_folder_loads_as_arrays(folder):
    data = load(str(folder))
    assert data.class_names == NAMES and data.input_shape == (28, 28, 1)
    assert len(data.x_train) == 144 and len(data.x_test) == 36  # a fifth held out
    assert data.x_train.dtype == np.float32 and 0 <= data.x_train.min() < data.x_train.max() <= 1
    assert sorted(set(data.y_test.tolist())) == [0, 1, 2]
    again = load(str(folder))
    np.testing.assert_array_equal(again.y_test, data.y_test)  # the same split every run


def test_train_on_a_folder(folder, tmp_path):
    code = main(["train", "--model", "mnist_simple", "--dataset", str(folder), "--epochs", "3",
                 "--batch-size", "16", "--out", str(tmp_path), "--seed", "0"])
    assert code == 0
    (run,) = tmp_path.iterdir()
    report = json.loads((run / "report.json").read_text())
    assert report["class_names"] == NAMES
    assert report["test"]["accuracy"] > 0.8  # 1 vs 7 vs 0: chance is 1/3


def test_train_and_test_sub_folders(folder, tmp_path):
    for part, keep in (("train", slice(0, 48)), ("test", slice(48, 60))):
        for name in NAMES:
            (tmp_path / part / name).mkdir(parents=True)
            for f in sorted((folder / name).iterdir())[keep]:
                (tmp_path / part / name / f.name).write_bytes(f.read_bytes())
    data = load(str(tmp_path))
    assert len(data.x_train) == 144 and len(data.x_test) == 36
    assert data.class_names == NAMES
