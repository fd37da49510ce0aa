"""ImageDataGenerator against Keras 2's (stored references) and its iterators' behaviour.

References: tests/references/keras_image_data_generator.npz, written by
tools/keras_references/image_data_generator.py.
"""

import json
import pathlib

import numpy as np
import pytest

from npconv.image.affine import affine_grid, sample_bilinear
from npconv.preprocessing.image import ImageDataGenerator, apply_affine_transform

REF = np.load(pathlib.Path(__file__).parents[1] / "references"
              / "keras_image_data_generator.npz")
TRANSFORMS = range(int(REF["transform/count"]))


def _spec(key):
    return json.loads(str(REF[key]))


@pytest.mark.parametrize("i", TRANSFORMS)
def test_apply_transform_matches_keras(i):
    spec = _spec(f"transform/{i}/spec")
    gen = ImageDataGenerator(fill_mode=spec["fill_mode"], cval=spec["cval"],
                             data_format=spec["data_format"])
    x = REF[spec["input"]]
    out = gen.apply_transform(x.copy(), spec["params"])
    expected = REF[f"transform/{i}"]
    assert out.shape == expected.shape and out.dtype == np.float32
    scale = max(1.0, float(np.abs(expected).max()))
    np.testing.assert_allclose(out, expected, rtol=0, atol=2e-5 * scale, err_msg=str(spec))


def test_the_references_are_not_trivial():
    # Every geometric case moves pixels: the test above would catch an identity transform.
    for i in TRANSFORMS:
        spec = _spec(f"transform/{i}/spec")
        assert not np.allclose(REF[f"transform/{i}"], REF[spec["input"]]), spec


def test_batch_transform_equals_per_image_transform():
    gen = ImageDataGenerator(rotation_range=30, width_shift_range=0.2, height_shift_range=3,
                             shear_range=10, zoom_range=0.2, horizontal_flip=True,
                             vertical_flip=True, channel_shift_range=20, fill_mode="reflect")
    x = REF["fit/x"][:8]
    params = gen._draw(len(x), x.shape[1:], np.random.default_rng(3))
    batch = gen.random_transform_batch(x, np.random.default_rng(3))
    for k in range(len(x)):
        one = {key: (None if v is None else v[k].item()) for key, v in params.items()}
        np.testing.assert_allclose(batch[k], gen.apply_transform(x[k], one), atol=1e-3)


def test_apply_affine_transform_keras2_function():
    x = REF["image_cf"]
    spec = _spec("transform/1/spec")  # theta=-90, nearest, channels_last
    assert spec["params"] == {"theta": -90.0} and spec["data_format"] == "channels_last"
    out = apply_affine_transform(x, theta=-90.0, row_axis=1, col_axis=2, channel_axis=0,
                                 fill_mode="nearest")
    np.testing.assert_allclose(out.transpose(1, 2, 0), REF["transform/1"], atol=1e-3)


def test_sample_bilinear_pad_convention_by_hand():
    # A 1x3 image sampled between pixels and past both ends with Keras 3's padding rules.
    x = np.array([0.0, 10.0, 20.0], dtype=np.float32).reshape(1, 1, 3, 1)
    cols = np.array([[[-1.5, -0.5, 0.25, 2.5, 3.5]]])
    rows = np.zeros_like(cols)
    expected = {
        "constant": [0.5 * 5 + 0.5 * 5, 0.5 * 5 + 0.5 * 0, 2.5, 0.5 * 20 + 0.5 * 5, 5.0],
        "nearest": [0.0, 0.0, 2.5, 20.0, 20.0],
        "reflect": [5.0, 0.0, 2.5, 20.0, 15.0],
        "mirror": [15.0, 5.0, 2.5, 15.0, 5.0],
        "wrap": [15.0, 10.0, 2.5, 10.0, 5.0],
    }
    for mode, values in expected.items():
        out = sample_bilinear(x, rows, cols, mode, fill_value=5.0, convention="pad")
        np.testing.assert_allclose(out.ravel(), values, err_msg=mode)


def test_affine_grid_identity_samples_exactly():
    x = np.random.default_rng(0).standard_normal((2, 4, 5, 3)).astype(np.float32)
    r, c = affine_grid(np.broadcast_to(np.eye(2), (2, 2, 2)), np.zeros((2, 2)), 4, 5)
    np.testing.assert_array_equal(sample_bilinear(x, r, c, "constant"), x)


@pytest.mark.parametrize("name", ["featurewise", "center_only", "zca", "samplewise"])
def test_fit_and_standardize_match_keras(name):
    kwargs = _spec(f"fit/{name}/spec")
    with pytest.warns(UserWarning) if name == "zca" else _nothing():
        gen = ImageDataGenerator(**kwargs)
    gen.fit(REF["fit/x"])
    for attr in ("mean", "std", "zca_whitening_matrix"):
        key = f"fit/{name}/{attr}"
        if key in REF:
            np.testing.assert_allclose(getattr(gen, attr), REF[key], rtol=2e-4, atol=1e-5)
        else:
            assert getattr(gen, attr) is None
    batch = REF["fit/batch"]
    out = gen._standardize_batch(batch.copy())
    np.testing.assert_allclose(out, REF[f"fit/{name}/standardized"], rtol=1e-3, atol=1e-3)
    one = gen.standardize(batch[0].copy())
    np.testing.assert_allclose(one, REF[f"fit/{name}/standardized"][0], rtol=1e-3, atol=1e-3)


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _data(n=10):
    rng = np.random.default_rng(5)
    x = rng.random((n, 8, 8, 3)).astype(np.float32)
    y = np.arange(n) % 2
    return x, y


def test_flow_batches_cover_every_sample_once_per_epoch():
    x, y = _data(10)
    x[:, 0, 0, 0] = np.arange(10)  # a tag that survives an identity generator
    it = ImageDataGenerator().flow(x, y, batch_size=4, shuffle=True, seed=1)
    assert len(it) == 3
    tags, labels = [], []
    for _ in range(3):
        bx, by = next(it)
        assert bx.dtype == np.float32 and bx.shape[1:] == (8, 8, 3)
        tags += list(bx[:, 0, 0, 0].astype(int))
        labels += list(by)
    assert sorted(tags) == list(range(10))
    assert tags != list(range(10))  # shuffled
    np.testing.assert_array_equal(labels, np.array(tags) % 2)
    assert next(it)[0].shape[0] == 4  # keeps going into the next epoch


def test_flow_seed_repeats_and_sequence_indexing():
    x, y = _data(12)
    gen = ImageDataGenerator(rotation_range=20, zoom_range=0.1, horizontal_flip=True)
    a = gen.flow(x, y, batch_size=5, seed=7)
    b = gen.flow(x, y, batch_size=5, seed=7)
    for _ in range(4):
        (xa, ya), (xb, yb) = next(a), next(b)
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya, yb)
    c = gen.flow(x, y, batch_size=5, seed=8)
    assert not np.array_equal(next(gen.flow(x, y, batch_size=5, seed=7))[0], next(c)[0])
    seq = gen.flow(x, y, batch_size=5, shuffle=False)
    assert [len(seq[i][1]) for i in range(len(seq))] == [5, 5, 2]
    np.testing.assert_array_equal(seq[2][1], y[10:])
    with pytest.raises(IndexError):
        seq[3]


def test_flow_sample_weight_no_y_and_validation_split():
    x, y = _data(10)
    w = np.linspace(0, 1, 10)
    gen = ImageDataGenerator(validation_split=0.2)
    bx, by, bw = gen.flow(x, y, sample_weight=w, batch_size=10, shuffle=False)[0]
    np.testing.assert_array_equal(bw, w)
    only_x = gen.flow(x, batch_size=3, shuffle=False)[0]
    np.testing.assert_array_equal(only_x, x[:3])
    val = gen.flow(x, y, batch_size=10, subset="validation", shuffle=False)[0]
    train = gen.flow(x, y, batch_size=10, subset="training", shuffle=False)[0]
    np.testing.assert_array_equal(val[0], x[:2])
    np.testing.assert_array_equal(train[0], x[2:])
    with pytest.raises(ValueError, match="different classes"):
        gen.flow(x, np.sort(y), subset="training")
    with pytest.raises(ValueError, match="rank 4"):
        gen.flow(x[0], batch_size=2)


def test_flow_augments_and_standardizes():
    x, y = _data(6)
    gen = ImageDataGenerator(rescale=2.0, samplewise_center=True, horizontal_flip=True)
    bx, _ = gen.flow(x, y, batch_size=6, shuffle=False, seed=0)[0]
    np.testing.assert_allclose(bx.mean(axis=(1, 2, 3)), 0, atol=1e-5)
    flipped = [np.allclose(b, 2 * x[k][:, ::-1] - (2 * x[k]).mean(), atol=1e-5)
               for k, b in enumerate(bx)]
    same = [np.allclose(b, 2 * x[k] - (2 * x[k]).mean(), atol=1e-5) for k, b in enumerate(bx)]
    assert all(f or s for f, s in zip(flipped, same)) and any(flipped) and any(same)


def test_flow_from_directory(tmp_path):
    pil = pytest.importorskip("PIL.Image")
    rng = np.random.default_rng(0)
    for name, n in (("cat", 3), ("dog", 2)):
        (tmp_path / name).mkdir()
        for k in range(n):
            pixels = (rng.random((6, 7, 3)) * 255).astype(np.uint8)
            pixels[0, 0] = [k, 0, 0]
            pil.fromarray(pixels).save(tmp_path / name / f"{k}.png")
    (tmp_path / "dog" / "notes.txt").write_text("not an image")
    gen = ImageDataGenerator(rescale=1 / 255)
    it = gen.flow_from_directory(str(tmp_path), target_size=(6, 7), batch_size=5, shuffle=False)
    assert it.class_indices == {"cat": 0, "dog": 1} and it.samples == 5
    bx, by = it[0]
    assert bx.shape == (5, 6, 7, 3)
    np.testing.assert_array_equal(by, [[1, 0]] * 3 + [[0, 1]] * 2)
    first = np.asarray(pil.open(tmp_path / "cat" / "0.png"), dtype=np.float32) / 255
    np.testing.assert_allclose(bx[0], first, atol=1e-6)
    sparse = gen.flow_from_directory(str(tmp_path), target_size=(3, 4), class_mode="sparse",
                                     color_mode="grayscale", batch_size=5, shuffle=False)[0]
    assert sparse[0].shape == (5, 3, 4, 1)
    np.testing.assert_array_equal(sparse[1], [0, 0, 0, 1, 1])
    images_only = gen.flow_from_directory(str(tmp_path), target_size=(6, 7), class_mode=None,
                                          batch_size=2)[0]
    assert images_only.shape == (2, 6, 7, 3)
    gen_split = ImageDataGenerator(validation_split=0.5)
    val = gen_split.flow_from_directory(str(tmp_path), target_size=(6, 7), subset="validation")
    assert val.samples == 2  # int(0.5 * 3) + int(0.5 * 2)
    with pytest.raises(ValueError, match="class_mode"):
        gen.flow_from_directory(str(tmp_path), class_mode="onehot")


def test_flow_from_dataframe_with_a_table(tmp_path):
    pil = pytest.importorskip("PIL.Image")
    rng = np.random.default_rng(1)
    names = []
    for k in range(6):
        pixels = np.full((4, 5, 3), 10 * k, dtype=np.uint8)
        pil.fromarray(pixels).save(tmp_path / f"{k}.png")
        names.append(f"{k}.png")
    table = {  # what a pandas DataFrame gives by column name; pandas is not needed
        "filename": names + ["missing.png"],
        "class": ["b", "a", "b", "a", "c", ["a", "c"], "a"],
        "weight": list(rng.random(7)),
    }
    gen = ImageDataGenerator()
    with pytest.warns(UserWarning, match="1 invalid image filename"):
        it = gen.flow_from_dataframe(table, directory=str(tmp_path), target_size=(4, 5),
                                     weight_col="weight", batch_size=6, shuffle=False)
    assert it.class_indices == {"a": 0, "b": 1, "c": 2} and it.samples == 6
    bx, by, bw = it[0]
    np.testing.assert_array_equal(bx[:, 0, 0, 0], [0, 10, 20, 30, 40, 50])
    np.testing.assert_array_equal(by, [[0, 1, 0], [1, 0, 0], [0, 1, 0], [1, 0, 0], [0, 0, 1],
                                       [1, 0, 1]])
    np.testing.assert_allclose(bw, table["weight"][:6])
    raw = gen.flow_from_dataframe({"filename": names, "y": list(range(6))}, str(tmp_path),
                                  y_col="y", class_mode="raw", target_size=(4, 5),
                                  batch_size=3, shuffle=False)
    np.testing.assert_array_equal(raw[1][1], [3, 4, 5])
    sparse = gen.flow_from_dataframe({"filename": names[:4], "class": ["x", "y", "y", "x"]},
                                     str(tmp_path), class_mode="sparse", target_size=(4, 5),
                                     batch_size=4, shuffle=False)
    np.testing.assert_array_equal(sparse[0][1], [0, 1, 1, 0])
    with pytest.raises(ValueError, match="no column"):
        gen.flow_from_dataframe({"file": names}, str(tmp_path))
