"""A convolutional denoising autoencoder on MNIST, in the shape of Keras 2's
examples/mnist_denoising_autoencoder.py.

Corpus program: written for npconv after the public example (keras-team/keras, Keras 2.2
`examples/mnist_denoising_autoencoder.py`), keeping its API use: `K.int_shape` to size the
decoder, an encoder Model and a decoder Model composed into an autoencoder, strided Conv2D
down and Conv2DTranspose up, Gaussian noise added with NumPy, mse with Adam, then
`predict` on the noisy test digits.
"""
import numpy as np

from keras import backend as K
from keras.datasets import mnist
from keras.layers import Activation, Conv2D, Conv2DTranspose, Dense, Flatten, Input, Reshape
from keras.models import Model

np.random.seed(1337)

(x_train, _), (x_test, _) = mnist.load_data()
image_size = x_train.shape[1]
x_train = np.reshape(x_train, [-1, image_size, image_size, 1])
x_test = np.reshape(x_test, [-1, image_size, image_size, 1])
x_train = x_train.astype("float32") / 255
x_test = x_test.astype("float32") / 255

noise = np.random.normal(loc=0.5, scale=0.5, size=x_train.shape)
x_train_noisy = x_train + noise
noise = np.random.normal(loc=0.5, scale=0.5, size=x_test.shape)
x_test_noisy = x_test + noise
x_train_noisy = np.clip(x_train_noisy, 0.0, 1.0)
x_test_noisy = np.clip(x_test_noisy, 0.0, 1.0)

input_shape = (image_size, image_size, 1)
batch_size = 128
kernel_size = 3
latent_dim = 16
layer_filters = [32, 64]

inputs = Input(shape=input_shape, name="encoder_input")
x = inputs
for filters in layer_filters:
    x = Conv2D(filters=filters, kernel_size=kernel_size, strides=2, activation="relu",
               padding="same")(x)
shape = K.int_shape(x)
x = Flatten()(x)
latent = Dense(latent_dim, name="latent_vector")(x)
encoder = Model(inputs, latent, name="encoder")
encoder.summary()

latent_inputs = Input(shape=(latent_dim,), name="decoder_input")
x = Dense(shape[1] * shape[2] * shape[3])(latent_inputs)
x = Reshape((shape[1], shape[2], shape[3]))(x)
for filters in layer_filters[::-1]:
    x = Conv2DTranspose(filters=filters, kernel_size=kernel_size, strides=2,
                        activation="relu", padding="same")(x)
x = Conv2DTranspose(filters=1, kernel_size=kernel_size, padding="same")(x)
outputs = Activation("sigmoid", name="decoder_output")(x)
decoder = Model(latent_inputs, outputs, name="decoder")
decoder.summary()

autoencoder = Model(inputs, decoder(encoder(inputs)), name="autoencoder")
autoencoder.summary()
autoencoder.compile(loss="mse", optimizer="adam")
history = autoencoder.fit(x_train_noisy, x_train, validation_data=(x_test_noisy, x_test),
                          epochs=30, batch_size=batch_size)

x_decoded = autoencoder.predict(x_test_noisy)
print("decoded:", x_decoded.shape)
