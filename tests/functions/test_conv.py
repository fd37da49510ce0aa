"""npconv.functions.conv: gradients by finite differences, the fast path against the plain
reference, both against PyTorch, and the argument errors."""

import itertools
import math
import pathlib

import numpy as np
import pytest

from npconv.autograd import Tensor, no_grad
from npconv.autograd.gradcheck import gradcheck
from npconv.backend.numpy.conv import plan as conv_module
from npconv.functions.conv import conv, conv_reference

REFERENCES = pathlib.Path(__file__).resolve().parents[1] / "references" / "conv.npz"

# rank: (spatial shape, kernel size); sizes chosen so that 'same' with stride 2 pads an odd total
SHAPES = {1: ((7,), (3,)), 2: ((6, 5), (3, 2)), 3: ((4, 5, 4), (2, 3, 2))}

GRID = [
    dict(rank=rank, strides=s, padding=p, dilation_rate=d, data_format=f)
    for rank, s, p, d, f in itertools.product(
        (1, 2, 3), (1, 2), ("valid", "same"), (1, 2), ("channels_last", "channels_first")
    )
] + [
    dict(rank=1, strides=1, padding="causal", dilation_rate=2, data_format="channels_last"),
    dict(rank=1, strides=2, padding="causal", dilation_rate=1, data_format="channels_first"),
    dict(rank=1, strides=1, padding="same", dilation_rate=1, data_format="channels_last",
         groups=2),
    dict(rank=2, strides=2, padding="same", dilation_rate=1, data_format="channels_last",
         groups=2),
    dict(rank=2, strides=1, padding="valid", dilation_rate=2, data_format="channels_first",
         groups=2),
    dict(rank=3, strides=1, padding="same", dilation_rate=1, data_format="channels_last",
         groups=2),
]
# Small grouped convolutions run as dense ones with a block-diagonal kernel; run the grouped
# cases again with that turned off so that the grouped GEMMs are tested too.
GRID += [dict(case, grouped_gemm=True) for case in GRID if "groups" in case]


def case_id(case):
    return "-".join(f"{v}" for v in case.values())


def make_inputs(case, dtype, batch=2, channels=2, filters=3, seed=0):
    rng = np.random.default_rng(seed)
    spatial, ksize = SHAPES[case["rank"]]
    groups = case.get("groups", 1)
    channels, filters = channels * groups, filters * groups
    first = case["data_format"] == "channels_first"
    xshape = (batch, channels, *spatial) if first else (batch, *spatial, channels)
    x = rng.standard_normal(xshape).astype(dtype)
    kernel = rng.standard_normal((*ksize, channels // groups, filters)).astype(dtype)
    bias = rng.standard_normal(filters).astype(dtype)
    return x, kernel, bias


def kwargs(case):
    return {k: v for k, v in case.items() if k not in ("rank", "grouped_gemm")}


def use_grouped_gemms(monkeypatch, grouped):
    """Turn off the dense rewrite of small grouped convolutions, so that grouped GEMMs run."""
    if grouped:
        monkeypatch.setattr(conv_module, "DENSE_GROUPS_LIMIT", 0)


def run(fn, x, kernel, bias, gy, **kw):
    """Output and the gradients of x, kernel and bias for the upstream gradient ``gy``, and the
    Function that made the output."""
    leaves = [Tensor(a, requires_grad=True) for a in (x, kernel, bias)]
    y = fn(*leaves, **kw)
    op = y.creator
    y.backward(gy)
    return [y.data] + [t.grad for t in leaves], op


@pytest.mark.parametrize("case", GRID, ids=case_id)
def test_gradcheck(case, monkeypatch):
    use_grouped_gemms(monkeypatch, case.get("grouped_gemm"))
    x, kernel, bias = make_inputs(case, np.float64)
    gradcheck(lambda a, k, b: conv(a, k, b, **kwargs(case)), x, kernel, bias)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", GRID, ids=case_id)
def test_fast_matches_reference(case, dtype, monkeypatch):
    use_grouped_gemms(monkeypatch, case.get("grouped_gemm"))
    # Batches of 3 cut into chunks of 2 samples, so the last chunk is partial.
    x, kernel, bias = make_inputs(case, dtype, batch=3, seed=1)
    y = conv(x, kernel, bias, **kwargs(case))
    first = case["data_format"] == "channels_first"
    out, channels = (y.shape[2:], x.shape[1]) if first else (y.shape[1:-1], x.shape[-1])
    per_sample = math.prod(out) * math.prod(kernel.shape[:-2]) * channels * x.itemsize
    monkeypatch.setattr(conv_module, "CHUNK_BYTES", 2 * per_sample)
    gy = np.random.default_rng(2).standard_normal(y.shape).astype(dtype)
    fast, op = run(conv, x, kernel, bias, gy, **kwargs(case))
    slow, _ = run(conv_reference, x, kernel, bias, gy, **kwargs(case))
    assert op.plan.chunk == 2
    assert op.plan.blocks == (1 if case.get("grouped_gemm") else case.get("groups", 1))
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    for name, a, b in zip(("y", "gx", "gkernel", "gbias"), fast, slow):
        assert a.dtype == dtype, name
        np.testing.assert_allclose(a, b, err_msg=name, **tol)


def load_references():
    data = np.load(REFERENCES)
    cases = sorted({key.split("/")[0] for key in data.files})
    return {c: {k.split("/")[1]: data[k] for k in data.files if k.startswith(c + "/")}
            for c in cases}


REFS = load_references()


REF_CASES = [(name, "default") for name in sorted(REFS)] + [
    (name, "grouped") for name in sorted(REFS) if int(REFS[name]["groups"]) > 1
]


@pytest.mark.parametrize("data_format", ["channels_first", "channels_last"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name, path", REF_CASES, ids="-".join)
def test_matches_pytorch(name, path, dtype, data_format, monkeypatch):
    use_grouped_gemms(monkeypatch, path == "grouped")
    ref = REFS[name]
    rank = ref["w"].ndim - 2
    last = data_format == "channels_last"

    def layout(a):  # PyTorch's (batch, channels, *spatial) -> the tested data format
        return np.moveaxis(a, 1, -1) if last else a

    kernel = np.transpose(ref["w"], (*range(2, rank + 2), 1, 0))  # (F, Cg, *k) -> (*k, Cg, F)
    args = dict(
        strides=tuple(ref["strides"]), padding=str(ref["padding"]),
        dilation_rate=tuple(ref["dilation"]), groups=int(ref["groups"]), data_format=data_format,
    )
    (y, gx, gk, gb), _ = run(
        conv, layout(ref["x"]).astype(dtype), kernel.astype(dtype), ref["b"].astype(dtype),
        layout(ref["gy"]).astype(dtype), **args,
    )
    gk_torch = np.transpose(ref["gw"], (*range(2, rank + 2), 1, 0))
    tol = dict(rtol=1e-10, atol=1e-10) if dtype == np.float64 else dict(rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(y, layout(ref["y"]), err_msg="y", **tol)
    np.testing.assert_allclose(gx, layout(ref["gx"]), err_msg="gx", **tol)
    np.testing.assert_allclose(gk, gk_torch, err_msg="gkernel", **tol)
    np.testing.assert_allclose(gb, ref["gb"], err_msg="gbias", **tol)


def test_only_requested_gradients_are_computed():
    x, kernel, bias = make_inputs(GRID[0], np.float32)
    xt, kt, bt = Tensor(x), Tensor(kernel, requires_grad=True), Tensor(bias)
    y = conv(xt, kt, bt)
    assert y.creator.needs_grad == (False, True, False)
    y.sum().backward()
    assert xt.grad is None and bt.grad is None
    assert kt.grad.shape == kernel.shape and kt.grad.dtype == np.float32
    with no_grad():
        assert conv(Tensor(x, requires_grad=True), kt).creator is None


def test_no_bias_and_plain_arrays():
    x, kernel, _ = make_inputs(GRID[0], np.float64)
    np.testing.assert_allclose(conv(x, kernel).data, conv_reference(x, kernel).data, rtol=1e-12)
    leaves = [Tensor(x, requires_grad=True), Tensor(kernel, requires_grad=True)]
    conv(*leaves).sum().backward()
    assert all(t.grad is not None for t in leaves)


def test_strided_views_and_integer_images():
    x, kernel, bias = make_inputs(GRID[0], np.float64, batch=4)
    view = np.swapaxes(np.swapaxes(x, 0, 1)[:, ::2], 0, 1)  # non-contiguous, two samples
    np.testing.assert_allclose(
        conv(view, kernel, bias).data, conv_reference(view, kernel, bias).data, rtol=1e-12
    )
    pixels = np.random.default_rng(0).integers(0, 256, x.shape).astype(np.uint8)
    y = conv(pixels, kernel.astype(np.float32), bias.astype(np.float32), groups=np.int64(1))
    assert y.dtype == np.float32
    np.testing.assert_allclose(
        y.data, conv_reference(pixels.astype(np.float32), kernel, bias).data, rtol=1e-5
    )


def test_same_puts_the_odd_pad_at_the_end():
    # kernel 2 over length 4, stride 1: TensorFlow pads (0, 1), so y[i] = x[i] + x[i + 1]
    x = np.arange(1.0, 5.0).reshape(1, 4, 1)
    y = conv(x, np.ones((2, 1, 1)), padding="same").data
    np.testing.assert_array_equal(y.ravel(), [3, 5, 7, 4])
    y = conv(x, np.ones((2, 1, 1)), padding="causal").data
    np.testing.assert_array_equal(y.ravel(), [1, 3, 5, 7])


@pytest.mark.parametrize(
    "x_shape, k_shape, kw, message",
    [
        ((28, 28, 1), (3, 3, 1, 8), {}, r"rank 4 \(batch, \*spatial, channels\).*\(28, 28, 1\)"),
        ((2, 28, 28), (3, 3, 28, 8), {"data_format": "channels_first"},
         r"rank 4 \(batch, channels, \*spatial\).*\(2, 28, 28\)"),
        ((2, 8, 8, 3), (3, 3, 4, 8), {}, r"has 3 channels.*expects 4"),
        ((2, 8, 8, 6), (3, 3, 2, 8), {"groups": 4},
         r"groups=4 must divide both in_channels=6 and filters=8"),
        ((2, 8, 8, 4), (3, 3, 4, 8), {"padding": "full"}, r"padding must be one of.*'full'"),
        ((2, 8, 8, 4), (3, 3, 4, 8), {"padding": "causal"}, r"'causal' is only for 1-D.*2-D"),
        ((2, 8, 4), (3, 4, 8), {"strides": (1, 2)}, r"strides must be .* 1 ints"),
        ((2, 2, 4), (3, 4, 8), {}, r"too small for kernel_size \(3,\)"),
        ((2, 8, 4), (4, 8), {}, r"kernel of shape \(\*kernel_size, .*got shape \(4, 8\)"),
    ],
)
def test_errors_name_what_was_expected_and_what_came(x_shape, k_shape, kw, message):
    x, kernel = np.zeros(x_shape), np.zeros(k_shape)
    with pytest.raises(ValueError, match=message):
        conv(x, kernel, **kw)
    with pytest.raises(ValueError, match=message):
        conv_reference(x, kernel, **kw)


def test_bias_shape_error():
    with pytest.raises(ValueError, match=r"bias must have shape \(8,\), got \(4,\)"):
        conv(np.zeros((2, 8, 4)), np.zeros((3, 4, 8)), np.zeros(4))
