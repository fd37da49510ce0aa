"""Reference values of real Keras 3 ``keras.ops``, for npconv's ``tests/ops``.

Run with TensorFlow's Keras in a separate virtual environment (never needed by npconv):

    python3 -m venv /tmp/refenv && /tmp/refenv/bin/pip install tensorflow-cpu==2.21.0
    CUDA_VISIBLE_DEVICES= /tmp/refenv/bin/python tools/keras_references/ops.py

Writes ``tests/references/keras_ops.npz``: per case ``<case>/in`` (and ``<case>/in2``, ...)
and ``<case>/out`` (Keras's result as float32/int arrays), plus ``<case>/grad`` where the
gradient of ``sum(out * w)`` with ``w = <case>/w`` (``tf.GradientTape``) is stored. The cases:
``image.resize`` (nearest, bilinear, antialias, crops and pads, channels first),
``image.rgb_to_grayscale``, ``image.extract_patches``, the nn
cross-entropies, ``batch_normalization``, ``moments``, ``normalize``, ``one_hot`` and the
activations whose Keras-3 ``ops`` defaults differ from ``keras.activations`` (``gelu``).
"""

from __future__ import annotations

import os
import pathlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import ops  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parents[2] / "tests" / "references" / "keras_ops.npz"
RNG = np.random.default_rng(0)


def f32(*shape, low=None, high=None):
    if low is None:
        return RNG.standard_normal(shape).astype(np.float32)
    return RNG.uniform(low, high, shape).astype(np.float32)


def record(out, name, fn, *inputs, grad=True):
    """Run ``fn`` on ``inputs``; store inputs, output and (for float inputs) the gradient of
    ``sum(output * w)`` with respect to the first input."""
    for i, x in enumerate(inputs):
        out[f"{name}/in" + ("" if i == 0 else str(i + 1))] = np.asarray(x)
    x0 = tf.Variable(inputs[0]) if grad else inputs[0]
    with tf.GradientTape() as tape:
        y = fn(x0, *inputs[1:])
        w = RNG.standard_normal(tuple(y.shape)).astype(np.float32)
        total = tf.reduce_sum(tf.convert_to_tensor(y) * w) if grad else None
    out[f"{name}/out"] = np.asarray(ops.convert_to_numpy(y))
    if grad:
        out[f"{name}/w"] = w
        out[f"{name}/grad"] = tape.gradient(total, x0).numpy()


def main() -> None:
    out: dict[str, np.ndarray] = {}
    img = f32(2, 5, 7, 3)
    resize = ops.image.resize
    record(out, "resize_bilinear_up", lambda x: resize(x, (8, 11)), img)
    record(out, "resize_bilinear_down", lambda x: resize(x, (3, 4)), img)
    record(out, "resize_bilinear_down_antialias", lambda x: resize(x, (2, 3), antialias=True), img)
    record(out, "resize_bilinear_up_antialias", lambda x: resize(x, (9, 9), antialias=True), img)
    record(out, "resize_nearest_up", lambda x: resize(x, (8, 11), interpolation="nearest"), img)
    record(out, "resize_nearest_down", lambda x: resize(x, (3, 4), interpolation="nearest"), img)
    record(out, "resize_crop", lambda x: resize(x, (4, 4), crop_to_aspect_ratio=True), img)
    record(out, "resize_pad", lambda x: resize(x, (6, 3), pad_to_aspect_ratio=True,
                                               fill_value=0.5), img)
    record(out, "resize_single", lambda x: resize(x, (10, 3)), img[0])
    chw = f32(2, 3, 5, 6)
    record(out, "resize_channels_first",
           lambda x: resize(x, (7, 4), data_format="channels_first"), chw)
    record(out, "rgb_to_grayscale", lambda x: ops.image.rgb_to_grayscale(x), img)
    record(out, "rgb_to_grayscale_channels_first",
           lambda x: ops.image.rgb_to_grayscale(x, data_format="channels_first"), f32(3, 4, 5))
    record(out, "extract_patches", lambda x: ops.image.extract_patches(x, 2), f32(2, 6, 4, 3))
    record(out, "extract_patches_strided_same",
           lambda x: ops.image.extract_patches(x, (3, 2), strides=(2, 1), padding="same"),
           f32(1, 5, 4, 2))
    record(out, "extract_patches_channels_first",
           lambda x: ops.image.extract_patches(x, 2, data_format="channels_first"),
           f32(1, 3, 4, 4))
    record(out, "resize_uint8", lambda x: resize(x, (6, 6)),
           RNG.integers(0, 256, (1, 4, 5, 1)).astype(np.uint8), grad=False)

    probs = tf.nn.softmax(f32(4, 5)).numpy()
    onehot = np.eye(5, dtype=np.float32)[RNG.integers(0, 5, 4)]
    labels = RNG.integers(0, 5, 4).astype(np.int32)
    logits = f32(4, 5) * 3
    nn = ops.nn
    record(out, "cce_probs", lambda p, t: nn.categorical_crossentropy(t, p), probs, onehot)
    record(out, "cce_logits",
           lambda p, t: nn.categorical_crossentropy(t, p, from_logits=True), logits, onehot)
    record(out, "cce_axis0",
           lambda p, t: nn.categorical_crossentropy(t, p, axis=0), probs.T.copy(), onehot.T.copy())
    record(out, "scce_probs", lambda p, t: nn.sparse_categorical_crossentropy(t, p), probs, labels)
    record(out, "scce_logits",
           lambda p, t: nn.sparse_categorical_crossentropy(t, p, from_logits=True), logits, labels)
    bprobs = f32(3, 4, low=0.02, high=0.98)
    btargets = (RNG.random((3, 4)) > 0.5).astype(np.float32)
    record(out, "bce_probs", lambda p, t: nn.binary_crossentropy(t, p), bprobs, btargets)
    record(out, "bce_logits",
           lambda p, t: nn.binary_crossentropy(t, p, from_logits=True), f32(3, 4) * 4, btargets)

    x = f32(4, 3, 2, 5)
    mean, var = f32(5), f32(5, low=0.2, high=2.0)
    beta, gamma = f32(5), f32(5)
    record(out, "batch_normalization",
           lambda v, m, s, b, g: nn.batch_normalization(v, m, s, axis=-1, offset=b, scale=g),
           x, mean, var, beta, gamma)
    record(out, "batch_normalization_axis1",
           lambda v, m, s: nn.batch_normalization(v, m[:3], s[:3], axis=1, epsilon=0.01),
           x, mean, var)
    record(out, "moments_mean", lambda v: nn.moments(v, axes=[0, 1, 2])[0], x)
    record(out, "moments_var", lambda v: nn.moments(v, axes=[0, 2], keepdims=True)[1], x)
    record(out, "normalize", lambda v: nn.normalize(v, axis=-1), x)
    record(out, "normalize_l1_axis1", lambda v: nn.normalize(v, axis=1, order=1), x)
    record(out, "gelu_default", lambda v: nn.gelu(v), x)
    record(out, "log_sigmoid", lambda v: nn.log_sigmoid(v), x * 5)
    record(out, "one_hot", lambda v: nn.one_hot(v, 4), np.array([[0, 3], [2, 7]], np.int32),
           grad=False)
    record(out, "one_hot_axis0", lambda v: nn.one_hot(v, 3, axis=0), np.array([2, 0, 1, -1]),
           grad=False)

    OUT.parent.mkdir(parents=True, exist_ok=True)
    tmp = OUT.with_name(OUT.stem + ".tmp.npz")
    np.savez_compressed(tmp, **out)
    os.replace(tmp, OUT)
    print(f"wrote {OUT} ({len(out)} arrays, {OUT.stat().st_size} bytes), keras {keras.__version__}")


if __name__ == "__main__":
    main()
