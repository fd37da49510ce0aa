"""``npconv.ops``' trigonometric, hyperbolic and other extra ops (``ops.numpy_extra``):
values against NumPy, gradients against finite differences."""

import numpy as np
import pytest

import npconv
from npconv import ops
from npconv.autograd import Tensor
from npconv.autograd.gradcheck import numerical_gradients

RNG = np.random.default_rng(0)
INSIDE = RNG.uniform(-0.8, 0.8, (3, 4))  # the domain of arcsin, arccos, arctanh
ABOVE_ONE = RNG.uniform(1.2, 3.0, (3, 4))  # arccosh's


@pytest.mark.parametrize("name, x", [
    ("tan", INSIDE), ("arcsin", INSIDE), ("arccos", INSIDE), ("arctan", INSIDE * 3),
    ("sinh", INSIDE * 2), ("cosh", INSIDE * 2), ("arcsinh", INSIDE * 3),
    ("arccosh", ABOVE_ONE), ("arctanh", INSIDE), ("exp2", INSIDE * 3), ("cbrt", ABOVE_ONE),
])
def test_unary_values_and_gradients(name, x):
    op = getattr(ops, name)
    np.testing.assert_allclose(np.asarray(op(x)), getattr(np, name)(x), rtol=1e-12)
    w = RNG.standard_normal(x.shape)
    t = Tensor(x.copy(), requires_grad=True)
    (op(t) * w).sum().backward()
    numeric = numerical_gradients(lambda a: op(a), [x], [w])[0]
    np.testing.assert_allclose(t.grad, numeric, rtol=1e-5, atol=1e-8)


def test_arctan2_all_quadrants_and_gradients():
    a, b = RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4))
    np.testing.assert_allclose(np.asarray(ops.arctan2(a, b)), np.arctan2(a, b))
    w = RNG.standard_normal((3, 4))
    ta, tb = Tensor(a.copy(), requires_grad=True), Tensor(b.copy(), requires_grad=True)
    (ops.arctan2(ta, tb) * w).sum().backward()
    na, nb = numerical_gradients(lambda p, q: ops.arctan2(p, q), [a, b], [w])
    np.testing.assert_allclose(ta.grad, na, rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(tb.grad, nb, rtol=1e-5, atol=1e-8)


def test_composed_ops_match_numpy_and_are_differentiable():
    x, y = RNG.standard_normal((4, 5)), RNG.standard_normal((4, 5))
    np.testing.assert_allclose(np.asarray(ops.hypot(x, y)), np.hypot(x, y))
    np.testing.assert_allclose(np.asarray(ops.logaddexp(x * 50, y * 50)),
                               np.logaddexp(x * 50, y * 50))
    np.testing.assert_allclose(np.asarray(ops.roll(x, 2, axis=1)), np.roll(x, 2, axis=1))
    np.testing.assert_allclose(np.asarray(ops.roll(x, -3)), np.roll(x, -3))
    for k in range(-1, 4):
        np.testing.assert_array_equal(np.asarray(ops.rot90(x, k)), np.rot90(x, k))
    np.testing.assert_allclose(np.asarray(ops.diff(x, 2)), np.diff(x, 2))
    np.testing.assert_allclose(np.asarray(ops.ptp(x, axis=0)), np.ptp(x, axis=0))
    np.testing.assert_allclose(np.asarray(ops.deg2rad(180.0)), np.pi, rtol=1e-6)
    np.testing.assert_array_equal(np.asarray(ops.divide_no_nan([1.0, 2.0], [0.0, 4.0])),
                                  [0.0, 0.5])
    nan = np.array([[1.0, np.nan, 3.0], [np.nan, 2.0, 4.0]])
    np.testing.assert_allclose(np.asarray(ops.nanmean(nan, axis=1)), np.nanmean(nan, axis=1))
    np.testing.assert_allclose(np.asarray(ops.nanmax(nan)), 4.0)
    np.testing.assert_allclose(np.asarray(ops.median(x, axis=0)), np.median(x, axis=0))
    np.testing.assert_allclose(np.asarray(ops.percentile(x, 30)), np.percentile(x, 30))
    np.testing.assert_allclose(np.asarray(ops.select([x > 1, x < -1], [x, -x], 0.0)),
                               np.select([x > 1, x < -1], [x, -x], 0.0))
    np.testing.assert_allclose(np.asarray(ops.glu(x[:, :4])),
                               x[:, :2] / (1 + np.exp(-x[:, 2:4])))
    np.testing.assert_allclose(np.asarray(ops.soft_shrink(x)),
                               np.sign(x) * np.maximum(np.abs(x) - 0.5, 0))
    np.testing.assert_allclose(np.asarray(ops.celu(x)), np.where(x > 0, x, np.expm1(x)))
    assert bool(np.asarray(ops.allclose(x, x + 1e-9)))
    w = RNG.standard_normal((4, 5))
    for fn in (lambda a: ops.roll(a, 1, axis=0), lambda a: ops.rot90(a),
               lambda a: ops.logaddexp(a, a * 2), lambda a: ops.soft_shrink(a),
               lambda a: ops.hypot(a, 1.0), lambda a: ops.celu(a)):
        t = Tensor(x.copy(), requires_grad=True)
        out = fn(t)
        (out * (w if out.shape == w.shape else w.T)).sum().backward()
        numeric = numerical_gradients(fn, [x], [w if out.shape == w.shape else w.T])[0]
        np.testing.assert_allclose(t.grad, numeric, rtol=1e-5, atol=1e-7)


def test_pixel_shuffle_round_trips_and_multi_hot():
    x = np.arange(2 * 4 * 6 * 8, dtype=np.float32).reshape(2, 4, 6, 8)
    deep = ops.space_to_depth(x, 2)
    assert deep.shape == (2, 2, 3, 32)
    np.testing.assert_array_equal(np.asarray(ops.depth_to_space(deep, 2)), x)
    first = x.transpose(0, 3, 1, 2)
    deep = ops.space_to_depth(first, 2, data_format="channels_first")
    np.testing.assert_array_equal(
        np.asarray(ops.depth_to_space(deep, 2, data_format="channels_first")), first)
    np.testing.assert_array_equal(np.asarray(ops.multi_hot([[0, 2], [1, 1]], 3)),
                                  [[1, 0, 1], [0, 1, 0]])


def test_extra_ops_on_keras_tensors():
    inputs = npconv.Input((4,))
    out = ops.arccos(ops.hard_tanh(inputs))
    model = npconv.Model(inputs, out)
    x = np.array([[-2.0, -0.5, 0.5, 2.0]], "float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), np.arccos(np.clip(x, -1, 1)),
                               rtol=1e-6)
