"""The speed paths of the ops against their plain references: fused bias + ReLU in conv and
dense, one-channel (kernel-offset-major) patches, and results that do not depend on the number
of threads (backend.numpy.threads)."""

import numpy as np
import pytest

from npconv.autograd import Tensor
from npconv.backend.numpy import threads
from npconv.backend.numpy.conv import plan as conv_module
from npconv.functions import activations
from npconv.functions.conv import conv, conv_reference
from npconv.functions.linear import dense


def grads(fn, arrays, gy):
    leaves = [Tensor(a, requires_grad=True) for a in arrays]
    y = fn(*leaves)
    y.backward(gy)
    return [y.data] + [t.grad for t in leaves]


CONV_CASES = [
    dict(channels=1, padding="valid", data_format="channels_last"),  # kernel-offset-major patches
    dict(channels=1, padding="same", data_format="channels_last"),
    dict(channels=1, padding="valid", data_format="channels_first"),
    dict(channels=3, padding="same", data_format="channels_last"),
    dict(channels=4, padding="valid", data_format="channels_first", strides=2),
    # no more filters than channels, stride 1: the input gradient as a full correlation
    dict(channels=5, padding="valid", data_format="channels_last"),
    # ... with x used in place: the kernel gradient from the same patches of gy
    dict(channels=4, padding="valid", data_format="channels_last", dilation_rate=2),
    dict(channels=4, padding="same", data_format="channels_last", dilation_rate=2),
    dict(channels=6, padding="same", data_format="channels_first"),
]


def kw_full(case):
    return case.get("strides", 1) == 1


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CONV_CASES, ids=lambda c: "-".join(map(str, c.values())))
def test_conv_fused_relu_matches_reference(case, dtype, monkeypatch):
    rng = np.random.default_rng(0)
    c = case["channels"]
    first = case["data_format"] == "channels_first"
    x = rng.standard_normal((5, c, 7, 6) if first else (5, 7, 6, c)).astype(dtype)
    kernel = rng.standard_normal((3, 3, c, 4)).astype(dtype)
    if c >= 4 and kw_full(case):
        kernel = kernel[..., :3]  # fewer filters than channels
    filters = kernel.shape[-1]
    bias = rng.standard_normal(filters).astype(dtype)
    kw = dict(padding=case["padding"], data_format=case["data_format"],
              strides=case.get("strides", 1), dilation_rate=case.get("dilation_rate", 1))
    monkeypatch.setattr(conv_module, "CHUNK_BYTES", 1)  # one sample per chunk
    y = conv_reference(x, kernel, bias, **kw)
    gy = rng.standard_normal(y.shape).astype(dtype)
    fast = grads(lambda a, k, b: conv(a, k, b, activation="relu", **kw), (x, kernel, bias), gy)
    slow = grads(lambda a, k, b: activations.relu(conv_reference(a, k, b, **kw)),
                 (x, kernel, bias), gy)
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    for name, a, b in zip(("y", "gx", "gkernel", "gbias"), fast, slow):
        assert a.dtype == dtype, name
        np.testing.assert_allclose(a, b, err_msg=name, **tol)


def test_conv_first_layer_computes_no_input_gradient():
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((2, 5, 5, 1)).astype(np.float32))
    k = Tensor(rng.standard_normal((3, 3, 1, 2)).astype(np.float32), requires_grad=True)
    y = conv(x, k, activation="relu")
    y.backward(np.ones(y.shape, np.float32))
    assert x.grad is None and k.grad is not None


@pytest.mark.parametrize("activation", [None, "relu"])
def test_dense_fused_relu_matches_separate_ops(activation):
    rng = np.random.default_rng(0)
    x, k, b = (rng.standard_normal(s) for s in ((7, 5), (5, 3), (3,)))
    gy = rng.standard_normal((7, 3))
    fast = grads(lambda a, kk, bb: dense(a, kk, bb, activation=activation), (x, k, b), gy)

    def separate(a, kk, bb):
        y = a @ kk + bb
        return activations.relu(y) if activation else y

    slow = grads(separate, (x, k, b), gy)
    for name, p, q in zip(("y", "gx", "gkernel", "gbias"), fast, slow):
        np.testing.assert_allclose(p, q, rtol=1e-12, atol=1e-12, err_msg=name)


def test_activation_argument_is_checked():
    with pytest.raises(ValueError, match="activation"):
        conv(np.ones((1, 3, 3, 1)), np.ones((3, 3, 1, 1)), activation="tanh")
    with pytest.raises(ValueError, match="activation"):
        dense(np.ones((1, 2)), np.ones((2, 2)), activation="tanh")


@pytest.mark.parametrize("op", ["conv", "dense"])
def test_results_do_not_depend_on_threads(op, monkeypatch):
    rng = np.random.default_rng(0)
    if op == "conv":
        arrays = (rng.standard_normal((9, 8, 8, 3)).astype(np.float32),
                  rng.standard_normal((3, 3, 3, 5)).astype(np.float32),
                  rng.standard_normal(5).astype(np.float32))
        gy = rng.standard_normal((9, 6, 6, 5)).astype(np.float32)

        def fn(x, k, b):
            return conv(x, k, b, activation="relu")

        monkeypatch.setattr(conv_module, "CHUNK_BYTES", 1)
    else:
        arrays = (rng.standard_normal((70, 40)).astype(np.float32),
                  rng.standard_normal((40, 30)).astype(np.float32),
                  rng.standard_normal(30).astype(np.float32))
        gy = rng.standard_normal((70, 30)).astype(np.float32)

        def fn(x, k, b):
            return dense(x, k, b, activation="relu")

        from npconv.functions import linear

        monkeypatch.setattr(linear, "PARALLEL_MIN_MACS", 1)
    monkeypatch.setattr(threads, "_threads", 1)
    one = grads(fn, arrays, gy)
    monkeypatch.setattr(threads, "_threads", 3)
    three = grads(fn, arrays, gy)
    # BLAS may round a product of a piece differently from the whole (its edge kernels), and
    # conv kernel gradients are sums of per-piece sums: equal up to float32 rounding
    for a, b in zip(one, three):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_parallel_covers_the_range_and_raises():
    seen = []
    out = threads.parallel(lambda lo, hi: seen.append((lo, hi)) or hi - lo, 10, threads=3,
                           split=1)
    assert sorted(seen) == [(0, 3), (3, 6), (6, 10)] and out == [3, 3, 4]
    # more pieces than threads, taken as threads free up; results still in piece order
    out = threads.parallel(lambda lo, hi: (lo, hi), 100, threads=2, split=4)
    assert len(out) == 8 and out[0][0] == 0 and out[-1][1] == 100
    assert all(a[1] == b[0] for a, b in zip(out, out[1:]))
    assert threads.parallel(lambda lo, hi: hi, 0) == []
    # pieces of at least 9 out of 32 on 2 threads: 2 of 16, not 3 (one thread would run two
    # of them while the other waits), so a multiple of the threads whenever there are more
    assert threads.parallel(lambda lo, hi: (lo, hi), 32, min_size=9, threads=2) == [
        (0, 16), (16, 32)]
    assert len(threads.parallel(lambda lo, hi: 0, 70, min_size=9, threads=2)) == 6
    assert len(threads.parallel(lambda lo, hi: 0, 20, min_size=9, threads=3)) == 2

    def boom(lo, hi):
        if lo > 0:
            raise RuntimeError("piece failed")

    with pytest.raises(RuntimeError, match="piece failed"):
        threads.parallel(boom, 10, threads=2)
    # a nested call runs on the calling thread
    inner = threads.parallel(lambda lo, hi: threads.parallel(lambda a, b: (a, b), 4), 8,
                             threads=2, split=1)
    assert inner == [[(0, 4)], [(0, 4)]]


def test_parallel_from_two_user_threads():
    import threading

    out = {}

    def work(k):
        out[k] = [threads.parallel(lambda lo, hi: sum(range(lo, hi)), 1000, threads=2)
                  for _ in range(200)]

    users = [threading.Thread(target=work, args=(k,)) for k in range(2)]
    for t in users:
        t.start()
    for t in users:
        t.join()
    assert all(sum(r) == sum(range(1000)) for k in out for r in out[k])


def test_pieces_respect_grain():
    assert threads.pieces(20, 2, grain=8) == [(0, 8), (8, 20)]
    assert threads.pieces(3, 4) == [(0, 1), (1, 2), (2, 3)]


def test_scratch_is_reused_per_key():
    a = threads.scratch("test.a", 10, np.float32)
    b = threads.scratch("test.a", 5, np.float32)
    assert np.shares_memory(a, b) and b.size == 5
    c = threads.scratch("test.b", 5, np.float32)
    assert not np.shares_memory(a, c)


def test_set_num_threads_checks():
    with pytest.raises(ValueError):
        threads.set_num_threads(0)


@pytest.mark.parametrize("width, padding, filters, channels, pairs", [
    (10, "valid", 8, 16, True),  # few filters: pixel pairs
    (9, "valid", 8, 16, False),  # odd output width: single pixels
    (8, "same", 32, 3, True),  # tiny patches (3x3x3): pixel pairs
    (8, "valid", 16, 16, False),  # neither
])
def test_conv_pixel_pairs_match_reference(width, padding, filters, channels, pairs):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 7, width, channels)).astype(np.float32)
    kernel = rng.standard_normal((3, 3, channels, filters)).astype(np.float32)
    bias = rng.standard_normal(filters).astype(np.float32)
    plan = conv_module.choose_plan(x, kernel, (1, 1), (1, 1),
                                   [(0, 0), (1, 1) if padding == "same" else (0, 0)])
    assert (plan.patches == "pairs") is pairs
    y = conv_reference(x, kernel, bias, padding=padding)
    gy = rng.standard_normal(y.shape).astype(np.float32)
    fast = grads(lambda a, k, b: conv(a, k, b, padding=padding), (x, kernel, bias), gy)
    slow = grads(lambda a, k, b: conv_reference(a, k, b, padding=padding), (x, kernel, bias), gy)
    for name, a, b in zip(("y", "gx", "gkernel", "gbias"), fast, slow):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-4, err_msg=name)
