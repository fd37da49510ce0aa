"""Convolutional autoencoder for image denoising, in the shape of keras-io's
examples/vision/autoencoder.py.

Corpus program: written for npconv after the public example (keras-team/keras-io,
`examples/vision/autoencoder.py`), keeping its Keras 3 API use: functional `layers.Input`,
Conv2D + MaxPooling2D(padding="same") encoder, Conv2DTranspose(strides=2) decoder,
`Model(input, x)`, binary cross-entropy with Adam, trained first on clean then on noisy
digits with `validation_data`, and `predict`.
"""
import numpy as np

from keras import layers
from keras.datasets import mnist
from keras.models import Model


def preprocess(array):
    array = array.astype("float32") / 255.0
    array = np.reshape(array, (len(array), 28, 28, 1))
    return array


def noise(array):
    noise_factor = 0.4
    noisy_array = array + noise_factor * np.random.normal(loc=0.0, scale=1.0, size=array.shape)
    return np.clip(noisy_array, 0.0, 1.0)


(train_data, _), (test_data, _) = mnist.load_data()
train_data = preprocess(train_data)
test_data = preprocess(test_data)
noisy_train_data = noise(train_data)
noisy_test_data = noise(test_data)

input = layers.Input(shape=(28, 28, 1))

# Encoder
x = layers.Conv2D(32, (3, 3), activation="relu", padding="same")(input)
x = layers.MaxPooling2D((2, 2), padding="same")(x)
x = layers.Conv2D(32, (3, 3), activation="relu", padding="same")(x)
x = layers.MaxPooling2D((2, 2), padding="same")(x)

# Decoder
x = layers.Conv2DTranspose(32, (3, 3), strides=2, activation="relu", padding="same")(x)
x = layers.Conv2DTranspose(32, (3, 3), strides=2, activation="relu", padding="same")(x)
x = layers.Conv2D(1, (3, 3), activation="sigmoid", padding="same")(x)

autoencoder = Model(input, x)
autoencoder.compile(optimizer="adam", loss="binary_crossentropy")
autoencoder.summary()

autoencoder.fit(x=train_data, y=train_data, epochs=50, batch_size=128, shuffle=True,
                validation_data=(test_data, test_data))
predictions = autoencoder.predict(test_data)

autoencoder.fit(x=noisy_train_data, y=train_data, epochs=100, batch_size=128, shuffle=True,
                validation_data=(noisy_test_data, test_data))
predictions = autoencoder.predict(noisy_test_data)
print("predictions:", predictions.shape)
