"""npconv.constraints: hand-computed projections and Keras 3's exact outputs.

Keras references: tests/references/keras_init_stats.npz (tools/keras_references/initializers.py).
"""

import json
import pathlib

import numpy as np
import pytest

from npconv import backend
from npconv import constraints as C

REF = np.load(pathlib.Path(__file__).parents[1] / "references" / "keras_init_stats.npz")
CON_CASES = sorted({k.split("/")[1] for k in REF.files if k.startswith("con/")})
EPS = 1e-7


def test_max_norm_by_hand():
    # column norms: 5 (over 2 -> scaled to 2), 1 (kept), 0 (kept finite by epsilon)
    w = np.array([[3.0, 1.0, 0.0], [4.0, 0.0, 0.0]], dtype=np.float32)
    out = C.MaxNorm(max_value=2)(w)
    expected = w * (np.array([2.0, 1.0, 0.0]) / (EPS + np.array([5.0, 1.0, 0.0])))
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    assert out.dtype == np.float32 and out.shape == w.shape
    assert out[1, 1] == 0 and out[0, 1] == np.float32(1 / (1 + EPS))  # epsilon in the denominator
    rows = C.MaxNorm(max_value=2, axis=1)(w)  # row norms: sqrt(10), 4
    np.testing.assert_allclose(rows[1], w[1] * 2 / (EPS + 4), rtol=1e-6)


def test_max_norm_conv_kernel_per_filter():
    rng = np.random.default_rng(0)
    k = rng.standard_normal((3, 3, 4, 5)).astype(np.float32)
    out = C.MaxNorm(max_value=1.0, axis=[0, 1, 2])(k)
    norms = np.sqrt((out.astype(np.float64) ** 2).sum(axis=(0, 1, 2)))
    np.testing.assert_allclose(norms, 1.0, rtol=1e-5)  # every filter had norm > 1
    np.testing.assert_array_equal(C.MaxNorm(1.0, axis=(0, 1, 2))(k), out)  # tuples too


def test_non_neg_by_hand():
    w = np.array([-1.0, 0.0, 2.5, -0.0], dtype=np.float32)
    np.testing.assert_array_equal(C.NonNeg()(w), [0.0, 0.0, 2.5, 0.0])


def test_unit_norm_by_hand():
    w = np.array([[3.0, 0.0], [4.0, 2.0]], dtype=np.float32)
    np.testing.assert_allclose(C.UnitNorm()(w), w / (EPS + np.array([5.0, 2.0])), rtol=1e-6)
    np.testing.assert_allclose(C.UnitNorm(axis=1)(w)[0], [1.0, 0.0], rtol=1e-6)


def test_min_max_norm_by_hand():
    w = np.array([[0.3, 3.0, 1.0], [0.4, 4.0, 0.0]], dtype=np.float32)  # norms 0.5, 5, 1
    out = C.MinMaxNorm(min_value=1.0, max_value=2.0, rate=1.0)(w)
    np.testing.assert_allclose(np.linalg.norm(out, axis=0), [1.0, 2.0, 1.0], rtol=1e-6)
    half = C.MinMaxNorm(min_value=1.0, max_value=2.0, rate=0.5)(w)
    norms = np.array([0.5, 5.0, 1.0])
    desired = 0.5 * np.clip(norms, 1, 2) + 0.5 * norms  # 0.75, 3.5, 1
    np.testing.assert_allclose(half, w * desired / (EPS + norms), rtol=1e-6)


@pytest.mark.parametrize("name", CON_CASES)
def test_matches_keras(name):
    spec = json.loads(str(REF[f"con/{name}/spec"]))
    con = C.get(spec)
    x = REF[f"con/{name}/x"]
    y = con(x)
    assert y.dtype == np.float32 and y.shape == x.shape
    np.testing.assert_allclose(y, REF[f"con/{name}/y"], rtol=2e-6, atol=1e-7)
    assert C.serialize(con) == spec


def test_float64_and_integer_inputs():
    w = np.array([[3.0], [4.0]])
    assert C.MaxNorm(1)(w).dtype == np.float64
    assert C.UnitNorm()(w.astype(np.int64)).dtype == np.dtype(backend.floatx())


def test_does_not_modify_its_input():
    w = np.array([[3.0], [4.0]], dtype=np.float32)
    C.MaxNorm(1)(w)
    np.testing.assert_array_equal(w, [[3.0], [4.0]])


def test_aliases_are_the_classes():
    assert C.max_norm is C.MaxNorm and C.non_neg is C.NonNeg
    assert C.unit_norm is C.UnitNorm and C.min_max_norm is C.MinMaxNorm
    assert C.maxnorm is C.MaxNorm and C.nonneg is C.NonNeg and C.unitnorm is C.UnitNorm


@pytest.mark.parametrize(
    "name, cls",
    [
        ("max_norm", C.MaxNorm), ("MaxNorm", C.MaxNorm), ("maxnorm", C.MaxNorm),
        ("non_neg", C.NonNeg), ("NonNeg", C.NonNeg), ("nonneg", C.NonNeg),
        ("unit_norm", C.UnitNorm), ("UnitNorm", C.UnitNorm), ("unitnorm", C.UnitNorm),
        ("min_max_norm", C.MinMaxNorm), ("MinMaxNorm", C.MinMaxNorm),
    ],
)
def test_get_by_name(name, cls):
    assert type(C.get(name)) is cls


def test_defaults_and_configs():
    assert C.MaxNorm().get_config() == {"max_value": 2, "axis": 0}
    assert C.UnitNorm().get_config() == {"axis": 0}
    assert C.NonNeg().get_config() == {}
    assert C.MinMaxNorm().get_config() == {
        "min_value": 0.0, "max_value": 1.0, "rate": 1.0, "axis": 0
    }
    con = C.MinMaxNorm(0.5, 3.0, 0.2, axis=[0, 1, 2])
    config = C.serialize(con)
    json.dumps(config)
    assert config["module"] == "keras.constraints" and config["registered_name"] is None
    assert C.get(config).get_config() == con.get_config()
    assert C.get({"class_name": "MaxNorm", "config": {"max_value": 4}}).max_value == 4


def test_get_other_identifiers():
    assert C.get(None) is None
    con = C.MaxNorm(3)
    assert C.get(con) is con
    assert type(C.get(C.UnitNorm)) is C.UnitNorm

    def clip(w):
        return np.clip(w, -1, 1)

    assert C.get(clip) is clip
    assert C.serialize(None) is None
    np.testing.assert_array_equal(C.Constraint()(np.ones(2)), np.ones(2))


def test_unknown_name_lists_valid_names():
    with pytest.raises(ValueError, match="max_norm") as err:
        C.get("max-norm")
    assert "'max-norm'" in str(err.value) and "unit_norm" in str(err.value)
    with pytest.raises(ValueError):
        C.get(2.0)
