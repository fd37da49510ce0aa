"""The graph machinery: accumulation, ordering, no_grad, needs_grad, gradcheck itself."""

import numpy as np
import pytest

from npconv.autograd import Function, Tensor, no_grad
from npconv.autograd.gradcheck import gradcheck
from npconv.functions import array as A


def test_fan_out_accumulates():
    x = Tensor(np.array([3.0]), requires_grad=True)
    y = x * x + x * 2.0  # dy/dx = 2x + 2
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [8.0])


def test_intermediate_kept_alive_until_its_creator_runs():
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((3, 4)), requires_grad=True)
    y = Tensor(rng.standard_normal(4), requires_grad=True)
    (x * y - y).sum().backward()
    np.testing.assert_allclose(x.grad, np.broadcast_to(y.data, (3, 4)))
    np.testing.assert_allclose(y.grad, x.data.sum(0) - 3)


def test_diamond_graph_runs_each_function_once_in_order():
    x = Tensor(np.array(2.0), requires_grad=True)
    a = x * 3.0
    b = a * a  # 9 x^2
    c = a + b  # 3x + 9x^2 -> 3 + 18x
    c.backward()
    np.testing.assert_allclose(x.grad, 39.0)


def test_no_grad_records_nothing():
    x = Tensor(np.ones(3), requires_grad=True)
    with no_grad():
        y = x * 2.0
    assert y.creator is None and not y.requires_grad


def test_needs_grad_tells_ops_what_to_skip():
    seen = {}

    class Probe(Function):
        def forward(self, a, b):
            seen["needs"] = self.needs_grad
            return a + b

        def backward(self, gy):
            return gy, None

    x = Tensor(np.ones(2), requires_grad=True)
    Probe()(x, np.ones(2)).sum().backward()
    assert seen["needs"] == (True, False)
    np.testing.assert_allclose(x.grad, [1.0, 1.0])


def test_backward_needs_scalar_or_grad():
    x = Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(ValueError, match="scalar"):
        (x * 2.0).backward()


def test_python_scalars_keep_float32():
    x = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    y = (2.0 * x - 1 + x / 3.0) ** 2
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


def test_gradcheck_catches_a_wrong_backward():
    class Wrong(Function):
        def forward(self, x):
            return x * x

        def backward(self, gy):
            return gy * 3.0  # should be 2x

    with pytest.raises(AssertionError, match="differs"):
        gradcheck(lambda t: Wrong()(t), np.array([0.5, 1.5]))


@pytest.mark.parametrize(
    "fn",
    [
        lambda x, y: x * y + x / (y * y + 1) - y,
        lambda x, y: A.matmul(x, y.reshape(4, 1)),
        lambda x, y: A.maximum(x, y) + A.minimum(x, y * 2),
        lambda x, y: A.exp(x * 0.1) * A.log(A.abs(y) + 1) + A.sqrt(A.square(x) + 1),
        lambda x, y: A.clip(x, -0.5, 0.5) + A.broadcast_to(y, (3, 4)),
    ],
)
def test_array_ops_gradcheck(fn):
    rng = np.random.default_rng(1)
    gradcheck(fn, rng.standard_normal((3, 4)), rng.standard_normal(4))


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: A.mean(A.sum(x, axis=1, keepdims=True) ** 2),
        lambda x: A.sum(x, axis=(0, 2)),
        lambda x: A.mean(x, axis=-1),
        lambda x: A.concatenate([x, x * 2], axis=1)[1:, ::2],
        lambda x: A.pad(x, ((1, 0), (2, 1), (0, 1))).transpose((2, 0, 1)),
        lambda x: A.flatten(x) @ np.ones((20, 2)),
        lambda x: x[np.array([0, 0, 1])],
    ],
)
def test_reduction_and_shape_ops_gradcheck(fn):
    gradcheck(fn, np.random.default_rng(2).standard_normal((2, 4, 5)))
