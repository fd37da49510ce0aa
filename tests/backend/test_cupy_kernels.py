"""The CuPy backend's kernels against the generic kernels on NumPy (which test_generic_kernels
holds to npconv's NumPy functions), on the GPU. Skipped, with the reason, where CuPy or a CUDA
device is missing (CI); bench/gpu_check.sh runs them on a lent GPU machine."""

import numpy as np
import pytest

from npconv.backend import generic as G
from npconv.backend import selection as S
from npconv.functions.padding import spatial_pads

cupy = pytest.importorskip("cupy", reason="CuPy is not installed (pip install cupy-cuda12x)")
try:
    HAS_GPU = cupy.cuda.runtime.getDeviceCount() > 0
except Exception:  # no driver / no device: CuPy raises CUDARuntimeError
    HAS_GPU = False
pytestmark = pytest.mark.skipif(not HAS_GPU, reason="CuPy is installed but sees no CUDA device")

from npconv.backend import cupy as K  # noqa: E402 - only once CuPy is known to be there
from npconv.backend.cupy import kernels as KK  # noqa: E402

rng = np.random.default_rng(31)
TOL = 1e-9  # float64 on the GPU against float64 on the CPU


def gpu(a):
    return cupy.asarray(a)


def close(got, want, tol=TOL):
    assert isinstance(got, cupy.ndarray)
    np.testing.assert_allclose(cupy.asnumpy(got), want, rtol=tol, atol=tol)


@pytest.fixture(params=["gemm", "cudnn"])
def conv_path(request, monkeypatch):
    if request.param == "gemm":
        monkeypatch.setattr(KK, "_cudnn", lambda: None)
    elif KK._cudnn_module() is None:
        pytest.skip("this CuPy has no cuDNN (CuPy 14 removed it)")
    return request.param


CONV_CASES = [
    ((2, 7, 6, 3), (3, 2), (1, 1), "valid", (1, 1), 1),
    ((2, 8, 7, 4), (3, 3), (2, 2), "same", (1, 1), 2),
    ((4, 9, 9, 2), (2, 3), (3, 2), "same", (1, 1), 1),
    ((2, 9, 8, 2), (3, 2), (1, 1), "valid", (2, 3), 1),
    ((2, 11, 3), (3,), (2,), "same", (1,), 3),
    ((1, 4, 5, 4, 2), (2, 3, 2), (1, 2, 1), "same", (1, 1, 1), 1),  # 3-D: generic on CuPy
    ((32, 16, 16, 8), (3, 3), (1, 1), "same", (1, 1), 1),
]


@pytest.mark.parametrize("case", CONV_CASES, ids=str)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_conv(case, dtype, conv_path):
    shape, ksize, strides, padding, dilation, groups = case
    c, f = shape[-1], 2 * groups
    x = rng.standard_normal(shape).astype(dtype)
    k = rng.standard_normal((*ksize, c // groups, f)).astype(dtype)
    b = rng.standard_normal(f).astype(dtype)
    pads = spatial_pads(shape[1:-1], ksize, padding, strides, dilation)
    tol = TOL if dtype == np.float64 else 2e-4
    y_ref = G.conv_forward(x, k, b, strides, dilation, pads, groups)
    gy = rng.standard_normal(y_ref.shape).astype(dtype)
    refs = G.conv_backward(x, k, gy, strides, dilation, pads, groups)
    y = K.conv_forward(gpu(x), gpu(k), gpu(b), strides, dilation, pads, groups)
    assert y.dtype == dtype
    close(y, y_ref, tol)
    got = K.conv_backward(gpu(x), gpu(k), gpu(gy), strides, dilation, pads, groups)
    for g, want in zip(got, refs):
        close(g, want, tol)
    again = K.conv_backward(gpu(x), gpu(k), gpu(gy), strides, dilation, pads, groups)
    for g, h in zip(got, again):  # deterministic: no atomics, bit for bit
        assert bool((g == h).all())


POOL_CASES = [
    ((2, 6, 6, 3), (2, 2), (2, 2), "valid"),
    ((2, 7, 5, 2), (3, 3), (2, 2), "same"),
    ((1, 5, 6, 2), (3, 2), (1, 1), "valid"),
    ((2, 9, 2), (4,), (3,), "same"),
    ((1, 4, 4, 4, 2), (2, 2, 2), (2, 2, 2), "valid"),
]


@pytest.mark.parametrize("case", POOL_CASES, ids=str)
def test_pooling(case):
    shape, pool, strides, padding = case
    x = rng.integers(0, 3, size=shape).astype(np.float64)  # ties: the first maximum wins
    pads = spatial_pads(shape[1:-1], pool, padding, strides)
    y_ref, arg_ref = G.max_pool_forward(x, pool, strides, pads)
    gy = rng.standard_normal(y_ref.shape)
    y, arg = K.max_pool_forward(gpu(x), pool, strides, pads)
    close(y, y_ref)
    np.testing.assert_array_equal(cupy.asnumpy(arg), arg_ref)
    close(K.max_pool_backward(gpu(gy), arg, shape, pool, strides, pads),
          G.max_pool_backward(gy, arg_ref, shape, pool, strides, pads))
    close(K.avg_pool_forward(gpu(x), pool, strides, pads),
          G.avg_pool_forward(x, pool, strides, pads))
    close(K.avg_pool_backward(gpu(gy), shape, pool, strides, pads),
          G.avg_pool_backward(gy, shape, pool, strides, pads))


def test_softmax_cross_entropy_fused():
    z = rng.standard_normal((33, 10)) * 5
    labels = rng.integers(0, 10, size=33)
    t = np.eye(10)[labels] * 0.9 + 0.01
    gy = rng.standard_normal(33)
    loss, p = K.softmax_cross_entropy_forward(gpu(z), gpu(t))
    loss_ref, p_ref = G.softmax_cross_entropy_forward(z, t)
    close(loss, loss_ref)
    close(p, p_ref)
    close(K.softmax_cross_entropy_backward(p, gpu(t), gpu(gy)),
          G.softmax_cross_entropy_backward(p_ref, t, gy))
    loss, p = K.sparse_softmax_cross_entropy_forward(gpu(z), gpu(labels))
    loss_ref, p_ref = G.sparse_softmax_cross_entropy_forward(z, labels)
    close(loss, loss_ref)
    close(K.sparse_softmax_cross_entropy_backward(p, gpu(labels), gpu(gy)),
          G.sparse_softmax_cross_entropy_backward(p_ref, labels, gy))


def test_dense_and_batch_norm_on_the_gpu():
    x, k, b = rng.standard_normal((6, 5)), rng.standard_normal((5, 3)), rng.standard_normal(3)
    gy = rng.standard_normal((6, 3))
    close(K.dense_forward(gpu(x), gpu(k), gpu(b)), G.dense_forward(x, k, b))
    for g, want in zip(K.dense_backward(gpu(x), gpu(k), gpu(gy)), G.dense_backward(x, k, gy)):
        close(g, want)
    x = rng.standard_normal((4, 3, 3, 5))
    gamma, beta = rng.standard_normal(5), rng.standard_normal(5)
    gy = rng.standard_normal(x.shape)
    y, mean, var, saved = K.batch_norm_train_forward(gpu(x), gpu(gamma), gpu(beta), 1e-3)
    y_ref, mean_ref, var_ref, saved_ref = G.batch_norm_train_forward(x, gamma, beta, 1e-3)
    close(y, y_ref)
    for g, want in zip(K.batch_norm_train_backward(gpu(gy), gpu(gamma), saved),
                       G.batch_norm_train_backward(gy, gamma, saved_ref)):
        close(g, want)


def test_dropout_mask_on_the_gpu():
    like = cupy.zeros((2,), dtype=cupy.float32)
    mask = K.dropout_mask(like, (200, 300), 0.3, seed=5)
    assert mask.dtype == cupy.float32 and mask.shape == (200, 300)
    values = set(np.unique(cupy.asnumpy(mask)).tolist())
    assert values == {0.0, float(np.float32(1 / 0.7))}
    kept = float((mask > 0).mean())
    assert abs(kept - 0.7) < 0.01  # 60,000 draws: 5 standard deviations is 0.0094
    assert bool((K.dropout_mask(like, (200, 300), 0.3, seed=5) == mask).all())
    x = cupy.ones((200, 300), dtype=cupy.float32)
    assert bool((K.dropout_forward(x, mask) == mask).all())


def test_numpy_array_into_a_cupy_op_is_an_error_naming_both():
    with pytest.raises(TypeError, match="numpy ndarray .* cupy ndarray|cupy ndarray .* numpy"):
        K.dense_forward(gpu(np.ones((2, 3))), np.ones((3, 2)))


def test_set_backend_cupy_and_to_numpy():
    before = S.backend()
    try:
        assert S.set_backend("cupy") == "cupy"
        assert S.kernels().NAME == "cupy"
        a = gpu(np.arange(6.0))
        out = S.to_numpy(a)
        assert type(out) is np.ndarray
        np.testing.assert_array_equal(out, np.arange(6.0))
        moved = S.to_backend(np.arange(3.0))
        assert isinstance(moved, cupy.ndarray) and S.kernels_for(moved).NAME == "cupy"
        assert S.device_of(moved) == f"cuda:{cupy.cuda.Device().id}"
    finally:
        S.set_backend(before)
