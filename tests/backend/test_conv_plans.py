"""The convolution's named CPU plans (npconv.backend.numpy.conv): which one choose_plan picks for
representative shapes, and every plan, forced on shapes it supports, against the plain
reference (functions.conv.conv_reference): output, and the gradients of x, kernel and bias."""

import dataclasses
import itertools

import numpy as np
import pytest

from npconv.autograd import Tensor
from npconv.backend.numpy import conv as kernels
from npconv.backend.numpy.conv import plan as plan_module
from npconv.functions.conv import _check, conv_reference
from npconv.functions.pooling import max_pool


def make_plan(x, kernel, monkeypatch=None, dense_groups=True, **kw):
    """choose_plan for conv(x, kernel, **kw), with the arguments normalized as conv does."""
    if not dense_groups:
        monkeypatch.setattr(plan_module, "DENSE_GROUPS_LIMIT", 0)
    strides, dilation, pads, groups, first = _check(
        x, kernel, None, kw.get("strides", 1), kw.get("padding", "valid"),
        kw.get("dilation_rate", 1), kw.get("groups", 1), kw.get("data_format", "channels_last"))
    return kernels.choose_plan(x, kernel, strides, dilation, pads, groups, first)


@pytest.mark.parametrize("x_shape, k_shape, kw, patches, input_grad, blocks", [
    # one input channel (MNIST's first layer): offset-major patches
    ((4, 28, 28, 1), (3, 3, 1, 32), {}, "kmajor", "col2im", 1),
    # few filters: pixel pairs; no more filters than channels: the full input gradient
    ((4, 26, 26, 16), (3, 3, 16, 8), {}, "pairs", "full", 1),
    # tiny patches (3x3x3, CIFAR's first layer), 'same': pixel pairs
    ((4, 32, 32, 3), (3, 3, 3, 32), dict(padding="same"), "pairs", "col2im", 1),
    # wide GEMMs, more filters than channels: im2col and col2im
    ((4, 26, 26, 32), (3, 3, 32, 64), {}, "im2col", "col2im", 1),
    # as many filters as channels: the full input gradient
    ((4, 16, 16, 32), (3, 3, 32, 32), {}, "im2col", "full", 1),
    # strided: no pairs (pixels of a pair are a stride apart), no full correlation
    ((4, 17, 17, 16), (3, 3, 16, 8), dict(strides=2), "im2col", "col2im", 1),
    # an odd output width: no pairs
    ((4, 9, 11, 16), (3, 3, 16, 8), {}, "im2col", "full", 1),
    # a small grouped convolution runs as the dense one
    ((4, 12, 12, 8), (3, 3, 4, 8), dict(groups=2), "pairs", "full", 2),
    # a large one runs as grouped GEMMs
    ((2, 8, 8, 256), (3, 3, 64, 256), dict(groups=4), "im2col", "col2im", 1),
    # 'same' padding, as many filters as channels (ResNet's 3x3 convs): the full input
    # gradient, written at x's own positions
    ((4, 8, 8, 16), (3, 3, 16, 16), dict(padding="same"), "im2col", "full", 1),
    ((4, 8, 9, 32), (3, 3, 32, 32), dict(padding="same", dilation_rate=2), "im2col", "full", 1),
    # 1x1 (ResNet's projections), strided or not: x itself is the patch matrix
    ((4, 8, 8, 16), (1, 1, 16, 32), {}, "pointwise", "pointwise", 1),
    # one filter, or at least 8 channels a filter (an autoencoder's last layer): kn2row
    ((4, 28, 28, 16), (3, 3, 16, 1), dict(padding="same"), "kn2row", "full", 1),
    ((4, 28, 28, 3), (3, 3, 3, 1), dict(padding="same"), "kn2row", "full", 1),
    ((4, 14, 14, 64), (3, 3, 64, 8), {}, "kn2row", "full", 1),
    ((4, 14, 14, 16), (3, 3, 16, 4), dict(padding="same"), "pairs", "full", 1),
    ((4, 15, 15, 16), (3, 3, 16, 1), dict(strides=2), "im2col", "col2im", 1),
    ((4, 8, 8, 16), (1, 1, 16, 32), dict(strides=2, padding="same"), "pointwise", "pointwise", 1),
    ((4, 9, 16), (1, 16, 8), {}, "pointwise", "pointwise", 1),
])
def test_choose_plan_picks(x_shape, k_shape, kw, patches, input_grad, blocks):
    x, kernel = np.zeros(x_shape, np.float32), np.zeros(k_shape, np.float32)
    plan = make_plan(x, kernel, **kw)
    assert (plan.patches, plan.input_grad, plan.blocks) == (patches, input_grad, blocks)
    assert plan.groups * plan.blocks == kw.get("groups", 1)


def test_kn2row_chunks_fit_its_planes():
    # its forward chunks hold K*F planes (not K*C patches) of CHUNK_BYTES; the backward's
    # chunks stay sized on the patches
    x, kernel = np.zeros((256, 28, 28, 16), np.float32), np.zeros((3, 3, 16, 1), np.float32)
    plan = make_plan(x, kernel, padding="same")
    assert plan.patches == "kn2row"
    assert plan.forward_chunk == plan_module.CHUNK_BYTES // (9 * 30 * 30 * 4)
    assert plan.chunk == plan_module.CHUNK_BYTES // (28 * 28 * 9 * 16 * 4)
    chunks = list(plan.chunks(0, 200, plan.forward_chunk))
    assert len(chunks) == -(-200 // plan.forward_chunk) < -(-200 // plan.chunk)


def test_chunks_fit_chunk_bytes():
    x, kernel = np.zeros((64, 28, 28, 1), np.float32), np.zeros((3, 3, 1, 32), np.float32)
    plan = make_plan(x, kernel)
    per_sample = 26 * 26 * 32 * 4  # its outputs are larger than its 9-entry patches
    assert plan.chunk == plan_module.CHUNK_BYTES // per_sample
    # as few chunks as fit, of sizes differing by at most one, covering the range in order
    for lo, hi in ((0, 2 * plan.chunk + 1), (5, 5 + plan.chunk), (3, 4)):
        chunks = list(plan.chunks(lo, hi))
        assert len(chunks) == -(-(hi - lo) // plan.chunk)
        assert chunks[0][0] == lo and chunks[-1][1] == hi
        assert all(a[1] == b[0] for a, b in zip(chunks, chunks[1:]))
        sizes = [b - a for a, b in chunks]
        assert max(sizes) <= plan.chunk and max(sizes) - min(sizes) <= 1
    assert list(plan.chunks(0, 9, 7)) == [(0, 4), (4, 9)]


def reference(x, kernel, bias, gy, relu, **kw):
    leaves = [Tensor(a, requires_grad=True) for a in (x, kernel, bias)]
    y = conv_reference(*leaves, **kw)
    if relu:
        y = y * Tensor((y.data > 0).astype(y.data.dtype))
    y.backward(gy)
    return [y.data] + [t.grad for t in leaves]


def forced(plan, x, kernel, bias, gy, relu):
    dense = kernels.dense_kernel(plan, kernel)
    y = kernels.forward(plan, x, dense, bias, relu=relu)
    gx, gw, gb = kernels.backward(plan, x, dense, gy, y=y if relu else None)
    return [y, gx, gw, gb]


# (x shape, kernel shape, conv arguments): each plan is forced on the cases it supports
CASES = [
    ((3, 7, 8, 1), (3, 3, 1, 4), {}),
    ((3, 7, 8, 1), (3, 2, 1, 3), dict(padding="same")),
    ((3, 1, 7, 8), (2, 3, 1, 4), dict(data_format="channels_first")),
    ((3, 7, 8, 5), (3, 3, 5, 4), {}),
    ((3, 7, 10, 4), (3, 3, 4, 6), dict(padding="same", dilation_rate=(2, 1))),
    ((3, 4, 7, 8), (2, 3, 4, 3), dict(data_format="channels_first", padding="same")),
    ((3, 9, 9, 4), (3, 3, 4, 5), dict(strides=2)),
    # strided col2im: offsets below the stride tile the input gradient (written, not added);
    # a stride larger than the kernel, or dilated, leaves gaps (zeroed, then added)
    ((3, 8, 9, 4), (3, 3, 4, 5), dict(strides=(2, 3), padding="same")),
    ((3, 10, 9, 4), (2, 3, 4, 3), dict(strides=(3, 2))),
    ((3, 11, 10, 3), (3, 2, 3, 4), dict(strides=(2, 1), dilation_rate=(1, 2))),
    ((3, 9, 8, 6), (3, 3, 3, 4), dict(groups=2)),
    ((3, 10, 6), (3, 6, 4), dict(padding="causal")),
    ((2, 5, 6, 4, 3), (2, 3, 2, 3, 4), dict(padding="same")),
    # 'same', as many filters as channels, odd sizes: full with gy's border less the padding
    ((3, 7, 5, 4), (3, 3, 4, 4), dict(padding="same")),
    ((3, 5, 6, 5, 3), (3, 3, 2, 3, 3), dict(padding="same", dilation_rate=(1, 2, 1))),
    ((3, 11, 4), (5, 4, 4), dict(padding="same", dilation_rate=2)),
    # 1x1: pointwise, stride 1 and strided (odd and even sizes), 1D, 2D and 3D
    ((3, 5, 7, 6), (1, 1, 6, 4), {}),
    ((3, 7, 8, 6), (1, 1, 6, 4), dict(strides=2, padding="same")),
    ((3, 3, 8, 7), (1, 1, 3, 5), dict(strides=(3, 2), data_format="channels_first")),
    ((3, 9, 5), (1, 5, 3), dict(strides=2)),
    ((3, 4, 5, 3, 2), (1, 1, 1, 2, 4), dict(strides=(1, 2, 2))),
    ((3, 4, 6, 8), (1, 1, 4, 6), dict(groups=2)),
]


def supports(plan, patches, input_grad):
    pointwise = (plan.kcount == 1 and plan.groups == 1
                 and not any(a or b for a, b in plan.pads))
    if patches == "kmajor" and (plan.cin != 1 or plan.groups != 1):
        return False
    if patches == "pairs" and (plan.groups != 1 or plan.out[-1] % 2 or plan.strides[-1] != 1
                               or plan.dilation[-1] != 1):
        return False
    if patches == "kn2row" and (plan.groups != 1 or set(plan.strides) != {1}):
        return False
    if "pointwise" in (patches, input_grad) and not pointwise:
        return False
    if input_grad == "full":
        return plan.groups == 1 and set(plan.strides) == {1} and all(
            a <= (k - 1) * d and b <= (k - 1) * d
            for (a, b), k, d in zip(plan.pads, plan.ksize, plan.dilation))
    return True


# grouped convolutions both as the dense one (dense_groups) and as grouped GEMMs
RUNS = [(c, True) for c in CASES] + [(c, False) for c in CASES if c[2].get("groups", 1) > 1]


@pytest.mark.parametrize("case, dense_groups", RUNS,
                         ids=lambda v: f"{v[0]}-{v[1]}-{v[2]}" if isinstance(v, tuple) else (
                             "dense_groups" if v else "grouped"))
def test_every_plan_matches_the_reference(case, dense_groups, monkeypatch):
    x_shape, k_shape, kw = case
    rng = np.random.default_rng(0)
    x = rng.standard_normal(x_shape)
    kernel = rng.standard_normal(k_shape)
    bias = rng.standard_normal(k_shape[-1])
    chosen = make_plan(x, kernel, monkeypatch, dense_groups, **kw)
    assert chosen.blocks == (kw.get("groups", 1) if dense_groups else 1)
    # chunks of 2 samples: the last one partial
    chosen = dataclasses.replace(chosen, chunk=2, forward_chunk=None)
    y = conv_reference(x, kernel, bias, **kw).data
    gy = rng.standard_normal(y.shape)
    tried = 0
    for relu in (False, True):
        expected = reference(x, kernel, bias, gy, relu, **kw)
        for patches, input_grad in itertools.product(
                ("im2col", "kmajor", "pairs", "pointwise", "kn2row"),
                ("col2im", "full", "pointwise")):
            if not supports(chosen, patches, input_grad):
                continue
            plan = dataclasses.replace(chosen, patches=patches, input_grad=input_grad)
            for name, a, b in zip(("y", "gx", "gkernel", "gbias"),
                                  forced(plan, x, kernel, bias, gy, relu), expected):
                np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10,
                                           err_msg=f"{patches}/{input_grad} relu={relu} {name}")
            tried += 1
    assert tried >= 2


@pytest.mark.parametrize("patches", ["im2col", "kmajor", "pairs", "kn2row"])
def test_conv_pool_matches_conv_then_max_pool(patches):
    rng = np.random.default_rng(1)
    channels = 1 if patches == "kmajor" else 3
    x = rng.standard_normal((3, 9, 10, channels)).astype(np.float32)
    kernel = rng.standard_normal((3, 3, channels, 4)).astype(np.float32)
    bias = rng.standard_normal(4).astype(np.float32)
    plan = dataclasses.replace(make_plan(x, kernel), patches=patches, chunk=2, forward_chunk=None)
    pooled = kernels.forward(plan, x, kernel, bias, relu=True, pool=(3, 2))
    y = np.maximum(kernels.forward(plan, x, kernel, bias), 0)
    np.testing.assert_array_equal(pooled, max_pool(y, (3, 2)).data)
    np.testing.assert_allclose(
        pooled, max_pool(np.maximum(conv_reference(x, kernel, bias).data, 0), (3, 2)).data,
        rtol=1e-5, atol=1e-5)


def test_backend_entry_points_match_the_reference():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 7, 8, 4))
    kernel, bias = rng.standard_normal((3, 2, 2, 6)), rng.standard_normal(6)
    kw = dict(strides=(1, 2), dilation=(2, 1), pads=((1, 1), (0, 1)), groups=2)
    y = kernels.conv_forward(x, kernel, bias, **kw)
    gy = rng.standard_normal(y.shape)
    # the same convolution from the reference: padding by hand, then 'valid'
    padded = np.pad(x, ((0, 0), (1, 1), (0, 1), (0, 0)))
    expected = reference(padded, kernel, bias, gy, False, strides=(1, 2), dilation_rate=(2, 1),
                         groups=2)
    np.testing.assert_allclose(y, expected[0], atol=1e-10)
    gx, gw, gb = kernels.conv_backward(x, kernel, gy, **kw)
    np.testing.assert_allclose(gx, expected[1][:, 1:-1, :-1], atol=1e-10)
    np.testing.assert_allclose(gw, expected[2], atol=1e-10)
    np.testing.assert_allclose(gb, expected[3], atol=1e-10)


@pytest.mark.parametrize("dtype, tol", [(np.float32, 2e-4), (np.float64, 1e-10)])
@pytest.mark.parametrize("batch", [1, 7])
def test_chosen_plans_in_both_dtypes_and_chunked_batches(dtype, tol, batch, monkeypatch):
    # tiny chunks: batch 7 runs as several chunks, its last one partial
    monkeypatch.setattr(plan_module, "CHUNK_BYTES", 1)
    rng = np.random.default_rng(3)
    cases = [((batch, 7, 9, 8), (3, 3, 8, 8), dict(padding="same")),
             ((batch, 9, 7, 8), (1, 1, 8, 12), dict(strides=2, padding="same")),
             ((batch, 11, 6), (3, 6, 6), dict(padding="causal")),
             ((batch, 5, 4, 5, 4), (3, 3, 3, 4, 4), dict(padding="same"))]
    for x_shape, k_shape, kw in cases:
        x = rng.standard_normal(x_shape).astype(dtype)
        kernel = rng.standard_normal(k_shape).astype(dtype)
        bias = rng.standard_normal(k_shape[-1]).astype(dtype)
        plan = make_plan(x, kernel, **kw)
        assert plan.chunk == 1 and plan.input_grad in ("full", "pointwise")
        y = conv_reference(x, kernel, bias, **kw).data
        gy = rng.standard_normal(y.shape).astype(dtype)
        expected = reference(x, kernel, bias, gy, False, **kw)
        got = forced(plan, x, kernel, bias, gy, False)
        for name, a, b in zip(("y", "gx", "gkernel", "gbias"), got, expected):
            assert a.dtype == dtype, name
            np.testing.assert_allclose(a, b, rtol=tol, atol=tol, err_msg=f"{k_shape} {name}")


def test_zero_borders_kept_per_padding():
    # two convolutions whose padded inputs (and gy borders) have the same shape but the
    # interior in different places: each keeps its own zero-bordered buffer, so neither reads
    # the other's values as padding, on either call
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 6, 6, 4))
    kernel = rng.standard_normal((3, 3, 4, 4))
    for _ in range(2):
        for pads in (((2, 0), (0, 2)), ((0, 2), (2, 0)), ((1, 1), (1, 1))):
            kw = dict(strides=(1, 1), dilation=(1, 1), pads=pads)
            y = kernels.conv_forward(x, kernel, None, **kw)
            gy = rng.standard_normal(y.shape)
            padded = np.pad(x, ((0, 0), *pads, (0, 0)))
            expected = reference(padded, kernel, np.zeros(4), gy, False)
            np.testing.assert_allclose(y, expected[0], atol=1e-10)
            gx, gw, _ = kernels.conv_backward(x, kernel, gy, **kw)
            (a, b), (c, d) = pads
            np.testing.assert_allclose(gx, expected[1][:, a:8 - b, c:8 - d], atol=1e-10)
            np.testing.assert_allclose(gw, expected[2], atol=1e-10)


def test_pads_beyond_the_kernel_fall_back_to_col2im():
    # a pad larger than (k - 1) * dilation leaves gy no zero border to sit in: col2im
    rng = np.random.default_rng(5)
    x, kernel = rng.standard_normal((2, 5, 5, 3)), rng.standard_normal((2, 2, 3, 3))
    kw = dict(strides=(1, 1), dilation=(1, 1), pads=((2, 0), (0, 0)))
    assert kernels.choose_plan(x, kernel, **kw).input_grad == "col2im"
    y = kernels.conv_forward(x, kernel, None, **kw)
    gy = rng.standard_normal(y.shape)
    expected = reference(np.pad(x, ((0, 0), (2, 0), (0, 0), (0, 0))), kernel, np.zeros(3), gy,
                         False)
    gx, gw, _ = kernels.conv_backward(x, kernel, gy, **kw)
    np.testing.assert_allclose(gx, expected[1][:, 2:], atol=1e-10)
    np.testing.assert_allclose(gw, expected[2], atol=1e-10)


def test_plans_are_kept_per_call_shape(monkeypatch):
    x, kernel = np.zeros((4, 8, 8, 16), np.float32), np.zeros((3, 3, 16, 16), np.float32)
    plan = make_plan(x, kernel, padding="same")
    assert make_plan(np.ones_like(x), kernel, padding="same") is plan  # same shapes: kept
    assert make_plan(x, kernel, padding="valid") is not plan
    assert make_plan(x[:3], kernel, padding="same").n == 3
    assert make_plan(x.astype(np.float64), kernel, padding="same").dtype == np.float64
    # a threshold changed (as the tests above do) is part of the key
    monkeypatch.setattr(plan_module, "CHUNK_BYTES", 1)
    assert make_plan(x, kernel, padding="same").chunk == 1
    for i in range(plan_module.PLAN_CACHE_SIZE + 5):  # bounded
        make_plan(np.zeros((i + 1, 3, 3, 1)), np.zeros((1, 1, 1, 1)))
    assert len(plan_module._plans) == plan_module.PLAN_CACHE_SIZE
