"""image_dataset_from_directory against Keras 3 (stored reference) and the image helpers.

Reference: tests/references/keras_image_dataset.npz, written by
tools/keras_references/image_dataset.py.
"""

import json
import pathlib

import numpy as np
import pytest

import npconv
from npconv.utils import (
    array_to_img,
    image_dataset_from_directory,
    img_to_array,
    load_img,
    save_img,
)

pil = pytest.importorskip("PIL.Image")
REF = np.load(pathlib.Path(__file__).parents[1] / "references" / "keras_image_dataset.npz")
PATHS = json.loads(str(REF["paths"]))


@pytest.fixture()
def folder(tmp_path):
    for k, rel in enumerate(PATHS):
        (tmp_path / rel).parent.mkdir(exist_ok=True)
        pil.fromarray(REF[f"image/{k}"]).save(tmp_path / rel)
    (tmp_path / "cats" / "readme.txt").write_text("not an image")
    return tmp_path


@pytest.mark.parametrize("key, kwargs", [
    ("plain", {"image_size": (4, 6)}),
    ("crop", {"image_size": (5, 5), "crop_to_aspect_ratio": True}),
    ("nearest", {"image_size": (3, 4), "interpolation": "nearest"}),
])
def test_images_and_labels_match_keras(folder, key, kwargs):
    ds = image_dataset_from_directory(str(folder), batch_size=4, shuffle=False,
                                      label_mode="categorical", verbose=False, **kwargs)
    assert ds.class_names == ["cats", "dogs", "owls"] and len(ds) == 3
    x, y = ds.numpy()
    assert x.dtype == np.float32 and y.dtype == np.float32
    np.testing.assert_allclose(x, REF[f"{key}/x"], atol=2e-3)
    np.testing.assert_array_equal(y, REF[f"{key}/y"])
    bx, by = ds[2]
    assert bx.shape == (1, *kwargs["image_size"], 3) and by.shape == (1, 3)


def test_seeded_split_matches_keras(folder, capsys):
    train, val = image_dataset_from_directory(str(folder), image_size=(7, 9), seed=3,
                                              validation_split=0.34, subset="both")
    rel = [str(pathlib.Path(p).relative_to(folder)) for p in train.file_paths]
    assert rel == json.loads(str(REF["split/train"]))
    rel = [str(pathlib.Path(p).relative_to(folder)) for p in val.file_paths]
    assert rel == json.loads(str(REF["split/val"]))
    printed = capsys.readouterr().out
    assert "Found 9 files belonging to 3 classes." in printed
    assert "Using 6 files for training." in printed
    x, y = train[0]
    assert y.dtype == np.int32 and x.shape == (6, 7, 9, 3)


def test_label_modes_grayscale_and_epochs(folder):
    ds = image_dataset_from_directory(str(folder), class_names=["dogs", "owls"],
                                      label_mode="binary", color_mode="grayscale",
                                      image_size=(7, 9), batch_size=2, seed=1, verbose=False)
    x, y = ds.numpy()
    assert x.shape == (5, 7, 9, 1) and y.shape == (5, 1) and sorted(y.ravel()) == [0, 0, 0, 1, 1]
    first = [b[1].ravel().tolist() for b in ds]
    second = [b[1].ravel().tolist() for b in ds]
    assert sorted(sum(first, [])) == sorted(sum(second, []))
    only = image_dataset_from_directory(str(folder), labels=None, image_size=(7, 9),
                                        shuffle=False, verbose=False)
    assert only[0].shape == (9, 7, 9, 3)
    expected = np.asarray(pil.open(folder / PATHS[0]), dtype=np.float32)
    np.testing.assert_array_equal(only[0][0], expected)  # no resize: the pixels as stored
    with pytest.raises(ValueError, match="exactly 2 classes"):
        image_dataset_from_directory(str(folder), label_mode="binary")
    with pytest.raises(ValueError, match="give a seed"):
        image_dataset_from_directory(str(folder), validation_split=0.2, subset="training")


def test_image_helpers_round_trip(tmp_path):
    x = (np.arange(4 * 5 * 3) * 11 % 256).astype(np.float32).reshape(4, 5, 3)
    path = tmp_path / "a.png"
    save_img(path, x, scale=False)
    img = load_img(path)
    assert img.size == (5, 4) and img.mode == "RGB"
    np.testing.assert_array_equal(img_to_array(img), x)
    grey = img_to_array(load_img(path, color_mode="grayscale", target_size=(2, 3)))
    assert grey.shape == (2, 3, 1)
    cf = img_to_array(img, data_format="channels_first")
    assert cf.shape == (3, 4, 5)
    scaled = img_to_array(array_to_img(x / 255.0))  # scale=True stretches to [0, 255]
    np.testing.assert_allclose(scaled, np.floor((x - x.min()) / (x.max() - x.min()) * 255),
                               atol=1)
    assert not list(tmp_path.glob(".*.tmp"))  # written atomically, nothing left behind


def test_missing_pillow_names_the_extra(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_pil(name, *args, **kwargs):
        if name == "PIL" or name.startswith("PIL."):
            raise ImportError("No module named 'PIL'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pil)
    with pytest.raises(ImportError, match=r'npconv\[image\]'):
        npconv.utils.load_img("whatever.png")


def test_map_prefetch_and_cache_as_tf_data(folder, capsys):
    """keras.io's DCGAN: ``image_dataset_from_directory(..., label_mode=None)`` then
    ``.map(lambda x: x / 255.0)``; labelled batches map as ``(x, y)``; the result trains."""
    faces = image_dataset_from_directory(str(folder), label_mode=None, image_size=(7, 9),
                                         batch_size=4, shuffle=False)
    assert "Found 9 files." in capsys.readouterr().out  # Keras's words without labels
    scaled = faces.map(lambda x: x / 255.0).prefetch(2).cache()
    assert len(scaled) == 3
    np.testing.assert_allclose(scaled[0], faces[0] / 255.0)
    labelled = image_dataset_from_directory(str(folder), image_size=(7, 9), batch_size=4,
                                            shuffle=False, verbose=False)
    mapped = labelled.map(lambda x, y: (npconv.ops.divide(x, 255.0), y + 1))
    x, y = mapped[1]
    assert isinstance(x, np.ndarray)
    np.testing.assert_allclose(x, labelled[1][0] / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(y, labelled[1][1] + 1)
    assert mapped.class_names == ["cats", "dogs", "owls"]
    first = list(labelled.take(1))
    assert len(first) == 1 and len(labelled.take(-1)) == 3 and len(mapped.take(2)) == 2
    np.testing.assert_array_equal(first[0][0], labelled[0][0])
    with pytest.raises(IndexError):
        labelled.take(1)[1]
    rest = labelled.skip(1)
    assert len(rest) == 2
    np.testing.assert_array_equal(rest[0][1], labelled[1][1])
    assert len(labelled.skip(5)) == 0 and len(labelled.skip(1).take(1)) == 1
    assert [b[0].shape for b in labelled.as_numpy_iterator()][0] == (4, 7, 9, 3)
    fixed = image_dataset_from_directory(str(folder), image_size=(7, 9), batch_size=9,
                                         shuffle=False, verbose=False)
    first = fixed[0][1].tolist()
    assert fixed.shuffle(100, seed=1) is fixed
    shuffled = [fixed[0][1].tolist() for _ in range(3) if fixed.on_epoch_end() is None]
    assert sorted(shuffled[0]) == sorted(first) and any(order != first for order in shuffled)
    npconv.utils.set_random_seed(0)
    model = npconv.Sequential([npconv.Input((7, 9, 3)), npconv.layers.Flatten(),
                               npconv.layers.Dense(3)])
    model.compile("adam", npconv.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(labelled.map(lambda x, y: (x / 255.0, y)), epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
