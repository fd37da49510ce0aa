"""npconv.functions.pooling: gradients by finite differences, the fast paths against the plain
references, ties, stochastic pooling's statistics, PyTorch references, and the argument errors."""

import itertools
import pathlib

import numpy as np
import pytest

from npconv import backend
from npconv.autograd import Tensor
from npconv.autograd.gradcheck import gradcheck
from npconv.backend.numpy import threads
from npconv.functions import pooling
from npconv.functions.pooling import (
    avg_pool,
    avg_pool_reference,
    global_avg_pool,
    global_max_pool,
    max_pool,
    max_pool_reference,
    stochastic_pool,
)

REFERENCES = pathlib.Path(__file__).resolve().parents[1] / "references" / "pooling.npz"

# rank: (spatial shape, pool size); 'same' with these sizes pads odd totals on some axes
SHAPES = {1: ((7,), (3,)), 2: ((6, 5), (3, 2)), 3: ((4, 5, 4), (2, 3, 2))}
STRIDES = {  # equal to the pool (Keras's default), smaller (overlapping windows), larger (gaps)
    "equal": lambda pool: None,
    "overlap": lambda pool: tuple(max(1, k - 1) for k in pool),
    "gaps": lambda pool: tuple(k + 1 for k in pool),
}
GRID = [
    dict(rank=r, strides=s, padding=p, data_format=f)
    for r, s, p, f in itertools.product(
        (1, 2, 3), STRIDES, ("valid", "same"), ("channels_last", "channels_first")
    )
]
FAST = {"max": (max_pool, max_pool_reference), "avg": (avg_pool, avg_pool_reference)}


def case_id(case):
    return "-".join(str(v) for v in case.values())


def arguments(case):
    spatial, pool = SHAPES[case["rank"]]
    kwargs = dict(strides=STRIDES[case["strides"]](pool), padding=case["padding"],
                  data_format=case["data_format"])
    return spatial, pool, kwargs


def distinct_input(spatial, data_format, batch=2, channels=2, seed=0, dtype=np.float64):
    """A scaled random permutation: no two elements tie, so max gradients are unambiguous."""
    first = data_format == "channels_first"
    shape = (batch, channels, *spatial) if first else (batch, *spatial, channels)
    x = np.random.default_rng(seed).permutation(int(np.prod(shape))).reshape(shape)
    return (x / x.size + 0.05).astype(dtype)


def run(fn, x, *args, gy=None, **kwargs):
    """Output and input gradient of ``fn`` for the upstream gradient ``gy`` (random if None)."""
    t = Tensor(x.copy(), requires_grad=True)
    y = fn(t, *args, **kwargs)
    if gy is None:
        gy = np.random.default_rng(1).standard_normal(y.shape).astype(x.dtype)
    y.backward(gy)
    return y.data, t.grad


# --- 1. finite differences ------------------------------------------------------------------


@pytest.mark.parametrize("op", ["max", "avg"])
@pytest.mark.parametrize("case", GRID, ids=case_id)
def test_gradcheck(op, case):
    spatial, pool, kwargs = arguments(case)
    x = distinct_input(spatial, case["data_format"], batch=1 if case["rank"] == 3 else 2)
    fn = FAST[op][0]
    gradcheck(lambda t: fn(t, pool, **kwargs), x)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("rank", [1, 2, 3])
def test_gradcheck_global(rank, keepdims, data_format):
    x = distinct_input(SHAPES[rank][0], data_format, channels=3)
    gradcheck(lambda t: global_max_pool(t, data_format, keepdims), x)
    gradcheck(lambda t: global_avg_pool(t, data_format, keepdims), x)


@pytest.mark.parametrize("training", [False, True])
@pytest.mark.parametrize("case", [c for c in GRID if c["rank"] < 3], ids=case_id)
def test_gradcheck_stochastic(case, training):
    spatial, pool, kwargs = arguments(case)
    x = distinct_input(spatial, case["data_format"])

    def fn(t):
        backend.set_seed(7)  # the same sample at every evaluation: piecewise constant in x
        return stochastic_pool(t, pool, training=training, **kwargs)

    gradcheck(fn, x)


# --- 2. fast against reference ----------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("op", ["max", "avg"])
@pytest.mark.parametrize("case", GRID, ids=case_id)
def test_fast_matches_reference(case, op, dtype):
    spatial, pool, kwargs = arguments(case)
    rng = np.random.default_rng(3)
    first = case["data_format"] == "channels_first"
    shape = (3, 2, *spatial) if first else (3, *spatial, 2)
    # rounded values: plenty of ties, which both must send to the same (first) element
    x = np.round(rng.standard_normal(shape), 1).astype(dtype)
    fast, ref = FAST[op]
    y, gx = run(fast, x, pool, **kwargs)
    y_ref, gx_ref = run(ref, x, pool, **kwargs)
    assert y.dtype == gx.dtype == dtype
    tol = 1e-6 if dtype == np.float32 else 1e-13
    np.testing.assert_allclose(y, y_ref.astype(dtype), rtol=tol, atol=tol)
    np.testing.assert_allclose(gx, gx_ref, rtol=tol, atol=tol)


@pytest.mark.parametrize("op", ["max", "avg"])
def test_pieces_and_threads_do_not_change_results(op, monkeypatch):
    x = np.random.default_rng(0).standard_normal((9, 11, 10, 4)).astype(np.float32)
    x[:, :5] = np.maximum(x[:, :5], 0)  # ties
    fn = FAST[op][0]
    kwargs = dict(pool_size=(3, 3), strides=(2, 1), padding="same")
    monkeypatch.setattr(threads, "_threads", 1)
    monkeypatch.setattr(pooling, "PIECE_BYTES", 1 << 30)
    y1, g1 = run(fn, x, **kwargs)
    monkeypatch.setattr(threads, "_threads", 2)
    monkeypatch.setattr(pooling, "THREADS_MIN_BYTES", 0)
    monkeypatch.setattr(pooling, "PIECE_BYTES", 1)  # one sample per piece
    y2, g2 = run(fn, x, **kwargs)
    np.testing.assert_array_equal(y1, y2)
    np.testing.assert_array_equal(g1, g2)


@pytest.mark.parametrize("strides", [None, 1])
@pytest.mark.parametrize("op", ["max", "avg"])
def test_backward_leaves_the_upstream_gradient_alone(op, strides):
    x = np.random.default_rng(0).standard_normal((2, 6, 6, 3)).astype(np.float32)
    gy = np.random.default_rng(1).standard_normal(FAST[op][0](x, 2, strides).shape)
    gy = gy.astype(np.float32)
    kept = gy.copy()
    run(FAST[op][0], x, 2, strides=strides, gy=gy)
    np.testing.assert_array_equal(gy, kept)


def test_tied_maximum_sends_its_gradient_to_the_first_element():
    # one 2x2 window per channel (row-major): channel 0 is 5, 5, 5, 5; channel 1 is 1, 7, 1, 7
    x = np.zeros((1, 2, 2, 2))
    x[0, :, :, 0] = 5.0
    x[0, :, :, 1] = [[1.0, 7.0], [1.0, 7.0]]
    y, gx = run(max_pool, x, (2, 2), gy=np.array([[[[2.0, 3.0]]]]))
    np.testing.assert_array_equal(y, [[[[5.0, 7.0]]]])
    np.testing.assert_array_equal(gx[0, :, :, 0], [[2.0, 0.0], [0.0, 0.0]])
    np.testing.assert_array_equal(gx[0, :, :, 1], [[0.0, 3.0], [0.0, 0.0]])


def test_ties_in_overlapping_windows_each_pick_one_element():
    x = np.zeros((1, 4, 4, 1))  # after a ReLU: every window ties at 0
    y, gx = run(max_pool, x, (3, 3), gy=np.ones((1, 2, 2, 1)), strides=1)
    # each of the 4 windows sends its gradient to its own first element
    expected = np.zeros((4, 4))
    expected[:2, :2] = 1.0
    np.testing.assert_array_equal(gx[0, :, :, 0], expected)
    assert gx.sum() == 4.0


def test_same_padding_never_selects_padding_and_averages_real_inputs():
    x = -np.arange(1.0, 6.0).reshape(1, 5, 1)  # all negative: a zero pad would win a max
    y, _ = run(max_pool, x, 2, padding="same")  # TF pads (0, 1): windows [0,1] [2,3] [4,pad]
    np.testing.assert_array_equal(y.ravel(), [-1.0, -3.0, -5.0])
    y, _ = run(avg_pool, x, 2, padding="same")
    np.testing.assert_array_equal(y.ravel(), [-1.5, -3.5, -5.0])


def test_dtypes_and_defaults():
    x = np.arange(2 * 4 * 4 * 3).reshape(2, 4, 4, 3)
    y = max_pool(x, 2)  # an int pool size, strides None -> the pool size
    assert y.dtype == np.float32 and y.shape == (2, 2, 2, 3)
    assert max_pool(x.astype(np.float64), (2, 2), strides=(1, 1)).shape == (2, 3, 3, 3)
    assert avg_pool(x.astype(np.float32), (2, 2)).dtype == np.float32
    assert stochastic_pool(x.astype(np.float32), 2).dtype == np.float32
    assert global_avg_pool(x.astype(np.float32)).dtype == np.float32
    assert global_max_pool(x, keepdims=True).shape == (2, 1, 1, 3)
    assert global_max_pool(x, data_format="channels_first").shape == (2, 4)


# --- 3. stochastic pooling --------------------------------------------------------------------


@pytest.mark.parametrize("padding", ["valid", "same"])
def test_stochastic_choice_frequencies(padding):
    # 20,000 independent windows of [0, 1, 2, 3, 4, 5] in one call; the gradient marks the choice
    n = 20_000
    a = np.array([0.0, 1.0, 2.0, 3.0, 4.0, 5.0])
    x = np.broadcast_to(a.reshape(1, 2, 3, 1), (n, 2, 3, 1)).copy()
    backend.set_seed(123)
    y, gx = run(stochastic_pool, x, (2, 3), gy=np.ones((n, 1, 1, 1)), padding=padding)
    counts = gx.reshape(n, 6).sum(axis=0)
    assert counts.sum() == n  # exactly one element per window
    p = a / a.sum()
    freq = counts / n
    assert freq[0] == 0.0  # zero activation: never chosen
    np.testing.assert_allclose(freq, p, atol=5 * np.sqrt(p * (1 - p) / n).max())
    # the output is the chosen element
    np.testing.assert_array_equal(y.ravel(), (gx.reshape(n, 6) * a).sum(axis=1))


def test_stochastic_frequencies_with_overlapping_windows():
    n = 10_000
    row = np.array([1.0, 3.0, 0.0, 4.0])  # windows of 2, stride 1: [1,3] [3,0] [0,4]
    x = np.broadcast_to(row.reshape(1, 4, 1), (n, 4, 1)).copy()
    backend.set_seed(9)
    y, _ = run(stochastic_pool, x, 2, strides=1, gy=np.zeros((n, 3, 1)))
    assert abs(np.mean(y[:, 0, 0] == 3.0) - 0.75) < 0.02
    np.testing.assert_array_equal(y[:, 1, 0], 3.0)
    np.testing.assert_array_equal(y[:, 2, 0], 4.0)


def test_stochastic_inference_is_the_probability_weighted_average():
    x = np.array([[[[1.0], [2.0]], [[3.0], [0.0]]]])  # one 2x2 window
    y = stochastic_pool(x, 2, training=False).data
    np.testing.assert_allclose(y.ravel(), [(1 + 4 + 9) / 6])
    # 'same', 1-D: windows [2, 6] and [4] (a padded position adds nothing)
    y = stochastic_pool(np.array([[[2.0], [6.0], [4.0]]]), 2, padding="same", training=False)
    np.testing.assert_allclose(y.data.ravel(), [(4 + 36) / 8, 4.0])


def test_stochastic_all_zero_window_gives_zero():
    x = np.zeros((1, 2, 2, 1))
    for training in (True, False):
        backend.set_seed(0)
        y, gx = run(stochastic_pool, x, 2, gy=np.ones((1, 1, 1, 1)), training=training)
        assert y.ravel().tolist() == [0.0]
        assert np.all(np.isfinite(gx)) and not gx.any()


def test_stochastic_negative_activations_are_never_chosen():
    x = np.array([[[-5.0], [2.0], [-1.0], [0.0]]])
    backend.set_seed(0)
    for _ in range(20):
        assert stochastic_pool(x, 4).data.ravel().tolist() == [2.0]


def test_stochastic_same_seed_repeats():
    x = np.random.default_rng(0).random((4, 8, 8, 3)).astype(np.float32)
    backend.set_seed(42)
    a = stochastic_pool(x, (2, 2)).data
    backend.set_seed(42)
    b = stochastic_pool(x, (2, 2)).data
    c = stochastic_pool(x, (2, 2)).data  # the generator moved on: another draw
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


# --- 4. PyTorch references --------------------------------------------------------------------


def _reference_cases():
    if not REFERENCES.exists():
        return []
    with np.load(REFERENCES) as data:
        return sorted({key.split("/")[0] for key in data.files})


@pytest.fixture(scope="module")
def references():
    if not REFERENCES.exists():
        pytest.skip("tests/references/pooling.npz missing: run tools/make_references.py pooling")
    with np.load(REFERENCES) as data:
        return {key: data[key] for key in data.files}


def _to_last(a):
    return np.moveaxis(a, 1, -1)


@pytest.mark.parametrize("data_format", ["channels_first", "channels_last"])
@pytest.mark.parametrize("name", _reference_cases())
def test_matches_pytorch(references, name, data_format):
    ref = {key.split("/")[1]: v for key, v in references.items() if key.startswith(name + "/")}
    op = str(ref["op"])
    last = data_format == "channels_last"
    x, gy = ref["x"], ref["gy"]
    if op.startswith("global"):
        fn = global_max_pool if op == "global_max" else global_avg_pool
        y, gx = run(fn, _to_last(x) if last else x, gy=gy, data_format=data_format)
    else:
        fn = max_pool if op == "max" else avg_pool
        pool = tuple(int(k) for k in ref["pool_size"])
        strides = tuple(int(s) for s in ref["strides"])
        y, gx = run(fn, _to_last(x) if last else x, pool, strides=strides,
                    padding=str(ref["padding"]), data_format=data_format,
                    gy=_to_last(gy) if last else gy)
        if last:
            y = np.moveaxis(y, -1, 1)
    if last:
        gx = np.moveaxis(gx, -1, 1)
    np.testing.assert_allclose(y, ref["y"], rtol=0, atol=1e-10)
    np.testing.assert_allclose(gx, ref["gx"], rtol=0, atol=1e-10)


# --- 5. errors -------------------------------------------------------------------------------


@pytest.mark.parametrize("fn", [max_pool, avg_pool, stochastic_pool])
def test_errors(fn):
    with pytest.raises(ValueError, match=r"rank 4 \(batch, rows, cols, channels\).*\(28, 28\)"):
        fn(np.zeros((28, 28)), (2, 2))
    with pytest.raises(ValueError, match=r"rank 3, 4 or 5.*got shape \(5, 5\)"):
        fn(np.zeros((5, 5)), 2)
    with pytest.raises(ValueError, match=r"padding must be 'valid' or 'same', got 'causal'"):
        fn(np.zeros((1, 8, 1)), 2, padding="causal")
    with pytest.raises(ValueError, match=r"padding must be 'valid' or 'same', got 'full'"):
        fn(np.zeros((1, 8, 1)), 2, padding="full")
    with pytest.raises(ValueError, match=r"pool_size \(3, 3\) is larger than .* \(2, 5\)"):
        fn(np.zeros((1, 2, 5, 1)), (3, 3))
    with pytest.raises(ValueError, match="pool_size values must be positive"):
        fn(np.zeros((1, 4, 4, 1)), (0, 2))
    with pytest.raises(ValueError, match="strides must be an int or a tuple of 2 ints"):
        fn(np.zeros((1, 4, 4, 1)), (2, 2), strides=(1, 1, 1))
    # 'same' accepts a pool larger than the input
    assert fn(np.ones((1, 2, 5, 1)), (3, 3), padding="same").shape == (1, 1, 2, 1)


@pytest.mark.parametrize("fn", [global_max_pool, global_avg_pool])
def test_global_errors(fn):
    with pytest.raises(ValueError, match=r"expects input of rank 3, 4 or 5.*got shape \(4, 3\)"):
        fn(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="data_format"):
        fn(np.zeros((1, 4, 3)), data_format="nhwc")
