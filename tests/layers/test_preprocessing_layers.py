"""Keras 3's preprocessing layers against Keras (stored references) and their training-only
behaviour.

References: tests/references/keras_preprocessing_layers.npz, written by
tools/keras_references/preprocessing_layers.py (random layers pinned by zero-width factor
ranges).
"""

import json
import pathlib

import numpy as np
import pytest

import npconv
from npconv import layers

REF = np.load(pathlib.Path(__file__).parents[1] / "references"
              / "keras_preprocessing_layers.npz")
CASES = [c for c in json.loads(str(REF["cases"])) if c != "contrast"]


def _run(layer, x, training):
    return np.asarray(layer(x, training=training).data)


@pytest.mark.parametrize("case", CASES)
def test_matches_keras(case):
    spec = json.loads(str(REF[f"{case}/spec"]))
    layer = getattr(layers, spec["class"])(**spec["kwargs"])
    x, expected = REF[f"{case}/x"], REF[f"{case}/y"]
    out = _run(layer, x, spec["training"])
    assert out.shape == expected.shape and out.dtype == np.float32
    np.testing.assert_allclose(out, expected, rtol=0, atol=2e-4, err_msg=case)


def _contrast_factor(img, out):
    """The factor f with ``out = clip((img - mean) * f + mean, 0, 255)``, from unclipped pixels."""
    mean = np.broadcast_to(img.mean(axis=(0, 1), keepdims=True), img.shape)
    inside = (out > 0.5) & (out < 254.5) & (np.abs(img - mean) > 1)
    ratios = (out[inside] - mean[inside]) / (img[inside] - mean[inside])
    f = float(np.median(ratios))
    np.testing.assert_allclose(out, np.clip((img - mean) * f + mean, 0, 255), atol=1e-3)
    return f, np.ptp(ratios)


def test_contrast_formula_as_keras():
    # Keras drew one factor per image in [0.5, 1.5]: recover it and check its formula, then
    # that npconv's output follows the same formula with factors in the same range.
    x = REF["contrast/x"]
    for img, out in zip(x, REF["contrast/y"]):
        f, spread = _contrast_factor(img, out)
        assert 0.5 <= f <= 1.5 and spread < 1e-3
    out = _run(layers.RandomContrast((0.5, 0.5), seed=3), x, True)
    factors = [_contrast_factor(img, o)[0] for img, o in zip(x, out)]
    assert all(0.5 <= f <= 1.5 for f in factors) and factors[0] != factors[1]


def test_normalization_adapt_matches_keras():
    layer = layers.Normalization()
    layer.adapt(REF["adapt/x"])
    np.testing.assert_allclose(layer.mean, REF["adapt/mean"].ravel(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer.variance, REF["adapt/variance"].ravel(), rtol=1e-5)
    np.testing.assert_allclose(_run(layer, REF["adapt/x"][:5], False), REF["adapt/y"],
                               rtol=1e-5, atol=1e-5)
    assert [w.shape for w in layer.get_weights()] == [(3,), (3,), ()]
    assert layer.trainable_weights == []


RANDOM = [
    layers.RandomFlip(),
    layers.RandomRotation(0.2),
    layers.RandomZoom(0.3),
    layers.RandomTranslation(0.2, 0.2),
    layers.RandomContrast(0.4),
    layers.RandomBrightness(0.3),
    layers.RandomCrop(4, 5),
]


@pytest.mark.parametrize("layer", RANDOM, ids=lambda layer: type(layer).__name__)
def test_random_layers_act_only_in_training(layer):
    x = np.random.default_rng(0).random((6, 8, 9, 3)).astype(np.float32) * 255
    np.testing.assert_array_equal(_run(layer, x, False), x)
    out = _run(layer, x, True)
    assert out.shape[0] == 6 and not np.allclose(out[:, :4, :5], x[:, :4, :5])


def test_called_alone_a_random_layer_augments_as_in_keras():
    x = np.random.default_rng(4).random((3, 8, 8, 1)).astype(np.float32)
    assert not np.allclose(np.asarray(layers.RandomRotation(0.3, seed=1)(x).data), x)
    np.testing.assert_array_equal(
        np.asarray(layers.RandomRotation(0.3)(x, training=False).data), x)


def test_seeded_layers_repeat_and_backend_seed_repeats():
    x = np.random.default_rng(1).random((4, 8, 8, 3)).astype(np.float32)
    a = _run(layers.RandomRotation(0.3, seed=5), x, True)
    b = _run(layers.RandomRotation(0.3, seed=5), x, True)
    np.testing.assert_array_equal(a, b)
    npconv.utils.set_random_seed(9)
    c = _run(layers.RandomZoom(0.3), x, True)
    npconv.utils.set_random_seed(9)
    np.testing.assert_array_equal(c, _run(layers.RandomZoom(0.3), x, True))


def test_random_flip_gives_flipped_or_original_images():
    x = np.random.default_rng(2).random((16, 5, 6, 1)).astype(np.float32)
    out = _run(layers.RandomFlip("horizontal", seed=0), x, True)
    flipped = [np.array_equal(o, i[:, ::-1]) for o, i in zip(out, x)]
    same = [np.array_equal(o, i) for o, i in zip(out, x)]
    assert all(f or s for f, s in zip(flipped, same)) and any(flipped) and any(same)


def test_channels_first_equals_channels_last():
    x = np.random.default_rng(3).random((2, 7, 8, 3)).astype(np.float32)
    last = _run(layers.RandomRotation((0.1, 0.1), fill_mode="constant"), x, True)
    first = _run(layers.RandomRotation((0.1, 0.1), fill_mode="constant",
                                       data_format="channels_first"),
                 x.transpose(0, 3, 1, 2), True)
    np.testing.assert_allclose(first.transpose(0, 2, 3, 1), last, atol=1e-5)


@pytest.mark.parametrize("layer", [
    layers.Rescaling(1 / 255, offset=0.5), layers.Resizing(4, 5, crop_to_aspect_ratio=True),
    layers.CenterCrop(3, 3), layers.RandomCrop(3, 4, seed=1), layers.RandomFlip("vertical"),
    layers.RandomRotation((-0.1, 0.2), fill_mode="constant", fill_value=1.0),
    layers.RandomZoom(0.2, (-0.1, 0.1)), layers.RandomTranslation(0.1, (0.0, 0.2)),
    layers.RandomContrast(0.3, value_range=(0, 1)), layers.RandomBrightness(0.2, (0, 1)),
    layers.Normalization(mean=[1.0, 2.0], variance=[1.0, 4.0], invert=True),
], ids=lambda layer: type(layer).__name__)
def test_get_config_round_trip(layer):
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config


def test_augmentation_in_a_model_trains_and_predicts_unaugmented(tmp_path):
    npconv.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.random((64, 8, 8, 1)).astype(np.float32) * 255
    y = (x.mean(axis=(1, 2, 3)) > 127.5).astype(np.float32)
    model = npconv.models.Sequential([
        npconv.layers.Input((8, 8, 1)),
        layers.Rescaling(1 / 255),
        layers.RandomFlip("horizontal"),
        layers.RandomRotation(0.05),
        npconv.layers.Conv2D(4, 3, activation="relu"),
        npconv.layers.GlobalAveragePooling2D(),
        npconv.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    first = model.predict(x[:4], verbose=0)
    np.testing.assert_array_equal(first, model.predict(x[:4], verbose=0))
    path = tmp_path / "aug.keras"
    model.save(path)
    loaded = npconv.models.load_model(path)
    np.testing.assert_allclose(loaded.predict(x[:4], verbose=0), first, rtol=1e-6)


def test_errors_name_the_layer():
    with pytest.raises(ValueError, match="RandomRotation: fill_mode"):
        layers.RandomRotation(0.1, fill_mode="mirror")
    with pytest.raises(ValueError, match="RandomZoom: height_factor"):
        layers.RandomZoom(1.5)
    with pytest.raises(ValueError, match="rank 4"):
        layers.RandomFlip()(np.zeros((3, 4), np.float32), training=True)


def test_a_model_of_random_layers_called_directly_augments():
    """Keras 3's training=None: a Sequential of random layers called on images (the keras-io
    tutorials' picture of augmented samples) augments; predict does not; Dropout called
    directly stays the identity (its call defaults to training=False)."""
    import npconv
    from npconv import layers as L

    augment = npconv.Sequential([L.RandomFlip("horizontal"), L.RandomRotation(0.2)])
    x = np.random.default_rng(0).random((4, 8, 8, 3)).astype("float32")
    assert not np.allclose(np.asarray(augment(x)), x)
    model = npconv.Sequential([L.Input((8, 8, 3)), augment, L.Flatten(), L.Dense(2)])
    np.testing.assert_array_equal(model.predict(x, verbose=0), model.predict(x, verbose=0))
    np.testing.assert_array_equal(np.asarray(L.Dropout(0.5)(x)), x)
