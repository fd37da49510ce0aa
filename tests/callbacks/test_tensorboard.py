"""TensorBoard callback: the event files are read back with TensorBoard's own reader."""

import glob
import io
import os

import numpy as np
import pytest

import npconv
from npconv.callbacks import TensorBoard
from npconv.callbacks._event_file import crc32c, masked_crc32c, png

event_accumulator = pytest.importorskip(
    "tensorboard.backend.event_processing.event_accumulator")


def _load(folder):
    files = glob.glob(os.path.join(folder, "events.out.tfevents.*"))
    assert len(files) == 1, files
    acc = event_accumulator.EventAccumulator(
        folder, size_guidance={event_accumulator.SCALARS: 0, event_accumulator.HISTOGRAMS: 0,
                               event_accumulator.IMAGES: 0})
    acc.Reload()
    return acc


def test_crc32c_known_values():
    # RFC 3720's test vector and the empty string.
    assert crc32c(b"") == 0
    assert crc32c(b"123456789") == 0xE3069283
    assert crc32c(bytes(32)) == 0x8A9136AA
    assert masked_crc32c(b"") == 0xA282EAD8


def _model():
    npconv.utils.set_random_seed(0)
    model = npconv.models.Sequential([
        npconv.layers.Input((6, 6, 1)),
        npconv.layers.Conv2D(4, 3, activation="relu", name="conv"),
        npconv.layers.Flatten(),
        npconv.layers.Dense(2, activation="softmax", name="dense"),
    ])
    model.compile(optimizer=npconv.optimizers.SGD(0.1), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def test_fit_writes_epoch_scalars_histograms_and_images(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.random((40, 6, 6, 1)).astype(np.float32)
    y = npconv.utils.to_categorical(x.mean(axis=(1, 2, 3)) > 0.5, 2)
    model = _model()
    board = TensorBoard(log_dir=tmp_path, histogram_freq=1, write_images=True)
    history = model.fit(x, y, epochs=3, batch_size=10, validation_split=0.25, verbose=0,
                        callbacks=[board])
    train = _load(str(tmp_path / "train"))
    val = _load(str(tmp_path / "validation"))
    loss = train.Scalars("epoch_loss")
    assert [e.step for e in loss] == [0, 1, 2]
    np.testing.assert_allclose([e.value for e in loss], history.history["loss"], rtol=1e-6)
    np.testing.assert_allclose([e.value for e in val.Scalars("epoch_loss")],
                               history.history["val_loss"], rtol=1e-6)
    np.testing.assert_allclose([e.value for e in val.Scalars("epoch_accuracy")],
                               history.history["val_accuracy"], rtol=1e-6)
    np.testing.assert_allclose([e.value for e in train.Scalars("epoch_learning_rate")], 0.1)
    tags = train.Tags()
    kernel_tag = next(t for t in tags["histograms"] if t.startswith("conv") and "kernel" in t)
    histos = train.Histograms(kernel_tag)
    assert [h.step for h in histos] == [0, 1, 2]
    kernel = model.layers[0].get_weights()[0]
    last = histos[-1].histogram_value
    assert last.num == kernel.size and sum(last.bucket) == kernel.size
    np.testing.assert_allclose([last.min, last.max], [kernel.min(), kernel.max()], rtol=1e-6)
    np.testing.assert_allclose(last.sum, kernel.astype(np.float64).sum(), rtol=1e-5)
    # The first conv kernel (3, 3, 1, 4) squeezes to four 3x3 filters: three images are kept.
    image_tags = [t for t in tags["images"] if t.startswith(kernel_tag.rsplit("/", 1)[0])]
    assert len(image_tags) == 3
    image = train.Images(image_tags[0])[-1]
    assert (image.width, image.height) == (3, 3)
    pil = pytest.importorskip("PIL.Image")
    pixels = np.asarray(pil.open(io.BytesIO(image.encoded_image_string)))
    filt = kernel[:, :, 0, 0]
    expected = np.round((filt - filt.min()) / (filt.max() - filt.min()) * 255)
    np.testing.assert_array_equal(pixels, expected)


def test_update_freq_batch_scalars(tmp_path):
    rng = np.random.default_rng(1)
    x = rng.random((30, 6, 6, 1)).astype(np.float32)
    y = npconv.utils.to_categorical(rng.integers(0, 2, 30), 2)
    model = _model()
    model.fit(x, y, epochs=2, batch_size=10, verbose=0,
              callbacks=[TensorBoard(log_dir=tmp_path, update_freq=2)])
    train = _load(str(tmp_path / "train"))
    assert [e.step for e in train.Scalars("batch_loss")] == [2, 4, 6]
    assert [e.step for e in train.Scalars("epoch_loss")] == [0, 1]
    assert not os.path.exists(tmp_path / "validation")


def test_png_is_readable():
    pil = pytest.importorskip("PIL.Image")
    img = (np.arange(2 * 5 * 3) * 7 % 256).astype(np.uint8).reshape(2, 5, 3)
    np.testing.assert_array_equal(np.asarray(pil.open(io.BytesIO(png(img)))), img)


def test_bad_arguments():
    with pytest.raises(ValueError, match="update_freq"):
        TensorBoard(update_freq="sometimes")
    with pytest.raises(ValueError, match="profile_batch"):
        TensorBoard(profile_batch=3)
