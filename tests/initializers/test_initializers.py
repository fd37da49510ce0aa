"""npconv.initializers: formulas, statistics, fans, seeds, dtypes, look-ups — and real Keras.

Keras references: tests/references/keras_init_stats.npz (tools/keras_references/initializers.py).
Random streams differ between frameworks, so draws are compared by their statistics.
"""

import json
import math
import pathlib

import numpy as np
import pytest

from npconv import backend
from npconv import initializers as I

REF = np.load(pathlib.Path(__file__).parents[1] / "references" / "keras_init_stats.npz")
INIT_CASES = sorted({k.split("/")[1] for k in REF.files if k.startswith("init/")})
CORR = 0.87962566103423978


@pytest.fixture(autouse=True)
def _seeded():
    backend.set_seed(1234)
    yield
    backend.set_seed(None)


def _stats(w):
    w = w.astype(np.float64)
    return w.mean(), w.std(), w.min(), w.max()


# ---------------------------------------------------------------- constants


def test_zeros_ones_constant_identity():
    assert np.array_equal(I.Zeros()((2, 3)), np.zeros((2, 3)))
    assert np.array_equal(I.Ones()(4), np.ones(4))
    np.testing.assert_array_equal(I.Constant(0.7)((2, 2)), np.full((2, 2), 0.7, np.float32))
    np.testing.assert_array_equal(I.Constant([1, 2, 3])((2, 3)), [[1, 2, 3], [1, 2, 3]])
    np.testing.assert_array_equal(I.Identity(gain=2.0)((2, 3)), [[2, 0, 0], [0, 2, 0]])
    with pytest.raises(ValueError, match="2D"):
        I.Identity()((3, 3, 3))
    assert I.Zeros()((2,), dtype="int32").dtype == np.int32


# ---------------------------------------------------------------- fans


@pytest.mark.parametrize(
    "shape, fans",
    [
        ((), (1, 1)),
        ((7,), (7, 7)),
        ((784, 128), (784, 128)),  # dense (in, out)
        ((5, 16, 32), (5 * 16, 5 * 32)),  # Conv1D (k, in, out)
        ((3, 3, 3, 64), (27, 576)),  # Conv2D on RGB: 3*3*3 in, 3*3*64 out
        ((3, 3, 64, 128), (576, 1152)),
        ((2, 3, 4, 5, 6), (24 * 5, 24 * 6)),  # Conv3D
    ],
)
def test_compute_fans_by_hand(shape, fans):
    assert I.compute_fans(shape) == fans


def test_compute_fans_match_keras():
    shapes = json.loads(str(REF["fans/shapes"]))
    for shape, fans in zip(shapes, REF["fans/values"]):
        assert I.compute_fans(tuple(shape)) == tuple(fans)


def test_compute_fans_explicit_axes():
    assert I.compute_fans((4, 5, 6), input_axes=[0, 1], output_axes=[2]) == (20, 6)
    assert I.VarianceScaling(input_axes=[0], output_axes=[1, 2]).variance((4, 5, 6)) == 1 / 4


# ---------------------------------------------------------------- distributions


def test_random_normal_statistics():
    w = I.RandomNormal(mean=0.5, stddev=2.0)((400, 500))
    mean, std, _, _ = _stats(w)
    assert abs(mean - 0.5) < 5 * 2.0 / math.sqrt(w.size)
    assert std == pytest.approx(2.0, rel=0.01)


def test_random_uniform_limits_and_statistics():
    w = I.RandomUniform(minval=-0.5, maxval=1.5)((400, 500))
    mean, std, lo, hi = _stats(w)
    assert -0.5 <= lo < -0.499 and 1.499 < hi <= 1.5
    assert mean == pytest.approx(0.5, abs=0.005)
    assert std == pytest.approx(2.0 / math.sqrt(12), rel=0.01)


def test_truncated_normal_bounds_and_statistics():
    w = I.TruncatedNormal(mean=1.0, stddev=0.5)((400, 500))
    mean, std, lo, hi = _stats(w)
    assert lo >= 0.0 and hi <= 2.0  # mean +- 2 stddev
    assert lo < 0.001 and hi > 1.999  # and the bounds are reached
    assert mean == pytest.approx(1.0, abs=0.005)
    assert std == pytest.approx(0.5 * CORR, rel=0.01)  # std of a 2-sigma truncated normal


@pytest.mark.parametrize(
    "init, shape, std",
    [
        (I.GlorotUniform(), (784, 256), math.sqrt(2 / (784 + 256))),
        (I.GlorotNormal(), (3, 3, 64, 128), math.sqrt(2 / (576 + 1152))),
        (I.HeNormal(), (3, 3, 64, 128), math.sqrt(2 / 576)),
        (I.HeUniform(), (3, 3, 64, 128), math.sqrt(2 / 576)),
        (I.LecunNormal(), (784, 256), math.sqrt(1 / 784)),
        (I.LecunUniform(), (5, 32, 512), math.sqrt(1 / 160)),
        (I.VarianceScaling(), (500, 300), math.sqrt(1 / 500)),
        (
            I.VarianceScaling(2.0, "fan_out", "untruncated_normal"),
            (3, 3, 64, 128),
            math.sqrt(2 / 1152),
        ),
    ],
)
def test_variance_scaling_statistics(init, shape, std):
    w = init(shape)
    mean, got_std, lo, hi = _stats(w)
    assert abs(mean) < 5 * std / math.sqrt(w.size)
    assert got_std == pytest.approx(std, rel=0.015)
    if init.distribution == "uniform":
        limit = math.sqrt(3) * std
        assert -limit <= lo < -0.99 * limit and 0.99 * limit < hi <= limit
    elif init.distribution == "truncated_normal":
        bound = 2 * std / CORR  # the correction widens the pre-truncation stddev
        assert -bound <= lo < -0.99 * bound and 0.99 * bound < hi <= bound


def test_variance_scaling_validates_and_normal_alias():
    assert I.VarianceScaling(distribution="normal").distribution == "truncated_normal"
    with pytest.raises(ValueError, match="scale"):
        I.VarianceScaling(scale=0.0)
    with pytest.raises(ValueError, match="mode"):
        I.VarianceScaling(mode="fan")
    with pytest.raises(ValueError, match="distribution"):
        I.VarianceScaling(distribution="cauchy")


@pytest.mark.parametrize("shape", [(300, 100), (100, 300), (3, 3, 16, 32), (8, 8)])
def test_orthogonal(shape):
    w = I.Orthogonal(gain=1.5)(shape)
    assert w.shape == shape and w.dtype == np.float32
    m = w.reshape(-1, shape[-1]).astype(np.float64) / 1.5
    if m.shape[0] >= m.shape[1]:
        np.testing.assert_allclose(m.T @ m, np.eye(m.shape[1]), atol=1e-5)
    else:
        np.testing.assert_allclose(m @ m.T, np.eye(m.shape[0]), atol=1e-5)
    with pytest.raises(ValueError, match="two-dimensional"):
        I.Orthogonal()((5,))


# ---------------------------------------------------------------- against real Keras


def _ref_shape(name):
    return tuple(int(s) for s in REF[f"init/{name}/shape"])


@pytest.mark.parametrize("name", INIT_CASES)
def test_distribution_matches_keras(name):
    init = I.get(json.loads(str(REF[f"init/{name}/spec"])))
    if name == "identity":  # Keras's config drops the gain (see test below)
        init = I.Identity(gain=2.0)
    shape = _ref_shape(name)
    w = init(shape)
    assert w.shape == shape and w.dtype == np.float32
    if f"init/{name}/value" in REF.files:  # deterministic initializers: exact values
        np.testing.assert_array_equal(w, REF[f"init/{name}/value"])
        return
    k_mean, k_std, k_lo, k_hi = REF[f"init/{name}/stats"]
    mean, std, lo, hi = _stats(w)
    assert abs(mean - k_mean) < 8 * k_std / math.sqrt(w.size)
    assert std == pytest.approx(k_std, rel=0.02)
    bounded = isinstance(init, I.RandomUniform | I.TruncatedNormal) or (
        isinstance(init, I.VarianceScaling) and init.distribution != "untruncated_normal"
    )
    if bounded:  # uniform and truncated draws reach the same bounds
        assert lo == pytest.approx(k_lo, abs=0.01 * k_std)
        assert hi == pytest.approx(k_hi, abs=0.01 * k_std)


@pytest.mark.parametrize("name", INIT_CASES)
def test_serialization_matches_keras(name):
    spec = json.loads(str(REF[f"init/{name}/spec"]))
    ours = I.serialize(I.get(spec))
    if name == "identity":  # Keras 3.15's Identity.get_config() forgets `gain`; npconv keeps it
        assert ours["config"] == {"gain": 1.0}
        ours["config"] = {}
    assert ours == spec


# ---------------------------------------------------------------- seeds and dtypes


def test_int_seed_repeats_every_call_and_ignores_global_seed():
    a = I.GlorotUniform(seed=7)((20, 30))
    backend.set_seed(99)
    b = I.GlorotUniform(seed=7)((20, 30))
    init = I.HeNormal(seed=7)
    assert np.array_equal(a, b)
    assert np.array_equal(init((20, 30)), init((20, 30)))
    assert not np.array_equal(a, I.GlorotUniform(seed=8)((20, 30)))


def test_unseeded_draws_follow_backend_set_seed():
    def draw():
        backend.set_seed(42)
        return [cls()((10, 12)) for cls in (I.RandomNormal, I.TruncatedNormal, I.RandomUniform,
                                            I.GlorotUniform, I.HeNormal, I.Orthogonal)]

    first, second = draw(), draw()
    for a, b in zip(first, second):
        assert np.array_equal(a, b)
    init = I.GlorotUniform()
    assert not np.array_equal(init((10, 12)), init((10, 12)))  # the stream advances


def test_seed_must_be_an_int():
    with pytest.raises(ValueError, match="seed"):
        I.RandomNormal(seed="1")


@pytest.mark.parametrize("name", ["random_normal", "truncated_normal", "random_uniform",
                                  "glorot_uniform", "he_normal", "orthogonal", "zeros", "ones",
                                  "constant", "identity"])
def test_dtype_is_floatx_and_dtype_argument_is_respected(name):
    init = I.get(name)
    assert init((4, 4)).dtype == np.float32
    assert init((4, 4), dtype="float64").dtype == np.float64
    backend.set_floatx("float64")
    try:
        assert init((4, 4)).dtype == np.float64
    finally:
        backend.set_floatx("float32")


def test_random_initializer_rejects_integer_dtype():
    with pytest.raises(ValueError, match="floating"):
        I.RandomNormal()((2, 2), dtype="int32")


# ---------------------------------------------------------------- look-ups and configs


@pytest.mark.parametrize(
    "identifier, cls",
    [
        ("zeros", I.Zeros), ("zero", I.Zeros), ("Zeros", I.Zeros), ("ones", I.Ones),
        ("one", I.Ones), ("constant", I.Constant), ("identity", I.Identity),
        ("IdentityInitializer", I.Identity), ("normal", I.RandomNormal),
        ("random_normal", I.RandomNormal), ("uniform", I.RandomUniform),
        ("random_uniform", I.RandomUniform), ("truncated_normal", I.TruncatedNormal),
        ("variance_scaling", I.VarianceScaling), ("glorot_uniform", I.GlorotUniform),
        ("GlorotUniform", I.GlorotUniform), ("glorot_normal", I.GlorotNormal),
        ("he_normal", I.HeNormal), ("he_uniform", I.HeUniform), ("lecun_normal", I.LecunNormal),
        ("lecun_uniform", I.LecunUniform), ("orthogonal", I.Orthogonal),
        ("OrthogonalInitializer", I.Orthogonal),
    ],
)
def test_get_by_name(identifier, cls):
    assert type(I.get(identifier)) is cls


def test_lowercase_names_are_the_classes():
    assert I.glorot_uniform is I.GlorotUniform and I.he_normal is I.HeNormal
    assert I.zeros is I.Zeros and I.orthogonal is I.Orthogonal


def test_get_other_identifiers():
    assert I.get(None) is None
    inst = I.HeNormal(seed=3)
    assert I.get(inst) is inst
    assert type(I.get(I.LecunUniform)) is I.LecunUniform

    def fn(shape, dtype=None):
        return np.full(shape, 3.0, dtype=dtype)

    assert I.get(fn) is fn
    direct = I.get(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(direct((2, 3)), np.arange(6.0).reshape(2, 3))
    assert direct((2, 3)).dtype == np.float32
    with pytest.raises(ValueError, match="shape"):
        direct((3, 2))
    got = I.get({"class_name": "VarianceScaling",
                 "config": {"scale": 2.0, "mode": "fan_out", "distribution": "uniform"}})
    assert (got.scale, got.mode, got.distribution) == (2.0, "fan_out", "uniform")
    # Keras 2 format: no module, 'normal' distribution
    old = I.get({"class_name": "VarianceScaling",
                 "config": {"scale": 1.0, "mode": "fan_avg", "distribution": "normal",
                            "seed": None}})
    assert old.distribution == "truncated_normal"


def test_unknown_name_lists_valid_names():
    with pytest.raises(ValueError, match="glorot_unifrom") as err:
        I.get("glorot_unifrom")
    assert "glorot_uniform" in str(err.value) and "he_normal" in str(err.value)
    with pytest.raises(ValueError, match="Valid names"):
        I.get({"class_name": "Xavier", "config": {}})
    with pytest.raises(ValueError):
        I.get(3)


@pytest.mark.parametrize(
    "init",
    [
        I.Zeros(), I.Ones(), I.Constant(2.5), I.Identity(gain=0.5),
        I.RandomNormal(1.0, 0.3, seed=4), I.RandomUniform(-1, 2, seed=5),
        I.TruncatedNormal(0.0, 0.1, seed=6), I.VarianceScaling(3.0, "fan_avg", "uniform", seed=2),
        I.GlorotUniform(seed=1), I.GlorotNormal(), I.HeNormal(), I.HeUniform(seed=9),
        I.LecunNormal(), I.LecunUniform(), I.Orthogonal(gain=2.0, seed=3),
    ],
)
def test_config_round_trip(init):
    config = init.get_config()
    json.dumps(config)
    clone = type(init).from_config(config)
    assert clone.get_config() == config
    assert I.get(I.serialize(init)).get_config() == config
    if getattr(init, "seed", None) is not None or not isinstance(init, I.RandomInitializer):
        np.testing.assert_array_equal(clone((6, 5)), init((6, 5)))


def test_constant_array_value_serializes_as_list():
    init = I.Constant(np.array([1.0, 2.0]))
    assert init.get_config() == {"value": [1.0, 2.0]}
    np.testing.assert_array_equal(I.Constant.from_config(init.get_config())((3, 2))[2], [1, 2])
