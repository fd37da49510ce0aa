"""A small convolutional autoencoder learns: strided Conv2D down, Conv2DTranspose up, trained on
the bundled MNIST digits. The layer kind that every Keras autoencoder and GAN generator uses."""

import numpy as np

import npconv
from npconv import layers


def test_conv_autoencoder_learns_digits():
    npconv.utils.set_random_seed(0)
    (x_train, _), (x_test, _) = npconv.datasets.digits.load_data()
    x_train = x_train[:512, :, :, None].astype("float32") / 255.0
    x_test = x_test[:200, :, :, None].astype("float32") / 255.0
    model = npconv.Sequential([
        npconv.Input((28, 28, 1)),
        layers.Conv2D(8, 3, strides=2, padding="same", activation="relu"),  # 14x14
        layers.Conv2D(8, 3, strides=2, padding="same", activation="relu"),  # 7x7
        layers.Conv2DTranspose(8, 3, strides=2, padding="same", activation="relu"),  # 14x14
        layers.Conv2DTranspose(1, 3, strides=2, padding="same", activation="sigmoid"),
    ])
    assert model.output_shape == (None, 28, 28, 1)
    model.compile(optimizer=npconv.optimizers.Adam(0.01), loss="binary_crossentropy")
    before = model.evaluate(x_test, x_test, verbose=0)
    history = model.fit(x_train, x_train, epochs=4, batch_size=32, verbose=0)
    losses = history.history["loss"]
    after = model.evaluate(x_test, x_test, verbose=0)
    assert all(b < a for a, b in zip(losses, losses[1:])), losses
    assert after < 0.5 * before, (before, after)
    # better than the best constant image (each pixel's mean): it reconstructs each digit
    mean = np.clip(x_train.mean(axis=0), 1e-7, 1 - 1e-7)
    constant = -np.mean(x_test * np.log(mean) + (1 - x_test) * np.log(1 - mean))
    assert after < 0.8 * constant, (after, constant)
