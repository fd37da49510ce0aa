"""``npconv explain MODEL [IMAGE ...] [--dataset NAME] [--out FILE.html]``: write the explainer
page (``npconv.visualize.explain``) for a saved model.

The inputs are the given files (``.npy`` arrays or images, read as ``npconv predict`` reads
them) and/or test images of ``--dataset``: up to ``--count`` of them, half misclassified ones
when the model gets any wrong among the first 2,000, the rest the first test images it gets
right, so the page shows both what the model does and where it fails. With neither, the data
set ``npconv train`` recorded beside the model (``report.json``) is used.
"""

from __future__ import annotations

import json
import os
import pathlib

import numpy as np

from . import data as data_module
from .commands import class_names_beside, load_model, read_input

SCAN = 2000  # test images predicted to find misclassified ones


def choose_samples(model, x, y, count):
    """Indices into ``x``: up to ``count // 2`` misclassified images among the first ``SCAN``,
    then correctly classified ones, in test-set order; and the predictions."""
    scanned = min(len(x), SCAN)
    predicted = model.predict(x[:scanned], batch_size=256, verbose=0).argmax(axis=1)
    wrong = np.flatnonzero(predicted != y[:scanned])[: count // 2]
    right = np.flatnonzero(predicted == y[:scanned])[: count - len(wrong)]
    chosen = np.sort(np.concatenate([wrong, right]))[:count]
    return chosen.astype(int), predicted


def _recorded_dataset(model_path):
    try:
        report = json.loads(pathlib.Path(model_path).with_name("report.json").read_text())
        return report.get("dataset")
    except (OSError, ValueError, AttributeError):
        return None


def explain(args, out=print):
    from ..visualize import explain as write_page

    model = load_model(args.model)
    input_shape = tuple(model.input_shape[1:])
    batches, labels, names = [], [], None
    for file in args.files:
        x = read_input(pathlib.Path(file), input_shape, invert=args.invert)
        batches.append(x)
        labels.extend([None] * len(x))
    dataset = args.dataset
    if dataset is None and not batches:
        dataset = _recorded_dataset(args.model)
        if dataset is None or (dataset not in data_module.DATASETS
                               and not str(dataset).endswith(".npz")):
            raise ValueError("give IMAGE files (.npy or pictures) or --dataset NAME to choose "
                             "the inputs to explain")
        out(f"Using the data set the model was trained on: {dataset}")
    if dataset is not None:
        data = data_module.load(dataset)
        if tuple(data.x_test.shape[1:]) != input_shape:
            raise ValueError(f"--dataset {dataset}: images shaped {data.x_test.shape[1:]} do "
                             f"not fit the model, which expects {input_shape}")
        chosen, predicted = choose_samples(model, data.x_test, data.y_test, args.count)
        batches.append(data.x_test[chosen])
        labels.extend(int(v) for v in data.y_test[chosen])
        wrong = int((predicted[chosen] != data.y_test[chosen]).sum())
        out(f"{len(chosen)} test images of {data.name}, {wrong} of them misclassified")
        if data.name in data_module.CLASS_NAMES:
            names = data.class_names
    if not batches:
        raise ValueError("no inputs to explain")
    x = np.concatenate(batches)
    n_out = model.output_shape[-1]
    if names is None or len(names) != n_out:
        names = class_names_beside(args.model, n_out)
    y = labels if any(v is not None for v in labels) else None  # files have no labels
    path = write_page(model, x, args.out, y=y, class_names=names)
    size = os.path.getsize(path)
    out(f"Wrote {path} ({size / 1e6:.2f} MB, {len(x)} inputs): open it in a browser")
    return path
