"""Gradients of the functions behind issue 10's layers against finite differences (float64):
resampling (nearest, bilinear, crop), per-sample normalization, PReLU, the thresholded ReLU,
the embedding lookup and the training-time noise; plus the facts each forward promises."""

import numpy as np
import pytest

from npconv.autograd import Tensor
from npconv.autograd.gradcheck import gradcheck
from npconv.functions import embedding as E
from npconv.functions import layer_normalization as LN
from npconv.functions import noise
from npconv.functions import prelu as P
from npconv.functions import resampling as R

rng = np.random.default_rng(0)


@pytest.mark.parametrize("size,axes", [((2,), (1,)), ((2, 3), (1, 2)), ((3, 2), (2, 3))])
def test_upsample_nearest_gradcheck(size, axes):
    gradcheck(lambda x: R.upsample_nearest(x, size, axes), rng.standard_normal((2, 3, 2, 2)))


@pytest.mark.parametrize("size,axes", [((2, 3), (1, 2)), ((3, 2), (2, 3)), ((4,), (1,))])
def test_upsample_bilinear_gradcheck(size, axes):
    gradcheck(lambda x: R.upsample_bilinear(x, size, axes), rng.standard_normal((2, 3, 4, 2)))


def test_bilinear_matrix_rows_are_convex_blends_with_half_pixel_centres():
    m = R.bilinear_matrix(3, 2)
    np.testing.assert_allclose(m.sum(axis=1), 1.0)
    # output 1 samples input (1 + 0.5) / 2 - 0.5 = 0.25: 0.75 of input 0, 0.25 of input 1
    np.testing.assert_allclose(m[1], [0.75, 0.25, 0.0])
    np.testing.assert_allclose(m[0], [1.0, 0.0, 0.0])  # clamped at the edge
    np.testing.assert_allclose(m[5], [0.0, 0.0, 1.0])


def test_crop_gradcheck_and_errors():
    gradcheck(lambda x: R.crop(x, ((0, 0), (1, 2), (0, 1), (0, 0))),
              rng.standard_normal((2, 5, 3, 2)))
    with pytest.raises(ValueError, match="leaves nothing"):
        R.crop(Tensor(np.zeros((1, 3))), ((0, 0), (2, 1)))


@pytest.mark.parametrize("axes", [-1, (1, 2), (1,)])
def test_standardize_gradcheck(axes):
    gradcheck(lambda x: LN.standardize(x, axes, 1e-3), rng.standard_normal((3, 4, 5)))


def test_variance_scale_gradcheck():
    gradcheck(lambda x: LN.variance_scale(x, -1, 1e-3), rng.standard_normal((3, 5)))


def test_l2_normalize_gradcheck_including_the_floor():
    x = rng.standard_normal((3, 4))
    gradcheck(lambda t: LN.l2_normalize(t, -1), x)
    x[1] = 0.0  # norm below the floor: the divisor is a constant 1e-6
    gradcheck(lambda t: LN.l2_normalize(t, -1), x, eps=1e-9, atol=1e-5)
    y = LN.l2_normalize(Tensor(x), -1).data
    np.testing.assert_allclose(np.linalg.norm(y[[0, 2]], axis=-1), 1.0)


def test_layer_norm_gradcheck_with_gamma_beta():
    x = rng.standard_normal((2, 3, 4))
    gradcheck(lambda x, g, b: LN.layer_norm(x, g, b, axes=(1, 2)), x,
              rng.standard_normal((3, 4)), rng.standard_normal((3, 4)))
    gradcheck(lambda x, g: LN.layer_norm(x, g, None, rms_scaling=True), x,
              rng.standard_normal(4))
    gradcheck(lambda x, g: LN.layer_norm(x, g, None), x, rng.standard_normal(4))
    gradcheck(lambda x, b: LN.layer_norm(x, None, b), x, rng.standard_normal(4))


@pytest.mark.parametrize("axis,groups", [(-1, 2), (1, 3), (-1, 6)])
def test_group_norm_gradcheck(axis, groups):
    x = rng.standard_normal((2, 6, 3, 6) if axis == 1 else (2, 3, 2, 6))
    gradcheck(lambda x, g, b: LN.group_norm(x, groups, g, b, axis=axis), x,
              rng.standard_normal(6), rng.standard_normal(6))


def test_group_norm_statistics_are_per_sample_and_group():
    x = rng.standard_normal((2, 5, 4)) * 3 + 1
    y = LN.group_norm(Tensor(x), 2, axis=-1, epsilon=0.0).data.reshape(2, 5, 2, 2)
    np.testing.assert_allclose(y.mean(axis=(1, 3)), 0.0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=(1, 3)), 1.0, atol=1e-10)
    with pytest.raises(ValueError, match="cannot be split into 3 groups"):
        LN.group_norm(Tensor(x), 3)


def test_prelu_gradcheck_shared_and_unshared():
    x = rng.standard_normal((3, 4, 2))
    x[np.abs(x) < 0.05] = 0.5  # keep off the kink at 0
    gradcheck(P.prelu, x, rng.standard_normal((4, 2)))
    gradcheck(P.prelu, x, rng.standard_normal((1, 2)))
    with pytest.raises(ValueError, match="does not broadcast"):
        P.prelu(Tensor(x), Tensor(np.ones((3, 2))))


def test_thresholded_relu_values_and_gradcheck():
    x = np.array([[-1.0, 0.5, 1.0, 1.5, 3.0]])
    np.testing.assert_array_equal(P.thresholded_relu(Tensor(x), 1.0).data,
                                  [[0.0, 0.0, 0.0, 1.5, 3.0]])
    gradcheck(lambda t: P.thresholded_relu(t, 0.7), x)


def test_embedding_gradient_sums_repeated_ids():
    ids = np.array([[1, 3, 1], [0, 1, 4]])
    table = rng.standard_normal((6, 3))
    gradcheck(lambda t: E.embedding(ids, t), table)
    t = Tensor(table, requires_grad=True)
    E.embedding(ids, t).sum().backward()
    np.testing.assert_array_equal(t.grad[:, 0], [1, 3, 0, 1, 1, 0])


def test_embedding_rejects_ids_out_of_range():
    with pytest.raises(ValueError, match=r"id 6 is outside \[0, 6\)"):
        E.embedding(np.array([[1, 6]]), np.zeros((6, 2)))
    table = np.arange(12.0).reshape(6, 2)
    # float ids are truncated, as Keras's cast to int32 does (models feed float32 batches)
    np.testing.assert_array_equal(E.embedding(np.array([[2.0, 4.7]]), table).data,
                                  [[[4, 5], [8, 9]]])


@pytest.mark.parametrize("fn", [
    lambda x: noise.gaussian_noise(x, 0.3, np.random.default_rng(1)),
    lambda x: noise.gaussian_dropout(x, 0.3, np.random.default_rng(1)),
    lambda x: noise.alpha_dropout(x, 0.3, (None, 1, None), np.random.default_rng(1)),
])
def test_noise_gradients_go_through_the_fixed_noise(fn):
    gradcheck(fn, rng.standard_normal((3, 4, 2)))


def test_noise_statistics():
    x = np.zeros((200, 500), np.float32)
    y = noise.gaussian_noise(Tensor(x), 0.5, np.random.default_rng(0)).data
    assert y.dtype == np.float32 and abs(y.std() - 0.5) < 0.01
    y = noise.gaussian_dropout(Tensor(x + 1), 0.2, np.random.default_rng(0)).data
    assert abs(y.mean() - 1) < 0.01 and abs(y.std() - 0.5) < 0.01  # sqrt(0.2 / 0.8)
    # alpha dropout keeps a standard normal input standard, drops a fraction rate
    x = np.random.default_rng(1).standard_normal((200, 500)).astype(np.float32)
    y = noise.alpha_dropout(Tensor(x), 0.2, generator=np.random.default_rng(0)).data
    assert abs(y.mean()) < 0.01 and abs(y.std() - 1) < 0.02
    alpha_p = -noise.SELU_ALPHA * noise.SELU_SCALE
    a = (0.8 * (1 + 0.2 * alpha_p**2)) ** -0.5
    dropped = np.isclose(y, a * alpha_p - a * alpha_p * 0.2)  # a * alpha' + b
    assert abs(dropped.mean() - 0.2) < 0.01
