"""The CuPy backend's CUDA sources and reshapes, run on the CPU through ``hostcupy`` (the
kernels compiled by the host C++ compiler, one thread walking every element), against the
generic kernels on NumPy. This is what keeps the GPU code honest in a CI without a GPU; the
launch itself and cuDNN are left to bench/gpu_check.sh."""

import hostcupy
import numpy as np
import pytest

from npconv.backend import generic as G
from npconv.functions.padding import spatial_pads

pytestmark = pytest.mark.skipif(not hostcupy.available(),
                                reason="needs a host C++ compiler (g++) to build the kernels")
rng = np.random.default_rng(77)


@pytest.fixture(scope="module")
def K():
    with hostcupy.installed() as kernels:
        kernels._check = lambda name, *arrays: None  # NumPy arrays stand for CuPy ones here
        yield kernels


def close(got, want, tol=1e-12):
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


@pytest.mark.parametrize("case", [
    ((2, 7, 6, 3), (3, 2), (1, 1), "valid", (1, 1), 1),
    ((2, 8, 7, 4), (3, 3), (2, 2), "same", (1, 1), 2),
    ((2, 9, 9, 2), (2, 3), (3, 2), "same", (1, 1), 1),
    ((2, 9, 8, 2), (3, 2), (1, 1), "valid", (2, 3), 1),
    ((2, 11, 3), (3,), (2,), "same", (1,), 3),
], ids=str)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_conv(K, case, dtype):
    shape, ksize, strides, padding, dilation, groups = case
    c, f = shape[-1], 2 * groups
    x = rng.standard_normal(shape).astype(dtype)
    k = rng.standard_normal((*ksize, c // groups, f)).astype(dtype)
    b = rng.standard_normal(f).astype(dtype)
    pads = spatial_pads(shape[1:-1], ksize, padding, strides, dilation)
    tol = 1e-12 if dtype == np.float64 else 1e-4
    y_ref = G.conv_forward(x, k, b, strides, dilation, pads, groups)
    close(K.conv_forward(x, k, b, strides, dilation, pads, groups), y_ref, tol)
    gy = rng.standard_normal(y_ref.shape).astype(dtype)
    got = K.conv_backward(x, k, gy, strides, dilation, pads, groups)
    for g, want in zip(got, G.conv_backward(x, k, gy, strides, dilation, pads, groups)):
        close(g, want, tol)


def test_im2col_and_col2im_are_adjoint(K):
    # <im2col(x), c> == <x, col2im(c)> for every x, c: the backward is the forward's transpose
    x = rng.standard_normal((2, 6, 5, 3))
    pads, strides, dilation = ((1, 2), (0, 1)), (2, 1), (1, 2)
    cols = K.im2col(x, (3, 2), strides, dilation, pads)
    c = rng.standard_normal(cols.shape)
    lhs = float((cols * c).sum())
    rhs = float((x * K.col2im(c, x.shape, strides, dilation, pads)).sum())
    assert abs(lhs - rhs) < 1e-9 * max(1.0, abs(lhs))


@pytest.mark.parametrize("case", [
    ((2, 6, 6, 3), (2, 2), (2, 2), "valid"),
    ((2, 7, 5, 2), (3, 3), (2, 2), "same"),
    ((1, 5, 6, 2), (3, 2), (1, 1), "valid"),
    ((2, 9, 2), (4,), (3,), "same"),
], ids=str)
def test_max_pool(K, case):
    shape, pool, strides, padding = case
    x = rng.integers(-2, 2, size=shape).astype(np.float64)  # ties, and negatives near padding
    pads = spatial_pads(shape[1:-1], pool, padding, strides)
    y_ref, arg_ref = G.max_pool_forward(x, pool, strides, pads)
    y, arg = K.max_pool_forward(x, pool, strides, pads)
    close(y, y_ref)
    np.testing.assert_array_equal(arg, arg_ref)
    gy = rng.standard_normal(y_ref.shape)
    close(K.max_pool_backward(gy, arg, shape, pool, strides, pads),
          G.max_pool_backward(gy, arg_ref, shape, pool, strides, pads))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_softmax_cross_entropy(K, dtype):
    z = (rng.standard_normal((7, 3, 10)) * 5).astype(dtype)
    labels = rng.integers(0, 10, size=(7, 3))
    t = (np.eye(10)[labels] * 0.9 + 0.01).astype(dtype)
    gy = rng.standard_normal((7, 3)).astype(dtype)
    tol = 1e-12 if dtype == np.float64 else 2e-5
    loss, p = K.softmax_cross_entropy_forward(z, t)
    loss_ref, p_ref = G.softmax_cross_entropy_forward(z, t)
    close(loss, loss_ref, tol)
    close(p, p_ref, tol)
    close(K.softmax_cross_entropy_backward(p, t, gy),
          G.softmax_cross_entropy_backward(p_ref, t, gy), tol)
    loss, p = K.sparse_softmax_cross_entropy_forward(z, labels)
    loss_ref, p_ref = G.sparse_softmax_cross_entropy_forward(z, labels)
    close(loss, loss_ref, tol)
    close(K.sparse_softmax_cross_entropy_backward(p, labels, gy),
          G.sparse_softmax_cross_entropy_backward(p_ref, labels, gy), tol)


def test_dropout_mask_kernel(K):
    u = rng.random(1000)
    mask = K._mask_kernel()(u, np.float64(0.25), np.float64(1 / 0.75))
    np.testing.assert_array_equal(mask, np.where(u >= 0.25, 1 / 0.75, 0.0))



def test_generic_kernels_through_the_cupy_namespace(K, monkeypatch):
    # The generic kernels as the CuPy backend runs them (average pooling, dense, batch norm,
    # 3-D convolutions): through backend/cupy/namespace.py's standard spellings.
    import contextlib
    import importlib

    from npconv.backend import selection

    module = importlib.import_module("npconv.backend.cupy.namespace")
    ns = module.namespace
    x = rng.standard_normal((2, 5, 4, 3, 2))
    k = rng.standard_normal((2, 3, 2, 2, 4))
    gy_pool = rng.standard_normal((2, 3, 2, 2, 2))
    pads = [(0, 1), (1, 1), (0, 0)]
    plain = (G.conv_forward(x, k, None, (1, 1, 1), (1, 1, 1), pads),
             G.avg_pool_backward(gy_pool, x.shape, (2, 2, 2), (2, 2, 2), [(0, 1), (0, 0), (0, 1)]),
             G.batch_norm_train_forward(x, None, None, 1e-3)[0],
             G.one_hot(np.arange(4) % 3, 3, np.float32))
    monkeypatch.setattr(selection, "_namespace_of", lambda a: ns)
    monkeypatch.setattr(module, "_on", lambda device: contextlib.nullcontext())  # 'cpu' here
    through = (G.conv_forward(x, k, None, (1, 1, 1), (1, 1, 1), pads),
               G.avg_pool_backward(gy_pool, x.shape, (2, 2, 2), (2, 2, 2),
                                   [(0, 1), (0, 0), (0, 1)]),
               G.batch_norm_train_forward(x, None, None, 1e-3)[0],
               G.one_hot(np.arange(4) % 3, 3, np.float32))
    for a, b in zip(through, plain):
        np.testing.assert_array_equal(a, b)
    assert through[3].dtype == np.float32
