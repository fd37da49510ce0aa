"""The data the example programs read: the bundled real digits saved as Keras's
``mnist.npz``, a small CIFAR-10 archive in the real format, and a folder of class
sub-folders of PNG digits, all under ``$NPCONV_DATA`` (the current directory too)."""

import io
import pickle
import tarfile

import numpy as np
import pytest

import npconv
from npconv.datasets import digits


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("NPCONV_DATA", str(tmp_path))
    monkeypatch.setenv("NPCONV_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("NPCONV_OFFLINE", "1")
    monkeypatch.chdir(tmp_path)
    npconv.utils.set_random_seed(0)  # the programs do not seed; the thresholds below assume it
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    n_train, n_test = 1200, 300
    np.savez(tmp_path / "mnist.npz", x_train=x_train[:n_train], y_train=y_train[:n_train],
             x_test=x_test[:n_test], y_test=y_test[:n_test])
    rng = np.random.default_rng(0)
    with tarfile.open(tmp_path / "cifar-10-python.tar.gz", "w:gz") as tar:
        for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
            batch = {b"data": rng.integers(0, 256, (40, 3072), dtype=np.uint8),
                     b"labels": [int(v) for v in rng.integers(0, 10, 40)]}
            blob = pickle.dumps(batch, protocol=2)
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    write_image_folder(tmp_path / "images", x_train[:160], y_train[:160])
    (xi_train, yi_train), (xi_test, yi_test) = imdb_like()
    np.savez(tmp_path / "imdb.npz", x_train=xi_train, y_train=yi_train, x_test=xi_test,
             y_test=yi_test)  # object arrays of lists: pickled, as in Keras's own file
    return {"n_train": n_train, "n_test": n_test, "imdb": (len(xi_train), len(xi_test))}


def imdb_like(n_train=480, n_test=80, seed=0):
    """Reviews in Keras's ``imdb.npz`` format (1-D object arrays of lists of word ranks, int64
    labels): 20 to 80 words drawn from a common vocabulary, a third of them replaced by words
    30-39 in positive reviews and 60-69 in negative ones, so that a convolution can learn the
    sentiment in an epoch or two."""
    rng = np.random.default_rng(seed)

    def split(n):
        labels = rng.integers(0, 2, n)
        reviews = np.empty(n, dtype=object)
        for i, label in enumerate(labels):
            words = rng.integers(90, 6000, rng.integers(20, 80))
            k = len(words) // 3
            marks = rng.integers(30, 40, k) + (0 if label else 30)
            words[rng.choice(len(words), k, replace=False)] = marks
            reviews[i] = [int(w) for w in words]
        return reviews, labels.astype(np.int64)

    return split(n_train), split(n_test)


def write_image_folder(root, images, labels):
    """Digits below 5 under ``root/low``, the others under ``root/high``, as RGB PNGs."""
    try:
        from PIL import Image
    except ImportError:
        return
    for i, (image, label) in enumerate(zip(images, labels)):
        folder = root / ("low" if label < 5 else "high")
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.stack([image] * 3, axis=-1)).save(folder / f"{i:04d}.png")



