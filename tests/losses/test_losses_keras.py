"""npconv.losses against real Keras 3.15 (``tools/keras_references/losses_metrics.py``): the
per-sample functions, the classes with sample weights and reductions, and their gradients;
gradients also against finite differences; names, configs and serialization."""

import json
import pathlib

import numpy as np
import pytest

from npconv import losses
from npconv.autograd import Tensor
from npconv.autograd.gradcheck import gradcheck

REF = np.load(
    pathlib.Path(__file__).resolve().parents[1] / "references" / "keras_losses_metrics.npz"
)
CASES = sorted({k.split("/")[1] for k in REF.files if k.startswith("loss/")})


def _case(name):
    get = lambda key: REF[f"loss/{name}/{key}"]  # noqa: E731
    meta = json.loads(str(get("meta")))
    # where Keras 3.15 has a since-fixed bug (Tversky's swapped alpha/beta), npconv's arguments
    meta.update(meta.pop("npconv", {}))
    return meta, get


def _kwargs(config):
    # JSON turned Keras's tuples (axis=(1,)) into lists
    return {k: tuple(v) if k == "axis" and isinstance(v, list) else v for k, v in config.items()}


@pytest.mark.parametrize("name", CASES)
def test_matches_keras(name):
    meta, get = _case(name)
    fn = getattr(losses, meta["function"])
    values = fn(get("y_true"), get("y_pred"), **_kwargs(meta["fn_kwargs"]))
    np.testing.assert_allclose(values.data, get("values"), rtol=2e-5, atol=2e-6)
    loss = getattr(losses, meta["class"])(**_kwargs(meta["config"]))
    y_pred = Tensor(get("y_pred").copy(), requires_grad=True)
    total = loss(get("y_true"), y_pred, sample_weight=get("sample_weight"))
    assert total.shape == ()
    np.testing.assert_allclose(total.data, get("loss"), rtol=2e-5, atol=2e-6)
    total.backward()
    np.testing.assert_allclose(y_pred.grad, get("grad"), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("name", CASES)
def test_config_matches_keras(name):
    meta, _ = _case(name)
    loss = getattr(losses, meta["class"])(**_kwargs(meta["config"]))
    config = loss.get_config()
    keras_config = {k: v for k, v in meta["keras"].items() if k != "dtype"}
    if name == "tversky":  # Keras 3.15 was given alpha and beta swapped
        keras_config["alpha"], keras_config["beta"] = keras_config["beta"], keras_config["alpha"]
    as_json = json.loads(json.dumps(config))  # as the reference stores it: tuples are lists
    assert {k: v for k, v in as_json.items() if k in keras_config} == keras_config
    again = losses.deserialize(losses.serialize(loss))
    assert type(again) is type(loss) and again.get_config() == config


rng = np.random.default_rng(3)
P = rng.dirichlet(np.ones(5), size=4) * rng.uniform(0.5, 2, size=(4, 1))
T = rng.dirichlet(np.ones(5), size=4)
ONEHOT = np.eye(5)[[0, 3, 4, 1]]
B = (rng.random((4, 5)) > 0.5).astype(float)
U = rng.uniform(0.05, 0.95, size=(4, 5))
R, RP, Z = (rng.standard_normal((4, 5)) for _ in range(3))

GRADCHECKS = {
    "kl_divergence": (lambda p: losses.kl_divergence(T, p), P / 3),
    "poisson": (lambda p: losses.poisson(np.abs(R), p), U + 0.5),
    "log_cosh": (lambda p: losses.log_cosh(R, p), RP * 3),
    "hinge": (lambda p: losses.hinge(B, p), RP),
    "squared_hinge": (lambda p: losses.squared_hinge(B * 2 - 1, p), RP),
    "categorical_hinge": (lambda p: losses.categorical_hinge(ONEHOT, p), RP),
    "mape": (lambda p: losses.mape(R, p), RP),
    "msle": (lambda p: losses.msle(np.abs(R), p), np.abs(RP) + 0.1),
    "cosine_similarity": (lambda p: losses.cosine_similarity(R, p), RP),
    "cosine_similarity_axis0": (
        lambda p: losses.cosine_similarity(np.ascontiguousarray(R.T), p, axis=0),
        np.ascontiguousarray(RP.T),
    ),
    "binary_focal": (lambda p: losses.binary_focal_crossentropy(B, p), U),
    "binary_focal_balanced": (
        lambda p: losses.binary_focal_crossentropy(
            B, p, apply_class_balancing=True, gamma=1.5, label_smoothing=0.1
        ),
        U,
    ),
    "binary_focal_logits": (
        lambda z: losses.binary_focal_crossentropy(B, z, from_logits=True), Z
    ),
    "categorical_focal": (lambda p: losses.categorical_focal_crossentropy(ONEHOT, p), P),
    "categorical_focal_alpha_list": (
        lambda p: losses.categorical_focal_crossentropy(
            T, p, alpha=[0.1, 0.2, 0.3, 0.4, 0.5], gamma=2.5, label_smoothing=0.1
        ),
        P,
    ),
    "categorical_focal_logits": (
        lambda z: losses.categorical_focal_crossentropy(T, z, from_logits=True), Z
    ),
    "dice": (lambda p: losses.dice(B, p), U),
    "generalized_cross_entropy": (
        lambda p: losses.categorical_generalized_cross_entropy([0, 3, 4, 1], p, q=0.3), P / 2
    ),
    "tversky_axis": (lambda p: losses.tversky(B, p, alpha=0.3, beta=0.7, axis=1), U),
    "class_sum_weighted": (
        lambda p: losses.KLDivergence(reduction="sum")(T, p, sample_weight=np.arange(4.0)),
        P / 3,
    ),
    "class_mean_with_sample_weight": (
        lambda p: losses.LogCosh(reduction="mean_with_sample_weight")(
            R, p, sample_weight=np.array([0.5, 1.0, 0.0, 2.0])
        ),
        RP,
    ),
}


@pytest.mark.parametrize("name", sorted(GRADCHECKS))
def test_gradients_match_finite_differences(name):
    fn, x = GRADCHECKS[name]
    gradcheck(fn, x)


@pytest.mark.parametrize(
    "name, cls",
    [
        ("kl_divergence", losses.KLDivergence),
        ("kld", losses.KLDivergence),
        ("KLD", losses.KLDivergence),
        ("kullback_leibler_divergence", losses.KLDivergence),
        ("KLDivergence", losses.KLDivergence),
        ("poisson", losses.Poisson),
        ("log_cosh", losses.LogCosh),
        ("logcosh", losses.LogCosh),
        ("cosine_similarity", losses.CosineSimilarity),
        ("hinge", losses.Hinge),
        ("squared_hinge", losses.SquaredHinge),
        ("categorical_hinge", losses.CategoricalHinge),
        ("mape", losses.MeanAbsolutePercentageError),
        ("mean_absolute_percentage_error", losses.MeanAbsolutePercentageError),
        ("msle", losses.MeanSquaredLogarithmicError),
        ("binary_focal_crossentropy", losses.BinaryFocalCrossentropy),
        ("categorical_focal_crossentropy", losses.CategoricalFocalCrossentropy),
        ("dice", losses.Dice),
        ("tversky", losses.Tversky),
        ("bce", losses.BinaryCrossentropy),
        ("categorical_generalized_cross_entropy", losses.CategoricalGeneralizedCrossEntropy),
    ],
)
def test_string_names(name, cls):
    assert type(losses.get(name)) is cls


def test_function_identifiers_become_their_class():
    assert type(losses.get(losses.kl_divergence)) is losses.KLDivergence
    assert type(losses.get(losses.mape)) is losses.MeanAbsolutePercentageError
    assert losses.serialize(losses.kl_divergence) == "kl_divergence"


def test_keras_defaults():
    f = losses.BinaryFocalCrossentropy()
    assert f.get_config() == {
        "name": "binary_focal_crossentropy",
        "reduction": "sum_over_batch_size",
        "apply_class_balancing": False,
        "alpha": 0.25,
        "gamma": 2.0,
        "from_logits": False,
        "label_smoothing": 0.0,
        "axis": -1,
    }
    assert losses.CategoricalFocalCrossentropy().get_config()["alpha"] == 0.25
    assert losses.CosineSimilarity().get_config()["axis"] == -1
    assert losses.Huber().name == "huber_loss"
    assert losses.serialize(losses.Poisson())["module"] == "keras.losses"


def test_unknown_names_suggest_the_closest():
    with pytest.raises(ValueError, match="Did you mean 'kl_divergence'"):
        losses.get("kl_divergance")
    with pytest.raises(ValueError, match="reduction must be one of"):
        losses.Poisson(reduction="average")


def test_keras2_auto_reduction():
    assert losses.Hinge(reduction=losses.Reduction.AUTO).reduction == "sum_over_batch_size"


def test_mean_with_sample_weight_divides_by_the_weights():
    y, p = np.zeros((3, 1)), np.array([[1.0], [2.0], [3.0]])
    w = np.array([1.0, 1.0, 0.0])
    plain = losses.MeanAbsoluteError()(y, p, sample_weight=w).data
    by_weight = losses.MeanAbsoluteError(reduction="mean_with_sample_weight")(
        y, p, sample_weight=w
    ).data
    assert plain == pytest.approx(1.0) and by_weight == pytest.approx(1.5)
