"""Tutorial 002, "Simple Convolutional Neural Network using Keras", with npconv for keras.

Two small convolutions and a softmax layer on MNIST, trained with Adam for 5 epochs; then the
first test images with their predicted and actual labels (saved to mnist_predictions.png when
matplotlib is installed).
"""

from npconv.datasets import mnist

# download mnist data and split into train and test sets
(x_train, y_train), (x_test, y_test) = mnist.load_data()

# reshape data to fit model
x_train = x_train.reshape(60000, 28, 28, 1)
x_test = x_test.reshape(10000, 28, 28, 1)

from npconv.utils import to_categorical  # noqa: E402

# one-hot encode target column
y_train = to_categorical(y_train)
y_test = to_categorical(y_test)

from npconv.layers import Conv2D, Dense, Flatten  # noqa: E402
from npconv.models import Sequential  # noqa: E402

# create model
model = Sequential()
# add model layers
model.add(Conv2D(16, kernel_size=3, activation="relu", input_shape=(28, 28, 1)))
model.add(Conv2D(8, kernel_size=3, activation="relu"))
model.add(Flatten())
model.add(Dense(10, activation="softmax"))

# compile model using accuracy to measure model performance
model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])

# train the model
history = model.fit(x_train, y_train, validation_data=(x_test, y_test), epochs=5)

import numpy as np  # noqa: E402

# predict first 3 images in the test set
prediction = model.predict(x_test[:3])
print(prediction)
print("predicted:", np.argmax(prediction, axis=1), "actual:", np.argmax(y_test[:3], axis=1))

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("pip install matplotlib to see the pictures of the predictions")
else:
    fig = plt.figure(figsize=(15, 15))
    columns, rows = 3, 1
    for i in range(1, columns * rows + 1):
        ax = fig.add_subplot(rows, columns, i)
        plt.xticks([], [])
        plt.yticks([], [])
        actual_label = np.argmax(y_test[i - 1])
        prediction_label = np.argmax(prediction[i - 1])
        ax.title.set_text(f"Prediction: {prediction_label} - Actual: {actual_label}")
        image = x_test[i - 1].reshape((28, 28))
        plt.imshow(image, cmap="gray")
    fig.savefig("mnist_predictions.png")
    print("saved mnist_predictions.png")
