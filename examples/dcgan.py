"""DCGAN by overriding ``train_step``: keras-io's
``examples/generative/dcgan_overriding_train_step.py`` (Keras 3 version, by fchollet) with
``keras`` -> ``npconv`` and ``tf.GradientTape`` -> ``npconv.GradientTape``, on the 5,000 real
MNIST digits bundled with npconv instead of CelebA faces.

A ``GAN`` model holds a discriminator and a generator and overrides ``compile`` (two
optimizers and a loss) and ``train_step``: each batch, the discriminator learns to tell real
digits from generated ones (with noisy labels, the original's "important trick"), then the
generator, a stack of ``Conv2DTranspose`` layers, learns to fool it — through the
discriminator, whose weights are not updated in that step. Saves ``dcgan_samples.png`` (a grid
of generated digits) after training.

What differs from the keras-io program:

- 28x28x1 digits instead of 64x64x3 faces, so one stride-2 layer fewer on each side (the
  generator starts from a 7x7 map instead of 8x8) and one output channel;
- the generator is narrower (a 7x7x64 map, then transposed convolutions of 64 and 32 filters,
  instead of 8x8x128 and 128, 256, 512), and ``latent_dim`` is 64 instead of 128, so that it
  trains in minutes on a CPU;
- the original trains one epoch on 200,000 faces with a learning rate of 1e-4; this trains
  ``EPOCHS`` epochs of 5,000 digits with 2e-4 (DCGAN's usual rate, with ``beta_1=0.5``);
- ``tf.random.uniform(tf.shape(labels))`` is ``npconv.random.uniform(ops.shape(labels))``;
- instead of the original's ``GANMonitor`` callback, ``save_samples`` draws one grid at the end.

After ``EPOCHS`` = 15 epochs (1,185 steps of 64 digits; 40 s to 2 min an epoch on a shared 2-core
CPU) the samples are digit-shaped strokes, many legible (0, 3, 5, 6, 7, 8, 9), some malformed;
``g_loss`` falls from 1.5 to about 1.0 and ``d_loss`` rises from 0.34 toward 0.55-0.69 as the
generator starts to fool the discriminator. Train longer for cleaner digits.
"""

import numpy as np

import npconv
from npconv import layers, ops

latent_dim = 64
EPOCHS = 15


def build_discriminator():
    return npconv.Sequential(
        [
            npconv.Input(shape=(28, 28, 1)),
            layers.Conv2D(64, kernel_size=4, strides=2, padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Conv2D(128, kernel_size=4, strides=2, padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Flatten(),
            layers.Dropout(0.2),
            layers.Dense(1, activation="sigmoid"),
        ],
        name="discriminator",
    )


def build_generator(latent_dim=latent_dim):
    return npconv.Sequential(
        [
            npconv.Input(shape=(latent_dim,)),
            layers.Dense(7 * 7 * 64),
            layers.Reshape((7, 7, 64)),
            layers.Conv2DTranspose(64, kernel_size=4, strides=2, padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Conv2DTranspose(32, kernel_size=4, strides=2, padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Conv2D(1, kernel_size=5, padding="same", activation="sigmoid"),
        ],
        name="generator",
    )


class GAN(npconv.Model):
    def __init__(self, discriminator, generator, latent_dim):
        super().__init__()
        self.discriminator = discriminator
        self.generator = generator
        self.latent_dim = latent_dim
        self.seed_generator = npconv.random.SeedGenerator(1337)

    def compile(self, d_optimizer, g_optimizer, loss_fn):
        super().compile()
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.loss_fn = loss_fn
        self.d_loss_metric = npconv.metrics.Mean(name="d_loss")
        self.g_loss_metric = npconv.metrics.Mean(name="g_loss")

    @property
    def metrics(self):
        return [self.d_loss_metric, self.g_loss_metric]

    def train_step(self, real_images):
        # Sample random points in the latent space
        batch_size = ops.shape(real_images)[0]
        random_latent_vectors = npconv.random.normal(
            shape=(batch_size, self.latent_dim), seed=self.seed_generator
        )

        # Decode them to fake images
        generated_images = self.generator(random_latent_vectors)

        # Combine them with real images
        combined_images = ops.concatenate([generated_images, real_images], axis=0)

        # Assemble labels discriminating real from fake images
        labels = ops.concatenate(
            [ops.ones((batch_size, 1)), ops.zeros((batch_size, 1))], axis=0
        )
        # Add random noise to the labels - important trick!
        labels += 0.05 * npconv.random.uniform(ops.shape(labels), seed=self.seed_generator)

        # Train the discriminator
        with npconv.GradientTape() as tape:
            predictions = self.discriminator(combined_images)
            d_loss = self.loss_fn(labels, predictions)
        grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))

        # Sample random points in the latent space
        random_latent_vectors = npconv.random.normal(
            shape=(batch_size, self.latent_dim), seed=self.seed_generator
        )

        # Assemble labels that say "all real images"
        misleading_labels = ops.zeros((batch_size, 1))

        # Train the generator (note that we should *not* update the weights
        # of the discriminator)!
        with npconv.GradientTape() as tape:
            predictions = self.discriminator(self.generator(random_latent_vectors))
            g_loss = self.loss_fn(misleading_labels, predictions)
        grads = tape.gradient(g_loss, self.generator.trainable_weights)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))

        # Update metrics
        self.d_loss_metric.update_state(d_loss)
        self.g_loss_metric.update_state(g_loss)
        return {
            "d_loss": self.d_loss_metric.result(),
            "g_loss": self.g_loss_metric.result(),
        }


def load_digits():
    """The bundled digits as float32 images in [0, 1] of shape (n, 28, 28, 1)."""
    (x_train, _), (x_test, _) = npconv.datasets.digits.load_data()
    x = np.concatenate([x_train, x_test], axis=0)
    return np.expand_dims(x, -1).astype("float32") / 255


def make_gan(learning_rate=0.0002):
    gan = GAN(discriminator=build_discriminator(), generator=build_generator(),
              latent_dim=latent_dim)
    gan.compile(
        d_optimizer=npconv.optimizers.Adam(learning_rate=learning_rate, beta_1=0.5),
        g_optimizer=npconv.optimizers.Adam(learning_rate=learning_rate, beta_1=0.5),
        loss_fn=npconv.losses.BinaryCrossentropy(),
    )
    return gan


def save_samples(gan, path="dcgan_samples.png", n=8):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    z = npconv.random.normal(shape=(n * n, gan.latent_dim), seed=1).numpy()
    images = gan.generator.predict(z, verbose=0)[..., 0]
    grid = images.reshape(n, n, 28, 28).transpose(0, 2, 1, 3).reshape(n * 28, n * 28)
    fig = plt.figure(figsize=(6, 6))
    plt.imshow(grid, cmap="Greys_r", vmin=0, vmax=1)
    plt.axis("off")
    fig.savefig(path, dpi=80, bbox_inches="tight")
    plt.close(fig)


if __name__ == "__main__":
    npconv.utils.set_random_seed(0)
    digits = load_digits()
    gan = make_gan()
    gan.fit(digits, epochs=EPOCHS, batch_size=64)
    try:
        save_samples(gan)
        print("saved dcgan_samples.png")
    except ImportError:
        print("pip install matplotlib to see the generated digits")
