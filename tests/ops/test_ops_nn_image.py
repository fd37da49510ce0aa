"""npconv.ops.nn and npconv.ops.image: values and gradients against real Keras 3
(``tests/references/keras_ops.npz``, made by ``tools/keras_references/ops.py``), finite-difference
gradient checks, and the nn ops that are thin over npconv.functions."""

import pathlib

import numpy as np
import pytest

from npconv import backend, ops
from npconv.autograd import Tensor
from npconv.autograd.gradcheck import gradcheck
from npconv.functions import activations, conv, pooling

REF = np.load(pathlib.Path(__file__).resolve().parents[1] / "references" / "keras_ops.npz")
RNG = np.random.default_rng(1)
nn = ops.nn

# case -> npconv call on the stored inputs (same order as the reference script)
CASES = {
    "resize_bilinear_up": lambda x: ops.image.resize(x, (8, 11)),
    "resize_bilinear_down": lambda x: ops.image.resize(x, (3, 4)),
    "resize_bilinear_down_antialias": lambda x: ops.image.resize(x, (2, 3), antialias=True),
    "resize_bilinear_up_antialias": lambda x: ops.image.resize(x, (9, 9), antialias=True),
    "resize_nearest_up": lambda x: ops.image.resize(x, (8, 11), interpolation="nearest"),
    "resize_nearest_down": lambda x: ops.image.resize(x, (3, 4), interpolation="nearest"),
    "resize_crop": lambda x: ops.image.resize(x, (4, 4), crop_to_aspect_ratio=True),
    "resize_pad": lambda x: ops.image.resize(x, (6, 3), pad_to_aspect_ratio=True, fill_value=0.5),
    "resize_single": lambda x: ops.image.resize(x, (10, 3)),
    "resize_channels_first": lambda x: ops.image.resize(
        x, (7, 4), data_format="channels_first"
    ),
    "resize_uint8": lambda x: ops.image.resize(x, (6, 6)),
    "rgb_to_grayscale": lambda x: ops.image.rgb_to_grayscale(x),
    "extract_patches": lambda x: ops.image.extract_patches(x, 2),
    "extract_patches_strided_same": lambda x: ops.image.extract_patches(
        x, (3, 2), strides=(2, 1), padding="same"
    ),
    "extract_patches_channels_first": lambda x: ops.image.extract_patches(
        x, 2, data_format="channels_first"
    ),
    "rgb_to_grayscale_channels_first": lambda x: ops.image.rgb_to_grayscale(
        x, data_format="channels_first"
    ),
    "cce_probs": lambda p, t: nn.categorical_crossentropy(t, p),
    "cce_logits": lambda p, t: nn.categorical_crossentropy(t, p, from_logits=True),
    "cce_axis0": lambda p, t: nn.categorical_crossentropy(t, p, axis=0),
    "scce_probs": lambda p, t: nn.sparse_categorical_crossentropy(t, p),
    "scce_logits": lambda p, t: nn.sparse_categorical_crossentropy(t, p, from_logits=True),
    "bce_probs": lambda p, t: nn.binary_crossentropy(t, p),
    "bce_logits": lambda p, t: nn.binary_crossentropy(t, p, from_logits=True),
    "batch_normalization": lambda v, m, s, b, g: nn.batch_normalization(
        v, m, s, axis=-1, offset=b, scale=g
    ),
    "batch_normalization_axis1": lambda v, m, s: nn.batch_normalization(
        v, m[:3], s[:3], axis=1, epsilon=0.01
    ),
    "moments_mean": lambda v: nn.moments(v, axes=[0, 1, 2])[0],
    "moments_var": lambda v: nn.moments(v, axes=[0, 2], keepdims=True)[1],
    "normalize": lambda v: nn.normalize(v, axis=-1),
    "normalize_l1_axis1": lambda v: nn.normalize(v, axis=1, order=1),
    "gelu_default": lambda v: nn.gelu(v),
    "log_sigmoid": lambda v: nn.log_sigmoid(v),
    "one_hot": lambda v: nn.one_hot(v, 4),
    "one_hot_axis0": lambda v: nn.one_hot(v, 3, axis=0),
}


def _inputs(case):
    keys = [f"{case}/in"] + [f"{case}/in{i}" for i in range(2, 6)]
    return [REF[k] for k in keys if k in REF.files]


def test_every_reference_case_is_checked():
    stored = {k.split("/")[0] for k in REF.files}
    assert stored == set(CASES)


@pytest.mark.parametrize("case", sorted(CASES))
def test_matches_keras(case):
    inputs = _inputs(case)
    x = Tensor(inputs[0], requires_grad=np.issubdtype(inputs[0].dtype, np.floating))
    y = CASES[case](x, *inputs[1:])
    expected = REF[f"{case}/out"]
    assert y.shape == expected.shape
    assert y.dtype == expected.dtype, (y.dtype, expected.dtype)
    np.testing.assert_allclose(ops.convert_to_numpy(y), expected, rtol=2e-5, atol=2e-6)
    if f"{case}/grad" in REF.files:
        y.backward(REF[f"{case}/w"])
        np.testing.assert_allclose(x.grad, REF[f"{case}/grad"], rtol=2e-4, atol=2e-5)


def test_resize_gradients_by_finite_differences():
    x = RNG.standard_normal((1, 4, 5, 2))
    gradcheck(lambda t: ops.image.resize(t, (7, 3)), x)
    gradcheck(lambda t: ops.image.resize(t, (2, 9), interpolation="nearest"), x)
    gradcheck(lambda t: ops.image.resize(t, (2, 2), antialias=True), x)
    chw = RNG.standard_normal((1, 2, 4, 3))
    gradcheck(lambda t: ops.image.resize(t, (3, 5), data_format="channels_first"), chw)


def test_resize_identity_and_errors():
    x = RNG.standard_normal((2, 4, 5, 3)).astype(np.float32)
    np.testing.assert_allclose(ops.convert_to_numpy(ops.image.resize(x, (4, 5))), x, atol=1e-6)
    with pytest.raises(ValueError, match="interpolation"):
        ops.image.resize(x, (2, 2), interpolation="bicubic")
    with pytest.raises(ValueError, match="rank 3"):
        ops.image.resize(x[0, 0], (2, 2))


NN_GRADIENTS = {
    "relu": (nn.relu, 0.0),
    "relu6": (nn.relu6, 0.0),
    "sigmoid": (nn.sigmoid, None),
    "softmax": (lambda x: nn.softmax(x, axis=0), None),
    "log_softmax": (nn.log_softmax, None),
    "softplus": (nn.softplus, None),
    "softsign": (nn.softsign, None),
    "silu": (nn.silu, None),
    "gelu": (nn.gelu, None),
    "gelu_exact": (lambda x: nn.gelu(x, approximate=False), None),
    "elu": (nn.elu, 0.0),
    "selu": (nn.selu, 0.0),
    "leaky_relu": (nn.leaky_relu, 0.0),
    "hard_sigmoid": (nn.hard_sigmoid, 3.0),
    "hard_silu": (nn.hard_silu, 3.0),
    "log_sigmoid": (nn.log_sigmoid, None),
    "normalize": (lambda x: nn.normalize(x, axis=0), None),
    "normalize_l3": (lambda x: nn.normalize(x, order=3), None),
    "moments_var": (lambda x: nn.moments(x, axes=[0])[1], None),
    "moments_mean": (lambda x: nn.moments(x, axes=1, keepdims=True)[0], None),
    "cce": (lambda p: nn.categorical_crossentropy(np.eye(4)[[0, 2, 3]], nn.softmax(p)), None),
    "cce_logits": (
        lambda p: nn.categorical_crossentropy(np.eye(4)[[0, 2, 3]], p, from_logits=True), None
    ),
    "scce_logits": (
        lambda p: nn.sparse_categorical_crossentropy([1, 0, 3], p, from_logits=True), None
    ),
    "bce": (lambda p: nn.binary_crossentropy(np.ones((3, 4)) * 0.3, nn.sigmoid(p)), None),
    "bce_logits": (
        lambda p: nn.binary_crossentropy(np.eye(3, 4), p, from_logits=True), None
    ),
}


@pytest.mark.parametrize("name", sorted(NN_GRADIENTS))
def test_nn_gradients(name):
    fn, kink = NN_GRADIENTS[name]
    x = RNG.standard_normal((3, 4)) * 2
    if kink is not None:  # keep finite differences off the kinks at 0 and +-kink
        for k in {0.0, kink, -kink}:
            x = np.where(np.abs(x - k) < 0.05, x + 0.1, x)
    gradcheck(fn, x)


def test_batch_normalization_gradients_in_every_argument():
    x = RNG.standard_normal((4, 3))
    m, v = RNG.standard_normal(3), RNG.uniform(0.5, 2, 3)
    b, g = RNG.standard_normal(3), RNG.standard_normal(3)
    gradcheck(
        lambda *a: nn.batch_normalization(a[0], a[1], a[2], axis=1, offset=a[3], scale=a[4]),
        x, m, v, b, g,
    )


def test_conv_and_pooling_are_the_functions_with_the_global_data_format():
    x = RNG.standard_normal((2, 6, 6, 3)).astype(np.float32)
    k = RNG.standard_normal((3, 3, 3, 4)).astype(np.float32)
    got = nn.conv(x, k, strides=2, padding="SAME")
    want = conv.conv_reference(x, k, strides=2, padding="same")
    np.testing.assert_allclose(ops.convert_to_numpy(got), np.asarray(want.data), atol=1e-5)
    np.testing.assert_allclose(
        ops.convert_to_numpy(nn.max_pool(x, 2)),
        np.asarray(pooling.max_pool_reference(x, 2).data),
    )
    np.testing.assert_allclose(
        ops.convert_to_numpy(nn.average_pool(x, 3, strides=1, padding="same")),
        np.asarray(pooling.avg_pool_reference(x, 3, strides=1, padding="same").data),
        atol=1e-6,
    )
    xc = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
    backend.set_image_data_format("channels_first")
    try:
        got_cf = nn.max_pool(xc, 2)
    finally:
        backend.set_image_data_format("channels_last")
    np.testing.assert_allclose(
        ops.convert_to_numpy(got_cf).transpose(0, 2, 3, 1), ops.convert_to_numpy(nn.max_pool(x, 2))
    )
    gradcheck(lambda a, b: nn.conv(a, b, padding="same"), x[:1, :4, :4, :2].astype(float),
              k[:, :, :2, :2].astype(float))


def test_activations_are_the_functions():
    x = RNG.standard_normal((5, 3)).astype(np.float32)
    for name in ("relu", "sigmoid", "softplus", "selu", "hard_sigmoid", "silu"):
        np.testing.assert_array_equal(
            ops.convert_to_numpy(getattr(ops, name)(x)),
            getattr(activations, name)(x).data,
        )
    assert getattr(nn, "conv_transpose", None) is None
