"""Batch normalization's one-pass training kernels (``backend.numpy.batch_norm``): gradients
against finite differences, the same numbers as the two-pass arithmetic, float32 data far from
zero without cancellation, and any block size, layout and thread count."""

import numpy as np
import pytest

import npconv
from npconv.autograd import Tensor
from npconv.autograd.gradcheck import gradcheck
from npconv.backend.numpy import batch_norm as kernels
from npconv.functions import normalization as N
from npconv.functions.activations import relu

rng = np.random.default_rng(0)


@pytest.fixture
def small_blocks(monkeypatch):
    """Blocks of 24 elements and wide rows of 8: small inputs then cross several blocks,
    grouped rows and a tail of left-over rows."""
    monkeypatch.setattr(kernels, "BLOCK", 24)
    monkeypatch.setattr(kernels, "WIDE", 8)


def two_pass(monkeypatch):
    monkeypatch.setattr(kernels, "applies", lambda x: False)


def run(x, gamma, beta, axis, activation, gy):
    """``(y, mean, var, gx, d_gamma, d_beta)`` of ``batch_norm_train`` for the gradient
    ``gy``."""
    leaves = [Tensor(a, requires_grad=True) if a is not None else None
              for a in (x, gamma, beta)]
    y, mean, var = N.batch_norm_train(*leaves, axis=axis, activation=activation)
    y.backward(gy)
    return (y.data, mean, var, *[None if t is None else t.grad for t in leaves])


CASES = [  # shape, axis: channels last (grouped rows + a tail), channels first, dense
    ((3, 5, 7, 4), -1),
    ((3, 4, 5, 6), 1),
    ((11, 3), -1),
]


@pytest.mark.parametrize("activation", [None, "relu"])
@pytest.mark.parametrize("shape, axis", CASES)
def test_one_pass_gradients_match_finite_differences(small_blocks, shape, axis, activation):
    x = rng.standard_normal(shape) * 2 + 0.5
    c = shape[axis]
    gamma, beta = rng.standard_normal(c), rng.standard_normal(c)

    def fn(x, gamma, beta):
        assert kernels.applies(x.data)
        return N.batch_norm_train(x, gamma, beta, axis=axis, epsilon=1e-3,
                                  activation=activation)[0]

    gradcheck(fn, x, gamma, beta)


@pytest.mark.parametrize("center, scale", [(False, True), (True, False), (False, False)])
def test_one_pass_gradients_without_gamma_or_beta(small_blocks, center, scale):
    x = rng.standard_normal((4, 3, 5, 3))
    params = [rng.standard_normal(3) if on else None for on in (scale, center)]
    args = [x] + [p for p in params if p is not None]

    def fn(x, *given):
        given = list(given)
        gamma = given.pop(0) if scale else None
        beta = given.pop(0) if center else None
        return N.batch_norm_train(x, gamma, beta, activation="relu")[0]

    gradcheck(fn, *args)


@pytest.mark.parametrize("activation", [None, "relu"])
@pytest.mark.parametrize("shape, axis", CASES)
def test_one_pass_equals_the_two_pass_arithmetic(small_blocks, monkeypatch, shape, axis,
                                                 activation):
    x = rng.standard_normal(shape) * 3 - 1
    c = shape[axis]
    gamma, beta = rng.standard_normal(c), rng.standard_normal(c)
    gy = rng.standard_normal(shape)
    fast = run(x, gamma, beta, axis, activation, gy)
    two_pass(monkeypatch)
    plain = run(x, gamma, beta, axis, activation, gy)
    for got, want in zip(fast, plain):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def float64_truth(x, gamma, beta, gy, epsilon=1e-3):
    """Batch normalization of channels-last ``x`` and its gradients, in float64 by the
    textbook formulas."""
    x = x.astype(np.float64)
    red = tuple(range(x.ndim - 1))
    mean, var = x.mean(red), x.var(red)
    x_hat = (x - mean) / np.sqrt(var + epsilon)
    n = x.size // x.shape[-1]
    d_beta, d_gamma = gy.sum(red), (gy * x_hat).sum(red)
    gx = gamma / np.sqrt(var + epsilon) * (gy - d_beta / n - x_hat * d_gamma / n)
    return x_hat * gamma + beta, mean, var, gx, d_gamma, d_beta


def test_float32_far_from_zero_has_no_cancellation():
    # mean 1e3, spread 1: E[x^2] - E[x]^2 in float32 would lose the variance entirely
    shape = (32, 9, 9, 16)
    x = (rng.standard_normal(shape) * rng.uniform(0.5, 2, 16) + 1e3).astype(np.float32)
    gamma = rng.uniform(0.5, 2, 16).astype(np.float32)
    beta = rng.standard_normal(16).astype(np.float32)
    gy = rng.standard_normal(shape).astype(np.float32)
    got = run(x, gamma, beta, -1, None, gy)
    want = float64_truth(x, gamma.astype(np.float64), beta, gy.astype(np.float64))
    y, mean, var, gx, d_gamma, d_beta = got
    assert y.dtype == gx.dtype == np.float32
    np.testing.assert_allclose(mean, want[1], rtol=1e-7)
    np.testing.assert_allclose(var, want[2], rtol=1e-5)
    # y = x * scale + shift rounds like the references' folded form (TensorFlow, PyTorch):
    # to about |x| * eps = 1e-4 here
    np.testing.assert_allclose(y, want[0], atol=5e-4)
    np.testing.assert_allclose(gx, want[3], rtol=1e-4, atol=1e-5 * np.abs(want[3]).max())
    np.testing.assert_allclose(d_gamma, want[4], rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(d_beta, want[5], rtol=1e-5, atol=1e-3)


def test_two_threads_give_the_one_thread_numbers(small_blocks):
    x = rng.standard_normal((6, 7, 5, 4)).astype(np.float32)
    gamma, beta = rng.standard_normal(4), rng.standard_normal(4)
    gy = rng.standard_normal(x.shape).astype(np.float32)
    before = npconv.backend.num_threads()
    try:
        npconv.backend.set_num_threads(1)
        one = run(x, gamma.astype(np.float32), beta.astype(np.float32), -1, "relu", gy)
        npconv.backend.set_num_threads(2)
        two = run(x, gamma.astype(np.float32), beta.astype(np.float32), -1, "relu", gy)
    finally:
        npconv.backend.set_num_threads(before)
    for a, b in zip(one, two):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_relu_is_the_separate_relu():
    x = rng.standard_normal((5, 6, 6, 3)).astype(np.float32)
    gamma, beta = rng.standard_normal(3).astype(np.float32), np.zeros(3, np.float32)
    gy = rng.standard_normal(x.shape).astype(np.float32)
    fused = run(x, gamma, beta, -1, "relu", gy)
    xt = Tensor(x, requires_grad=True)
    y, _, _ = N.batch_norm_train(xt, gamma, beta)
    out = relu(y)
    out.backward(gy)
    np.testing.assert_array_equal(fused[0], out.data)
    np.testing.assert_array_equal(fused[3], xt.grad)


def test_activation_other_than_relu_is_refused():
    with pytest.raises(ValueError, match="batch_norm_train: activation must be None or 'relu'"):
        N.batch_norm_train(np.ones((2, 3)), None, None, activation="tanh")


def test_inference_relu_gradients_and_numbers():
    x = rng.standard_normal((4, 5, 3))
    mean, var = rng.standard_normal(3), rng.uniform(0.5, 2, 3)

    def fn(x, gamma, beta):
        return N.batch_norm_inference(x, gamma, beta, mean, var, activation="relu")

    gamma, beta = rng.standard_normal(3), rng.standard_normal(3)
    gradcheck(fn, x, gamma, beta)
    separate = relu(N.batch_norm_inference(x, gamma, beta, mean, var))
    np.testing.assert_array_equal(fn(x, gamma, beta).data, separate.data)
