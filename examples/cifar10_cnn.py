"""Tutorials 001/003, "Convolutional Neural Networks (CNNs) Tutorial with Python", with npconv
for keras: the CIFAR-10 model trained with SGD(momentum=0.5, decay=0.0004).

The tutorial's ``import pandas as pd`` (unused) is left out, and its typo ``u.to_categorical``
is written ``utils.to_categorical``.
"""

import numpy as np  # noqa: F401 - as in the tutorial

from npconv.datasets import cifar10
from npconv.layers import Dense, Dropout, Flatten
from npconv.layers.convolutional import Conv2D, MaxPooling2D
from npconv.models import Sequential
from npconv.optimizers import SGD
from npconv.utils import np_utils as utils

# Loading the data
(X, y), (X_test, y_test) = cifar10.load_data()

# Scaling the data
X, X_test = X.astype("float32") / 255.0, X_test.astype("float32") / 255.0

# One-hot encoding the labels
y, y_test = utils.to_categorical(y, 10), utils.to_categorical(y_test, 10)

# Building the model
model = Sequential()
model.add(Conv2D(32, (3, 3), input_shape=(32, 32, 3), padding="same", activation="relu"))
model.add(Dropout(0.2))
model.add(Conv2D(32, (3, 3), activation="relu", padding="valid"))
model.add(MaxPooling2D(pool_size=(2, 2)))
model.add(Flatten())
model.add(Dense(512, activation="relu"))
model.add(Dropout(0.3))
model.add(Dense(10, activation="softmax"))

# Compiling the model, with SGD as the optimizer
model.compile(
    loss="categorical_crossentropy",
    optimizer=SGD(momentum=0.5, decay=0.0004),
    metrics=["accuracy"],
)

# Training
model.fit(X, y, validation_data=(X_test, y_test), epochs=25, batch_size=512)

# Evaluating
print("Accuracy: %.2f%%" % (model.evaluate(X_test, y_test)[1] * 100))
