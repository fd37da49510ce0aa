"""Model files written by real Keras, for npconv's Keras weight-import tests.

npconv promises that weights move between Keras and npconv without conversion
(``npconv.io.keras_h5``). That promise is only checked if the files were written by Keras
itself, not by a test imitating it; this script writes them. Run it with TensorFlow's Keras in
a separate virtual environment (never needed by npconv):

    python3 -m venv /tmp/tfenv && /tmp/tfenv/bin/pip install tensorflow-cpu==2.21.0
    /tmp/tfenv/bin/python tools/keras_references/make_h5_files.py

(tensorflow-cpu 2.21.0 brings Keras 3.15.1 and h5py 3.14.) It writes, into
``tests/references/keras_files/``, for each small model below:

- ``<name>.weights.h5``: ``model.save_weights`` (Keras 3's layout, ``layers/<key>/vars/<i>``);
- ``<name>.keras``: ``model.save`` (a zip of ``config.json``, ``metadata.json`` and
  ``model.weights.h5``);
- ``<name>.h5``: ``model.save("x.h5")``, the legacy Keras 2 full-model format (attributes
  ``model_config``, ``layer_names``, ``weight_names``);

(``nested``, a model inside a model, has no ``.keras``), plus ``tutorial004.legacy.weights.h5``,
a legacy weights-only file (what Keras 2's ``save_weights("x.h5")`` wrote; Keras 3 writes it
only through its legacy module), and ``predictions.npz`` with each model's inputs
(``<name>/x`` or ``<name>/x0``, ``<name>/x1``) and Keras's ``predict`` output (``<name>/y``).

Every weight is set to seeded random values (moving variances positive) rather than left at
its initial value, so that a weight loaded into the wrong place, or BatchNormalization's four
arrays in the wrong order, changes the predictions. Layer sizes are tiny: the folder stays far
below 500 KB (about 400 KB).
"""

from __future__ import annotations

import os
import pathlib
import shutil

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import h5py  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parents[2] / "tests" / "references" / "keras_files"


def tutorial004():
    """Tutorial 004's MNIST network (Conv-Conv-MaxPool-Dropout-Flatten-Dense-Dropout-Dense),
    with 3 and 4 filters on 10x10 images instead of 32 and 64 on 28x28."""
    return keras.Sequential(
        [
            keras.Input((10, 10, 1)),
            layers.Conv2D(3, kernel_size=(3, 3), activation="relu"),
            layers.Conv2D(4, (3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Dropout(0.25),
            layers.Flatten(),
            layers.Dense(8, activation="relu"),
            layers.Dropout(0.5),
            layers.Dense(3, activation="softmax"),
        ],
        name="tutorial004",
    )


def mixed():
    """BatchNormalization, Conv3D, Conv1D, average pooling and global average pooling in one
    stack (a Reshape takes the 3D feature maps to a sequence). Two Conv layers of one rank
    and two BatchNormalization layers, so that Keras's per-class keys (``conv3d``,
    ``conv3d_1``, ...) and their order are exercised."""
    return keras.Sequential(
        [
            keras.Input((6, 6, 6, 1)),
            layers.Conv3D(2, 3, activation="relu"),
            layers.BatchNormalization(),
            layers.AveragePooling3D(2),
            layers.Reshape((8, 2)),
            layers.Conv1D(3, 2, padding="same"),
            layers.BatchNormalization(),
            layers.Conv1D(3, 3, activation="tanh"),
            layers.AveragePooling1D(2),
            layers.GlobalAveragePooling1D(),
            layers.Dense(2),
        ],
        name="mixed",
    )


def two_inputs():
    """A functional model with two inputs: an image branch (Conv2D, BatchNormalization,
    AveragePooling2D, GlobalAveragePooling2D) and a vector branch (Dense), concatenated and
    followed by Dense layers."""
    image = keras.Input((8, 8, 1), name="image")
    vector = keras.Input((5,), name="vector")
    x = layers.Conv2D(3, 3, padding="same", activation="relu", name="conv")(image)
    x = layers.BatchNormalization(name="bn")(x)
    x = layers.AveragePooling2D(2, name="avg")(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    v = layers.Dense(4, activation="relu", name="vec_dense")(vector)
    h = layers.Concatenate(name="concat")([x, v])
    h = layers.Dense(4, activation="relu", name="hidden")(h)
    out = layers.Dense(2, activation="softmax", name="out")(h)
    return keras.Model([image, vector], out, name="two_inputs")


def nested():
    """A Sequential inside a Sequential (Keras 3 nests its keys, ``layers/sequential/layers/
    dense``; the legacy format lists the inner model's weights as one layer's, trainable ones
    first). Only ``.weights.h5`` and ``.h5`` are written for it, to keep the folder small."""
    inner = keras.Sequential(
        [
            keras.Input((6,)),
            layers.Dense(4, activation="relu"),
            layers.BatchNormalization(),
            layers.Dense(3),
        ],
        name="inner",
    )
    return keras.Sequential([keras.Input((5,)), layers.Dense(6), inner, layers.Dense(2)])


MODELS = {"tutorial004": tutorial004, "mixed": mixed, "two_inputs": two_inputs, "nested": nested}


def randomize(model, rng):
    """Give every weight a distinct seeded random value (moving variances in [0.5, 1.5])."""
    for v in model.weights:
        shape = tuple(v.shape)
        if v.path.endswith("moving_variance"):
            value = rng.uniform(0.5, 1.5, shape)
        else:
            value = rng.normal(0.0, 0.5, shape)
        v.assign(value.astype("float32"))


def inputs_for(model, rng):
    return [rng.normal(0.0, 1.0, (4, *tuple(t.shape)[1:])).astype("float32") for t in model.inputs]


def main():
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    arrays = {}
    for seed, (name, make) in enumerate(MODELS.items()):
        keras.utils.set_random_seed(seed)
        rng = np.random.default_rng(seed)
        model = make()
        randomize(model, rng)
        xs = inputs_for(model, rng)
        y = model.predict(xs if len(xs) > 1 else xs[0], verbose=0)
        if len(xs) == 1:
            arrays[f"{name}/x"] = xs[0]
        else:
            for i, x in enumerate(xs):
                arrays[f"{name}/x{i}"] = x
        arrays[f"{name}/y"] = np.asarray(y, dtype="float32")
        model.save_weights(OUT / f"{name}.weights.h5")
        if name != "nested":
            model.save(OUT / f"{name}.keras")
        model.save(OUT / f"{name}.h5")  # Keras 3 writes .h5 in the legacy format
        if name == "tutorial004":
            from keras.src.legacy.saving import legacy_h5_format

            with h5py.File(OUT / f"{name}.legacy.weights.h5", "w") as f:
                legacy_h5_format.save_weights_to_hdf5_group(f, model)
    np.savez_compressed(OUT / "predictions.npz", **arrays)
    total = sum(p.stat().st_size for p in OUT.iterdir())
    for p in sorted(OUT.iterdir()):
        print(f"{p.stat().st_size:>8}  {p.relative_to(OUT.parents[2])}")
    print(f"{total:>8}  total (keras {keras.__version__}, h5py {h5py.__version__})")


if __name__ == "__main__":
    main()
