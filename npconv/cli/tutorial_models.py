"""The tutorials' three models, as ``npconv train --model NAME`` builds them.

Each builder takes the data's ``input_shape`` (channels_last, without the batch axis) and
``num_classes`` and returns an uncompiled model; ``TUTORIAL_MODELS`` pairs it with the
optimizer, epochs and batch size its tutorial trains it with:

- ``mnist_simple`` (tutorial 002): Conv16 - Conv8 - Flatten - Dense, Adam, 5 epochs, batch 32.
- ``mnist_cnn`` (tutorial 004, Keras 2's ``mnist_cnn.py``): Conv32 - Conv64 - MaxPool -
  Dropout - Dense128 - Dropout - Dense, Adadelta (learning rate 1.0), 12 epochs, batch 128.
- ``cifar10_cnn`` (tutorials 001/003): Conv32 same - Dropout - Conv32 - MaxPool - Flatten -
  Dense512 - Dropout - Dense, SGD(momentum=0.5, decay=0.0004), 25 epochs, batch 512.

``--model path/to/file.py`` runs that file and calls its ``build_model()`` instead (with
``input_shape=`` and ``num_classes=`` when its signature accepts them).
"""

from __future__ import annotations

import inspect
import pathlib
import runpy
from collections.abc import Callable
from dataclasses import dataclass

from ..layers import Conv2D, Dense, Dropout, Flatten, MaxPooling2D
from ..models import Sequential


def mnist_simple(input_shape, num_classes):
    return Sequential([
        Conv2D(16, kernel_size=3, activation="relu", input_shape=input_shape),
        Conv2D(8, kernel_size=3, activation="relu"),
        Flatten(),
        Dense(num_classes, activation="softmax"),
    ], name="mnist_simple")


def mnist_cnn(input_shape, num_classes):
    return Sequential([
        Conv2D(32, kernel_size=(3, 3), activation="relu", input_shape=input_shape),
        Conv2D(64, (3, 3), activation="relu"),
        MaxPooling2D(pool_size=(2, 2)),
        Dropout(0.25),
        Flatten(),
        Dense(128, activation="relu"),
        Dropout(0.5),
        Dense(num_classes, activation="softmax"),
    ], name="mnist_cnn")


def cifar10_cnn(input_shape, num_classes):
    return Sequential([
        Conv2D(32, (3, 3), input_shape=input_shape, activation="relu", padding="same"),
        Dropout(0.2),
        Conv2D(32, (3, 3), activation="relu", padding="valid"),
        MaxPooling2D(pool_size=(2, 2)),
        Flatten(),
        Dense(512, activation="relu"),
        Dropout(0.5),
        Dense(num_classes, activation="softmax"),
    ], name="cifar10_cnn")


@dataclass(frozen=True)
class TutorialModel:
    build: Callable
    optimizer: dict  # an optimizer config for npconv.optimizers.get
    epochs: int
    batch_size: int
    tutorial: str


TUTORIAL_MODELS = {
    "mnist_simple": TutorialModel(mnist_simple, {"class_name": "Adam", "config": {}}, 5, 32,
                                  "002"),
    "mnist_cnn": TutorialModel(mnist_cnn, {"class_name": "Adadelta", "config": {}}, 12, 128,
                               "004"),
    "cifar10_cnn": TutorialModel(
        cifar10_cnn,
        {"class_name": "SGD", "config": {"momentum": 0.5, "decay": 0.0004}}, 25, 512, "001/003"),
}


def build_from_file(path, input_shape, num_classes):
    """Run the Python file at ``path`` and return what its ``build_model()`` returns."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"--model {path}: no such file")
    namespace = runpy.run_path(str(path), run_name="npconv_user_model")
    build = namespace.get("build_model")
    if not callable(build):
        raise ValueError(f"--model {path}: the file defines no build_model() function")
    params = inspect.signature(build).parameters
    kwargs = {}
    if "input_shape" in params:
        kwargs["input_shape"] = input_shape
    if "num_classes" in params:
        kwargs["num_classes"] = num_classes
    model = build(**kwargs)
    if not hasattr(model, "fit"):
        raise ValueError(f"--model {path}: build_model() returned {type(model).__name__}, "
                         "expected an npconv model")
    return model
