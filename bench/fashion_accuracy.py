"""Test accuracy of the tutorials' models 002 and 004 on the full Fashion-MNIST (issue 3).

Real Keras 3.15 on this machine reached 89.4% (002: Adam, 5 epochs, batch 32) and 92.5% (004:
Adadelta, 12 epochs, batch 128). Needs Fashion-MNIST (`apt-get install dataset-fashion-mnist`).
The models are the ones `npconv train --model mnist_simple|mnist_cnn` builds.

    python bench/fashion_accuracy.py [002|004] [--seed N]
"""

import argparse
import json
import time

import npconv
from npconv.cli.tutorial_models import TUTORIAL_MODELS
from npconv.datasets import fashion_mnist

MODELS = {"002": "mnist_simple", "004": "mnist_cnn"}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("which", choices=sorted(MODELS))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    npconv.utils.set_random_seed(args.seed)
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
    x_train = x_train.reshape(-1, 28, 28, 1).astype("float32") / 255
    x_test = x_test.reshape(-1, 28, 28, 1).astype("float32") / 255
    y_train = npconv.utils.to_categorical(y_train, 10)
    y_test = npconv.utils.to_categorical(y_test, 10)
    tutorial = TUTORIAL_MODELS[MODELS[args.which]]
    model = tutorial.build((28, 28, 1), 10)
    model.compile(loss="categorical_crossentropy", metrics=["accuracy"],
                  optimizer=npconv.optimizers.get(tutorial.optimizer))
    start = time.perf_counter()
    model.fit(x_train, y_train, batch_size=tutorial.batch_size, epochs=tutorial.epochs,
              verbose=2, validation_data=(x_test, y_test))
    seconds = time.perf_counter() - start
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(json.dumps({"model": args.which, "test_accuracy": accuracy, "test_loss": loss,
                      "epochs": tutorial.epochs, "batch_size": tutorial.batch_size,
                      "train_seconds": seconds}))


if __name__ == "__main__":
    main()
