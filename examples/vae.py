"""Convolutional variational autoencoder: keras-io's ``examples/generative/vae.py`` (Keras 3
version, by fchollet) with ``keras`` -> ``npconv`` and ``tf.GradientTape`` ->
``npconv.GradientTape``.

The model is a subclassed ``npconv.Model`` with its own ``train_step``: the encoder maps a digit
to a 2-D Gaussian (``z_mean``, ``z_log_var``), ``Sampling`` draws ``z`` from it with the
reparameterization trick, the decoder (``Conv2DTranspose`` layers, 7x7 -> 14x14 -> 28x28) maps
``z`` back to an image, and the loss is the reconstruction's binary cross-entropy plus the KL
divergence to N(0, 1). Saves ``vae_reconstructions.png`` (digits above their reconstructions)
and ``vae_latent_space.png`` (the original's ``plot_latent_space``: digits decoded from a grid
of ``z`` in [-1, 1]^2).

What differs from the keras-io program:

- the data are the 5,000 real MNIST digits bundled with npconv (``npconv.datasets.digits``), not
  the 70,000 of ``mnist.load_data()``, and the script trains ``EPOCHS`` = 50 epochs of 40 steps
  (5 to 10 minutes on a shared 2-core CPU) where the original makes 30 epochs of 547 steps: the
  reconstructions and the latent grid are blurrier than keras-io's pictures;
- ``VAE.call`` decodes ``z_mean`` (not a sample ``z``), so that ``vae.predict(x)`` gives the
  deterministic reconstructions that ``save_pictures`` shows; the keras-io program only plots
  ``vae.decoder.predict`` on a latent grid;
- the code is in functions (``build_encoder``, ``train``, ...) so that the tests can run it small.
"""

import numpy as np

import npconv
from npconv import layers, ops

EPOCHS = 50


class Sampling(layers.Layer):
    """Uses (z_mean, z_log_var) to sample z, the vector encoding a digit."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = npconv.random.SeedGenerator(1337)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        batch = ops.shape(z_mean)[0]
        dim = ops.shape(z_mean)[1]
        epsilon = npconv.random.normal(shape=(batch, dim), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon


def build_encoder(latent_dim=2):
    encoder_inputs = npconv.Input(shape=(28, 28, 1))
    x = layers.Conv2D(32, 3, activation="relu", strides=2, padding="same")(encoder_inputs)
    x = layers.Conv2D(64, 3, activation="relu", strides=2, padding="same")(x)
    x = layers.Flatten()(x)
    x = layers.Dense(16, activation="relu")(x)
    z_mean = layers.Dense(latent_dim, name="z_mean")(x)
    z_log_var = layers.Dense(latent_dim, name="z_log_var")(x)
    z = Sampling()([z_mean, z_log_var])
    return npconv.Model(encoder_inputs, [z_mean, z_log_var, z], name="encoder")


def build_decoder(latent_dim=2):
    latent_inputs = npconv.Input(shape=(latent_dim,))
    x = layers.Dense(7 * 7 * 64, activation="relu")(latent_inputs)
    x = layers.Reshape((7, 7, 64))(x)
    x = layers.Conv2DTranspose(64, 3, activation="relu", strides=2, padding="same")(x)
    x = layers.Conv2DTranspose(32, 3, activation="relu", strides=2, padding="same")(x)
    decoder_outputs = layers.Conv2DTranspose(1, 3, activation="sigmoid", padding="same")(x)
    return npconv.Model(latent_inputs, decoder_outputs, name="decoder")


class VAE(npconv.Model):
    def __init__(self, encoder, decoder, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.total_loss_tracker = npconv.metrics.Mean(name="total_loss")
        self.reconstruction_loss_tracker = npconv.metrics.Mean(name="reconstruction_loss")
        self.kl_loss_tracker = npconv.metrics.Mean(name="kl_loss")

    @property
    def metrics(self):
        return [
            self.total_loss_tracker,
            self.reconstruction_loss_tracker,
            self.kl_loss_tracker,
        ]

    def train_step(self, data):
        with npconv.GradientTape() as tape:
            z_mean, z_log_var, z = self.encoder(data)
            reconstruction = self.decoder(z)
            reconstruction_loss = ops.mean(
                ops.sum(
                    npconv.losses.binary_crossentropy(data, reconstruction),
                    axis=(1, 2),
                )
            )
            kl_loss = -0.5 * (1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var))
            kl_loss = ops.mean(ops.sum(kl_loss, axis=1))
            total_loss = reconstruction_loss + kl_loss
        grads = tape.gradient(total_loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
        self.total_loss_tracker.update_state(total_loss)
        self.reconstruction_loss_tracker.update_state(reconstruction_loss)
        self.kl_loss_tracker.update_state(kl_loss)
        return {
            "loss": self.total_loss_tracker.result(),
            "reconstruction_loss": self.reconstruction_loss_tracker.result(),
            "kl_loss": self.kl_loss_tracker.result(),
        }

    def call(self, x):
        z_mean, z_log_var, z = self.encoder(x)
        return self.decoder(z_mean)


def load_digits():
    """The bundled digits as float32 images in [0, 1] of shape (n, 28, 28, 1), and labels."""
    (x_train, y_train), (x_test, y_test) = npconv.datasets.digits.load_data()
    x = np.concatenate([x_train, x_test], axis=0)
    x = np.expand_dims(x, -1).astype("float32") / 255
    return x, np.concatenate([y_train, y_test])


def train(digits, epochs=EPOCHS, batch_size=128, latent_dim=2, verbose="auto"):
    vae = VAE(build_encoder(latent_dim), build_decoder(latent_dim))
    vae.compile(optimizer=npconv.optimizers.Adam())
    history = vae.fit(digits, epochs=epochs, batch_size=batch_size, verbose=verbose)
    return vae, history


def save_pictures(vae, digits, prefix="vae"):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    originals = digits[-10:]
    reconstructions = vae.predict(originals, verbose=0)
    fig, axes = plt.subplots(2, 10, figsize=(12, 2.8))
    for i in range(10):
        for row, images in enumerate((originals, reconstructions)):
            axes[row, i].imshow(images[i, :, :, 0], cmap="Greys_r", vmin=0, vmax=1)
            axes[row, i].axis("off")
    axes[0, 0].set_title("digits (the test split's last ten)", loc="left")
    axes[1, 0].set_title("VAE reconstructions", loc="left")
    fig.savefig(f"{prefix}_reconstructions.png", dpi=80, bbox_inches="tight")
    plt.close(fig)

    # the original's plot_latent_space: digits decoded from a grid of z
    n, digit_size, scale = 15, 28, 1.0
    grid = np.linspace(-scale, scale, n)
    z = np.array([[xi, yi] for yi in grid[::-1] for xi in grid], dtype="float32")
    decoded = vae.decoder.predict(z, verbose=0)[..., 0]
    figure = decoded.reshape(n, n, digit_size, digit_size).transpose(0, 2, 1, 3)
    figure = figure.reshape(n * digit_size, n * digit_size)
    fig = plt.figure(figsize=(8, 8))
    plt.imshow(figure, cmap="Greys_r")
    plt.axis("off")
    fig.savefig(f"{prefix}_latent_space.png", dpi=80, bbox_inches="tight")
    plt.close(fig)


if __name__ == "__main__":
    npconv.utils.set_random_seed(0)
    digits, _ = load_digits()
    vae, _ = train(digits, epochs=EPOCHS)
    try:
        save_pictures(vae, digits)
        print("saved vae_reconstructions.png and vae_latent_space.png")
    except ImportError:
        print("pip install matplotlib to see the reconstructions")
