"""``npconv evaluate | predict | summary | datasets``: the subcommands that use a trained model
or report on data."""

from __future__ import annotations

import json
import pathlib

import numpy as np

from . import data as data_module

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")


def load_model(path):
    from ..models import load_model as _load

    path = pathlib.Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such model file")
    return _load(path)


def class_names_beside(model_path, num_classes):
    """The class names ``npconv train`` recorded in the run's report.json, else '0', '1'..."""
    report = pathlib.Path(model_path).with_name("report.json")
    try:
        names = json.loads(report.read_text())["class_names"]
        if isinstance(names, list) and len(names) == num_classes:
            return [str(n) for n in names]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return [str(i) for i in range(num_classes)]


def evaluate(args, out=print):
    model = load_model(args.model)
    data = data_module.load(args.dataset)
    _check_shape(model, data.x_test.shape[1:], f"--dataset {args.dataset}")
    n_out = model.output_shape[-1]
    if data.num_classes > n_out:
        raise ValueError(f"--dataset {args.dataset} has {data.num_classes} classes but the "
                         f"model predicts {n_out}")
    from .. import utils

    if not getattr(model, "optimizer", None):
        model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    y = utils.to_categorical(data.y_test, n_out)
    scores = model.evaluate(data.x_test, y, batch_size=args.batch_size, verbose=args.verbose)
    scores = dict(zip(model.metrics_names, np.atleast_1d(scores).tolist()))
    out(f"{len(data.x_test)} test images of {data.name}: "
        + ", ".join(f"{k}: {v:.4f}" for k, v in scores.items()))
    return scores


def predict(args, out=print):
    model = load_model(args.model)
    input_shape = tuple(model.input_shape[1:])
    batches, names = [], []
    for file in args.files:
        x = read_input(pathlib.Path(file), input_shape, invert=args.invert)
        batches.append(x)
        names.extend([file] if len(x) == 1 else [f"{file}[{i}]" for i in range(len(x))])
    x = np.concatenate(batches)
    probabilities = model.predict(x, batch_size=args.batch_size, verbose=0)
    classes = class_names_beside(args.model, probabilities.shape[-1])
    top = max(1, min(args.top, probabilities.shape[-1]))
    results = []
    for name, row in zip(names, probabilities):
        best = np.argsort(row)[::-1][:top]
        picks = [(classes[i], float(row[i])) for i in best]
        results.append((name, picks))
        out(f"{name}: " + ", ".join(f"{c} ({p:.1%})" for c, p in picks))
    return results


def read_input(path, input_shape, invert=False):
    """One file -> a float32 batch shaped ``(n, *input_shape)``.

    ``.npy``: one sample shaped like the model's input, or a batch of them (a missing channels
    axis of 1 is added); uint8 is scaled to [0, 1]. Images (PNG, JPEG, ...; needs Pillow):
    converted to grey or RGB to match the model's channels, resized to its rows x cols and
    scaled to [0, 1]; ``invert`` turns dark-on-light drawings into MNIST's light-on-dark.
    """
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".npy":
        try:
            x = np.load(path, allow_pickle=False)
        except ValueError as error:
            raise ValueError(f"{path}: not a plain numeric .npy file ({error})") from error
        if x.dtype.kind not in "uifb":
            raise ValueError(f"{path}: expected numeric values, got dtype {x.dtype}")
        scaled = x.astype(np.float32) / (255.0 if x.dtype == np.uint8 else 1.0)
        grey = input_shape[-1] == 1
        if scaled.shape == input_shape:
            scaled = scaled[None]
        elif grey and scaled.shape == input_shape[:-1]:
            scaled = scaled[None, ..., None]
        elif grey and scaled.shape[1:] == input_shape[:-1]:
            scaled = scaled[..., None]
        if scaled.shape[1:] != input_shape:
            raise ValueError(f"{path}: expected an array shaped {input_shape} or "
                             f"(n, {', '.join(map(str, input_shape))}) for this model, "
                             f"got {x.shape}")
    elif suffix in IMAGE_SUFFIXES:
        scaled = _read_image(path, input_shape)[None]
    else:
        raise ValueError(f"{path}: expected a .npy file or an image "
                         f"({', '.join(IMAGE_SUFFIXES)}), got {suffix or 'no suffix'}")
    return 1.0 - scaled if invert else scaled


def _read_image(path, input_shape):
    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError as error:
        raise ImportError(f'{path}: reading images needs Pillow: pip install "npconv[image]"'
                          ) from error
    if len(input_shape) != 3 or input_shape[-1] not in (1, 3):
        raise ValueError(f"{path}: an image can feed only a model taking (rows, cols, 1 or 3) "
                         f"input; this one takes {input_shape}")
    rows, cols, channels = input_shape
    try:
        with Image.open(path) as image:
            image = image.convert("L" if channels == 1 else "RGB")
            image = image.resize((cols, rows))
            x = np.asarray(image, dtype=np.float32) / 255.0
    except (UnidentifiedImageError, OSError) as error:
        raise ValueError(f"{path}: not a readable image ({error})") from error
    return x[..., None] if channels == 1 else x


def summary(args, out=print):
    model = load_model(args.model)
    model.summary(print_fn=out)


def datasets(args, out=print):
    from .. import datasets as ds

    statuses = ds.describe()
    for status in statuses:
        out(str(status))
        if args.verbose and not status.available:
            for place in status.searched:
                out(f"    looked in {place}")
    return statuses


def _check_shape(model, shape, what):
    expected = tuple(model.input_shape[1:])
    if tuple(shape) != expected:
        raise ValueError(f"{what}: images shaped {tuple(shape)} do not fit the model, "
                         f"which expects {expected}")
