"""LeNet-5 on MNIST with tanh and average pooling, as the classic Keras tutorials write it.

Corpus program: written for npconv after the style of public LeNet-5 Keras tutorials
(padding the 28x28 digits to 32x32 with `np.pad`, Conv2D(6, 5, activation="tanh"),
AveragePooling2D, Conv2D(16, 5), Dense 120/84/10, SGD, `validation_data`, `history.history`
and `model.predict` + `argmax`).
"""
import numpy as np

from keras import layers, models
from keras.datasets import mnist
from keras.utils import to_categorical

(x_train, y_train), (x_test, y_test) = mnist.load_data()
x_train = np.pad(x_train, ((0, 0), (2, 2), (2, 2)), "constant")
x_test = np.pad(x_test, ((0, 0), (2, 2), (2, 2)), "constant")
x_train = x_train[..., np.newaxis].astype("float32") / 255.0
x_test = x_test[..., np.newaxis].astype("float32") / 255.0
y_train_cat = to_categorical(y_train, 10)
y_test_cat = to_categorical(y_test, 10)

model = models.Sequential()
model.add(layers.Conv2D(6, kernel_size=(5, 5), activation="tanh", input_shape=(32, 32, 1)))
model.add(layers.AveragePooling2D(pool_size=(2, 2), strides=2))
model.add(layers.Conv2D(16, kernel_size=(5, 5), activation="tanh"))
model.add(layers.AveragePooling2D(pool_size=(2, 2), strides=2))
model.add(layers.Flatten())
model.add(layers.Dense(120, activation="tanh"))
model.add(layers.Dense(84, activation="tanh"))
model.add(layers.Dense(10, activation="softmax"))
model.summary()

model.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["accuracy"])
history = model.fit(x_train, y_train_cat, epochs=20, batch_size=64,
                    validation_data=(x_test, y_test_cat))
print(sorted(history.history.keys()))
predicted = np.argmax(model.predict(x_test[:10]), axis=1)
print("predicted:", predicted, "actual:", y_test[:10])
