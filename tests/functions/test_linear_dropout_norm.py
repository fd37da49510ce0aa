"""npconv.functions.linear, .dropout and .normalization: gradient checks, the fast dense path
against its einsum reference, dropout statistics and seeding, DropConnect, and batch
normalization against PyTorch."""

import json
import pathlib

import numpy as np
import pytest

from npconv.autograd import Tensor
from npconv.autograd.gradcheck import gradcheck
from npconv.backend import set_seed
from npconv.functions import dropout as D
from npconv.functions import linear
from npconv.functions import normalization as N

REF = np.load(pathlib.Path(__file__).resolve().parents[1] / "references" / "activations.npz")
BN_CASES = sorted({k.split("/")[0] for k in REF.files if k.startswith("bn_")})

rng = np.random.default_rng(0)

# ---------------------------------------------------------------------------------- dense


@pytest.mark.parametrize("xshape", [(3, 4), (2, 3, 4), (2, 1, 2, 4)])
@pytest.mark.parametrize("use_bias", [True, False])
def test_dense_gradcheck(xshape, use_bias):
    x = rng.standard_normal(xshape)
    kernel = rng.standard_normal((4, 3))
    if use_bias:
        gradcheck(linear.dense, x, kernel, rng.standard_normal(3))
    else:
        gradcheck(linear.dense, x, kernel)


def test_dense_matches_reference_and_keeps_float32():
    x = rng.standard_normal((5, 7, 6)).astype(np.float32)
    kernel = rng.standard_normal((6, 4)).astype(np.float32)
    bias = rng.standard_normal(4).astype(np.float32)
    y = linear.dense(x, kernel, bias)
    assert y.shape == (5, 7, 4) and y.dtype == np.float32
    np.testing.assert_allclose(y.data, linear.dense_reference(x, kernel, bias), rtol=1e-5,
                               atol=1e-5)


def test_dense_skips_unneeded_gradients():
    x = rng.standard_normal((3, 4))
    kernel = Tensor(rng.standard_normal((4, 2)), requires_grad=True)
    fn = linear.Dense()
    y = fn(x, kernel)
    assert not hasattr(fn, "kernel")  # x needs no gradient: the kernel is not kept for it
    y.backward(np.ones((3, 2)))
    np.testing.assert_allclose(kernel.grad, x.T @ np.ones((3, 2)))
    frozen = rng.standard_normal((4, 2))
    xs = Tensor(x, requires_grad=True)
    fn = linear.Dense()
    fn(xs, frozen).backward(np.ones((3, 2)))
    assert not hasattr(fn, "x2")
    np.testing.assert_allclose(xs.grad, np.ones((3, 2)) @ frozen.T)


def test_dense_shape_errors():
    with pytest.raises(ValueError, match=r"x \(3, 5\) and kernel \(4, 2\)"):
        linear.dense(np.ones((3, 5)), np.ones((4, 2)))
    with pytest.raises(ValueError, match=r"bias of shape \(2,\), got \(3,\)"):
        linear.dense(np.ones((3, 4)), np.ones((4, 2)), np.ones(3))


# -------------------------------------------------------------------------------- dropout


def test_dropout_gradcheck_with_fixed_seed():
    def fn(x):
        set_seed(7)
        return D.dropout(x, 0.4)

    gradcheck(fn, rng.standard_normal((4, 5)))


def test_dropout_gradcheck_with_noise_shape():
    def fn(x):
        set_seed(3)
        return D.dropout(x, 0.5, noise_shape=(None, 1, 3))

    gradcheck(fn, rng.standard_normal((2, 4, 3)))


def test_drop_connect_gradcheck_with_fixed_seed():
    x = rng.standard_normal((3, 4))

    def fn(kernel):
        set_seed(11)
        return linear.dense(x, D.drop_connect(kernel, 0.5))

    gradcheck(fn, rng.standard_normal((4, 6)))


@pytest.mark.parametrize("rate", [0.1, 0.5, 0.8])
def test_dropout_fraction_and_expected_value(rate):
    set_seed(0)
    x = np.ones((400, 500), dtype=np.float32)
    y = D.dropout(x, rate).data
    assert y.dtype == np.float32
    dropped = np.mean(y == 0)
    assert abs(dropped - rate) < 0.01
    np.testing.assert_allclose(np.unique(y), [0, 1 / (1 - rate)], rtol=1e-6)
    assert abs(y.mean() - 1.0) < 0.02


def test_dropout_same_seed_repeats():
    x = rng.standard_normal((20, 30))
    set_seed(42)
    a = D.dropout(x, 0.5).data
    b = D.dropout(x, 0.5).data
    set_seed(42)
    c = D.dropout(x, 0.5).data
    np.testing.assert_array_equal(a, c)
    assert not np.array_equal(a, b)
    np.testing.assert_array_equal(D.dropout(x, 0.5, seed=5).data, D.dropout(x, 0.5, seed=5).data)


@pytest.mark.parametrize("shape", [(3, 5), (700, 1000)])  # one mask block; several, threaded
def test_block_dropout_is_the_mask_product(shape):
    # the fused path (mask drawn, scaled and applied block by block, bits kept for backward)
    # gives exactly the numbers of the explicit mask
    x = Tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=True)
    gy = rng.standard_normal(shape).astype(np.float32)
    y = D.dropout(x, 0.3, seed=9)
    assert isinstance(y.creator, D.BlockDropout)
    mask = D.dropout_mask(shape, 0.3, np.float32, seed=9)
    np.testing.assert_array_equal(y.data, x.data * mask)
    np.testing.assert_array_equal(y.creator.backward(gy), gy * mask)
    assert y.creator.keep is None  # released after the backward
    strided = Tensor(x.data[:, ::2], requires_grad=True)  # not contiguous: the mask product
    assert isinstance(D.dropout(strided, 0.3, seed=9).creator, D.Dropout)


def test_dropout_identity_at_inference_or_rate_zero():
    x = Tensor(rng.standard_normal((3, 4)))
    assert D.dropout(x, 0.5, training=False) is x
    assert D.dropout(x, 0.0) is x
    k = Tensor(rng.standard_normal((3, 4)))
    assert D.drop_connect(k, 0.5, training=False) is k


def test_dropout_noise_shape_broadcasts():
    set_seed(1)
    x = np.ones((8, 5, 6, 16))
    y = D.dropout(x, 0.5, noise_shape=(None, 1, 1, None)).data  # SpatialDropout2D
    per_map = y.reshape(8, 30, 16)
    assert np.all(per_map == per_map[:, :1, :])  # one draw per (sample, channel)
    assert 0 < np.mean(per_map[:, 0, :] == 0) < 1
    y = D.dropout(x, 0.5, noise_shape=(8, 1, 1, 16)).data
    assert np.all(y.reshape(8, 30, 16) == y.reshape(8, 30, 16)[:, :1, :])


def test_dropout_bad_noise_shape():
    with pytest.raises(ValueError, match="one entry per axis"):
        D.dropout(np.ones((2, 3)), 0.5, noise_shape=(2,))
    with pytest.raises(ValueError, match="does not broadcast"):
        D.dropout(np.ones((2, 3)), 0.5, noise_shape=(2, 2))


@pytest.mark.parametrize("rate", [-0.1, 1.0, 1.5, "0.5", None, True])
def test_bad_rate(rate):
    with pytest.raises(ValueError, match=r"rate must be a number in \[0, 1\)"):
        D.dropout(np.ones(3), rate)
    with pytest.raises(ValueError, match=r"rate must be a number in \[0, 1\)"):
        D.drop_connect(np.ones(3), rate, training=False)


def test_drop_connect_masks_weights_not_inputs():
    set_seed(5)
    w = rng.standard_normal((6, 4))
    kernel = Tensor(w, requires_grad=True)
    masked = D.drop_connect(kernel, 0.5)
    m = masked.data
    kept = m != 0
    assert 0 < kept.mean() < 1
    np.testing.assert_allclose(m[kept], w[kept] * 2)
    # an identity input reads the masked kernel back: every sample sees the same weights,
    # and an input of zeros stays zero (no activation is dropped or rescaled)
    x = np.eye(6)
    y = linear.dense(x, masked)
    np.testing.assert_allclose(y.data, m)
    ones = linear.dense(np.ones((3, 6)), masked).data
    np.testing.assert_allclose(ones, np.tile(m.sum(axis=0), (3, 1)))
    y.backward(np.ones((6, 4)))
    np.testing.assert_array_equal(kernel.grad == 0, ~kept)  # dropped weights learn nothing


# ------------------------------------------------------------------------ batch normalization


def _bn_train(axis):
    def fn(x, gamma, beta):
        return N.batch_norm_train(x, gamma, beta, axis=axis)[0]

    return fn


@pytest.mark.parametrize("axis", [-1, 1])
def test_batch_norm_train_gradcheck_4d(axis):
    x = rng.standard_normal((3, 4, 2, 3)) * 2 + 1
    c = x.shape[axis]
    gradcheck(_bn_train(axis), x, rng.standard_normal(c), rng.standard_normal(c))


def test_batch_norm_train_gradcheck_without_gamma_beta():
    x = rng.standard_normal((5, 3))
    gradcheck(lambda v: N.batch_norm_train(v, None, None)[0], x)
    gradcheck(lambda v, g: N.batch_norm_train(v, g, None)[0], x, rng.standard_normal(3))
    gradcheck(lambda v, b: N.batch_norm_train(v, None, b)[0], x, rng.standard_normal(3))


def test_batch_norm_inference_gradcheck():
    x = rng.standard_normal((2, 3, 4))
    mean, var = rng.standard_normal(3), rng.random(3) + 0.5

    def fn(v, g, b):
        return N.batch_norm_inference(v, g, b, mean, var, axis=1)

    gradcheck(fn, x, rng.standard_normal(3), rng.standard_normal(3))


@pytest.mark.parametrize("case", BN_CASES)
def test_batch_norm_matches_pytorch(case):
    def ref(key):
        return REF[f"{case}/{key}"]

    kwargs = json.loads(str(ref("kwargs")))
    affine = f"{case}/gamma" in REF.files
    x = Tensor(ref("x").copy(), requires_grad=True)
    gamma = Tensor(ref("gamma").copy(), requires_grad=True) if affine else None
    beta = Tensor(ref("beta").copy(), requires_grad=True) if affine else None
    if str(ref("fn")) == "batch_norm_train":
        y, mean, var = N.batch_norm_train(x, gamma, beta, **kwargs)
        np.testing.assert_allclose(mean, ref("mean"), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(var, ref("var"), rtol=1e-10, atol=1e-12)
    else:
        y = N.batch_norm_inference(x, gamma, beta, ref("moving_mean"), ref("moving_variance"),
                                   **kwargs)
    y.backward(ref("gy"))
    np.testing.assert_allclose(y.data, ref("y"), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(x.grad, ref("gx"), rtol=1e-10, atol=1e-10)
    if affine:
        np.testing.assert_allclose(gamma.grad, ref("ggamma"), rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(beta.grad, ref("gbeta"), rtol=1e-10, atol=1e-10)


def test_batch_norm_statistics_and_float32():
    x = (rng.standard_normal((16, 5, 5, 3)) * 3 + 2).astype(np.float32)
    gamma, beta = np.ones(3, np.float32), np.zeros(3, np.float32)
    y, mean, var = N.batch_norm_train(x, gamma, beta)
    assert y.dtype == mean.dtype == var.dtype == np.float32
    assert mean.shape == var.shape == (3,)
    np.testing.assert_allclose(mean, x.mean(axis=(0, 1, 2)), rtol=1e-5)
    np.testing.assert_allclose(var, x.var(axis=(0, 1, 2)), rtol=1e-5)  # biased
    np.testing.assert_allclose(y.data.mean(axis=(0, 1, 2)), 0, atol=1e-5)
    np.testing.assert_allclose(y.data.var(axis=(0, 1, 2)), var / (var + 1e-3), rtol=1e-4)
    # inference with the batch's own statistics reproduces training mode
    y2 = N.batch_norm_inference(x, gamma, beta, mean, var)
    assert y2.dtype == np.float32
    np.testing.assert_allclose(y2.data, y.data, rtol=1e-4, atol=1e-5)


def test_batch_norm_shape_errors():
    with pytest.raises(ValueError, match=r"gamma must have shape \(3,\), got \(4,\)"):
        N.batch_norm_train(np.ones((2, 3)), np.ones(4), None)
    with pytest.raises(ValueError, match=r"moving_variance must have shape \(3,\)"):
        N.batch_norm_inference(np.ones((2, 3)), None, None, np.zeros(3), np.ones(2))
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        N.batch_norm_train(np.ones((2, 3)), None, None, axis=2)
