"""Test accuracy of the tutorials' models 002 and 004 on the full Fashion-MNIST (issue 3).

Real Keras 3.15 on this machine reached 89.4% (002: Adam, 5 epochs, batch 32) and 92.5% (004:
Adadelta, 12 epochs, batch 128). Needs Fashion-MNIST (`apt-get install dataset-fashion-mnist`).

    python bench/fashion_accuracy.py [002|004] [--seed N]
"""

import argparse
import json
import time

import npconv
from npconv.datasets import fashion_mnist
from npconv.layers import Conv2D, Dense, Dropout, Flatten, MaxPooling2D
from npconv.models import Sequential


def model_002():
    model = Sequential([
        Conv2D(16, kernel_size=3, activation="relu", input_shape=(28, 28, 1)),
        Conv2D(8, kernel_size=3, activation="relu"),
        Flatten(),
        Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model, 5, 32


def model_004():
    model = Sequential([
        Conv2D(32, kernel_size=(3, 3), activation="relu", input_shape=(28, 28, 1)),
        Conv2D(64, (3, 3), activation="relu"),
        MaxPooling2D(pool_size=(2, 2)),
        Dropout(0.25),
        Flatten(),
        Dense(128, activation="relu"),
        Dropout(0.5),
        Dense(10, activation="softmax"),
    ])
    model.compile(loss="categorical_crossentropy", optimizer=npconv.optimizers.Adadelta(),
                  metrics=["accuracy"])
    return model, 12, 128


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("which", choices=["002", "004"])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    npconv.utils.set_random_seed(args.seed)
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
    x_train = x_train.reshape(-1, 28, 28, 1).astype("float32") / 255
    x_test = x_test.reshape(-1, 28, 28, 1).astype("float32") / 255
    y_train = npconv.utils.to_categorical(y_train, 10)
    y_test = npconv.utils.to_categorical(y_test, 10)
    model, epochs, batch_size = {"002": model_002, "004": model_004}[args.which]()
    start = time.perf_counter()
    model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, verbose=2,
              validation_data=(x_test, y_test))
    seconds = time.perf_counter() - start
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(json.dumps({"model": args.which, "test_accuracy": accuracy, "test_loss": loss,
                      "epochs": epochs, "batch_size": batch_size, "train_seconds": seconds}))


if __name__ == "__main__":
    main()
