"""The generic (array API) kernels against npconv's NumPy functions, run on ``array_api_strict``
arrays on its CPU device and on a simulated second device ('device1'), so that a kernel that
mixes devices or leans on a non-standard NumPy call fails here, on CPU, in CI."""

import numpy as np
import pytest

from npconv.autograd import Tensor
from npconv.backend import generic as G
from npconv.backend.selection import to_numpy
from npconv.functions import conv as C
from npconv.functions import dropout as D
from npconv.functions import linear, losses
from npconv.functions import normalization as N
from npconv.functions import pooling as P
from npconv.functions.padding import spatial_pads

xps = pytest.importorskip("array_api_strict", reason="pip install array-api-strict (test extra)")

DEVICES = ["CPU_DEVICE", "device1"]
rng = np.random.default_rng(13)


def put(a, device):
    return xps.asarray(np.asarray(a), device=xps.Device(device))


def grads(fn, *arrays, gy):
    """The forward value and the gradients of ``sum(fn(*arrays) * gy)`` from npconv's autograd
    (None for integer inputs)."""
    ts = [Tensor(a, requires_grad=np.issubdtype(a.dtype, np.floating)) for a in arrays]
    y = fn(*ts)
    y.backward(gy)
    return y.data, [t.grad for t in ts]


def close(got, want, tol=1e-10):
    got = to_numpy(got)
    assert got.shape == np.shape(want)
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


CONV_CASES = [
    # x shape, kernel size, strides, padding, dilation, groups
    ((2, 7, 6, 3), (3, 2), (1, 1), "valid", (1, 1), 1),
    ((2, 8, 7, 4), (3, 3), (2, 2), "same", (1, 1), 2),
    ((1, 9, 9, 2), (2, 3), (3, 2), "same", (1, 1), 1),
    ((2, 9, 8, 2), (3, 2), (1, 1), "valid", (2, 3), 1),
    ((2, 11, 3), (3,), (2,), "same", (1,), 3),
    ((1, 4, 5, 4, 2), (2, 3, 2), (1, 2, 1), "same", (1, 1, 1), 1),
]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("case", CONV_CASES, ids=str)
def test_conv_forward_backward(case, device):
    shape, ksize, strides, padding, dilation, groups = case
    c, f = shape[-1], 2 * groups
    x = rng.standard_normal(shape)
    k = rng.standard_normal((*ksize, c // groups, f))
    b = rng.standard_normal(f)
    pads = spatial_pads(shape[1:-1], ksize, padding, strides, dilation)

    def ref(x, k, b):
        return C.conv(x, k, b, strides=strides, padding=padding, dilation_rate=dilation,
                      groups=groups)

    y_ref = ref(Tensor(x), Tensor(k), Tensor(b)).data
    gy = rng.standard_normal(y_ref.shape)
    y_ref, (gx_ref, gk_ref, gb_ref) = grads(ref, x, k, b, gy=gy)
    xd, kd, bd = put(x, device), put(k, device), put(b, device)
    y = G.conv_forward(xd, kd, bd, strides, dilation, pads, groups)
    assert y.device == xps.Device(device)
    close(y, y_ref)
    gx, gk, gb = G.conv_backward(xd, kd, put(gy, device), strides, dilation, pads, groups)
    close(gx, gx_ref)
    close(gk, gk_ref)
    close(gb, gb_ref)
    none = G.conv_backward(xd, kd, put(gy, device), strides, dilation, pads, groups,
                           need_x=False, need_bias=False)
    assert none[0] is None and none[2] is None
    close(none[1], gk_ref)


POOL_CASES = [
    ((2, 6, 6, 3), (2, 2), (2, 2), "valid"),
    ((2, 7, 5, 2), (3, 3), (2, 2), "same"),
    ((1, 5, 6, 2), (3, 2), (1, 1), "valid"),
    ((2, 9, 2), (4,), (3,), "same"),
]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("case", POOL_CASES, ids=str)
def test_pooling_forward_backward(case, device):
    shape, pool, strides, padding = case
    # ties in every window: the gradient goes to the first maximum, as the NumPy kernels do
    x = rng.integers(0, 3, size=shape).astype(np.float64)
    pads = spatial_pads(shape[1:-1], pool, padding, strides)
    xd = put(x, device)
    for name, fn in (("max", P.max_pool), ("avg", P.avg_pool)):
        def ref(x, fn=fn):
            return fn(x, pool, strides, padding)

        y_ref = ref(Tensor(x)).data
        gy = rng.standard_normal(y_ref.shape)
        y_ref, (gx_ref,) = grads(ref, x, gy=gy)
        if name == "max":
            y, argmax = G.max_pool_forward(xd, pool, strides, pads)
            gx = G.max_pool_backward(put(gy, device), argmax, shape, pool, strides, pads)
        else:
            y = G.avg_pool_forward(xd, pool, strides, pads)
            gx = G.avg_pool_backward(put(gy, device), shape, pool, strides, pads)
        close(y, y_ref)
        close(gx, gx_ref)
        assert gx.device == xps.Device(device)


@pytest.mark.parametrize("device", DEVICES)
def test_dense(device):
    x, k, b = rng.standard_normal((2, 3, 5)), rng.standard_normal((5, 4)), rng.standard_normal(4)
    gy = rng.standard_normal((2, 3, 4))
    y_ref, (gx_ref, gk_ref, gb_ref) = grads(linear.dense, x, k, b, gy=gy)
    xd, kd, bd = put(x, device), put(k, device), put(b, device)
    close(G.dense_forward(xd, kd, bd), y_ref)
    gx, gk, gb = G.dense_backward(xd, kd, put(gy, device))
    close(gx, gx_ref)
    close(gk, gk_ref)
    close(gb, gb_ref)


@pytest.mark.parametrize("device", DEVICES)
def test_dropout_same_mask_as_numpy_for_a_seed(device):
    x = rng.standard_normal((4, 5, 6)).astype(np.float32)
    xd = put(x, device)
    mask = G.dropout_mask(xd, (4, 1, 6), 0.4, seed=7)
    want = D.dropout_mask((4, 1, 6), 0.4, np.float32, seed=7)
    assert mask.device == xps.Device(device) and mask.dtype == xps.float32
    close(mask, want, tol=0)
    assert set(np.unique(want)) == {0.0, np.float32(1 / 0.6)}
    gy = rng.standard_normal(x.shape).astype(np.float32)
    close(G.dropout_forward(xd, mask), x * want, tol=0)
    close(G.dropout_backward(put(gy, device), mask), gy * want, tol=0)


@pytest.mark.parametrize("device", DEVICES)
def test_softmax_cross_entropy(device):
    z = rng.standard_normal((6, 5)) * 4
    labels = rng.integers(0, 5, size=6)
    t = np.eye(5)[labels] * 0.8 + 0.04  # soft targets that sum to 1
    gy = rng.standard_normal(6)

    loss_ref, (gz_ref, _) = grads(losses.softmax_cross_entropy, z, t, gy=gy)
    zd, td = put(z, device), put(t, device)
    loss, p = G.softmax_cross_entropy_forward(zd, td)
    close(loss, loss_ref)
    close(G.softmax_cross_entropy_backward(p, td, put(gy, device)), gz_ref)

    loss_ref, (gz_ref, _) = grads(losses.sparse_softmax_cross_entropy, z, labels, gy=gy)
    ld = put(labels, device)
    loss, p = G.sparse_softmax_cross_entropy_forward(zd, ld)
    close(loss, loss_ref)
    close(G.sparse_softmax_cross_entropy_backward(p, ld, put(gy, device)), gz_ref)


@pytest.mark.parametrize("device", DEVICES)
def test_batch_norm(device):
    x = rng.standard_normal((4, 3, 3, 5)) * 2 + 1
    gamma, beta = rng.standard_normal(5), rng.standard_normal(5)
    gy = rng.standard_normal(x.shape)
    xd, gd, bd, gyd = (put(a, device) for a in (x, gamma, beta, gy))

    def train(x, g, b):
        return N.batch_norm_train(x, g, b, epsilon=1e-3)[0]

    y_ref, grads_ref = grads(train, x, gamma, beta, gy=gy)
    y, mean, var, saved = G.batch_norm_train_forward(xd, gd, bd, 1e-3)
    close(y, y_ref)
    close(mean, x.mean(axis=(0, 1, 2)))
    close(var, x.var(axis=(0, 1, 2)))
    for got, want in zip(G.batch_norm_train_backward(gyd, gd, saved), grads_ref):
        close(got, want)

    mm, mv = rng.standard_normal(5), rng.random(5) + 0.5

    def infer(x, g, b):
        return N.batch_norm_inference(x, g, b, mm, mv, epsilon=1e-3)

    y_ref, grads_ref = grads(infer, x, gamma, beta, gy=gy)
    md, vd = put(mm, device), put(mv, device)
    close(G.batch_norm_inference_forward(xd, gd, bd, md, vd, 1e-3), y_ref)
    got = G.batch_norm_inference_backward(xd, gyd, gd, md, vd, 1e-3)
    for g, want in zip(got, grads_ref):
        close(g, want)


def test_conv_on_two_devices_is_an_error_naming_both():
    x = put(rng.standard_normal((1, 4, 4, 2)), "CPU_DEVICE")
    k = put(rng.standard_normal((2, 2, 2, 3)), "device1")
    with pytest.raises(ValueError, match=r"conv_forward: arrays on two devices.*CPU_DEVICE.*"
                                         r"device1"):
        G.conv_forward(x, k, None, (1, 1), (1, 1), [(0, 0), (0, 0)])


def test_numpy_array_into_a_strict_op_is_an_error_naming_both_libraries():
    x = put(rng.standard_normal((2, 3)), "CPU_DEVICE")
    with pytest.raises(TypeError, match="numpy ndarray .* array_api_strict|array_api_strict .* "
                                        "numpy ndarray"):
        G.dense_forward(x, rng.standard_normal((3, 2)))


def test_generic_kernels_also_run_on_numpy():
    x, k = rng.standard_normal((2, 5, 5, 2)), rng.standard_normal((3, 3, 2, 4))
    y = G.conv_forward(x, k, None, (1, 1), (1, 1), [(1, 1), (1, 1)])
    np.testing.assert_allclose(y, C.conv(x, k, padding="same").data, rtol=1e-12, atol=1e-12)
