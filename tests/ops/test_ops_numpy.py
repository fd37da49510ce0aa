"""npconv.ops NumPy-like ops: values against NumPy, gradients against finite differences
(float64), Keras's dtype rules and the array/Tensor conventions."""

import math

import numpy as np
import pytest

from npconv import ops
from npconv.autograd import Tensor
from npconv.autograd.gradcheck import gradcheck

RNG = np.random.default_rng(0)
A = RNG.standard_normal((3, 4))
B = RNG.standard_normal((3, 4))
POS = RNG.uniform(0.5, 2.0, (3, 4))
M = RNG.standard_normal((4, 5))
V = RNG.standard_normal(4)
C3 = RNG.standard_normal((2, 3, 4))
with np.errstate(divide="ignore", invalid="ignore"):
    LOG_A = np.log(A)  # NaN where A < 0
    INV_ROUND_A = 1 / np.round(A)  # inf where A rounds to 0


def np_of(t):
    return np.asarray(ops.convert_to_numpy(t))


# name -> (op on arrays, the NumPy result)
VALUES = {
    "add": (lambda: ops.add(A, B), A + B),
    "subtract": (lambda: ops.subtract(A, B), A - B),
    "multiply": (lambda: ops.multiply(A, 2.5), A * 2.5),
    "divide": (lambda: ops.divide(A, POS), A / POS),
    "true_divide": (lambda: ops.true_divide(A, POS), A / POS),
    "negative": (lambda: ops.negative(A), -A),
    "power_scalar": (lambda: ops.power(POS, 1.5), POS**1.5),
    "power_tensor": (lambda: ops.power(POS, B), POS**B),
    "matmul": (lambda: ops.matmul(A, M), A @ M),
    "matmul_vec": (lambda: ops.matmul(A, V), A @ V),
    "matmul_vec_left": (lambda: ops.matmul(V, M), V @ M),
    "dot_vec": (lambda: ops.dot(V, V), V @ V),
    "dot_nd": (lambda: ops.dot(C3, M), np.dot(C3, M)),
    "tensordot_2": (lambda: ops.tensordot(C3, A, axes=2), np.tensordot(C3, A, axes=2)),
    "tensordot_axes": (
        lambda: ops.tensordot(C3, M, axes=([2], [0])), np.tensordot(C3, M, axes=([2], [0]))
    ),
    "tensordot_swap": (
        lambda: ops.tensordot(C3, A, axes=([1, 2], [0, 1])),
        np.tensordot(C3, A, axes=([1, 2], [0, 1])),
    ),
    "reshape": (lambda: ops.reshape(A, (2, -1)), A.reshape(2, -1)),
    "transpose": (lambda: ops.transpose(C3, (2, 0, 1)), C3.transpose(2, 0, 1)),
    "concatenate": (lambda: ops.concatenate([A, B]), np.concatenate([A, B])),
    "stack": (lambda: ops.stack([A, B], axis=1), np.stack([A, B], axis=1)),
    "sum": (lambda: ops.sum(C3, axis=(0, 2)), C3.sum(axis=(0, 2))),
    "mean": (lambda: ops.mean(C3, axis=1, keepdims=True), C3.mean(axis=1, keepdims=True)),
    "max": (lambda: ops.max(C3, axis=-1), C3.max(axis=-1)),
    "min": (lambda: ops.min(C3), C3.min()),
    "prod": (lambda: ops.prod(A, axis=0), A.prod(axis=0)),
    "argmax": (lambda: ops.argmax(C3, axis=1), C3.argmax(axis=1)),
    "argmin": (lambda: ops.argmin(A), A.argmin()),
    "exp": (lambda: ops.exp(A), np.exp(A)),
    "log": (lambda: ops.log(POS), np.log(POS)),
    "log1p": (lambda: ops.log1p(POS), np.log1p(POS)),
    "sqrt": (lambda: ops.sqrt(POS), np.sqrt(POS)),
    "square": (lambda: ops.square(A), A * A),
    "abs": (lambda: ops.abs(A), np.abs(A)),
    "sign": (lambda: ops.sign(A), np.sign(A)),
    "clip": (lambda: ops.clip(A, -0.5, 0.5), np.clip(A, -0.5, 0.5)),
    "where": (lambda: ops.where(A > 0, A, B), np.where(A > 0, A, B)),
    "expand_dims": (lambda: ops.expand_dims(A, 1), A[:, None]),
    "squeeze": (lambda: ops.squeeze(A[:, None], axis=1), A),
    "repeat": (lambda: ops.repeat(A, 2, axis=1), np.repeat(A, 2, axis=1)),
    "repeat_flat": (lambda: ops.repeat(A, 2), np.repeat(A, 2)),
    "tile": (lambda: ops.tile(A, (2, 1, 3)), np.tile(A, (2, 1, 3))),
    "flip": (lambda: ops.flip(A, axis=1), A[:, ::-1]),
    "pad": (lambda: ops.pad(A, ((1, 0), (2, 1))), np.pad(A, ((1, 0), (2, 1)))),
    "pad_reflect": (
        lambda: ops.pad(A, ((1, 2), (2, 1)), mode="reflect"),
        np.pad(A, ((1, 2), (2, 1)), mode="reflect"),
    ),
    "maximum": (lambda: ops.maximum(A, B), np.maximum(A, B)),
    "minimum": (lambda: ops.minimum(A, 0.0), np.minimum(A, 0.0)),
    "var": (lambda: ops.var(C3, axis=1), C3.var(axis=1)),
    "std": (lambda: ops.std(A), A.std()),
    "cumsum": (lambda: ops.cumsum(A, axis=1), A.cumsum(axis=1)),
    "cumsum_flat": (lambda: ops.cumsum(A), A.cumsum()),
    "sort": (lambda: ops.sort(A, axis=0), np.sort(A, axis=0)),
    "argsort": (lambda: ops.argsort(A), np.argsort(A)),
    "take": (lambda: ops.take(A, [2, 0, -1], axis=1), A[:, [2, 0, -1]]),
    "take_flat": (lambda: ops.take(A, [[1, 5], [11, 1]]), A.ravel()[[[1, 5], [11, 1]]]),
    "take_along_axis": (
        lambda: ops.take_along_axis(A, np.argsort(A, axis=1), axis=1), np.sort(A, axis=1)
    ),
    "broadcast_to": (lambda: ops.broadcast_to(V, (3, 4)), np.broadcast_to(V, (3, 4))),
    "ravel": (lambda: ops.ravel(C3), C3.ravel()),
    "moveaxis": (lambda: ops.moveaxis(C3, 0, -1), np.moveaxis(C3, 0, -1)),
    "moveaxis_many": (
        lambda: ops.moveaxis(C3, (0, 1), (2, 0)), np.moveaxis(C3, (0, 1), (2, 0))
    ),
    "swapaxes": (lambda: ops.swapaxes(C3, 0, 2), np.swapaxes(C3, 0, 2)),
    "norm": (lambda: ops.norm(A), np.linalg.norm(A)),
    "norm_axis": (lambda: ops.norm(A, axis=1), np.linalg.norm(A, axis=1)),
    "norm_l1": (lambda: ops.norm(A, ord=1, axis=0), np.linalg.norm(A, ord=1, axis=0)),
    "norm_l3": (lambda: ops.norm(A, ord=3, axis=1), np.linalg.norm(A, ord=3, axis=1)),
    "norm_inf_matrix": (lambda: ops.norm(A, ord=np.inf), np.linalg.norm(A, ord=np.inf)),
    "norm_1_matrix": (lambda: ops.norm(A, ord=1), np.linalg.norm(A, ord=1)),
    "norm_nuc": (lambda: ops.norm(A, ord="nuc"), np.linalg.norm(A, ord="nuc")),
    "erf": (
        lambda: ops.erf(A),
        np.array([math.erf(v) for v in A.ravel()]).reshape(A.shape),
    ),
    "tanh": (lambda: ops.tanh(A), np.tanh(A)),
    "sin": (lambda: ops.sin(A), np.sin(A)),
    "cos": (lambda: ops.cos(A), np.cos(A)),
    "floor": (lambda: ops.floor(A), np.floor(A)),
    "ceil": (lambda: ops.ceil(A), np.ceil(A)),
    "round": (lambda: ops.round(A * 3, decimals=1), np.round(A * 3, 1)),
    "equal": (lambda: ops.equal(A, A[0]), A == A[0]),
    "not_equal": (lambda: ops.not_equal(A, 0.1), A != 0.1),
    "greater": (lambda: ops.greater(A, B), A > B),
    "greater_equal": (lambda: ops.greater_equal(A, 0), A >= 0),
    "less": (lambda: ops.less(A, B), A < B),
    "less_equal": (lambda: ops.less_equal(A, B), A <= B),
    "logical_and": (lambda: ops.logical_and(A > 0, B > 0), (A > 0) & (B > 0)),
    "logical_or": (lambda: ops.logical_or(A > 0, B > 0), (A > 0) | (B > 0)),
    "logical_not": (lambda: ops.logical_not(A > 0), A <= 0),
    "all": (lambda: ops.all(A > -10, axis=0), np.all(A > -10, axis=0)),
    "any": (lambda: ops.any(A > 1, axis=1, keepdims=True), np.any(A > 1, axis=1, keepdims=True)),
    "zeros": (lambda: ops.zeros((2, 3)), np.zeros((2, 3))),
    "ones": (lambda: ops.ones(4), np.ones(4)),
    "zeros_like": (lambda: ops.zeros_like(A), np.zeros_like(A)),
    "ones_like": (lambda: ops.ones_like(A), np.ones_like(A)),
    "full": (lambda: ops.full((2, 2), 7.5), np.full((2, 2), 7.5)),
    "arange": (lambda: ops.arange(2, 11, 3), np.arange(2, 11, 3)),
    "linspace": (lambda: ops.linspace(0, 1, 5), np.linspace(0, 1, 5)),
    "eye": (lambda: ops.eye(3, 4, k=1), np.eye(3, 4, k=1)),
    "slice": (lambda: ops.slice(C3, (1, 0, 1), (1, 2, -1)), C3[1:2, 0:2, 1:]),
    "einsum": (lambda: ops.einsum("bij,jk->bki", C3, M), np.einsum("bij,jk->bki", C3, M)),
    "einsum_implicit": (lambda: ops.einsum("ij,kj", A, B), np.einsum("ij,kj", A, B)),
    "outer": (lambda: ops.outer(V, V[:3]), np.outer(V, V[:3])),
    "logsumexp": (
        lambda: ops.logsumexp(C3 * 50, axis=1), np.log(np.exp(C3 * 50).sum(axis=1))
    ),
    "top_k_values": (lambda: ops.top_k(A, 2)[0], -np.sort(-A, axis=1)[:, :2]),
    "top_k_indices": (lambda: ops.top_k(A, 2)[1], np.argsort(-A, axis=1)[:, :2]),
    "in_top_k": (
        lambda: ops.in_top_k([0, 1, 2], A, 2),
        [(A[i] > A[i, i]).sum() < 2 for i in range(3)],
    ),
    "rsqrt": (lambda: ops.rsqrt(POS), 1 / np.sqrt(POS)),
    "reciprocal": (lambda: ops.reciprocal(POS), 1 / POS),
    "expm1": (lambda: ops.expm1(A), np.expm1(A)),
    "log2": (lambda: ops.log2(POS), np.log2(POS)),
    "log10": (lambda: ops.log10(POS), np.log10(POS)),
    "average": (lambda: ops.average(A, axis=1, weights=V), np.average(A, axis=1, weights=V)),
    "unstack": (lambda: ops.unstack(C3, axis=1)[2], C3[:, 2]),
    "hstack": (lambda: ops.hstack([A, B]), np.hstack([A, B])),
    "vstack": (lambda: ops.vstack([V, V]), np.vstack([V, V])),
    "tril": (lambda: ops.tril(C3, k=1), np.tril(C3, 1)),
    "triu": (lambda: ops.triu(A, k=-1), np.triu(A, -1)),
    "diag_make": (lambda: ops.diag(V, k=-1), np.diag(V, -1)),
    "diag_take": (lambda: ops.diag(M, k=2), np.diag(M, 2)),
    "trace": (lambda: ops.trace(C3, axis1=1, axis2=2), np.trace(C3, axis1=1, axis2=2)),
    "meshgrid": (lambda: ops.meshgrid(V, V[:2])[1], np.meshgrid(V, V[:2])[1]),
    "mod": (lambda: ops.mod(A, 0.7), np.mod(A, 0.7)),
    "floor_divide": (lambda: ops.floor_divide(A, 0.7), np.floor_divide(A, 0.7)),
    "logical_xor": (lambda: ops.logical_xor(A > 0, B > 0), (A > 0) ^ (B > 0)),
    "isnan": (lambda: ops.isnan(LOG_A), np.isnan(LOG_A)),
    "isinf": (lambda: ops.isinf(INV_ROUND_A), np.isinf(INV_ROUND_A)),
    "isfinite": (lambda: ops.isfinite(INV_ROUND_A), np.isfinite(INV_ROUND_A)),
    "nan_to_num": (
        lambda: ops.nan_to_num(LOG_A, nan=-1.0), np.nan_to_num(LOG_A, nan=-1.0)
    ),
    "count_nonzero": (lambda: ops.count_nonzero(np.round(A), axis=0),
                      np.count_nonzero(np.round(A), axis=0)),
}


@pytest.mark.parametrize("name", sorted(VALUES))
def test_values_match_numpy(name):
    fn, expected = VALUES[name]
    out = fn()
    assert isinstance(out, Tensor), f"{name} returned {type(out).__name__}, not a Tensor"
    np.testing.assert_allclose(np_of(out), expected, rtol=1e-6, atol=1e-6)
    assert np_of(out).dtype.kind == np.asarray(expected).dtype.kind


def test_split_values_and_gradient():
    parts = ops.split(A, [1, 3], axis=1)
    assert [p.shape for p in parts] == [(3, 1), (3, 2), (3, 1)]
    np.testing.assert_allclose(np_of(parts[1]), A[:, 1:3])
    gradcheck(lambda x: ops.multiply(ops.split(x, 2, axis=0)[1], 3.0), C3)
    gradcheck(lambda x: ops.split(x, [1, 3], axis=1)[2], A)


# name -> (function of Tensors, input arrays); every one is checked by finite differences
GRADIENTS = {
    "add": (ops.add, (A, V)),
    "subtract": (ops.subtract, (A, V)),
    "multiply": (ops.multiply, (A, B)),
    "divide": (ops.divide, (A, POS)),
    "negative": (ops.negative, (A,)),
    "power_scalar": (lambda x: ops.power(x, 3), (A,)),
    "power_tensor": (ops.power, (POS, B)),
    "matmul": (ops.matmul, (A, M)),
    "matmul_vec": (ops.matmul, (A, V)),
    "matmul_batched": (ops.matmul, (C3, M)),
    "dot": (ops.dot, (C3, M)),
    "dot_vec": (ops.dot, (V, V)),
    "tensordot": (lambda a, b: ops.tensordot(a, b, axes=([1, 2], [0, 1])), (C3, A)),
    "reshape": (lambda x: ops.reshape(x, (4, 3)), (A,)),
    "transpose": (lambda x: ops.transpose(x, (1, 2, 0)), (C3,)),
    "concatenate": (lambda a, b: ops.concatenate([a, b], axis=1), (A, B)),
    "stack": (lambda a, b: ops.stack([a, b], axis=-1), (A, B)),
    "sum": (lambda x: ops.sum(x, axis=1), (C3,)),
    "mean": (lambda x: ops.mean(x, axis=(0, 2)), (C3,)),
    "max": (lambda x: ops.max(x, axis=1), (C3,)),
    "min": (lambda x: ops.min(x, axis=0, keepdims=True), (A,)),
    "prod": (lambda x: ops.prod(x, axis=1), (C3,)),
    "prod_all": (ops.prod, (A[:2, :3],)),
    "exp": (ops.exp, (A,)),
    "log": (ops.log, (POS,)),
    "log1p": (ops.log1p, (POS,)),
    "sqrt": (ops.sqrt, (POS,)),
    "square": (ops.square, (A,)),
    "abs": (ops.abs, (A,)),
    "clip": (lambda x: ops.clip(x, -0.5, 0.5), (A,)),
    "where": (lambda a, b: ops.where(A > 0, a, b), (A, B)),
    "expand_dims": (lambda x: ops.expand_dims(x, 0), (A,)),
    "squeeze": (lambda x: ops.squeeze(x), (A[None],)),
    "repeat": (lambda x: ops.repeat(x, [1, 0, 3], axis=0), (A,)),
    "repeat_flat": (lambda x: ops.repeat(x, 2), (A,)),
    "tile": (lambda x: ops.tile(x, (2, 1, 3)), (A,)),
    "flip": (lambda x: ops.flip(x, axis=(0, 1)), (A,)),
    "pad": (lambda x: ops.pad(x, ((1, 0), (2, 1)), constant_values=1.0), (A,)),
    "pad_symmetric": (lambda x: ops.pad(x, ((1, 2), (3, 1)), mode="symmetric"), (A,)),
    "maximum": (ops.maximum, (A, B)),
    "minimum": (ops.minimum, (A, B)),
    "var": (lambda x: ops.var(x, axis=0), (A,)),
    "std": (lambda x: ops.std(x, axis=-1), (C3,)),
    "cumsum": (lambda x: ops.cumsum(x, axis=0), (C3,)),
    "cumsum_flat": (ops.cumsum, (A,)),
    "sort": (lambda x: ops.sort(x, axis=0), (A,)),
    "take": (lambda x: ops.take(x, [[2, 0], [2, 3]], axis=1), (A,)),
    "take_flat": (lambda x: ops.take(x, [1, 1, 7]), (A,)),
    "take_along_axis": (
        lambda x: ops.take_along_axis(x, np.array([[0, 0, 1, 2]] * 3), axis=1), (A,)
    ),
    "broadcast_to": (lambda x: ops.broadcast_to(x, (2, 3, 4)), (V,)),
    "ravel": (ops.ravel, (C3,)),
    "norm": (ops.norm, (A,)),
    "norm_l3": (lambda x: ops.norm(x, ord=3, axis=0), (A,)),
    "norm_inf": (lambda x: ops.norm(x, ord=np.inf), (A,)),
    "erf": (ops.erf, (A,)),
    "tanh": (ops.tanh, (A,)),
    "sin": (ops.sin, (A,)),
    "cos": (ops.cos, (A,)),
    "slice": (lambda x: ops.slice(x, (0, 1, 1), (2, 2, 3)), (C3,)),
    "einsum": (lambda a, b: ops.einsum("bij,jk->bki", a, b), (C3, M)),
    "einsum_summed_alone": (lambda a, b: ops.einsum("ij,kl->ik", a, b), (A, M)),
    "einsum_three": (lambda a, b, c: ops.einsum("i,ij,j->", a, b, c), (V[:3], A, V)),
    "outer": (ops.outer, (V, V[:3])),
    "logsumexp": (lambda x: ops.logsumexp(x, axis=0), (A,)),
    "top_k": (lambda x: ops.top_k(x, 3)[0], (A,)),
    "rsqrt": (ops.rsqrt, (POS,)),
    "average": (lambda x, w: ops.average(x, axis=1, weights=w), (A, POS[0])),
    "unstack": (lambda x: ops.unstack(x, axis=2)[1], (C3,)),
    "tril": (ops.tril, (C3,)),
    "diag_make": (lambda x: ops.diag(x, k=1), (V,)),
    "diag_take": (lambda x: ops.diag(x, k=-1), (M,)),
    "trace": (ops.trace, (A,)),
}


@pytest.mark.parametrize("name", sorted(GRADIENTS))
def test_gradients_match_finite_differences(name):
    fn, args = GRADIENTS[name]
    gradcheck(fn, *args)


def test_prod_gradient_exact_with_a_zero_factor():
    x = np.array([[2.0, 0.0, 3.0], [0.0, 0.0, 5.0]])
    t = Tensor(x, requires_grad=True)
    ops.sum(ops.prod(t, axis=1)).backward()
    np.testing.assert_allclose(t.grad, [[0.0, 6.0, 0.0], [0.0, 0.0, 0.0]])


def test_cast_passes_the_gradient_back_in_the_input_dtype():
    t = Tensor(A, requires_grad=True)
    y = ops.cast(t, "float32")
    assert y.dtype == np.float32
    ops.sum(ops.multiply(y, 2.0)).backward()
    assert t.grad.dtype == np.float64
    np.testing.assert_allclose(t.grad, np.full(A.shape, 2.0))


def test_max_shares_the_gradient_between_ties():
    t = Tensor(np.array([1.0, 3.0, 3.0, 2.0]), requires_grad=True)
    ops.max(t).backward()
    np.testing.assert_allclose(t.grad, [0.0, 0.5, 0.5, 0.0])


def test_keras_dtype_rules():
    f32 = np.ones(3, np.float32)
    assert ops.add(f32, 1).dtype == np.float32
    assert ops.multiply(f32, 0.5).dtype == np.float32
    assert ops.add(np.arange(3), f32).dtype == np.float32
    assert ops.convert_to_tensor([1.0, 2.0]).dtype == np.float32
    assert ops.convert_to_tensor([1, 2]).dtype == np.int32
    assert ops.divide(np.arange(3), 2).dtype == np.float32
    assert ops.mean(np.arange(4)).dtype == np.float32
    assert ops.arange(4).dtype == np.int32
    assert ops.arange(0.0, 1.0, 0.25).dtype == np.float32
    assert ops.zeros((2,)).dtype == np.float32
    assert ops.full((2,), 3).dtype == np.int32 and ops.full((2,), 0.5).dtype == np.float32
    assert ops.cast(f32, "int32").dtype == np.int32


def test_core_helpers():
    t = ops.convert_to_tensor(np.ones((2, 3), np.float32))
    assert ops.is_tensor(t) and not ops.is_tensor(np.ones(2))
    assert ops.shape(t) == (2, 3) and ops.ndim(t) == 2 and ops.size(t) == 6
    assert isinstance(ops.convert_to_numpy(t), np.ndarray)
    assert ops.convert_to_tensor(t) is t
    assert ops.convert_to_tensor(t, dtype="float64").dtype == np.float64
    w = Tensor(np.array([2.0]), requires_grad=True)
    y = ops.add(ops.multiply(w, 3.0), ops.multiply(ops.stop_gradient(w), 100.0))
    y.backward(np.ones(1))
    np.testing.assert_allclose(w.grad, [3.0])
    assert np_of(ops.cond(ops.greater(w, 0), lambda: w * 2, lambda: w * 3))[0] == 4.0
    assert float(ops.cond(False, lambda: 1.0, lambda: 2.0)) == 2.0


def test_where_with_condition_only_gives_indices():
    rows, cols = ops.where(np.array([[True, False], [False, True]]))
    np.testing.assert_array_equal(np_of(rows), [0, 1])
    np.testing.assert_array_equal(np_of(cols), [0, 1])


def test_errors_name_the_op():
    with pytest.raises(ValueError, match="reshape"):
        ops.reshape(A, (5, 5))
    with pytest.raises(ValueError, match="tensordot"):
        ops.tensordot(A, A, axes=([1], [0]))
    with pytest.raises(ValueError, match="squeeze"):
        ops.squeeze(A, axis=0)
    with pytest.raises(ValueError, match="pad"):
        ops.pad(A, ((1, 1), (1, 1)), mode="median")


def test_ops_on_symbolic_inputs_build_graph_nodes():
    import npconv

    x = npconv.layers.Input((4,))
    y = ops.add(x, 1.0)
    assert type(y).__name__ == "KerasTensor" and y.shape == (None, 4)
    model = npconv.Model(x, y)
    np.testing.assert_array_equal(model.predict(np.zeros((2, 4), "float32"), verbose=0), 1.0)


FLOAT32_CHAINS = {
    "arithmetic": lambda x: ops.divide(ops.add(ops.multiply(x, 0.5), 1), ops.exp(x)),
    "reductions": lambda x: ops.add(ops.var(x, axis=0), ops.std(x)),
    "norms": lambda x: ops.norm(x, ord=3, axis=1),
    "logsumexp": lambda x: ops.logsumexp(x, axis=-1),
    "power": lambda x: ops.power(ops.abs(x), 0.5),
    "where": lambda x: ops.where(ops.greater(x, 0), x, 0.1),
    "clip_sort": lambda x: ops.sort(ops.clip(x, -1, 1)),
    "nn": lambda x: ops.nn.batch_normalization(
        ops.softmax(x), ops.zeros(4), ops.ones(4), axis=-1, epsilon=1e-3
    ),
    "normalize": lambda x: ops.nn.normalize(x),
    "moments": lambda x: ops.nn.moments(x, axes=[0])[1],
    "einsum": lambda x: ops.einsum("ij,kj->ik", x, x),
    "resize": lambda x: ops.image.resize(ops.reshape(x, (1, 3, 4, 1)), (5, 5)),
    "cce": lambda x: ops.nn.categorical_crossentropy(np.eye(4)[:3], ops.softmax(x)),
}


@pytest.mark.parametrize("name", sorted(FLOAT32_CHAINS))
def test_float32_stays_float32(name):
    x = Tensor(A.astype(np.float32), requires_grad=True)
    y = FLOAT32_CHAINS[name](x)
    assert y.dtype == np.float32, f"{name} gave {y.dtype}"
    ops.sum(y).backward()
    assert x.grad.dtype == np.float32
