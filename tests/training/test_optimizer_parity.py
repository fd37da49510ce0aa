"""Five ``train_on_batch`` steps per optimizer against real Keras 3.15: same start weights,
same data -> Keras's losses and final weights within 2e-4.

References: tests/references/keras_training.npz, written by tools/keras_references/layers.py.
"""

import json
import pathlib

import numpy as np
import pytest

import npconv
from npconv import layers, optimizers

REF = np.load(pathlib.Path(__file__).parents[1] / "references" / "keras_training.npz")
CASES = sorted({k.split("/")[0] for k in REF.files if "/" in k})


def small_model():
    return npconv.Sequential(
        [
            npconv.Input((6, 6, 2)),
            layers.Conv2D(3, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dense(4, activation="softmax"),
        ]
    )


@pytest.mark.parametrize("name", CASES)
def test_five_steps_match_keras(name):
    spec = json.loads(str(REF[f"{name}/spec"]))
    model = small_model()
    n = len(model.get_weights())
    model.set_weights([REF[f"w0_{i}"] for i in range(n)])
    model.compile(
        optimizer=getattr(optimizers, spec["class_name"])(**spec["config"]),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    losses = [model.train_on_batch(REF["x"], REF["y"])[0] for _ in range(5)]
    np.testing.assert_allclose(losses, REF[f"{name}/losses"], atol=2e-4, rtol=2e-4)
    for got, want in zip(model.get_weights(), [REF[f"{name}/w{i}"] for i in range(n)]):
        np.testing.assert_allclose(got, want, atol=2e-4, rtol=2e-4)
