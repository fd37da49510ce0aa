"""npconv.metrics against real Keras 3.15 (``tools/keras_references/losses_metrics.py``): each
metric after several ``update_state`` calls with sample weights; state as sums and counts that
add across workers; names, configs and serialization."""

import json
import pathlib

import numpy as np
import pytest

from npconv import metrics

REF = np.load(
    pathlib.Path(__file__).resolve().parents[1] / "references" / "keras_losses_metrics.npz"
)
CASES = sorted({k.split("/")[1] for k in REF.files if k.startswith("metric/")})


def _batches(name):
    k = 0
    while f"metric/{name}/result/{k}" in REF.files:
        key = f"metric/{name}/sample_weight/{k}"
        sw = REF[key] if key in REF.files else None
        yield REF[f"metric/{name}/y_true/{k}"], REF[f"metric/{name}/y_pred/{k}"], sw, REF[
            f"metric/{name}/result/{k}"
        ]
        k += 1


def _metric(name):
    meta = json.loads(str(REF[f"metric/{name}/meta"]))
    return getattr(metrics, meta["class"])(**meta["config"]), meta


@pytest.mark.parametrize("name", CASES)
def test_matches_keras_after_each_update(name):
    metric, _ = _metric(name)
    for y_true, y_pred, sw, want in _batches(name):
        metric.update_state(y_true, y_pred, sample_weight=sw)
        np.testing.assert_allclose(metric.result(), want, rtol=2e-5, atol=1e-6)


@pytest.mark.parametrize("name", CASES)
def test_states_of_two_workers_add_up(name):
    """Half the batches on each of two copies, their variables added (what an MPI all-reduce
    does): the result is that of one metric that saw every batch."""
    a, _ = _metric(name)
    b, _ = _metric(name)
    batches = list(_batches(name))
    for i, (y_true, y_pred, sw, _want) in enumerate(batches):
        (a if i % 2 == 0 else b).update_state(y_true, y_pred, sample_weight=sw)
    for va, vb in zip(a.variables, b.variables):
        va += vb
    np.testing.assert_allclose(a.result(), batches[-1][3], rtol=2e-5, atol=1e-6)
    a.reset_state()
    assert all(not np.any(v) for v in a.variables)


@pytest.mark.parametrize("name", CASES)
def test_config_matches_keras(name):
    metric, meta = _metric(name)
    config = json.loads(json.dumps(metric.get_config()))
    keras = {k: v for k, v in meta["keras"].items() if k != "dtype"}
    if "name" not in meta["config"]:  # Keras numbers default names from a global counter
        assert config.pop("name").split("_")[0] == keras.pop("name").split("_")[0]
    if keras.get("label_weights"):  # Keras keeps them as float32
        np.testing.assert_allclose(config.pop("label_weights"), keras.pop("label_weights"))
    assert {k: v for k, v in config.items() if k in keras} == keras
    again = metrics.deserialize(metrics.serialize(metric))
    assert type(again) is type(metric) and again.get_config() == metric.get_config()


@pytest.mark.parametrize(
    "name, cls",
    [
        ("precision", metrics.Precision),
        ("recall", metrics.Recall),
        ("auc", metrics.AUC),
        ("AUC", metrics.AUC),
        ("f1_score", metrics.F1Score),
        ("f_beta_score", metrics.FBetaScore),
        ("top_k_categorical_accuracy", metrics.TopKCategoricalAccuracy),
        ("sparse_top_k_categorical_accuracy", metrics.SparseTopKCategoricalAccuracy),
        ("root_mean_squared_error", metrics.RootMeanSquaredError),
        ("true_positives", metrics.TruePositives),
        ("mape", metrics.MeanAbsolutePercentageError),
        ("kl_divergence", metrics.KLDivergence),
        ("mean", metrics.Mean),
        ("sum", metrics.Sum),
    ],
)
def test_string_names(name, cls):
    assert type(metrics.get(name)) is cls


def test_compile_with_metric_names_logs_them():
    import npconv

    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 4)).astype("float32")
    y = (x[:, :1] > 0).astype("float32")
    model = npconv.Sequential([npconv.layers.Dense(1, activation="sigmoid", input_shape=(4,))])
    model.compile("sgd", "binary_crossentropy", metrics=["precision", "recall", "auc"])
    history = model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    assert {"precision", "recall", "auc"} <= set(history.history)
    pred = model.predict(x, verbose=0)
    auc = metrics.AUC()
    auc.update_state(y, pred)
    assert model.evaluate(x, y, verbose=0, return_dict=True)["auc"] == pytest.approx(auc.result())


def test_mean_and_sum_with_weights():
    mean, total = metrics.Mean(), metrics.Sum()
    for m in (mean, total):
        m.update_state([1.0, 3.0, 5.0, 7.0], sample_weight=[1, 1, 0, 0])
    assert mean.result() == pytest.approx(2.0) and total.result() == pytest.approx(4.0)


def test_unknown_metric_suggests_the_closest():
    with pytest.raises(ValueError, match="Did you mean 'precision'"):
        metrics.get("precison")


def test_bad_arguments_name_the_metric():
    with pytest.raises(ValueError, match="AUC: curve"):
        metrics.AUC(curve="ROCK")
    with pytest.raises(ValueError, match="F1Score: average"):
        metrics.F1Score(average="mean")
    with pytest.raises(ValueError, match="Precision: thresholds must be in"):
        metrics.Precision(thresholds=[0.5, 1.5])


def test_accuracy_of_flat_labels_against_one_sigmoid_unit():
    """Labels (n,) against predictions (n, 1) compare row by row (Keras squeezes the 1), not
    as an (n, n) broadcast that reads about 0.5 whatever the model does."""
    import npconv

    y = np.array([0.0, 1.0, 1.0, 0.0])
    p = np.array([[0.1], [0.8], [0.3], [0.2]])
    assert npconv.metrics.binary_accuracy(y, p).tolist() == [1.0, 1.0, 0.0, 1.0]
    metric = npconv.metrics.resolve("accuracy", y, p)
    metric.update_state(y, p)
    assert float(metric.result()) == 0.75
