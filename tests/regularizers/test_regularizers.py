"""npconv.regularizers: penalties by hand, gradients by finite differences, and real Keras.

Keras references: tests/references/keras_init_stats.npz (tools/keras_references/initializers.py).
"""

import json
import pathlib

import numpy as np
import pytest

from npconv import regularizers as R
from npconv.autograd import Tensor, Variable
from npconv.autograd.gradcheck import gradcheck

REF = np.load(pathlib.Path(__file__).parents[1] / "references" / "keras_init_stats.npz")
REG_CASES = sorted({k.split("/")[1] for k in REF.files if k.startswith("reg/")})
X = np.array([[1.0, -2.0], [0.5, 0.0]], dtype=np.float32)  # sum|x| = 3.5, sum x^2 = 5.25


def test_values_by_hand():
    assert float(R.L1(0.1)(Tensor(X)).data) == pytest.approx(0.35)
    assert float(R.L2(0.1)(Tensor(X)).data) == pytest.approx(0.525)
    assert float(R.L1L2(l1=0.1, l2=0.2)(Tensor(X)).data) == pytest.approx(0.35 + 1.05)
    assert float(R.L1()(Tensor(X)).data) == pytest.approx(0.035)  # default 0.01
    assert float(R.L2()(Tensor(X)).data) == pytest.approx(0.0525)
    assert float(R.L1L2()(Tensor(X)).data) == 0.0  # defaults 0.0, as Keras 3
    assert float(R.L2(2.0)(Tensor(np.ones((5, 5), np.float32))).data) == 50.0  # Keras's doc


def test_result_is_a_float32_scalar_tensor_and_accepts_arrays():
    for reg in (R.L1(0.1), R.L2(0.1), R.L1L2(0.1, 0.1), R.L1L2()):
        out = reg(Tensor(X))
        assert isinstance(out, Tensor) and out.shape == () and out.dtype == np.float32
        assert float(reg(X).data) == pytest.approx(float(out.data))  # a plain array works too


def test_penalty_backpropagates_to_a_variable():
    w = Variable(X)
    R.L1L2(l1=0.1, l2=0.2)(w).backward()
    np.testing.assert_allclose(w.grad, 0.1 * np.sign(X) + 0.2 * 2 * X, rtol=1e-6)


@pytest.mark.parametrize("reg", [R.L1(0.3), R.L2(0.7), R.L1L2(l1=0.2, l2=0.5)])
def test_gradcheck(reg):
    x = np.random.default_rng(0).standard_normal((3, 4))
    x[np.abs(x) < 0.05] = 0.5  # keep away from abs's kink at 0
    gradcheck(lambda t: reg(t), x)


def test_float64_inputs_stay_float64():
    assert R.L1L2(0.1, 0.1)(Tensor(X.astype(np.float64))).dtype == np.float64


@pytest.mark.parametrize("name", REG_CASES)
def test_matches_keras(name):
    spec = json.loads(str(REF[f"reg/{name}/spec"]))
    reg = R.get(spec)
    x = Variable(REF[f"reg/{name}/x"])
    y = reg(x)
    np.testing.assert_allclose(y.data, REF[f"reg/{name}/y"], rtol=1e-5)
    if y.requires_grad:
        y.backward()
        np.testing.assert_allclose(x.grad, REF[f"reg/{name}/grad"], rtol=1e-5, atol=1e-8)
    else:
        assert not REF[f"reg/{name}/grad"].any()
    ours = R.serialize(reg)
    assert ours["module"] == spec["module"] and ours["class_name"] == spec["class_name"]
    assert ours["config"] == pytest.approx(spec["config"])  # Keras stores L1's l1 as float32


def test_aliases_are_the_classes():
    assert R.l1 is R.L1 and R.l2 is R.L2 and R.l1_l2 is R.L1L2


@pytest.mark.parametrize(
    "name, cls, config",
    [
        ("l1", R.L1, {"l1": 0.01}),
        ("L1", R.L1, {"l1": 0.01}),
        ("l2", R.L2, {"l2": 0.01}),
        ("L2", R.L2, {"l2": 0.01}),
        ("L1L2", R.L1L2, {"l1": 0.0, "l2": 0.0}),
        ("l1l2", R.L1L2, {"l1": 0.0, "l2": 0.0}),
        ("l1_l2", R.L1L2, {"l1": 0.01, "l2": 0.01}),  # Keras 2 / Keras 3's documentation
    ],
)
def test_get_by_name(name, cls, config):
    reg = R.get(name)
    assert type(reg) is cls and reg.get_config() == config


def test_get_other_identifiers_and_round_trip():
    assert R.get(None) is None
    reg = R.L1L2(0.3, 0.4)
    assert R.get(reg) is reg
    assert type(R.get(R.L2)) is R.L2

    def custom(x):
        return 0.5 * x.sum()

    assert R.get(custom) is custom
    assert R.serialize(custom)["class_name"] == "function"
    assert R.deserialize(R.serialize(custom), custom_objects={"custom": custom}) is custom
    config = R.serialize(reg)
    assert config == {
        "module": "keras.regularizers",
        "class_name": "L1L2",
        "config": {"l1": 0.3, "l2": 0.4},
        "registered_name": None,
    }
    json.dumps(config)
    assert R.get(config).get_config() == reg.get_config()
    assert R.get({"class_name": "L2", "config": {"l2": 0.5}}).l2 == 0.5  # Keras 2 format
    assert R.serialize(None) is None


def test_errors():
    with pytest.raises(ValueError, match="Valid names are: L1, L1L2, L2, l1, l1_l2, l1l2, l2"):
        R.get("l3")
    with pytest.raises(ValueError, match="non-negative"):
        R.L2(-0.1)
    with pytest.raises(ValueError, match="non-negative"):
        R.L1(float("nan"))
    with pytest.raises(ValueError, match="non-negative"):
        R.L1L2(l1="0.1")
    with pytest.raises(ValueError):
        R.get(0.01)
    assert R.L1(None).l1 == 0.01 and R.L1L2(None, None).get_config() == {"l1": 0.0, "l2": 0.0}


def test_base_class():
    assert float(R.Regularizer()(X).data) == 0.0
    with pytest.raises(NotImplementedError):
        R.Regularizer().get_config()
