"""Transfer learning on MNIST digits 0-4 then 5-9, in the shape of Keras 2's
examples/mnist_transfer_cnn.py.

Corpus program: written for npconv after the public example (keras-team/keras, Keras 2.2
`examples/mnist_transfer_cnn.py`), keeping its API use: a Sequential built from two lists
of layers, `layer.trainable = False` on the feature layers before the second compile,
Adadelta, `K.image_data_format()`, and `keras.utils.to_categorical`.
"""
import datetime

import keras
from keras import backend as K
from keras.datasets import mnist
from keras.layers import Activation, Conv2D, Dense, Dropout, Flatten, MaxPooling2D
from keras.models import Sequential

now = datetime.datetime.now

batch_size = 128
num_classes = 5
epochs = 5

img_rows, img_cols = 28, 28
filters = 32
pool_size = 2
kernel_size = 3

if K.image_data_format() == "channels_first":
    input_shape = (1, img_rows, img_cols)
else:
    input_shape = (img_rows, img_cols, 1)


def train_model(model, train, test, num_classes):
    x_train = train[0].reshape((train[0].shape[0],) + input_shape)
    x_test = test[0].reshape((test[0].shape[0],) + input_shape)
    x_train = x_train.astype("float32")
    x_test = x_test.astype("float32")
    x_train /= 255
    x_test /= 255
    print("x_train shape:", x_train.shape)
    print(x_train.shape[0], "train samples")
    print(x_test.shape[0], "test samples")

    y_train = keras.utils.to_categorical(train[1], num_classes)
    y_test = keras.utils.to_categorical(test[1], num_classes)

    model.compile(loss="categorical_crossentropy", optimizer="adadelta", metrics=["accuracy"])

    t = now()
    model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, verbose=1,
              validation_data=(x_test, y_test))
    print("Training time: %s" % (now() - t))
    score = model.evaluate(x_test, y_test, verbose=0)
    print("Test score:", score[0])
    print("Test accuracy:", score[1])
    return score


(x_train, y_train), (x_test, y_test) = mnist.load_data()

x_train_lt5 = x_train[y_train < 5]
y_train_lt5 = y_train[y_train < 5]
x_test_lt5 = x_test[y_test < 5]
y_test_lt5 = y_test[y_test < 5]

x_train_gte5 = x_train[y_train >= 5]
y_train_gte5 = y_train[y_train >= 5] - 5
x_test_gte5 = x_test[y_test >= 5]
y_test_gte5 = y_test[y_test >= 5] - 5

feature_layers = [
    Conv2D(filters, kernel_size, padding="valid", input_shape=input_shape),
    Activation("relu"),
    Conv2D(filters, kernel_size),
    Activation("relu"),
    MaxPooling2D(pool_size=pool_size),
    Dropout(0.25),
    Flatten(),
]

classification_layers = [
    Dense(128),
    Activation("relu"),
    Dropout(0.5),
    Dense(num_classes),
    Activation("softmax"),
]

model = Sequential(feature_layers + classification_layers)

first_score = train_model(model, (x_train_lt5, y_train_lt5), (x_test_lt5, y_test_lt5),
                          num_classes)

for l in feature_layers:
    l.trainable = False

frozen = [w.copy() for w in model.layers[0].get_weights()]
second_score = train_model(model, (x_train_gte5, y_train_gte5), (x_test_gte5, y_test_gte5),
                           num_classes)
