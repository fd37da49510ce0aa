"""npconv.functions.conv_transpose and npconv.functions.depthwise: gradients by finite
differences, the fast transposed convolution against a plain scatter loop, output lengths as
Keras computes them, and clear errors. (Layer outputs against real Keras:
tests/layers/test_conv_transpose_layers.py.)"""

import itertools

import numpy as np
import pytest

from npconv.autograd import Tensor
from npconv.autograd.gradcheck import gradcheck
from npconv.backend.numpy.conv import plan as conv_module
from npconv.functions.conv import conv
from npconv.functions.conv_transpose import (
    _lax_pads,
    conv_transpose,
    conv_transpose_output_length,
)
from npconv.functions.depthwise import depthwise_conv, separable_conv

# (rank, strides, padding, output_padding, dilation, data_format, in_channels, filters):
# strides 1-3, both paddings, output padding (including outputs no input reaches), dilation,
# both data formats; filters >= in_channels at stride 1 takes the input gradient's "full
# correlation" path, the others its col2im path; channels first or padding, its padded buffer.
GRID = [
    (1, 1, "valid", None, 1, "channels_last", 2, 3),
    (1, 2, "same", None, 1, "channels_first", 3, 2),
    (1, 3, "valid", 2, 1, "channels_last", 2, 2),
    (1, 1, "same", 1, 2, "channels_last", 2, 2),
    (2, 2, "same", 1, 1, "channels_last", 2, 3),
    (2, 3, "valid", None, 1, "channels_first", 2, 2),
    (2, 1, "valid", None, 2, "channels_first", 2, 3),
    (2, (2, 1), "same", (0, 0), 1, "channels_last", 3, 2),
    (3, 2, "valid", 1, 1, "channels_last", 2, 2),
    (3, 1, "same", None, 1, "channels_first", 2, 2),
    (2, 2, "same", 1, 1, "channels_last", 3, 1),  # one output channel: conv's one-channel plan
]


def case_id(case):
    return "-".join(str(v) for v in case)


def make_inputs(case, dtype, batch=2, spatial=3, seed=0, ksize=None):
    rank, _, _, _, _, data_format, channels, filters = case
    rng = np.random.default_rng(seed)
    ksize = ksize or (3, 2, 2)[:rank]
    first = data_format == "channels_first"
    shape = (batch, channels) + (spatial,) * rank if first else (
        (batch,) + (spatial,) * rank + (channels,))
    x = rng.standard_normal(shape).astype(dtype)
    kernel = rng.standard_normal((*ksize, filters, channels)).astype(dtype)
    bias = rng.standard_normal(filters).astype(dtype)
    return x, kernel, bias


def kwargs(case):
    _, s, p, op, d, f, _, _ = case
    return dict(strides=s, padding=p, output_padding=op, dilation_rate=d, data_format=f)


def scatter_reference(x, kernel, bias, strides, padding, output_padding, dilation_rate,
                      data_format):
    """The textbook transposed convolution: every input pixel adds ``kernel[t] @ x[i]`` at
    output ``i * stride + t * dilation`` of a long buffer, which Keras's padding then crops
    (or extends with zeros); plain NumPy loops."""
    r = kernel.ndim - 2
    first = data_format == "channels_first"
    if first:
        x = np.moveaxis(x, 1, -1)
    s = (strides,) * r if isinstance(strides, int) else strides
    d = (dilation_rate,) * r if isinstance(dilation_rate, int) else dilation_rate
    op = (output_padding,) * r if output_padding is None or isinstance(output_padding, int) \
        else output_padding
    n = x.shape[1:-1]
    span = [(k - 1) * di + 1 for k, di in zip(kernel.shape[:r], d)]
    full = np.zeros((x.shape[0], *[(m - 1) * si + sp for m, si, sp in zip(n, s, span)],
                     kernel.shape[-2]))
    for i in itertools.product(*(range(m) for m in n)):
        for t in itertools.product(*(range(k) for k in kernel.shape[:r])):
            at = tuple(a * si + b * di for a, si, b, di in zip(i, s, t, d))
            full[(slice(None), *at)] += x[(slice(None), *i)] @ kernel[t].T
    out = full
    for axis in range(r):
        left, _ = _lax_pads(kernel.shape[axis], s[axis], d[axis], padding, op[axis])
        length = conv_transpose_output_length(n[axis], kernel.shape[axis], padding, op[axis],
                                              s[axis], d[axis])
        before = span[axis] - 1 - left
        out = np.moveaxis(out, axis + 1, 0)
        grown = np.zeros((max(out.shape[0], before + length), *out.shape[1:]))
        grown[: out.shape[0]] = out
        out = np.moveaxis(grown[before: before + length], 0, axis + 1)
    out = out + bias
    return np.moveaxis(out, -1, 1) if first else out


@pytest.mark.parametrize("case", GRID, ids=case_id)
def test_gradcheck(case):
    x, kernel, bias = make_inputs(case, np.float64, batch=1)
    gradcheck(lambda a, k, b: conv_transpose(a, k, b, **kwargs(case)), x, kernel, bias)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", GRID, ids=case_id)
def test_matches_scatter_reference_in_chunks(case, dtype, monkeypatch):
    # a batch of 5 cut into chunks of about 2 samples: the last chunk is partial
    monkeypatch.setattr(conv_module, "CHUNK_BYTES", 1)
    monkeypatch.setattr(conv_module, "MIN_PIECE_WORK", 1)
    x, kernel, bias = make_inputs(case, dtype, batch=5, spatial=4, seed=1)
    y = conv_transpose(x, kernel, bias, **kwargs(case))
    assert y.dtype == dtype
    tol = 1e-4 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(y.data, scatter_reference(x, kernel, bias, **kwargs(case)),
                               rtol=tol, atol=tol)


@pytest.mark.parametrize("padding, output_padding", [
    ("same", 0), ("same", 1), ("same", None), ("valid", None), ("valid", 1)])
@pytest.mark.parametrize("k, s", [(2, 2), (4, 2), (1, 3), (2, 3), (5, 1)])
def test_output_length_is_keras_and_forward_matches_reference(k, s, padding, output_padding):
    if output_padding is not None and output_padding >= s:
        return
    # Keras 3's rule (keras.src.backend.common.backend_utils), with 'same', even k and
    # output_padding=0 included (TensorFlow refuses that one, Keras's JAX backend computes it)
    span = k
    if padding == "valid":
        expected = 4 * s + max(span - s, 0) if output_padding is None else (
            3 * s + span + output_padding)
    else:
        expected = 4 * s if output_padding is None else 3 * s + span % 2 + output_padding
    assert conv_transpose_output_length(4, k, padding, output_padding, s) == expected
    case = (1, s, padding, output_padding, 1, "channels_last", 2, 3)
    x, kernel, bias = make_inputs(case, np.float64, spatial=4, ksize=(k,))
    y = conv_transpose(x, kernel, bias, **kwargs(case)).data
    assert y.shape == (2, expected, 3)
    np.testing.assert_allclose(y, scatter_reference(x, kernel, bias, **kwargs(case)),
                               atol=1e-10)


def test_is_the_input_gradient_of_conv():
    """<conv_transpose(u), z> == <u, conv(z)>: the transposed op is conv's adjoint."""
    rng = np.random.default_rng(3)
    z = rng.standard_normal((2, 9, 8, 3))
    kernel = rng.standard_normal((3, 3, 3, 4))
    y = conv(z, kernel, strides=2, padding="same").data
    u = rng.standard_normal(y.shape)
    t = conv_transpose(u, kernel, strides=2, padding="same", output_padding=(0, 1)).data
    assert t.shape == z.shape
    np.testing.assert_allclose((t * z).sum(), (u * y).sum(), rtol=1e-10)


def test_gradients_skip_what_is_not_needed():
    x, kernel, bias = make_inputs(GRID[4], np.float32)
    xt, kt = Tensor(x), Tensor(kernel, requires_grad=True)
    y = conv_transpose(xt, kt, bias, **kwargs(GRID[4]))
    y.backward(np.ones(y.shape, np.float32))
    assert xt.grad is None and kt.grad.shape == kernel.shape and kt.grad.dtype == np.float32
    xt, kt = Tensor(x, requires_grad=True), Tensor(kernel)
    y = conv_transpose(xt, kt, None, **kwargs(GRID[4]))
    y.backward(np.ones(y.shape, np.float32))
    assert kt.grad is None and xt.grad.shape == x.shape and xt.grad.dtype == np.float32


@pytest.mark.parametrize("call, message", [
    (lambda x, k: conv_transpose(x, k, strides=2, output_padding=2),
     r"output_padding must be >= 0 and smaller than the stride or the dilation_rate"),
    (lambda x, k: conv_transpose(x, k, output_padding=(0, 1, 0)), r"tuple of 2 ints"),
    (lambda x, k: conv_transpose(x, k[..., :1]), r"has 2 channels, but the kernel"),
    (lambda x, k: conv_transpose(x[0], k), r"expects x of rank 4"),
    (lambda x, k: conv_transpose(x, k, padding="causal"), r"'valid' or 'same'"),
    (lambda x, k: conv_transpose(x, k, bias=np.zeros(2)), r"bias must have shape \(3,\)"),
    (lambda x, k: conv_transpose(x[:, :1, :1], k[:2, :2], padding="same", output_padding=0),
     r"empty output"),
])
def test_errors_say_what_was_expected(call, message):
    x, kernel, _ = make_inputs(GRID[4], np.float32)
    with pytest.raises(ValueError, match=message):
        call(x, kernel)


# --- depthwise and separable ----------------------------------------------------------------

DEPTHWISE = [
    (1, 1, "same", 1, "channels_last", 2),
    (1, 2, "valid", 1, "channels_first", 1),
    (2, 1, "same", 2, "channels_last", 2),
    (2, 2, "same", 1, "channels_first", 3),
]


def depthwise_inputs(case, dtype, seed=0):
    rank, _, _, _, data_format, multiplier = case
    rng = np.random.default_rng(seed)
    channels, spatial = 3, (5, 4)[:rank]
    first = data_format == "channels_first"
    x = rng.standard_normal((2, channels, *spatial) if first else (2, *spatial, channels))
    kernel = rng.standard_normal((*(3, 2)[:rank], channels, multiplier))
    return x.astype(dtype), kernel.astype(dtype)


def depthwise_kwargs(case):
    _, s, p, d, f, _ = case
    return dict(strides=s, padding=p, dilation_rate=d, data_format=f)


@pytest.mark.parametrize("case", DEPTHWISE, ids=case_id)
def test_depthwise_gradcheck_and_per_channel_meaning(case):
    x, kernel = depthwise_inputs(case, np.float64)
    bias = np.random.default_rng(1).standard_normal(kernel.shape[-2] * kernel.shape[-1])
    kw = depthwise_kwargs(case)
    gradcheck(lambda a, k, b: depthwise_conv(a, k, b, **kw), x, kernel, bias)
    # output channel c * M + m is channel c alone convolved with kernel[..., c, m]
    y = depthwise_conv(x, kernel, bias, **kw).data
    first = case[4] == "channels_first"
    m = kernel.shape[-1]
    for c, j in itertools.product(range(kernel.shape[-2]), range(m)):
        xc = x[:, c:c + 1] if first else x[..., c:c + 1]
        one = conv(xc, kernel[..., c:c + 1, j:j + 1], bias[c * m + j:c * m + j + 1], **kw).data
        got = y[:, c * m + j:c * m + j + 1] if first else y[..., c * m + j:c * m + j + 1]
        np.testing.assert_allclose(got, one, atol=1e-12)


@pytest.mark.parametrize("case", DEPTHWISE, ids=case_id)
def test_separable_gradcheck(case):
    x, kernel = depthwise_inputs(case, np.float64)
    rng = np.random.default_rng(2)
    pointwise = rng.standard_normal((1,) * case[0] + (kernel.shape[-2] * kernel.shape[-1], 2))
    bias = rng.standard_normal(2)
    kw = depthwise_kwargs(case)
    gradcheck(lambda a, k, p, b: separable_conv(a, k, p, b, **kw), x, kernel, pointwise, bias)


def test_depthwise_and_separable_errors():
    x, kernel = depthwise_inputs(DEPTHWISE[2], np.float32)
    with pytest.raises(ValueError, match=r"depthwise_conv: x of shape .* has 3 channels"):
        depthwise_conv(x, kernel[..., :2, :])
    with pytest.raises(ValueError, match=r"pointwise kernel must have shape \(1, 1, 6, "):
        separable_conv(x, kernel, np.zeros((1, 1, 5, 2), np.float32))
