"""Reference values of real Keras 3 initializers, regularizers and constraints, for npconv's tests.

Run with TensorFlow's Keras in a separate virtual environment (never needed by npconv):

    python3 -m venv /tmp/tfenv && /tmp/tfenv/bin/pip install tensorflow-cpu==2.21.0
    /tmp/tfenv/bin/python tools/keras_references/initializers.py

Writes ``tests/references/keras_init_stats.npz`` with, per case ``<kind>/<name>/...``:

- ``init/<name>``: Keras's serialized initializer (JSON), the shape, and statistics (mean,
  std, min, max) of one large draw — random streams differ between frameworks, so the tests
  compare distributions, not values; ``fans``: Keras's ``compute_fans`` for several shapes.
- ``reg/<name>``: the input, Keras's penalty and its gradient (``tf.GradientTape``).
- ``con/<name>``: the input and Keras's projected output (the exact values are compared).
Every ``<kind>/<name>/spec`` is JSON: Keras's ``serialize()`` of the object.
"""

from __future__ import annotations

import json
import os
import pathlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras.src.initializers.random_initializers import compute_fans  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parents[2] / "tests" / "references" / "keras_init_stats.npz"
RNG = np.random.default_rng(0)

I, R, C = keras.initializers, keras.regularizers, keras.constraints

# (case name, initializer, shape drawn)
INIT_CASES = [
    ("zeros", I.Zeros(), (4, 3)),
    ("ones", I.Ones(), (4, 3)),
    ("constant", I.Constant(0.7), (4, 3)),
    ("identity", I.Identity(gain=2.0), (4, 6)),
    ("random_normal", I.RandomNormal(mean=0.5, stddev=2.0, seed=1), (400, 500)),
    ("random_uniform", I.RandomUniform(minval=-0.5, maxval=1.5, seed=1), (400, 500)),
    ("truncated_normal", I.TruncatedNormal(mean=1.0, stddev=0.5, seed=1), (400, 500)),
    ("random_normal_default", I.RandomNormal(), (400, 500)),
    ("random_uniform_default", I.RandomUniform(), (400, 500)),
    ("truncated_normal_default", I.TruncatedNormal(), (400, 500)),
    ("glorot_uniform_dense", I.GlorotUniform(seed=1), (784, 256)),
    ("glorot_uniform_conv", I.GlorotUniform(seed=1), (3, 3, 64, 128)),
    ("glorot_normal_conv", I.GlorotNormal(seed=1), (3, 3, 64, 128)),
    ("he_normal_conv", I.HeNormal(seed=1), (3, 3, 64, 128)),
    ("he_uniform_conv", I.HeUniform(seed=1), (3, 3, 64, 128)),
    ("lecun_normal_dense", I.LecunNormal(seed=1), (784, 256)),
    ("lecun_uniform_conv1d", I.LecunUniform(seed=1), (5, 32, 512)),
    ("he_normal_conv3d", I.HeNormal(seed=1), (3, 3, 3, 16, 32)),
    (
        "variance_scaling_fan_out_untruncated",
        I.VarianceScaling(scale=2.0, mode="fan_out", distribution="untruncated_normal", seed=1),
        (3, 3, 64, 128),
    ),
    (
        "variance_scaling_fan_avg_uniform",
        I.VarianceScaling(scale=0.5, mode="fan_avg", distribution="uniform", seed=1),
        (500, 300),
    ),
    ("variance_scaling_default", I.VarianceScaling(seed=1), (500, 300)),
    ("orthogonal_tall", I.Orthogonal(gain=1.5, seed=1), (300, 100)),
    ("orthogonal_wide", I.Orthogonal(seed=1), (100, 300)),
    ("orthogonal_conv", I.Orthogonal(seed=1), (3, 3, 16, 32)),
]

FAN_SHAPES = [(), (7,), (5, 3), (3, 3, 16, 32), (5, 8, 4), (2, 3, 3, 6, 10), (1, 1, 10, 20)]

# (case name, regularizer, input shape)
REG_CASES = [
    ("l1", R.L1(0.03), (6, 4)),
    ("l2", R.L2(0.02), (3, 3, 2, 4)),
    ("l1l2", R.L1L2(l1=0.01, l2=0.05), (5, 7)),
    ("l1_default", R.L1(), (10,)),
    ("l2_default", R.L2(), (10,)),
    ("l1l2_default", R.L1L2(), (4, 4)),
]

# (case name, constraint, input shape, scale of the input)
CON_CASES = [
    ("max_norm_dense", C.MaxNorm(max_value=2, axis=0), (6, 8), 1.0),
    ("max_norm_small", C.MaxNorm(max_value=0.5, axis=0), (6, 8), 0.3),
    ("max_norm_axis1", C.MaxNorm(max_value=1.5, axis=1), (6, 8), 1.0),
    ("max_norm_axis_neg", C.MaxNorm(max_value=3.0, axis=-1), (4, 5, 6), 1.0),
    ("max_norm_conv2d", C.MaxNorm(max_value=3, axis=[0, 1, 2]), (3, 3, 4, 5), 1.0),
    ("max_norm_conv1d", C.MaxNorm(max_value=1, axis=[0, 1]), (3, 4, 6), 0.5),
    ("non_neg", C.NonNeg(), (6, 8), 1.0),
    ("unit_norm_dense", C.UnitNorm(axis=0), (6, 8), 1.0),
    ("unit_norm_axis1", C.UnitNorm(axis=1), (6, 8), 0.1),
    ("unit_norm_conv2d", C.UnitNorm(axis=[0, 1, 2]), (3, 3, 4, 5), 1.0),
    ("min_max_norm_default", C.MinMaxNorm(), (6, 8), 0.4),
    ("min_max_norm_rate", C.MinMaxNorm(min_value=0.5, max_value=1.5, rate=0.3), (6, 8), 0.5),
    (
        "min_max_norm_conv2d",
        C.MinMaxNorm(min_value=1.0, max_value=2.0, rate=1.0, axis=[0, 1, 2]),
        (3, 3, 4, 5),
        0.3,
    ),
]


def _spec(obj) -> str:
    return json.dumps(keras.saving.serialize_keras_object(obj))


def main() -> None:
    out: dict[str, np.ndarray] = {}
    for name, init, shape in INIT_CASES:
        w = keras.ops.convert_to_numpy(init(shape, dtype="float32"))
        assert w.dtype == np.float32 and w.shape == shape
        out[f"init/{name}/spec"] = np.array(_spec(init))
        out[f"init/{name}/shape"] = np.array(shape, dtype=np.int64)
        w64 = w.astype(np.float64)
        out[f"init/{name}/stats"] = np.array([w64.mean(), w64.std(), w64.min(), w64.max()])
        if w.size <= 64:
            out[f"init/{name}/value"] = w
    out["fans/shapes"] = np.array(json.dumps(FAN_SHAPES))
    out["fans/values"] = np.array([compute_fans(s) for s in FAN_SHAPES], dtype=np.int64)

    for name, reg, shape in REG_CASES:
        x = RNG.standard_normal(shape).astype(np.float32)
        x.reshape(-1)[0] = 0.0  # abs'(0): TensorFlow's gradient is 0
        xv = tf.Variable(x)
        with tf.GradientTape() as tape:
            penalty = reg(xv)
        grad = tape.gradient(penalty, xv)
        out[f"reg/{name}/spec"] = np.array(_spec(reg))
        out[f"reg/{name}/x"] = x
        out[f"reg/{name}/y"] = np.asarray(penalty, dtype=np.float32)
        out[f"reg/{name}/grad"] = (
            np.zeros_like(x) if grad is None else np.asarray(grad, dtype=np.float32)
        )

    for name, con, shape, scale in CON_CASES:
        x = (RNG.standard_normal(shape) * scale).astype(np.float32)
        if len(shape) == 2:
            x[:, 1] *= 10.0  # one slice far over any bound
            x[:, 2] = 0.0  # a zero slice: epsilon keeps it finite
        out[f"con/{name}/spec"] = np.array(_spec(con))
        out[f"con/{name}/x"] = x
        out[f"con/{name}/y"] = keras.ops.convert_to_numpy(con(x))

    out["versions"] = np.array(json.dumps({"keras": keras.__version__, "tf": tf.__version__}))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    tmp = OUT.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, **out)
    os.replace(tmp, OUT)
    print(f"wrote {OUT} ({len(out)} arrays, {OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
