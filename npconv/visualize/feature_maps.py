"""What one image becomes inside the network: the activations of each convolution layer.

Tutorial 004 shows how early layers respond to edges and later ones to larger parts. For each
chosen layer the image's activation ``(1, rows, cols, channels)`` is computed in inference mode
and its first ``max_maps`` channels are drawn, one block of the figure per layer.

How the intermediate outputs are obtained, by kind of model:

- ``Sequential``: the layers are run one by one on the image (``layer(x, training=False)``),
  stopping after the last chosen layer;
- functional ``Model``: a second ``Model(model.inputs, [outputs of the chosen layers])`` is built
  on the same layers (no weights are copied) and run once; a layer used at several places in the
  graph is shown at its first use;
- subclassed ``Model`` (layers used in a ``call`` written by hand): each chosen layer's ``call``
  is wrapped for the duration of one forward pass to record its output, then restored.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ._figure import finish, new_figure
from ._layers import describe_layers, is_conv2d, model_layers, resolve_layer


def _choose_layers(model, layers) -> list:
    all_layers = model_layers(model)
    if layers is None:
        chosen = [x for x in all_layers if is_conv2d(x)]
        if not chosen:
            raise ValueError(
                f"show_feature_maps expected at least one Conv2D layer (4-D output "
                f"(batch, rows, cols, channels)) in model '{model.name}', found none; its "
                f"layers are {describe_layers(all_layers)}. Name layers to show with layers=[...]"
            )
        return chosen
    if isinstance(layers, (str, numbers.Integral)) or hasattr(layers, "name"):
        layers = [layers]
    chosen = []
    for spec in layers:
        layer = resolve_layer(model, spec)
        if not any(layer is c for c in chosen):
            chosen.append(layer)
    if not chosen:
        raise ValueError("layers is empty: name at least one layer to show")
    order = {id(x): i for i, x in enumerate(all_layers)}
    return sorted(chosen, key=lambda x: order[id(x)])


def _as_batch(model, image) -> np.ndarray:
    """``image`` as a batch of one that fits the model's input shape.

    Tried in turn: as given (a batch of one), with a batch axis added, and, for a one-channel
    model, with the channel axis added too (last or first, by where the model has it).
    """
    x = np.asarray(getattr(image, "data", image))
    if x.dtype.kind not in "uif" or x.dtype.kind == "b":
        raise ValueError(f"image must be numeric, got dtype {x.dtype}")
    if x.ndim < 2:
        raise ValueError(f"image must have at least 2 axes (rows, cols), got shape {x.shape}")
    x = x.astype(getattr(model, "dtype", None) or np.float32, copy=False)
    shape = getattr(model, "built_input_shape", None)
    if shape is None or isinstance(shape, list):  # not built yet: take it as one sample
        return x if x.ndim and x.shape[0] == 1 else x[None]
    candidates = [x, x[None], x[None, ..., None], x[None, None], x[..., None], x[:, None]]
    for c in candidates:
        if (
            c.ndim == len(shape)
            and c.shape[0] == 1
            and all(d is None or d == n for d, n in zip(shape[1:], c.shape[1:]))
        ):
            return c
    from ..layers.base import format_shape

    raise ValueError(
        f"show_feature_maps expects one image fitting model '{model.name}' input "
        f"{format_shape(shape)}, i.e. of shape {format_shape(shape[1:])} (or a batch of one), "
        f"got {x.shape}"
    )


def _sequential_outputs(model, x, chosen) -> list:
    wanted = {id(x) for x in chosen}
    found = {}
    for layer in model.layers:
        x = layer(x, training=False)
        if id(layer) in wanted:
            found[id(layer)] = x
            if len(found) == len(wanted):
                break
    return [found[id(c)] for c in chosen]


def _functional_outputs(model, x, chosen) -> list:
    from ..models import Model

    if len(model.inputs) != 1:
        raise ValueError(
            f"show_feature_maps takes one image; model '{model.name}' has "
            f"{len(model.inputs)} inputs"
        )
    outputs, nodes = [], model.graph_nodes()
    for layer in chosen:
        node = next((n for n in nodes if n.layer is layer), None)
        if node is None:  # an Input layer
            raise ValueError(f"Layer '{layer.name}' computes nothing in model '{model.name}'")
        outputs.append(node.outputs[0])
    probe = Model(model.inputs[0], outputs, name=f"{model.name}_feature_maps")
    result = probe(x, training=False)
    return list(result) if isinstance(result, (list, tuple)) else [result]


def _captured_outputs(model, x, chosen) -> list:
    found = {}

    def recorder(layer, call):
        def wrapped(*args, **kwargs):
            out = call(*args, **kwargs)
            found.setdefault(id(layer), out)
            return out

        return wrapped

    for layer in chosen:
        layer.call = recorder(layer, layer.call)
    try:
        model(x, training=False)
    finally:
        for layer in chosen:
            del layer.call
    missing = [c.name for c in chosen if id(c) not in found]
    if missing:
        raise ValueError(f"Layers {missing} were not called by model '{model.name}'")
    return [found[id(c)] for c in chosen]


def layer_outputs(model, image, layers) -> list[np.ndarray]:
    """The activations of ``image`` at each of ``layers`` (in inference mode, no gradients)."""
    from .. import no_grad
    from ..models import Sequential

    x = _as_batch(model, image)
    with no_grad():
        if isinstance(model, Sequential):
            outs = _sequential_outputs(model, x, layers)
        elif getattr(model, "model_kind", None) == "functional":
            outs = _functional_outputs(model, x, layers)
        else:
            outs = _captured_outputs(model, x, layers)
    return [np.asarray(getattr(o, "data", o)) for o in outs]


def _channels_last(layer, out: np.ndarray) -> np.ndarray:
    """``(1, r, c, ch)`` or ``(1, ch, r, c)`` -> ``(r, c, ch)``."""
    if getattr(layer, "data_format", "channels_last") == "channels_first":
        return np.moveaxis(out[0], 0, -1)
    return out[0]


def show_feature_maps(model, image, layers=None, max_maps=16, path=None):
    """Draw the feature maps of one image through a model's conv layers; return the ``Figure``.

    Args:
        model: a built ``Sequential``, functional ``Model`` or subclassed ``Model``.
        image: one input, prepared as the model expects it (scaled the same way as its
            training data): ``(rows, cols, channels)``, ``(rows, cols)`` for a one-channel
            model, or a batch of one.
        layers: the layers to show (names, indices or layer objects); each must have a 4-D
            output. Default: every ``Conv2D`` layer, in model order.
        max_maps: draw at most this many channels (the first ones) of each layer.
        path: if given, the figure is also written there (format from the extension).

    Each layer gets a block of the figure titled ``name  (1, rows, cols, channels)`` with one
    axes per channel drawn (titled with the channel index), each map scaled to its own range.
    """
    if int(max_maps) < 1:
        raise ValueError(f"max_maps must be at least 1, got {max_maps}")
    chosen = _choose_layers(model, layers)
    outs = layer_outputs(model, image, chosen)
    for layer, out in zip(chosen, outs):
        if out.ndim != 4:
            raise ValueError(
                f"show_feature_maps draws 4-D outputs (batch, rows, cols, channels); layer "
                f"'{layer.name}' outputs shape {out.shape}"
            )
    maps = [_channels_last(layer, out) for layer, out in zip(chosen, outs)]
    counts = [min(int(max_maps), m.shape[-1]) for m in maps]
    cols = min(max(counts), 8)
    grid_rows = [math.ceil(c / cols) for c in counts]
    cell = 1.25
    fig = new_figure(max(4.0, cell * cols), sum(r * cell + 0.45 for r in grid_rows))
    blocks = fig.subfigures(len(chosen), 1, height_ratios=[r * cell + 0.45 for r in grid_rows])
    blocks = np.atleast_1d(blocks)
    for block, layer, out, m, count, rows in zip(blocks, chosen, outs, maps, counts, grid_rows):
        block.suptitle(
            f"{layer.name}  {tuple(out.shape)}: {count} of {m.shape[-1]} maps", fontsize=10
        )
        for k in range(count):
            ax = block.add_subplot(rows, cols, k + 1)
            ax.imshow(m[:, :, k], cmap="viridis", interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(str(k), fontsize=7)
    return finish(fig, path)
