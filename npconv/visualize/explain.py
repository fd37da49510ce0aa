"""The explainer page: one self-contained HTML file showing a trained model at work.

``explain(model, x, path)`` runs the inputs ``x`` through the model one layer call at a time and
writes a page (no server, no network: the numbers and the script are inlined) with

- the network as columns, one per layer call, each with every channel's activation map for the
  chosen input (colour scale shown) or, for flat outputs, bars (class names on the output);
  the layer's name, kind, output shape and parameter count on top;
- on a click on an activation, the arithmetic that made it (``npconv.visualize.arithmetic``):
  for a convolution the input window across channels, the kernel, the element-wise products,
  their sum, the bias and the activation; for pooling the window and the maximum or average;
  for Dense the largest contributing inputs; a toggle shows a convolution either as the
  cross-correlation the layer computes or as the tutorial's convolution with the mask flipped;
- Grad-CAM and gradient saliency (``npconv.visualize.grad_cam``) for the predicted class or any
  class picked on the page, overlaid on the input;
- a strip of the inputs to choose from, misclassified ones marked.

``page_data`` computes every number the page shows and is what the tests check; the page's
script only draws them and, on a click, gathers a window and sums its products as
``arithmetic.pixel_arithmetic`` does. Maps larger than ``max_display`` pixels a side are drawn
downsampled (block means); a click still maps to the full-resolution position and shows the
exact float32 values, which the page keeps for every layer.
"""

from __future__ import annotations

import base64
import html
import json
import math
import os
import pathlib
import tempfile

import numpy as np

from . import _trace, arithmetic
from .grad_cam import grad_cam, saliency

MAX_DISPLAY = 48
MAX_KERNEL = 4_000_000  # larger kernels are left off the page (the click shows the value only)
MAX_DENSE_CELLS = 4096  # Dense outputs per sample with a stored top-contributions table
MAX_DENSE_PRODUCTS = 20_000_000  # and at most this many products (inputs x units) per sample
MAX_CAM_CLASSES = 20  # models with more classes get Grad-CAM for the top 5 and the labels


def _keras_shape(shape) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"


def _display(values: np.ndarray, max_display: int) -> dict:
    """What the page draws for a batch of channels-last values ``(N, *spatial, C)``.

    Maps: every channel as a ``rows x cols`` image (1-D: one row; 3-D: the depth slices stacked
    as rows, so a map's pixel ``(r, c)`` is the flat spatial index ``r * cols + c``), block-
    averaged by ``factor`` to at most ``max_display`` pixels a side and quantized to uint8 on
    one scale per sample shared by all channels: ``[lo, hi]``, symmetric about 0 (a diverging
    palette) when the values have both signs. Flat values ``(N, features)``: bars, drawn from
    the exact values.
    """
    if values.ndim == 2:
        lo, hi = values.min(axis=1), values.max(axis=1)
        return {"kind": "bars", "lo": lo.astype(np.float64), "hi": hi.astype(np.float64)}
    n, channels = values.shape[0], values.shape[-1]
    spatial = values.shape[1:-1]
    cols = spatial[-1]
    rows = int(np.prod(spatial[:-1])) if len(spatial) > 1 else 1
    maps = values.reshape(n, rows, cols, channels)
    factor = max(1, math.ceil(max(rows, cols) / max_display))
    if factor > 1:
        pr, pc = -rows % factor, -cols % factor
        padded = np.pad(maps.astype(np.float64), ((0, 0), (0, pr), (0, pc), (0, 0)),
                        mode="edge")
        maps = padded.reshape(n, (rows + pr) // factor, factor, (cols + pc) // factor, factor,
                              channels).mean(axis=(2, 4))
    flat = values.reshape(n, -1)
    lo, hi = flat.min(axis=1).astype(np.float64), flat.max(axis=1).astype(np.float64)
    signed = (lo < 0) & (hi > 0)
    m = np.maximum(np.abs(lo), np.abs(hi))
    lo, hi = np.where(signed, -m, lo), np.where(signed, m, hi)
    span = np.where(hi > lo, hi - lo, 1.0)
    codes = np.rint((maps - lo[:, None, None, None]) / span[:, None, None, None] * 255)
    codes = np.clip(codes, 0, 255).astype(np.uint8)
    return {"kind": "maps", "rows": rows, "cols": cols, "factor": factor,
            "maps": np.ascontiguousarray(np.moveaxis(codes, -1, 1)), "lo": lo, "hi": hi,
            "diverging": bool(signed.any())}


def _thumbnail(x: np.ndarray):
    """Inputs ``(N, rows, cols, channels)`` as uint8 grey or RGB pictures, each stretched to its
    own range; ``None`` when the input is not an image."""
    if x.ndim != 4:
        return None
    img = x if x.shape[-1] in (1, 3) else x.mean(axis=-1, keepdims=True)
    flat = img.reshape(len(img), -1)
    lo, hi = flat.min(axis=1), flat.max(axis=1)
    span = np.where(hi > lo, hi - lo, 1.0)
    scaled = (img - lo[:, None, None, None]) / span[:, None, None, None]
    return np.clip(np.rint(scaled * 255), 0, 255).astype(np.uint8)


def _class_names(class_names, n):
    if class_names is None:
        return [str(i) for i in range(n)]
    names = [str(c) for c in class_names]
    if len(names) != n:
        raise ValueError(f"class_names has {len(names)} names; the model predicts {n} classes")
    return names


def page_data(model, x, y=None, class_names=None, max_display=MAX_DISPLAY,
              with_grad_cam=True):
    """Every number the explainer page shows, as NumPy arrays in a dict (see ``explain``).

    ``values``: for each value name (``"input:k"``, ``"call:j"``) the batch in channels-last
    layout, or ``{"alias": name}`` when it equals another value element for element (Dropout,
    Flatten). ``displays``: what is drawn for each value (``_display``: uint8 maps on one
    colour scale per sample, or bars). ``nodes``: one entry per layer call with ``name``,
    ``kind``, ``output_shape`` (Keras's, with the batch axis ``None``), ``params``,
    ``inputs``, ``output``, ``is_output`` and ``spec`` (``arithmetic.layer_spec``; a Dense
    spec also holds a ``table`` per sample from ``arithmetic.dense_table``). ``samples``: the
    label, prediction and its probability of each input; ``inputs``: their thumbnails.
    ``grad_cam``: uint8 Grad-CAM and saliency maps per sample and class (each scaled by its
    own maximum), or ``None`` when the model has no 2-D image input and convolution, or when
    ``with_grad_cam`` is false.
    """
    from .. import no_grad

    xs = _trace.as_inputs(model, x)
    call_list = _trace.calls(model)
    channels_first = arithmetic.model_is_channels_first([c.layer for c in call_list])
    with no_grad():
        raw = _trace.run(call_list, xs)
    cl = {name: np.ascontiguousarray(
        arithmetic.to_channels_last(_trace.to_array(v).astype(np.float32, copy=False),
                                    channels_first)) for name, v in raw.items()}
    out_name = _trace.output_names(model, call_list)[0]
    probabilities = cl[out_name].reshape(len(xs[0]), -1)
    n_classes = probabilities.shape[1]
    names = _class_names(class_names, n_classes)
    predicted = probabilities.argmax(axis=1)
    labels = None if y is None else _labels(y, len(xs[0]))

    values, stored = {}, {}
    for name, v in cl.items():
        twin = next((s for s in stored.values() if s.size == v.size and s.dtype == v.dtype
                     and np.array_equal(s.reshape(-1), v.reshape(-1))), None)
        if twin is not None:
            values[name] = {"alias": next(k for k, s in stored.items() if s is twin),
                            "shape": list(v.shape[1:])}
        else:
            stored[name] = v
            values[name] = {"data": v, "shape": list(v.shape[1:])}

    displays = {name: _display(v, max_display) for name, v in cl.items()}
    nodes = []
    for call in call_list:
        in_shapes = [cl[n].shape[1:] for n in call.inputs]
        spec = arithmetic.layer_spec(call.layer, in_shapes, cl[call.output].shape[1:],
                                     channels_first)
        if spec["op"] == "conv" and spec["kernel"].size > MAX_KERNEL:
            spec = {"op": "none", "reason": f"kernel of {spec['kernel'].size:,} weights"}
        if spec["op"] == "dense":
            cells = cl[call.output][0].size
            products = cl[call.inputs[0]][0].size * spec["kernel"].shape[1]
            if cells > MAX_DENSE_CELLS or products > MAX_DENSE_PRODUCTS:
                spec = {"op": "none", "reason": f"{cells:,} outputs of {products:,} products"}
            else:
                tables = [arithmetic.dense_table(spec, cl[call.inputs[0]][i])
                          for i in range(len(xs[0]))]
                spec["fan_in"] = int(call.layer.kernel.shape[0])
                spec["table"] = {k: np.stack([t[k] for t in tables]) for k in tables[0]}
        shape = getattr(call.layer, "output_shape", None)
        if not isinstance(shape, tuple) or (shape and isinstance(shape[0], tuple)):
            shape = (None, *_trace.to_array(raw[call.output]).shape[1:])
        nodes.append({
            "name": call.layer.name, "kind": type(call.layer).__name__,
            "output_shape": _keras_shape(shape), "params": int(call.layer.count_params()),
            "inputs": list(call.inputs), "output": call.output, "spec": spec,
            "is_output": call.output == out_name,
        })

    samples = [{"pred": int(p), "prob": float(probabilities[i, p]),
                "label": None if labels is None or labels[i] < 0 else int(labels[i]),
                "wrong": labels is not None and labels[i] >= 0 and int(labels[i]) != int(p)}
               for i, p in enumerate(predicted)]
    inputs = [{"name": f"input:{k}", "thumb": _thumbnail(cl[f"input:{k}"])}
              for k in range(len(xs))]
    return {
        "model": model.name, "class_names": names, "samples": samples,
        "probabilities": probabilities.astype(np.float32), "values": values,
        "displays": displays, "nodes": nodes, "inputs": inputs,
        "grad_cam": _grad_cams(model, xs, call_list, probabilities, labels)
        if with_grad_cam else None,
    }


def _labels(y, n):
    """Labels as int64, -1 where a label is unknown (``None`` in a list)."""
    from ._labels import to_labels

    if isinstance(y, (list, tuple)) and any(v is None for v in y):
        labels = np.array([-1 if v is None else int(v) for v in y], np.int64)
    else:
        labels = to_labels(y)
    if len(labels) != n:
        raise ValueError(f"y has {len(labels)} labels for {n} inputs")
    return labels


def _grad_cams(model, xs, call_list, probabilities, labels):
    """Grad-CAM and saliency of every sample for each class the page offers, as uint8."""
    from ..layers.convolutional import BaseConv

    convs = [c for c in call_list if isinstance(c.layer, BaseConv) and c.layer.rank == 2]
    if xs[0].ndim != 4 or not convs:
        return None
    n_classes = probabilities.shape[1]
    if n_classes <= MAX_CAM_CLASSES:
        classes = list(range(n_classes))
    else:
        known = [] if labels is None else [v for v in labels.tolist() if v >= 0]
        top5 = np.argsort(-probabilities, axis=1)[:, :5].reshape(-1).tolist()
        classes = sorted(set(known) | set(top5))
    layer = convs[-1].layer  # the last 2-D convolution, so that the map overlays the image
    cams = [grad_cam(model, xs, class_index=c, layer=layer, normalize=False) for c in classes]
    sals = [saliency(model, xs, class_index=c, normalize=False) for c in classes]

    def codes(maps):
        maps = np.stack(maps, axis=1)  # (N, classes, rows, cols)
        top = maps.max(axis=(2, 3), keepdims=True)
        return np.rint(maps / np.where(top > 0, top, 1) * 255).astype(np.uint8)

    return {"layer": layer.name, "classes": classes, "cams": codes(cams),
            "saliency": codes(sals)}


def arithmetic_at(data: dict, sample: int, node: int, index: int) -> dict:
    """``arithmetic.pixel_arithmetic`` for output element ``index`` of node ``node`` (an index
    into ``data["nodes"]``) and input ``sample``, on ``page_data``'s numbers: what a click on
    the page shows."""
    entry = data["nodes"][node]
    return arithmetic.pixel_arithmetic(
        entry["spec"], [value_of(data, n, sample) for n in entry["inputs"]],
        value_of(data, entry["output"], sample), index)


def value_of(data: dict, name: str, sample: int) -> np.ndarray:
    """One sample of the value ``name`` as the page stores it (aliases followed)."""
    v = data["values"][name]
    shape = v["shape"]
    while "alias" in v:
        v = data["values"][v["alias"]]
    return v["data"][sample].reshape(shape)


# encoding for the page ------------------------------------------------------------------

_DTYPES = {np.dtype(np.float32): "f32", np.dtype(np.float64): "f64",
           np.dtype(np.uint8): "u8", np.dtype(np.int32): "i32"}


def _encode(value):
    """NumPy arrays -> ``{"$": dtype, "shape": [...], "b64": little-endian bytes}``."""
    if isinstance(value, np.ndarray):
        if value.dtype == np.bool_:
            value = value.astype(np.uint8)
        if value.dtype.kind == "i" and value.dtype != np.int32:
            value = value.astype(np.int32)
        if value.dtype not in _DTYPES:
            value = value.astype(np.float64)
        data = np.ascontiguousarray(value, dtype=value.dtype.newbyteorder("<"))
        return {"$": _DTYPES[value.dtype], "shape": list(value.shape),
                "b64": base64.b64encode(data.tobytes()).decode("ascii")}
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    return value


def render(data: dict, title: str | None = None) -> str:
    """The page's HTML text for ``page_data``'s dict."""
    template = (pathlib.Path(__file__).with_name("explain_page.html")).read_text("utf-8")
    nodes = [dict(n, spec={k: v for k, v in n["spec"].items()
                           if not (n["spec"]["op"] == "dense" and k == "kernel")})
             for n in data["nodes"]]
    payload = json.dumps(_encode(dict(data, nodes=nodes)), separators=(",", ":"),
                         allow_nan=False)
    payload = payload.replace("</", "<\\/")  # never end the <script> element early
    title = title or f"npconv explain: {data['model']}"
    return (template.replace("{{TITLE}}", html.escape(title))
            .replace("{{DATA}}", payload))


def explain(model, x, path, y=None, class_names=None, title=None, max_display=MAX_DISPLAY):
    """Write the explainer page for ``model`` on inputs ``x`` to ``path``; return the path.

    Args:
        model: a built npconv model (Sequential, functional, or loaded from a Keras file) that
            outputs class scores ``(batch, classes)``.
        x: the inputs, prepared as the model expects them (e.g. float images in [0, 1]):
            ``(N, rows, cols, channels)``, one sample, or a list of batches for a model with
            several inputs. Each becomes one entry of the page's input strip; keep it small
            (the page stores every layer's output for each input: tutorial 001/003's
            ``cifar10_cnn`` with 8 inputs makes a page of 5.6 MB).
        y: the true labels (integers or one-hot), to mark misclassified inputs.
        class_names: names of the classes, for the bars and titles.
        title: the page title (default "npconv explain: <model name>").
        max_display: maps larger than this many pixels a side are drawn downsampled.

    The file is written atomically (a temporary file in the same folder, then renamed).
    """
    text = render(page_data(model, x, y=y, class_names=class_names, max_display=max_display),
                  title=title)
    target = os.path.abspath(os.fspath(path))
    folder = os.path.dirname(target)
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", suffix=".tmp",
                               dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target
