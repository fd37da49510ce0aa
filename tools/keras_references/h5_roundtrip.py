"""Keras HDF5 files written by npconv, read by real Keras: the round trip of issue 10.

npconv's ``model.save("x.h5")`` and ``model.save_weights("x.h5")`` write Keras's legacy HDF5
format (``npconv.io.keras_h5_write``). This script checks that real Keras reads them, in two
steps with two Pythons:

1. ``write``, with the project's own Python (npconv, NumPy, h5py; no Keras)::

       python3 tools/keras_references/h5_roundtrip.py write

   builds three small npconv models with seeded random weights — ``npconv_cnn``, a compiled
   Sequential CNN (Conv2D, BatchNormalization, MaxPooling2D, Dropout, Flatten, Dense);
   ``npconv_merge``, a functional model with two inputs, ``Add`` and ``Concatenate``; and
   ``npconv_keras2``, a Keras 2 tutorial's Sequential (``add``, ``input_shape=``,
   ``Convolution2D``, ``SGD(lr=..., nesterov=True)``); ``npconv_layers``, many more layer
   kinds in one four-input, three-output model — and writes into
   ``tests/references/keras_files/`` each model (``model.save``) and its weights
   (``model.save_weights``), under ``.h5`` and ``.hdf5`` names (``FILES``).

2. ``predict``, with TensorFlow's Keras (tensorflow-cpu 2.21.0, Keras 3.15.1; never needed by
   npconv)::

       CUDA_VISIBLE_DEVICES= TF_CPP_MIN_LOG_LEVEL=3 /tmp/refenv/bin/python \\
           tools/keras_references/h5_roundtrip.py predict

   opens each file with ``keras.models.load_model`` and predicts on fixed inputs; loads the
   weights-only file with ``load_weights`` into a copy of the architecture whose weights were
   re-initialized, and predicts again; evaluates the compiled model (so its loss, metric and
   optimizer came through); and stores all of it in ``npconv_predictions.npz``:
   ``<name>/x`` (or ``x0``, ``x1``, ...), ``<name>/model_y`` and ``<name>/weights_y`` (or
   ``model_y0``, ... for several outputs), and for the
   compiled models ``<name>/labels``, ``<name>/evaluate`` (loss, accuracy) and
   ``<name>/compiled`` (Keras's optimizer class, learning rate as text, loss name).

``tests/io/test_keras_h5_write.py`` loads npconv's files with npconv and compares its
predictions with Keras's (rtol 1e-5). Seeds are fixed, so ``write`` gives the same weights and
configs every time; the files are about 30 KB each.
"""

from __future__ import annotations

import os
import pathlib
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "references" / "keras_files"
PREDICTIONS = OUT / "npconv_predictions.npz"
#: name -> (model file, weights-only file)
FILES = {
    "npconv_cnn": ("npconv_cnn.h5", "npconv_cnn_weights.h5"),
    "npconv_merge": ("npconv_merge.h5", "npconv_merge_weights.hdf5"),
    "npconv_keras2": ("npconv_keras2.hdf5", "npconv_keras2_weights.h5"),
    "npconv_layers": ("npconv_layers.h5", "npconv_layers_weights.h5"),
}
#: the compiled ones, which Keras also evaluates
COMPILED = ("npconv_cnn", "npconv_keras2")


# ----------------------------------------------------------------------------- npconv side
def npconv_cnn():
    """A compiled Sequential CNN in the seeds' style, on 10x10 one-channel images. Layers and
    optimizer are named (as Keras would name them) so that the files do not depend on how many
    the process made before."""
    from npconv import layers as L
    from npconv import optimizers
    from npconv.models import Sequential

    model = Sequential(
        [
            L.Input((10, 10, 1), name="input_layer"),
            L.Conv2D(4, (3, 3), activation="relu", name="conv2d"),
            L.BatchNormalization(name="batch_normalization"),
            L.MaxPooling2D(pool_size=(2, 2), name="max_pooling2d"),
            L.Dropout(0.25, name="dropout"),
            L.Conv2D(3, (2, 2), padding="same", activation="tanh", name="conv2d_1"),
            L.Flatten(name="flatten"),
            L.Dense(8, activation="relu", name="dense"),
            L.Dropout(0.5, name="dropout_1"),
            L.Dense(3, activation="softmax", name="dense_1"),
        ],
        name="npconv_cnn",
    )
    model.compile(
        optimizer=optimizers.Adam(learning_rate=0.002, name="adam"),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def npconv_keras2():
    """A Keras 2 tutorial's model: ``Sequential()`` grown with ``add``, the first layer given
    ``input_shape=`` (no ``Input``), Keras 2 names (``Convolution2D``, ``SGD(lr=...)``)."""
    from npconv import layers as L
    from npconv.models import Sequential
    from npconv.optimizers import SGD

    model = Sequential(name="sequential")
    model.add(L.Convolution2D(4, (3, 3), activation="relu", input_shape=(8, 8, 1),
                              name="conv2d"))
    model.add(L.MaxPooling2D(pool_size=(2, 2), name="max_pooling2d"))
    model.add(L.Dropout(0.25, name="dropout"))
    model.add(L.Flatten(name="flatten"))
    model.add(L.Dense(3, activation="softmax", name="dense"))
    model.compile(
        loss="categorical_crossentropy",
        optimizer=SGD(lr=0.01, momentum=0.9, nesterov=True, name="sgd"),
        metrics=["accuracy"],
    )
    return model


def npconv_layers():
    """One model with many of the layer kinds npconv writes for Keras, so that each one's
    config is checked against Keras's constructor: four inputs (2D, 1D, 3D and a
    channels_first image), regularizers and constraints, advanced activations, causal and
    dilated convolution, paddings, poolings, spatial dropout, Permute/Reshape, and every merge
    layer, with three outputs."""
    from npconv import constraints, regularizers
    from npconv import layers as L
    from npconv.models import Model

    image = L.Input((8, 8, 2), name="image")
    x = L.ZeroPadding2D(1, name="pad2d")(image)
    x = L.Conv2D(3, 3, strides=2, kernel_regularizer=regularizers.l2(0.01),
                 kernel_constraint=constraints.MaxNorm(2.0), name="conv2d")(x)
    x = L.LeakyReLU(0.2, name="leaky")(x)
    x = L.BatchNormalization(momentum=0.9, epsilon=1e-5, name="bn")(x)
    x = L.ReLU(name="relu")(x)
    x = L.AveragePooling2D(2, padding="same", name="avg2d")(x)
    x = L.SpatialDropout2D(0.1, name="sdrop")(x)
    x = L.ELU(name="elu")(x)
    x = L.Permute((2, 1, 3), name="permute")(x)
    x = L.Reshape((-1,), name="reshape")(x)
    x = L.Activation("tanh", name="tanh")(x)
    a = L.Dense(4, name="dense_a")(x)

    sequence = L.Input((10, 3), name="sequence")
    y = L.Conv1D(4, 3, padding="causal", dilation_rate=2, name="conv1d")(sequence)
    y = L.MaxPooling1D(2, name="max1d")(y)
    y = L.ZeroPadding1D(1, name="pad1d")(y)
    y = L.GlobalMaxPooling1D(name="gmax1d")(y)
    b = L.Dense(4, activation="sigmoid", name="dense_b")(y)

    volume = L.Input((6, 6, 6, 1), name="volume")
    z = L.Conv3D(2, 3, name="conv3d")(volume)
    z = L.ZeroPadding3D(1, name="pad3d")(z)
    z = L.MaxPooling3D(2, name="max3d")(z)
    z = L.GlobalAveragePooling3D(name="gap3d")(z)
    c = L.Dense(4, name="dense_c")(z)

    planes = L.Input((2, 8, 8), name="planes")
    w = L.Conv2D(3, 3, data_format="channels_first", name="conv_cf")(planes)
    w = L.MaxPooling2D(data_format="channels_first", name="max_cf")(w)
    w = L.Flatten(data_format="channels_first", name="flatten_cf")(w)
    d = L.Dense(4, name="dense_d")(w)

    merged = [
        L.Subtract(name="subtract")([a, b]),
        L.Multiply(name="multiply")([a, c]),
        L.Maximum(name="maximum")([b, c]),
        L.Minimum(name="minimum")([c, d]),
        L.Average(name="average")([a, d]),
    ]
    out1 = L.Softmax(name="softmax")(L.Concatenate(name="concat")(merged))
    out2 = L.Dense(1, name="out2")(L.Add(name="add")(merged))
    out3 = L.Dropout(0.5, name="dropout")(d)
    return Model([image, sequence, volume, planes], [out1, out2, out3], name="npconv_layers")


def npconv_merge():
    """A functional model with two inputs, Add and Concatenate, whose layers npconv lists in
    another order than Keras (so the file's layer order is exercised)."""
    from npconv import layers as L
    from npconv.models import Model

    image = L.Input((6, 6, 1), name="image")
    vector = L.Input((4,), name="vector")
    a = L.Conv2D(2, 3, padding="same", name="conv_a")(image)
    b = L.Conv2D(2, 1, name="conv_b")(image)
    s = L.Add(name="add")([a, b])
    c = L.Concatenate(name="concat_maps")([s, image])
    c = L.BatchNormalization(name="bn")(c)
    g = L.GlobalAveragePooling2D(name="gap")(c)
    v = L.Dense(3, activation="relu", name="vec_dense")(vector)
    h = L.Concatenate(name="concat")([v, g])
    out = L.Dense(2, name="out")(h)
    return Model([image, vector], out, name="npconv_merge")


def randomize(model, rng):
    """Seeded random values for every weight (moving variances in [0.5, 1.5]), so that a
    weight landing in the wrong place changes the predictions."""
    for v in model.weights:
        shape = tuple(v.data.shape)
        if str(v.path).endswith("moving_variance"):
            value = rng.uniform(0.5, 1.5, shape)
        else:
            value = rng.normal(0.0, 0.5, shape)
        v.assign(value.astype("float32"))


def build(name, seed):
    """The npconv model ``name`` with its seeded weights."""
    import npconv

    npconv.utils.set_random_seed(seed)
    makers = {"npconv_cnn": npconv_cnn, "npconv_merge": npconv_merge,
              "npconv_keras2": npconv_keras2, "npconv_layers": npconv_layers}
    model = makers[name]()
    randomize(model, np.random.default_rng(seed))
    return model


def write(folder=OUT):
    """Write every model's files into ``folder`` (the reference folder by default)."""
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for seed, (name, (model_file, weights_file)) in enumerate(FILES.items()):
        model = build(name, seed)
        model.save(folder / model_file)
        model.save_weights(folder / weights_file)
        print(f"{(folder / model_file).stat().st_size:>8}  {model_file}")
        print(f"{(folder / weights_file).stat().st_size:>8}  {weights_file}")


# ----------------------------------------------------------------------------- Keras side
def outputs(arrays, key, y):
    """Store a prediction: ``key`` for one output, ``key0``, ``key1``, ... for several."""
    if isinstance(y, (list, tuple)):
        for i, part in enumerate(y):
            arrays[f"{key}{i}"] = np.asarray(part, "float32")
    else:
        arrays[key] = np.asarray(y, "float32")


def inputs_for(model, rng):
    return [rng.normal(0.0, 1.0, (5, *tuple(t.shape)[1:])).astype("float32") for t in model.inputs]


def predict():
    import keras

    arrays = {}
    for seed, (name, (model_file, weights_file)) in enumerate(FILES.items()):
        rng = np.random.default_rng(100 + seed)
        model = keras.models.load_model(OUT / model_file)
        xs = inputs_for(model, rng)
        feed = xs if len(xs) > 1 else xs[0]
        if len(xs) == 1:
            arrays[f"{name}/x"] = xs[0]
        else:
            for i, x in enumerate(xs):
                arrays[f"{name}/x{i}"] = x
        outputs(arrays, f"{name}/model_y", model.predict(feed, verbose=0))

        fresh = keras.models.clone_model(model)  # same architecture, weights re-initialized
        before = fresh.predict(feed, verbose=0)
        fresh.load_weights(OUT / weights_file)
        after = fresh.predict(feed, verbose=0)
        assert not np.allclose(np.hstack(before), np.hstack(after)), "load_weights did nothing"
        outputs(arrays, f"{name}/weights_y", after)

        if name in COMPILED:
            labels = np.eye(3, dtype="float32")[rng.integers(0, 3, len(xs[0]))]
            arrays[f"{name}/labels"] = labels
            loss, accuracy = model.evaluate(feed, labels, verbose=0)
            arrays[f"{name}/evaluate"] = np.array([loss, accuracy], "float32")
            optimizer = model.optimizer
            arrays[f"{name}/compiled"] = np.array(
                [
                    type(optimizer).__name__,
                    f"{float(optimizer.learning_rate):.6g}",
                    model.loss.name if hasattr(model.loss, "name") else str(model.loss),
                ]
            )
    np.savez_compressed(PREDICTIONS, **arrays)
    print(f"{PREDICTIONS.stat().st_size:>8}  {PREDICTIONS.name} (keras {keras.__version__})")


if __name__ == "__main__":
    step = sys.argv[1] if len(sys.argv) > 1 else ""
    if step == "write":
        sys.path.insert(0, str(ROOT))
        write()
    elif step == "predict":
        predict()
    else:
        raise SystemExit(f"usage: {sys.argv[0]} write | predict")
