"""npconv.functions.activations: values and gradients against PyTorch, finite-difference gradient
checks, dtype preservation and numerical stability."""

import json
import math
import pathlib
import warnings

import numpy as np
import pytest

from npconv.autograd import Tensor, no_grad
from npconv.autograd.gradcheck import gradcheck
from npconv.functions import activations as A

REF = np.load(pathlib.Path(__file__).resolve().parents[1] / "references" / "activations.npz")
TORCH_CASES = sorted({k.split("/")[0] for k in REF.files if not k.startswith("bn_")})

# name -> (callable, kinks to keep finite differences away from)
ACTIVATIONS = {
    "relu": (A.relu, (0.0,)),
    "relu_options": (
        lambda x: A.relu(x, negative_slope=0.1, max_value=2.0, threshold=0.5), (0.5, 2.0)
    ),
    "relu_threshold": (lambda x: A.relu(x, threshold=-0.7), (-0.7, 0.0)),
    "relu_max_value": (lambda x: A.relu(x, max_value=1.5), (0.0, 1.5)),
    "relu_negative_slope": (lambda x: A.relu(x, negative_slope=0.3), (0.0,)),
    "relu6": (A.relu6, (0.0, 6.0)),
    "leaky_relu": (A.leaky_relu, (0.0,)),
    "sigmoid": (A.sigmoid, ()),
    "tanh": (A.tanh, ()),
    "softmax": (A.softmax, ()),
    "softmax_axis0": (lambda x: A.softmax(x, axis=0), ()),
    "softmax_axis1": (lambda x: A.softmax(x, axis=1), ()),
    "log_softmax": (A.log_softmax, ()),
    "log_softmax_axis1": (lambda x: A.log_softmax(x, axis=1), ()),
    "elu": (A.elu, (0.0,)),
    "elu_alpha": (lambda x: A.elu(x, alpha=0.4), (0.0,)),
    "selu": (A.selu, (0.0,)),
    "gelu": (A.gelu, ()),
    "gelu_tanh": (lambda x: A.gelu(x, approximate=True), ()),
    "softplus": (A.softplus, ()),
    "softsign": (A.softsign, (0.0,)),
    "silu": (A.silu, ()),
    "hard_sigmoid": (A.hard_sigmoid, (-3.0, 3.0)),
    "hard_silu": (A.hard_silu, (-3.0, 3.0)),
    "exponential": (A.exponential, ()),
}


def away_from(x, kinks, gap=1e-3):
    """Push every element at least ``gap`` away from each kink."""
    x = x.copy()
    for k in kinks:
        near = np.abs(x - k) < gap
        x[near] = k + np.where(x[near] >= k, gap, -gap) * 2
    return x


@pytest.mark.parametrize("case", TORCH_CASES)
def test_matches_pytorch(case):
    fn = getattr(A, str(REF[f"{case}/fn"]))
    kwargs = json.loads(str(REF[f"{case}/kwargs"]))
    x = Tensor(REF[f"{case}/x"].copy(), requires_grad=True)
    y = fn(x, **kwargs)
    y.backward(REF[f"{case}/gy"])
    np.testing.assert_allclose(y.data, REF[f"{case}/y"], rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(x.grad, REF[f"{case}/gx"], rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_gradcheck(name):
    fn, kinks = ACTIVATIONS[name]
    x = np.random.default_rng(1).standard_normal((3, 4, 2)) * 3
    gradcheck(fn, away_from(x, kinks))


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_float32_stays_float32(name):
    fn, _ = ACTIVATIONS[name]
    x = Tensor(np.linspace(-5, 5, 24, dtype=np.float32).reshape(4, 6), requires_grad=True)
    y = fn(x)
    assert y.dtype == np.float32
    y.backward(np.ones(y.shape, dtype=np.float32))
    assert x.grad.dtype == np.float32


def test_integer_input_becomes_floatx():
    y = A.relu(np.array([-2, 0, 3]))
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y.data, [0, 0, 3])


def test_keras_docstring_examples():
    x = np.array([-10, -5, 0.0, 5, 10])
    np.testing.assert_allclose(A.relu(x).data, [0, 0, 0, 5, 10])
    np.testing.assert_allclose(A.relu(x, negative_slope=0.5).data, [-5, -2.5, 0, 5, 10])
    np.testing.assert_allclose(A.relu(x, max_value=5.0).data, [0, 0, 0, 5, 5])
    np.testing.assert_allclose(A.relu(x, threshold=5.0).data, [0, 0, 0, 0, 10])
    np.testing.assert_allclose(A.hard_sigmoid(np.array([-4.0, -3, 0, 1.5, 3])).data,
                               [0, 0, 0.5, 0.75, 1])
    np.testing.assert_allclose(A.hard_silu(np.array([-4.0, 0, 1.5, 4])).data,
                               [0, 0, 1.125, 4])
    np.testing.assert_allclose(A.leaky_relu(np.array([-1.0, 2.0])).data, [-0.2, 2.0])


def test_extreme_inputs_are_finite_and_quiet():
    x = np.array([[-1000.0, 0.0, 1000.0], [500.0, 500.0, -500.0]], dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = A.sigmoid(x).data
        sm = A.softmax(x).data
        ls = A.log_softmax(x).data
        sp = A.softplus(x).data
        e = A.elu(x).data
        silu = A.silu(x).data
    np.testing.assert_array_equal(s[0], [0, 0.5, 1])
    np.testing.assert_allclose(sm.sum(axis=-1), 1, rtol=1e-6)
    np.testing.assert_allclose(sm[1], [0.5, 0.5, 0], atol=1e-7)
    assert np.isfinite(ls).all() and ls[0, 2] == 0
    np.testing.assert_allclose(sp[0], [0, math.log(2), 1000], rtol=1e-6)
    assert np.isfinite(e).all() and np.isfinite(silu).all()


def test_softmax_any_axis_sums_to_one():
    x = np.random.default_rng(0).standard_normal((2, 3, 4))
    for axis in (0, 1, 2, -1, -2):
        np.testing.assert_allclose(A.softmax(x, axis=axis).data.sum(axis=axis), 1, rtol=1e-12)
        np.testing.assert_allclose(
            np.exp(A.log_softmax(x, axis=axis).data), A.softmax(x, axis=axis).data, rtol=1e-12
        )


def test_erf_matches_math_erf():
    x = np.concatenate([np.linspace(-7, 7, 2001), [0.0, 0.46875, -0.46875, 4.0, -4.0, 30.0]])
    expected = np.array([math.erf(v) for v in x])
    np.testing.assert_allclose(A.erf(x), expected, rtol=1e-15, atol=1e-16)
    assert A.erf(x.astype(np.float32)).dtype == np.float32


def test_float32_erf_is_eigens_accuracy():
    x = np.linspace(-6, 6, 4001, dtype=np.float32)
    expected = np.array([math.erf(v) for v in x.astype(np.float64)])
    assert np.abs(A.erf(x).astype(np.float64) - expected).max() < 4e-7  # a few ulps of 1


@pytest.mark.parametrize("name", ["sigmoid", "elu", "selu", "gelu", "gelu_tanh", "softplus",
                                  "silu", "tanh", "hard_silu", "softmax"])
def test_float32_fast_paths_agree_with_float64(name):
    fn, _ = ACTIVATIONS[name]
    x32 = np.linspace(-12, 12, 2001, dtype=np.float32).reshape(3, 667)
    x64 = x32.astype(np.float64)
    t32, t64 = Tensor(x32, requires_grad=True), Tensor(x64, requires_grad=True)
    y32, y64 = fn(t32), fn(t64)
    np.testing.assert_allclose(y32.data, y64.data, rtol=2e-6, atol=3e-6)
    y32.backward(np.ones(y32.shape, np.float32))
    y64.backward(np.ones(y64.shape))
    np.testing.assert_allclose(t32.grad, t64.grad, rtol=2e-6, atol=3e-6)


def test_no_state_saved_without_gradients():
    x = np.random.default_rng(0).standard_normal((5, 3))
    fn = A.GELU()
    fn(x)  # a plain array needs no gradient
    assert not hasattr(fn, "x") and not hasattr(fn, "cdf")
    fn = A.Softmax()
    with no_grad():
        fn(Tensor(x, requires_grad=True))
    assert not hasattr(fn, "y")


def test_relu_rejects_negative_max_value():
    with pytest.raises(ValueError, match="max_value"):
        A.relu(np.ones(3), max_value=-1.0)


def test_swish_and_hard_swish_are_aliases():
    assert A.swish is A.silu and A.hard_swish is A.hard_silu


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh", "elu", "selu", "gelu", "softplus",
                                  "softsign", "silu", "hard_sigmoid", "hard_silu",
                                  "exponential", "leaky_relu", "relu6"])
def test_scalar_inputs(name):
    """A 0-d input (``ops.sigmoid(prediction[0][0])``) gives a 0-d Tensor, and a gradient."""
    from npconv.autograd import Tensor

    fn = getattr(A, name)
    x = Tensor(np.array(0.3), requires_grad=True)
    y = fn(x)
    assert y.shape == ()
    np.testing.assert_allclose(y.data, fn(np.array([0.3])).data[0])
    y.backward()
    eps = 1e-6
    fd = (fn(np.array([0.3 + eps])).data[0] - fn(np.array([0.3 - eps])).data[0]) / (2 * eps)
    np.testing.assert_allclose(x.grad, fd, rtol=1e-5)
