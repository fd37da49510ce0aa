"""Data for the command line: load a data set by name, from an ``.npz`` or from a folder of
class sub-folders of images, and shape it for a CNN.

Images become float32 in [0, 1] with a channels axis (``(N, rows, cols, channels)``); labels
stay integer class indices (``(N,)``), one-hot encoded only when a loss needs it.
"""

from __future__ import annotations

import pathlib
import zipfile
from dataclasses import dataclass

import numpy as np

DATASETS = ("digits", "mnist", "fashion_mnist", "cifar10")

CLASS_NAMES = {
    "fashion_mnist": ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                      "Sneaker", "Bag", "Ankle boot"],
    "cifar10": ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
                "truck"],
}


@dataclass
class Data:
    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: list

    @property
    def input_shape(self):
        return self.x_train.shape[1:]

    @property
    def num_classes(self):
        return len(self.class_names)


def load(name):
    """``name`` is one of ``DATASETS`` or a path to an ``.npz`` holding ``x_train``,
    ``y_train``, ``x_test`` and ``y_test``."""
    if name in DATASETS:
        from .. import datasets

        (x_train, y_train), (x_test, y_test) = getattr(datasets, name).load_data()
        label = name
    elif str(name).endswith(".npz"):
        x_train, y_train, x_test, y_test = _read_npz(pathlib.Path(name))
        label = pathlib.Path(name).name
    elif pathlib.Path(name).is_dir():
        x_train, y_train, x_test, y_test, names = read_folder(pathlib.Path(name))
        return Data(pathlib.Path(name).name, images(x_train, name), y_train,
                    images(x_test, name), y_test, names)
    else:
        raise ValueError(f"--dataset {name!r}: expected one of {', '.join(DATASETS)}, "
                         "a path to an .npz file or a folder of class sub-folders")
    y_train, y_test = labels(y_train, label), labels(y_test, label)
    num_classes = int(max(y_train.max(initial=0), y_test.max(initial=0))) + 1
    names = CLASS_NAMES.get(name) or [str(i) for i in range(num_classes)]
    return Data(label, images(x_train, label), y_train, images(x_test, label), y_test, names)


TEST_FRACTION = 0.2


def read_folder(path):
    """Images from a folder of class sub-folders (``FOLDER/cat/*.png``, ``FOLDER/dog/*.png``),
    or from ``FOLDER/train/<class>/`` and ``FOLDER/test/<class>/`` when both exist. Without a
    test folder a fixed fifth of the images (seeded, the same every run) is held out as the
    test split. Every image is read at the first image's size, in grey when the first image is
    grey (its three channels equal), else RGB (``image_dataset_from_directory``; needs Pillow)."""
    from ..utils import image_dataset_from_directory, img_to_array, load_img

    train_dir, test_dir = path / "train", path / "test"
    split = train_dir.is_dir() and test_dir.is_dir()
    source = train_dir if split else path
    first = next((p for p in sorted(source.rglob("*")) if p.is_file()
                  and p.suffix.lower() in (".png", ".jpg", ".jpeg", ".bmp", ".gif")), None)
    if first is None:
        raise ValueError(f"--dataset {path}: no images (png, jpg, jpeg, bmp, gif) found in "
                         "class sub-folders")
    pixels = img_to_array(load_img(first))
    grey = bool(np.all(pixels[..., :1] == pixels))
    color_mode = "grayscale" if grey else "rgb"
    size = pixels.shape[:2]

    def read(folder, class_names=None):
        ds = image_dataset_from_directory(str(folder), class_names=class_names,
                                          color_mode=color_mode, image_size=size,
                                          batch_size=None, shuffle=False, verbose=False)
        x, y = ds.numpy()
        return x, y.astype(np.int64), ds.class_names

    if split:
        x_train, y_train, names = read(train_dir)
        x_test, y_test, _ = read(test_dir, class_names=names)
    else:
        x, y, names = read(path)
        order = np.random.default_rng(0).permutation(len(x))
        n_test = max(1, int(round(TEST_FRACTION * len(x))))
        if len(x) - n_test < 1:
            raise ValueError(f"--dataset {path}: {len(x)} images are too few to hold out a "
                             "test split")
        test, train = order[:n_test], order[n_test:]
        x_train, y_train, x_test, y_test = x[train], y[train], x[test], y[test]
    if len(names) < 2:
        raise ValueError(f"--dataset {path}: expected at least 2 class sub-folders, found "
                         f"{names}")
    return x_train, y_train, x_test, y_test, list(names)


def _read_npz(path):
    if not path.is_file():
        raise FileNotFoundError(f"--dataset {path}: no such file")
    keys = ("x_train", "y_train", "x_test", "y_test")
    try:
        with np.load(path, allow_pickle=False) as archive:
            found = list(archive.files)
            arrays = [archive[k] for k in keys if k in found]
    except (OSError, EOFError, ValueError, zipfile.BadZipFile, AttributeError,
            TypeError) as error:
        raise ValueError(f"--dataset {path}: not a readable .npz file ({error})") from error
    missing = [k for k in keys if k not in found]
    if missing:
        raise ValueError(f"--dataset {path}: missing arrays {', '.join(missing)} "
                         f"(found {', '.join(found) or 'none'})")
    for (x, y), split in zip((arrays[:2], arrays[2:]), ("train", "test")):
        if len(x) != len(y):
            raise ValueError(f"--dataset {path}: x_{split} has {len(x)} samples but "
                             f"y_{split} has {len(y)}")
        if len(x) == 0:
            raise ValueError(f"--dataset {path}: x_{split} is empty")
    return arrays


def images(x, source="data"):
    """uint8 or float images -> float32 ``(N, rows, cols, channels)`` in [0, 1]."""
    x = np.asarray(x)
    if x.dtype.kind not in "uif":
        raise ValueError(f"{source}: expected numeric images, got dtype {x.dtype}")
    if x.ndim == 3:
        x = x[..., None]
    if x.ndim != 4:
        raise ValueError(f"{source}: expected images shaped (N, rows, cols) or "
                         f"(N, rows, cols, channels), got {x.shape}")
    if x.dtype == np.uint8 or (x.size and x.max() > 1.0):
        return x.astype(np.float32) / 255.0
    return x.astype(np.float32)


def labels(y, source="data"):
    """Class labels as integers ``(N,)``; one-hot rows are turned back into indices."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        y = y.argmax(axis=1)
    y = y.reshape(len(y), -1)
    whole = y.dtype.kind in "uib" or (y.dtype.kind == "f" and np.all(np.mod(y, 1) == 0))
    if y.shape[1] != 1 or not whole:
        raise ValueError(f"{source}: expected integer class labels (N,) or one-hot (N, classes)")
    y = y[:, 0].astype(np.int64)
    if y.size and y.min() < 0:
        raise ValueError(f"{source}: class labels must be >= 0, got {int(y.min())}")
    return y
