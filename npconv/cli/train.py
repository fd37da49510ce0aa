"""``npconv train``: train a tutorial model and leave everything a reader wants to look at.

Writes into ``<out>/<timestamp>/``: ``model.keras`` (npconv's safe model file),
``history.json``, ``report.json`` (the settings and the test scores) and, when matplotlib is
installed, ``learning_curves.png``, ``predictions.png`` (tutorial 002's "Prediction: X -
Actual: Y" grid), ``filters.png``, ``feature_maps.png`` (tutorial 004's picture),
``confusion_matrix.png`` and ``grad_cam.png`` (where the model looked: Grad-CAM of test images).
"""

from __future__ import annotations

import datetime
import json
import pathlib
import time

import numpy as np

from . import data as data_module
from .tutorial_models import TUTORIAL_MODELS, build_from_file

PICTURES = ("learning_curves.png", "predictions.png", "filters.png", "feature_maps.png",
            "confusion_matrix.png", "grad_cam.png")


def run_folder(out):
    """A new ``<out>/<YYYYmmdd-HHMMSS>`` folder (suffixed ``-2``, ``-3``... if taken)."""
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    base = pathlib.Path(out)
    folder, n = base / stamp, 1
    while folder.exists():
        n += 1
        folder = base / f"{stamp}-{n}"
    folder.mkdir(parents=True)
    return folder


def build(args, data):
    """The model named by ``--model``, compiled with its tutorial's optimizer unless
    ``--optimizer``/``--learning-rate`` say otherwise. Returns (model, epochs, batch_size)."""
    from .. import optimizers

    tutorial = TUTORIAL_MODELS.get(args.model)
    if tutorial is not None:
        model = tutorial.build(data.input_shape, data.num_classes)
        optimizer = dict(tutorial.optimizer, config=dict(tutorial.optimizer["config"]))
        epochs, batch_size = tutorial.epochs, tutorial.batch_size
    else:
        model = build_from_file(args.model, data.input_shape, data.num_classes)
        optimizer = {"class_name": "Adam", "config": {}}
        epochs, batch_size = 10, 32
    if args.optimizer:
        optimizer = {"class_name": args.optimizer, "config": {}}
    if args.learning_rate is not None:
        optimizer["config"]["learning_rate"] = args.learning_rate
    if tutorial is not None or args.optimizer or args.learning_rate is not None \
            or not getattr(model, "optimizer", None):
        model.compile(optimizer=optimizers.get(optimizer), loss="categorical_crossentropy",
                      metrics=["accuracy"])
    return model, args.epochs or epochs, args.batch_size or batch_size


def train(args, out=print):
    """Run under ``mpiexec -n N`` it trains data-parallel (``npconv.distribution``) with no
    new flag: the global batch is split across the ranks, and rank 0 alone prints and writes
    the run folder."""
    from .. import callbacks, distribution, utils

    if distribution.launched_by_mpi() and distribution.distribution() is None:
        distribution.set_distribution(distribution.DataParallel())
    chief = distribution.is_chief()
    if not chief:
        def out(*args, **kwargs):
            return None
    utils.set_random_seed(args.seed)
    started = time.perf_counter()
    data = data_module.load(args.dataset)
    out(f"Data: {data.name}, {len(data.x_train)} training and {len(data.x_test)} test images "
        f"of shape {data.input_shape}, {data.num_classes} classes")
    model, epochs, batch_size = build(args, data)
    folder = run_folder(args.out) if chief else None
    out(f"Model: {model.name}, {model.count_params():,} parameters; "
        f"{type(model.optimizer).__name__}, {epochs} epoch{'s' if epochs != 1 else ''}, "
        f"batch {batch_size}")
    if distribution.size() > 1:
        out(f"Data parallel on {distribution.size()} ranks: global batch {batch_size}")
    out(f"Writing to {folder}")

    y_train = utils.to_categorical(data.y_train, data.num_classes)
    y_test = utils.to_categorical(data.y_test, data.num_classes)
    cbs = []
    if args.early_stopping is not None:
        monitor = "val_loss" if args.validation_split else "loss"
        cbs.append(callbacks.EarlyStopping(monitor=monitor, patience=args.early_stopping,
                                           restore_best_weights=True, verbose=1))
    history = model.fit(data.x_train, y_train, batch_size=batch_size, epochs=epochs,
                        validation_split=args.validation_split, callbacks=cbs, verbose=1)
    train_seconds = time.perf_counter() - started

    scores = model.evaluate(data.x_test, y_test, batch_size=max(batch_size, 256), verbose=0)
    scores = dict(zip(model.metrics_names, np.atleast_1d(scores).tolist()))
    probabilities = model.predict(data.x_test, batch_size=max(batch_size, 256), verbose=0)
    predicted = probabilities.argmax(axis=1)
    out("Test " + ", ".join(f"{k}: {v:.4f}" for k, v in scores.items()))
    if not chief:
        return folder, scores

    model.save(folder / "model.keras")
    _write_json(folder / "history.json", {k: [float(v) for v in vs]
                                          for k, vs in history.history.items()})
    _write_json(folder / "report.json", {
        "model": args.model, "dataset": data.name, "epochs_run": len(history.epoch),
        "batch_size": batch_size, "optimizer": type(model.optimizer).__name__,
        "seed": args.seed, "validation_split": args.validation_split,
        "test": scores, "seconds": round(train_seconds, 1),
        "class_names": data.class_names,
    })
    with distribution.local():  # the pictures are rank 0's alone
        pictures = draw_pictures(folder, model, history, data, predicted, out)
    out(f"Saved {folder / 'model.keras'}, history.json, report.json"
        + (f" and {len(pictures)} pictures" if pictures else ""))
    return folder, scores


def draw_pictures(folder, model, history, data, predicted, out=print):
    try:
        import matplotlib  # noqa: F401

        from .. import visualize
    except ImportError:
        out('No pictures: matplotlib is not installed (pip install "npconv[plot]").')
        return []
    names = data.class_names if data.name in data_module.CLASS_NAMES else None
    plots = {
        PICTURES[0]: lambda path: visualize.plot_history(history, path=path),
        PICTURES[1]: lambda path: visualize.show_predictions(
            data.x_test[:16], data.y_test[:16], predicted[:16], class_names=names, path=path),
        PICTURES[2]: lambda path: visualize.show_filters(model, path=path),
        PICTURES[3]: lambda path: visualize.show_feature_maps(model, data.x_test[0], path=path),
        PICTURES[4]: lambda path: visualize.plot_confusion_matrix(
            data.y_test, predicted, class_names=names, path=path),
        PICTURES[5]: lambda path: visualize.show_grad_cam(
            model, data.x_test[:16], data.y_test[:16], class_names=names, path=path),
    }
    drawn = []
    for name, plot in plots.items():
        try:
            plot(folder / name)
        except ValueError as error:  # e.g. filters of a model without Conv2D layers
            out(f"No {name}: {error}")
        else:
            drawn.append(folder / name)
    return drawn


def _write_json(path, value):
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(value, indent=2) + "\n")
    tmp.replace(path)
