"""An auxiliary-classifier GAN on MNIST trained with `train_on_batch`, in the shape of Keras
2's examples/mnist_acgan.py.

Corpus program: written for npconv after the public example (keras-team/keras, Keras 2.2
`examples/mnist_acgan.py`, smaller here), keeping its API use: a generator that embeds the
class with `Embedding` and merges it with `layers.multiply`, Conv2DTranspose with
BatchNormalization, a discriminator with LeakyReLU and Dropout and two outputs (real/fake and
class), `compile` with a list of losses, the combined model with `trainable = False`,
`train_on_batch` with a list of targets, `test_on_batch`, `Adam(learning_rate, beta_1)`, and
`predict` on a list of inputs.
"""
import numpy as np

from keras import layers
from keras.datasets import mnist
from keras.layers import (BatchNormalization, Conv2D, Conv2DTranspose, Dense, Dropout,
                          Embedding, Flatten, Input, LeakyReLU, Reshape)
from keras.models import Model, Sequential
from keras.optimizers import Adam

np.random.seed(1337)
num_classes = 10


def build_generator(latent_size):
    cnn = Sequential()
    cnn.add(Dense(3 * 3 * 96, input_dim=latent_size, activation="relu"))
    cnn.add(Reshape((3, 3, 96)))
    cnn.add(Conv2DTranspose(48, 5, strides=1, padding="valid", activation="relu",
                            kernel_initializer="glorot_normal"))
    cnn.add(BatchNormalization())
    cnn.add(Conv2DTranspose(24, 5, strides=2, padding="same", activation="relu",
                            kernel_initializer="glorot_normal"))
    cnn.add(BatchNormalization())
    cnn.add(Conv2DTranspose(1, 5, strides=2, padding="same", activation="tanh",
                            kernel_initializer="glorot_normal"))

    latent = Input(shape=(latent_size,))
    image_class = Input(shape=(1,), dtype="int32")
    cls = Embedding(num_classes, latent_size, embeddings_initializer="glorot_normal")(
        image_class)
    h = layers.multiply([latent, Flatten()(cls)])
    fake_image = cnn(h)
    return Model([latent, image_class], fake_image)


def build_discriminator():
    cnn = Sequential()
    cnn.add(Conv2D(16, 3, padding="same", strides=2, input_shape=(28, 28, 1)))
    cnn.add(LeakyReLU(0.2))
    cnn.add(Dropout(0.3))
    cnn.add(Conv2D(32, 3, padding="same", strides=1))
    cnn.add(LeakyReLU(0.2))
    cnn.add(Dropout(0.3))
    cnn.add(Conv2D(64, 3, padding="same", strides=2))
    cnn.add(LeakyReLU(0.2))
    cnn.add(Dropout(0.3))
    cnn.add(Flatten())

    image = Input(shape=(28, 28, 1))
    features = cnn(image)
    fake = Dense(1, activation="sigmoid", name="generation")(features)
    aux = Dense(num_classes, activation="softmax", name="auxiliary")(features)
    return Model(image, [fake, aux])


epochs = 100
batch_size = 100
latent_size = 100
adam_lr = 0.0002
adam_beta_1 = 0.5

discriminator = build_discriminator()
discriminator.compile(optimizer=Adam(learning_rate=adam_lr, beta_1=adam_beta_1),
                      loss=["binary_crossentropy", "sparse_categorical_crossentropy"])
discriminator.summary()

generator = build_generator(latent_size)

latent = Input(shape=(latent_size,))
image_class = Input(shape=(1,), dtype="int32")
fake = generator([latent, image_class])
discriminator.trainable = False
fake, aux = discriminator(fake)
combined = Model([latent, image_class], [fake, aux])
combined.compile(optimizer=Adam(learning_rate=adam_lr, beta_1=adam_beta_1),
                 loss=["binary_crossentropy", "sparse_categorical_crossentropy"])
combined.summary()

(x_train, y_train), (x_test, y_test) = mnist.load_data()
x_train = (x_train.astype(np.float32) - 127.5) / 127.5
x_train = np.expand_dims(x_train, axis=-1)
x_test = (x_test.astype(np.float32) - 127.5) / 127.5
x_test = np.expand_dims(x_test, axis=-1)
num_train, num_test = x_train.shape[0], x_test.shape[0]

history = {"discriminator": [], "generator": [], "test": []}
for epoch in range(1, epochs + 1):
    print("Epoch {}/{}".format(epoch, epochs))
    num_batches = int(np.ceil(x_train.shape[0] / float(batch_size)))
    for index in range(num_batches):
        image_batch = x_train[index * batch_size:(index + 1) * batch_size]
        label_batch = y_train[index * batch_size:(index + 1) * batch_size]
        n = len(image_batch)
        noise = np.random.uniform(-1, 1, (n, latent_size))
        sampled_labels = np.random.randint(0, num_classes, n)
        generated_images = generator.predict([noise, sampled_labels.reshape((-1, 1))],
                                             verbose=0)
        x = np.concatenate((image_batch, generated_images))
        soft_zero, soft_one = 0, 0.95
        y = np.array([soft_one] * n + [soft_zero] * n)
        aux_y = np.concatenate((label_batch, sampled_labels), axis=0)
        disc_sample_weight = [np.ones(2 * n), np.concatenate((np.ones(n) * 2, np.zeros(n)))]
        history["discriminator"].append(discriminator.train_on_batch(
            x, [y, aux_y], sample_weight=disc_sample_weight))

        noise = np.random.uniform(-1, 1, (2 * n, latent_size))
        sampled_labels = np.random.randint(0, num_classes, 2 * n)
        trick = np.ones(2 * n) * soft_one
        history["generator"].append(combined.train_on_batch(
            [noise, sampled_labels.reshape((-1, 1))], [trick, sampled_labels]))

    noise = np.random.uniform(-1, 1, (num_test, latent_size))
    sampled_labels = np.random.randint(0, num_classes, num_test)
    generated_images = generator.predict([noise, sampled_labels.reshape((-1, 1))], verbose=0)
    x = np.concatenate((x_test, generated_images))
    y = np.array([1] * num_test + [0] * num_test)
    aux_y = np.concatenate((y_test, sampled_labels), axis=0)
    history["test"].append(discriminator.evaluate(x, [y, aux_y], verbose=0))
    print("discriminator (train) loss:", history["discriminator"][-1])
    print("generator (train) loss:", history["generator"][-1])
