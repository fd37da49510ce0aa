"""Reference values of real Keras 3 losses and metrics, for npconv's parity tests.

Run with TensorFlow's Keras in a separate virtual environment (never needed by npconv):

    python3 -m venv /tmp/tfenv && /tmp/tfenv/bin/pip install tensorflow-cpu==2.21.0
    CUDA_VISIBLE_DEVICES= /tmp/tfenv/bin/python tools/keras_references/losses_metrics.py

Writes ``tests/references/keras_losses_metrics.npz``. All data float32, made here with a fixed
seed and stored, so the test feeds npconv exactly what Keras saw.

Losses, for case ``c`` (``loss/c/...``):

- ``meta``: JSON: ``class`` (``keras.losses`` class name), ``config`` (its arguments),
  ``function`` (the ``keras.losses`` function) and ``fn_kwargs`` (its arguments), ``keras``
  (the class's ``get_config()``), and ``npconv`` (``config`` and ``fn_kwargs`` to give
  npconv instead, where Keras 3.15 differs from the fixed Keras: Tversky's alpha/beta);
- ``y_true``, ``y_pred``, ``sample_weight`` (one per value of the function);
- ``values``: the function's per-sample values; ``loss``: the class's value with the sample
  weights; ``grad``: the gradient of ``loss`` with respect to ``y_pred`` (``tf.GradientTape``).

``model_json/sequential`` and ``model_json/functional``: Keras's ``model.to_json()`` of two small
models (``keras_models``), for ``npconv.models.model_from_json``.

Metrics, for case ``c`` (``metric/c/...``): ``meta`` (``class``, ``config``, ``keras``
config), and for each of ``UPDATES`` batches ``k``: ``y_true/k``, ``y_pred/k``,
``sample_weight/k`` (absent for unweighted cases) and ``result/k``, the result after that batch's
``update_state``.
"""

from __future__ import annotations

import json
import os
import pathlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parents[2] / "tests" / "references"
rng = np.random.default_rng(20261207)
N, C = 6, 4
UPDATES = 3


def f32(a):
    return np.asarray(a, dtype=np.float32)


def probs(n=N, c=C, scale=1.0):
    return f32(rng.dirichlet(np.ones(c) * 2, size=n) * scale)


def onehot(n=N, c=C):
    return f32(np.eye(c)[rng.integers(0, c, size=n)])


def binary(n=N, c=C):
    return f32(rng.random((n, c)) > 0.5)


def unit(n=N, c=C, lo=0.02, hi=0.98):
    return f32(rng.uniform(lo, hi, size=(n, c)))


def normal(n=N, c=C, scale=1.0):
    return f32(rng.standard_normal((n, c)) * scale)


def weights(n=N):
    return f32(rng.uniform(0.0, 2.0, size=n))


# name: (class, config, function, fn_kwargs, y_true, y_pred)
LOSSES = {
    "kld": ("KLDivergence", {}, "kl_divergence", {}, probs(), probs()),
    "kld_clipped": (
        "KLDivergence", {}, "kl_divergence", {}, onehot(), f32(np.where(onehot() > 0, 1.5, 0)),
    ),
    "poisson": ("Poisson", {}, "poisson", {}, f32(rng.poisson(2, (N, C))), unit(hi=4.0)),
    "log_cosh": ("LogCosh", {}, "log_cosh", {}, normal(), normal(scale=3.0)),
    "cosine": ("CosineSimilarity", {}, "cosine_similarity", {}, normal(), normal()),
    "cosine_axis0": (
        "CosineSimilarity", {"axis": 0}, "cosine_similarity", {"axis": 0}, normal(), normal(),
    ),
    "hinge_01": ("Hinge", {}, "hinge", {}, binary(), normal()),
    "hinge_pm1": ("Hinge", {}, "hinge", {}, binary() * 2 - 1, normal()),
    "squared_hinge": ("SquaredHinge", {}, "squared_hinge", {}, binary(), normal()),
    "categorical_hinge": ("CategoricalHinge", {}, "categorical_hinge", {}, onehot(), normal()),
    "mape": (
        "MeanAbsolutePercentageError", {}, "mean_absolute_percentage_error", {},
        f32(np.where(binary() > 0, normal(), 0)), normal(),
    ),
    "msle": (
        "MeanSquaredLogarithmicError", {}, "mean_squared_logarithmic_error", {},
        f32(np.abs(normal())), normal(),
    ),
    "bfocal": ("BinaryFocalCrossentropy", {}, "binary_focal_crossentropy", {}, binary(), unit()),
    "bfocal_balanced": (
        "BinaryFocalCrossentropy",
        {"apply_class_balancing": True, "alpha": 0.4, "gamma": 1.5, "label_smoothing": 0.1},
        "binary_focal_crossentropy",
        {"apply_class_balancing": True, "alpha": 0.4, "gamma": 1.5, "label_smoothing": 0.1},
        binary(),
        unit(),
    ),
    "bfocal_logits": (
        "BinaryFocalCrossentropy", {"from_logits": True, "gamma": 3.0},
        "binary_focal_crossentropy", {"from_logits": True, "gamma": 3.0},
        binary(), normal(scale=2.0),
    ),
    "cfocal": (
        "CategoricalFocalCrossentropy", {}, "categorical_focal_crossentropy", {},
        onehot(), probs(scale=1.3),
    ),
    "cfocal_logits_smooth": (
        "CategoricalFocalCrossentropy",
        {"from_logits": True, "alpha": 0.5, "gamma": 1.0, "label_smoothing": 0.2},
        "categorical_focal_crossentropy",
        {"from_logits": True, "alpha": 0.5, "gamma": 1.0, "label_smoothing": 0.2},
        onehot(),
        normal(scale=2.0),
    ),
    "dice": ("Dice", {"axis": (1,)}, "dice", {"axis": (1,)}, binary(), unit()),
    # Keras 3.15 swaps alpha and beta (fixed upstream in keras-team/keras#23333, so that alpha
    # weights false positives, as documented); npconv follows the fix, so it is checked here
    # with alpha=0.3, beta=0.7 against Keras 3.15 with alpha=0.7, beta=0.3 (see NPCONV)
    "tversky": (
        "Tversky", {"alpha": 0.7, "beta": 0.3, "axis": (1,)},
        "tversky", {"alpha": 0.7, "beta": 0.3, "axis": (1,)}, binary(), unit(),
    ),
    "generalized_ce": (
        "CategoricalGeneralizedCrossEntropy", {"q": 0.7}, "categorical_generalized_cross_entropy",
        {"q": 0.7}, f32(rng.integers(0, C, size=N)), probs(),
    ),
    "huber": ("Huber", {"delta": 0.5}, "huber", {"delta": 0.5}, normal(), normal()),
    "mse_sum": ("MeanSquaredError", {"reduction": "sum"}, "mean_squared_error", {},
                normal(), normal()),
    "mae_weighted_mean": (
        "MeanAbsoluteError", {"reduction": "mean_with_sample_weight"}, "mean_absolute_error", {},
        normal(), normal(),
    ),
}

#: npconv's arguments where they differ from those given to Keras: (config, fn_kwargs)
NPCONV = {
    "tversky": (
        {"alpha": 0.3, "beta": 0.7, "axis": (1,)},
        {"alpha": 0.3, "beta": 0.7, "axis": (1,)},
    )
}


def scores(n, c, kind):
    if kind == "binary":
        return f32(rng.random((n, c)) > 0.6), unit(n, c, 0.0, 1.0)
    if kind == "onehot":
        return onehot(n, c), probs(n, c)
    if kind == "binary_rounded":  # scores on a 0.05 grid: ties with thresholds and each other
        return f32(rng.random((n, c)) > 0.5), f32(np.round(rng.random((n, c)) * 20) / 20)
    if kind == "logits":
        return f32(rng.random((n, c)) > 0.5), normal(n, c, 2.0)
    if kind == "ids":  # segmentation maps of class ids; the predictions stray out of range
        return f32(rng.integers(0, c, size=(n, 5))), f32(rng.integers(0, c + 1, size=(n, 5)))
    if kind == "sparse":
        return f32(rng.integers(0, c, size=n)), probs(n, c)
    if kind == "regression":
        return normal(n, c), normal(n, c)
    raise ValueError(kind)


# name: (class, config, data kind, weighted: per sample, or "pixel": one weight per entry)
METRICS = {
    "precision": ("Precision", {}, "binary", True),
    "precision_thresholds": ("Precision", {"thresholds": [0.3, 0.5, 0.8]}, "binary", True),
    "precision_even_thresholds": (
        "Precision", {"thresholds": [0.0, 0.25, 0.5, 0.75, 1.0]}, "binary_rounded", True,
    ),
    "precision_top_k": ("Precision", {"top_k": 2}, "onehot", True),
    "precision_class_id": ("Precision", {"class_id": 1}, "onehot", True),
    "recall": ("Recall", {}, "binary", True),
    "recall_top_k_class": ("Recall", {"top_k": 2, "class_id": 2}, "onehot", False),
    "recall_thresholds": ("Recall", {"thresholds": [0.2, 0.65]}, "binary_rounded", True),
    "true_positives": ("TruePositives", {}, "binary", True),
    "false_negatives": ("FalseNegatives", {"thresholds": [0.1, 0.9]}, "binary", True),
    "auc": ("AUC", {}, "binary", True),
    "auc_rounded": ("AUC", {}, "binary_rounded", True),
    "auc_pr": ("AUC", {"curve": "PR"}, "binary", True),
    "auc_pr_minoring": ("AUC", {"curve": "PR", "summation_method": "minoring"}, "binary", True),
    "auc_majoring": ("AUC", {"summation_method": "majoring", "num_thresholds": 17}, "binary", 1),
    "auc_multi_label": ("AUC", {"multi_label": True}, "binary", True),
    "auc_multi_label_weights": (
        "AUC", {"multi_label": True, "label_weights": [0.5, 1.0, 2.0, 0.0]}, "binary", False,
    ),
    "auc_label_weights": ("AUC", {"label_weights": [0.5, 1.0, 2.0, 0.3]}, "binary", True),
    "auc_logits": ("AUC", {"from_logits": True}, "logits", True),
    "auc_given_thresholds": ("AUC", {"thresholds": [0.1, 0.4, 0.45, 0.9]}, "binary", True),
    "auc_prgain": ("AUC", {"curve": "PRGAIN", "num_thresholds": 50}, "binary", False),
    "f1_none": ("F1Score", {}, "onehot", True),
    "f1_micro_threshold": ("F1Score", {"average": "micro", "threshold": 0.3}, "onehot", True),
    "f1_macro": ("F1Score", {"average": "macro"}, "onehot", False),
    "f1_weighted": ("F1Score", {"average": "weighted", "threshold": 0.5}, "binary", True),
    "fbeta_macro": ("FBetaScore", {"average": "macro", "beta": 2.0}, "binary", True),
    "top_k": ("TopKCategoricalAccuracy", {"k": 2}, "onehot", True),
    "sparse_top_k": ("SparseTopKCategoricalAccuracy", {"k": 2}, "sparse", True),
    "sparse_categorical_accuracy": ("SparseCategoricalAccuracy", {}, "sparse", True),
    "rmse": ("RootMeanSquaredError", {}, "regression", True),
    "cosine": ("CosineSimilarity", {}, "regression", True),
    "logcosh": ("LogCoshError", {}, "regression", True),
    "kld": ("KLDivergence", {}, "onehot", True),
    "mape": ("MeanAbsolutePercentageError", {}, "regression", True),
    "categorical_hinge": ("CategoricalHinge", {}, "onehot", True),
    "mean_iou": ("MeanIoU", {"num_classes": C}, "ids", "pixel"),
    "mean_iou_ignore": ("MeanIoU", {"num_classes": C, "ignore_class": 0}, "ids", False),
    "mean_iou_float": ("MeanIoU", {"num_classes": C, "dtype": "float32"}, "ids", "pixel"),
    "iou_targets": ("IoU", {"num_classes": C, "target_class_ids": [1, 3]}, "ids", "pixel"),
    "binary_iou": ("BinaryIoU", {"target_class_ids": [1], "threshold": 0.4}, "binary", "pixel"),
    "binary_iou_both": ("BinaryIoU", {}, "binary", False),
    "one_hot_mean_iou": ("OneHotMeanIoU", {"num_classes": C}, "onehot", False),
    "one_hot_iou": ("OneHotIoU", {"num_classes": C, "target_class_ids": [0, 2]}, "onehot", False),
}


def main():
    out = {}
    for name, (cls, config, fn, fn_kwargs, y_true, y_pred) in LOSSES.items():
        loss = getattr(keras.losses, cls)(**config)
        values = getattr(keras.losses, fn)(y_true, y_pred, **fn_kwargs)
        sw = weights(values.shape[0])  # one per sample (per column for cosine_axis0)
        p = tf.Variable(y_pred)
        with tf.GradientTape() as tape:
            total = loss(y_true, p, sample_weight=sw)
        grad = tape.gradient(total, p)
        meta = {
            "class": cls,
            "config": config,
            "function": fn,
            "fn_kwargs": fn_kwargs,
            "keras": loss.get_config(),
        }
        if name in NPCONV:
            meta["npconv"] = {"config": NPCONV[name][0], "fn_kwargs": NPCONV[name][1]}
        out[f"loss/{name}/meta"] = np.array(json.dumps(meta))
        out[f"loss/{name}/y_true"] = y_true
        out[f"loss/{name}/y_pred"] = y_pred
        out[f"loss/{name}/sample_weight"] = sw
        out[f"loss/{name}/values"] = np.asarray(values)
        out[f"loss/{name}/loss"] = np.asarray(total)
        out[f"loss/{name}/grad"] = np.asarray(grad)
    for name, (cls, config, kind, weighted) in METRICS.items():
        metric = getattr(keras.metrics, cls)(**config)
        meta = {"class": cls, "config": config, "keras": _jsonable(metric.get_config())}
        out[f"metric/{name}/meta"] = np.array(json.dumps(meta))
        for k in range(UPDATES):
            y_true, y_pred = scores(8 + 3 * k, C, kind)
            if weighted == "pixel":  # IoU metrics take one weight per class id (integers)
                sw = f32(np.round(rng.uniform(0, 3, size=y_true.shape)))
            else:
                sw = weights(len(y_true)) if weighted else None
            metric.update_state(y_true, y_pred, sample_weight=sw)
            out[f"metric/{name}/y_true/{k}"] = y_true
            out[f"metric/{name}/y_pred/{k}"] = y_pred
            if sw is not None:
                out[f"metric/{name}/sample_weight/{k}"] = sw
            out[f"metric/{name}/result/{k}"] = np.asarray(metric.result())
    for name, model in keras_models().items():
        out[f"model_json/{name}"] = np.array(model.to_json())
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "keras_losses_metrics.npz"
    np.savez_compressed(path, **out)
    print(f"wrote {path} ({path.stat().st_size} bytes, {len(LOSSES)} losses, "
          f"{len(METRICS)} metrics) with Keras {keras.__version__}")


def keras_models():
    """Small CNNs whose ``to_json()`` npconv's ``model_from_json`` must read."""
    L = keras.layers
    sequential = keras.Sequential(
        [
            keras.Input((12, 12, 1)),
            L.Conv2D(4, 3, activation="relu"),
            L.MaxPooling2D(),
            L.Flatten(),
            L.Dropout(0.25),
            L.Dense(5, activation="softmax"),
        ],
        name="seq",
    )
    inputs = keras.Input((10,), name="features")
    hidden = L.Dense(8, activation="relu", name="hidden")(inputs)
    outputs = L.Dense(1, activation="sigmoid", name="out")(L.Concatenate()([inputs, hidden]))
    functional = keras.Model(inputs, outputs, name="fun")
    return {"sequential": sequential, "functional": functional}


def _jsonable(config):
    return json.loads(json.dumps(config, default=lambda o: np.asarray(o).tolist()))


if __name__ == "__main__":
    main()
