"""The differentiable functions on arrays of another array library: ``array_api_strict`` on its
CPU device and on its simulated 'device1' (and CuPy on the GPU where there is one), through
``Tensor.backward``, against the same calls on NumPy arrays (npconv's CPU code; under
``NPCONV_BACKEND=cupy``, where NumPy inputs go to the GPU, against the CuPy kernels). What runs
is ``backend.kernels_for``'s kernels (the generic array-API ones for array_api_strict, CuPy's
for CuPy), so a function that forgets to dispatch, copies to NumPy or leaves an array on the
wrong device fails here, in CI, without a GPU."""

import numpy as np
import pytest

from npconv import backend
from npconv.autograd import Tensor
from npconv.backend import to_numpy
from npconv.backend.selection import device_of
from npconv.functions import activations as Act
from npconv.functions import array as A
from npconv.functions import conv as C
from npconv.functions import conv_transpose as CT
from npconv.functions import dropout as D
from npconv.functions import linear, losses
from npconv.functions import normalization as N
from npconv.functions import pooling as P

try:
    import array_api_strict as xps
except ImportError:  # the test extra: pip install array-api-strict
    xps = None
try:
    import cupy

    HAS_GPU = cupy.cuda.runtime.getDeviceCount() > 0
except Exception:  # no CuPy, no driver, no device
    cupy, HAS_GPU = None, False

DEVICES = (["CPU_DEVICE", "device1"] if xps is not None else []) + (["cuda"] if HAS_GPU else [])
if not DEVICES:
    pytest.skip("neither array_api_strict (pip install array-api-strict) nor a CUDA device",
                allow_module_level=True)
needs_strict = pytest.mark.skipif(xps is None, reason="pip install array-api-strict")
rng = np.random.default_rng(1313)


def put(a, device):
    """``a`` on ``device``: an array_api_strict device, or ``'cuda'`` (CuPy)."""
    if device == "cuda":
        return cupy.asarray(np.asarray(a))
    return xps.asarray(np.asarray(a), device=xps.Device(device))


def expected_device(device):
    return f"cuda:{cupy.cuda.Device().id}" if device == "cuda" else xps.Device(device)


def _grad_wanted(a):
    return np.issubdtype(np.asarray(a).dtype, np.floating)


def same_on_device(fn, arrays, device, tol=1e-10):
    """``fn`` on NumPy arrays and on ``device``: equal forward values and gradients (for a
    random upstream gradient), every result on ``device``. Returns the device's output."""
    ts = [Tensor(a, requires_grad=_grad_wanted(a)) for a in arrays]
    y = fn(*ts)
    gy = rng.standard_normal(y.shape)
    y.backward(gy)
    tds = [Tensor(put(a, device), requires_grad=_grad_wanted(a)) for a in arrays]
    yd = fn(*tds)
    assert type(yd.data).__module__.split(".")[0] == ("cupy" if device == "cuda"
                                                      else "array_api_strict")
    assert device_of(yd.data) == expected_device(device)
    yd.backward(put(gy, device))
    np.testing.assert_allclose(to_numpy(yd.data), to_numpy(y.data), rtol=tol, atol=tol)
    for t, td in zip(ts, tds):
        if t.grad is None:
            assert td.grad is None
            continue
        assert device_of(td.grad) == expected_device(device)
        np.testing.assert_allclose(to_numpy(td.grad), to_numpy(t.grad), rtol=tol, atol=tol)
    return yd


CONV_CASES = [
    # x shape (channels last), kernel size, strides, padding, dilation, groups
    ((2, 9, 3), (3,), (2,), "same", (1,), 1),
    ((2, 10, 4), (3,), (1,), "causal", (2,), 2),
    ((2, 7, 6, 3), (3, 2), (1, 1), "valid", (1, 1), 1),
    ((2, 8, 7, 4), (3, 3), (2, 2), "same", (1, 1), 2),
    ((1, 9, 8, 2), (3, 2), (1, 1), "valid", (2, 3), 1),
    ((1, 4, 5, 4, 2), (2, 3, 2), (1, 2, 1), "same", (1, 1, 1), 1),
]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("case", CONV_CASES, ids=str)
def test_conv(case, device):
    shape, ksize, strides, padding, dilation, groups = case
    c, f = shape[-1], 2 * groups
    x = rng.standard_normal(shape)
    k = rng.standard_normal((*ksize, c // groups, f))
    b = rng.standard_normal(f)

    def fn(x, k, b):
        return C.conv(x, k, b, strides=strides, padding=padding, dilation_rate=dilation,
                      groups=groups)

    same_on_device(fn, [x, k, b], device)


@pytest.mark.parametrize("device", DEVICES)
def test_conv_channels_first_fused_relu_and_no_bias(device):
    x = rng.standard_normal((2, 3, 7, 6))
    k = rng.standard_normal((3, 3, 3, 4))
    b = rng.standard_normal(4)

    def first(x, k, b):
        return C.conv(x, k, b, strides=(2, 1), padding="same", data_format="channels_first",
                      activation="relu")

    y = same_on_device(first, [x, k, b], device)
    assert y.shape == (2, 4, 4, 6) and float(to_numpy(y.data).min()) == 0.0
    same_on_device(lambda x, k: C.conv(x, k, padding="valid", activation="relu"),
                   [np.moveaxis(x, 1, -1), k], device)


@pytest.mark.parametrize("device", DEVICES)
def test_conv_max_pool_for_inference(device):
    """What ``predict`` runs for a Conv2D followed by MaxPooling2D (``models.fusion``)."""
    x, k, b = (rng.standard_normal(s) for s in ((2, 8, 9, 3), (3, 3, 3, 4), (4,)))
    want = C.conv_max_pool(x, k, b, pool_size=2, padding="same", activation="relu").data
    got = C.conv_max_pool(*(put(a, device) for a in (x, k, b)), pool_size=2, padding="same",
                          activation="relu").data
    assert device_of(got) == expected_device(device)
    np.testing.assert_allclose(to_numpy(got), to_numpy(want), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("case", [
    # x shape, kernel size, strides, padding, output_padding, data_format
    ((2, 4, 5, 3), (3, 3), (2, 2), "same", None, "channels_last"),
    ((2, 4, 4, 3), (2, 2), (3, 3), "valid", None, "channels_last"),  # outputs no input reaches
    ((1, 3, 5, 4), (3, 2), (2, 1), "valid", (1, 0), "channels_first"),
    ((2, 6, 2), (3,), (2,), "same", None, "channels_last"),
], ids=str)
def test_conv_transpose(case, device):
    shape, ksize, strides, padding, output_padding, data_format = case
    cin = shape[1] if data_format == "channels_first" else shape[-1]
    x = rng.standard_normal(shape)
    k = rng.standard_normal((*ksize, 2, cin))
    b = rng.standard_normal(2)

    def fn(x, k, b):
        return CT.conv_transpose(x, k, b, strides=strides, padding=padding,
                                 output_padding=output_padding, data_format=data_format)

    same_on_device(fn, [x, k, b], device)


POOL_CASES = [
    ((2, 6, 6, 3), (2, 2), None, "valid", "channels_last"),
    ((2, 7, 5, 2), (3, 3), (2, 2), "same", "channels_last"),
    ((2, 3, 5, 6), (3, 2), (1, 1), "valid", "channels_first"),
    ((2, 9, 2), (4,), (3,), "same", "channels_last"),
    ((1, 4, 4, 5, 2), (2, 2, 3), (2, 1, 2), "same", "channels_last"),
]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("case", POOL_CASES, ids=str)
def test_pooling(case, device):
    shape, pool, strides, padding, data_format = case
    # ties in every window: the gradient goes to the first maximum on both backends
    x = rng.integers(0, 3, size=shape).astype(np.float64)
    for fn in (P.max_pool, P.avg_pool):
        same_on_device(lambda x, fn=fn: fn(x, pool, strides, padding, data_format), [x],
                       device)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("activation", [None, "relu"])
def test_dense(device, activation):
    x, k, b = rng.standard_normal((2, 3, 5)), rng.standard_normal((5, 4)), rng.standard_normal(4)
    same_on_device(lambda x, k, b: linear.dense(x, k, b, activation=activation), [x, k, b],
                   device)
    same_on_device(lambda x, k: linear.dense(x, k), [x[0], k], device)


@pytest.mark.parametrize("device", DEVICES)
def test_dropout_same_mask_forward_backward_and_as_numpy(device):
    x = rng.standard_normal((4, 5, 6)) + 3.0  # no zeros: y / x recovers the mask
    rate = 0.4
    for noise_shape in (None, (4, 1, 6)):
        def fn(x, noise_shape=noise_shape):
            return D.dropout(x, rate, noise_shape=noise_shape, seed=7)

        xd = Tensor(put(x, device), requires_grad=True)
        y = fn(xd)
        gy = rng.standard_normal(x.shape)
        y.backward(put(gy, device))
        mask = to_numpy(y.data) / x
        np.testing.assert_allclose(to_numpy(xd.grad), gy * mask, rtol=1e-12)
        assert set(np.round(np.unique(mask), 9)) == {0.0, round(1 / (1 - rate), 9)}
        if device != "cuda":  # the generic kernels draw NumPy's mask; CuPy draws its own
            same_on_device(fn, [x], device, tol=0)


@pytest.mark.parametrize("device", DEVICES)
def test_softmax_cross_entropy_dense_and_sparse(device):
    z = rng.standard_normal((6, 5)) * 4
    labels = rng.integers(0, 5, size=6)
    t = np.eye(5)[labels] * 0.8 + 0.04  # soft targets that sum to 1
    same_on_device(lambda z, t: losses.softmax_cross_entropy(z, t), [z, t], device)
    same_on_device(lambda z, t: losses.categorical_crossentropy(
        t, z, from_logits=True, label_smoothing=0.1), [z, t], device)
    same_on_device(lambda z, lab: losses.sparse_softmax_cross_entropy(z, lab), [z, labels],
                   device)
    same_on_device(lambda z, lab: losses.sparse_categorical_crossentropy(
        lab, z, from_logits=True), [z, labels[:, None].astype(np.float64)], device)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("axis", [-1, 1])
def test_batch_norm_train_and_inference(device, axis):
    x = rng.standard_normal((4, 5, 3, 5)) * 2 + 1
    gamma, beta = rng.standard_normal(5), rng.standard_normal(5)
    mm, mv = rng.standard_normal(5), rng.random(5) + 0.5

    def train(x, g, b):
        y, mean, var = N.batch_norm_train(x, g, b, axis=axis, epsilon=1e-3)
        train.stats = mean, var
        return y

    same_on_device(train, [x, gamma, beta], device)
    mean, var = train.stats  # the device run's batch statistics, on its device
    assert device_of(mean) == expected_device(device)
    red = tuple(i for i in range(4) if i != axis % 4)
    np.testing.assert_allclose(to_numpy(mean), x.mean(axis=red), rtol=1e-12)
    np.testing.assert_allclose(to_numpy(var), x.var(axis=red), rtol=1e-12)
    same_on_device(lambda x, g: N.batch_norm_train(x, g, None, axis=axis)[0], [x, gamma],
                   device)
    same_on_device(lambda x, g, b, m, v: N.batch_norm_inference(x, g, b, m, v, axis=axis),
                   [x, gamma, beta, mm, mv], device)
    # the fused ReLU a BatchNormalization followed by a ReLU layer runs with
    same_on_device(lambda x, g, b: N.batch_norm_train(x, g, b, axis=axis,
                                                      activation="relu")[0],
                   [x, gamma, beta], device)
    same_on_device(lambda x, g, b, m, v: N.batch_norm_inference(x, g, b, m, v, axis=axis,
                                                                activation="relu"),
                   [x, gamma, beta, mm, mv], device)


@pytest.mark.parametrize("device", DEVICES)
def test_elementwise_functions_between_the_layers(device):
    x, w = rng.standard_normal((3, 4)), rng.standard_normal((4,))
    same_on_device(lambda x: Act.relu(x), [x], device)
    same_on_device(lambda x: Act.softmax(x), [x], device)
    same_on_device(lambda x, w: (x + w) * w - 2.0 * x / 3.0, [x, w], device)
    same_on_device(lambda x: A.mean(A.sum(A.reshape(x, (2, 6)), axis=1)), [x], device)
    same_on_device(lambda x: A.flatten(A.mean(x, axis=0, keepdims=True)), [x], device)


@pytest.mark.parametrize("device", DEVICES)
def test_small_cnn_end_to_end(device):
    """conv -> relu -> max pool -> flatten -> dense -> softmax cross-entropy -> mean: the
    loss and every weight's gradient as on NumPy."""
    x = rng.standard_normal((3, 8, 8, 2))
    k, b = rng.standard_normal((3, 3, 2, 4)) * 0.5, rng.standard_normal(4) * 0.1
    w, c = rng.standard_normal((4 * 4 * 4, 5)) * 0.3, rng.standard_normal(5) * 0.1
    labels = rng.integers(0, 5, size=3)

    def net(x, k, b, w, c, labels):
        h = Act.relu(C.conv(x, k, b, padding="same"))
        h = A.flatten(P.max_pool(h, 2))
        z = linear.dense(h, w, c)
        return A.mean(losses.sparse_softmax_cross_entropy(z, labels))

    loss = same_on_device(net, [x, k, b, w, c, labels], device)
    assert loss.shape == ()


@needs_strict
def test_two_devices_is_an_error_naming_both():
    x = Tensor(put(rng.standard_normal((1, 4, 4, 2)), "CPU_DEVICE"))
    k = Tensor(put(rng.standard_normal((2, 2, 2, 3)), "device1"))
    with pytest.raises(ValueError, match=r"arrays on two devices.*CPU_DEVICE.*device1"):
        C.conv(x, k)
    w = Tensor(put(rng.standard_normal((2, 3)), "device1"))
    with pytest.raises(ValueError, match=r"two devices.*CPU_DEVICE.*device1"):
        linear.dense(Tensor(put(rng.standard_normal((4, 2)), "CPU_DEVICE")), w)


@needs_strict
def test_numpy_with_array_api_strict_is_an_error_naming_both():
    x = rng.standard_normal((1, 4, 4, 2))
    k = put(rng.standard_normal((2, 2, 2, 3)), "CPU_DEVICE")
    # (under the CuPy backend a NumPy input is moved to the GPU first: then CuPy is named)
    both = (r"(numpy|cupy) ndarray .*array_api_strict|array_api_strict .*(numpy|cupy) "
            r"ndarray")
    with pytest.raises(TypeError, match=both):
        C.conv(x, k)
    with pytest.raises(TypeError, match=both):
        C.conv(put(x, "CPU_DEVICE"), rng.standard_normal((2, 2, 2, 3)))
    with pytest.raises(TypeError, match=both):
        losses.sparse_softmax_cross_entropy(put(rng.standard_normal((3, 4)), "CPU_DEVICE"),
                                            np.array([0, 1, 2]))


@pytest.mark.skipif(backend.backend() == "cupy", reason="NumPy inputs go to the GPU")
def test_numpy_subclass_takes_the_numpy_path():
    x = rng.standard_normal((2, 5, 5, 2))
    sub = x.view(type("Sub", (np.ndarray,), {}))  # as a memmap of a dataset would be
    k = rng.standard_normal((3, 3, 2, 3))
    y = C.conv(Tensor(sub), Tensor(k))
    np.testing.assert_array_equal(y.data, C.conv(x, k).data)
    assert type(y.data) is np.ndarray
