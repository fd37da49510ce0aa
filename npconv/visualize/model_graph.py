"""``plot_model``: a picture of a model's layer graph, as ``keras.utils.plot_model`` draws.

Keras draws with pydot and Graphviz; npconv lays the graph out itself and draws it with
matplotlib (the ``[plot]`` extra), so no system package is needed. Each layer is a box (its
name, its class, and on request its input and output shapes, dtype, activation and
trainability); arrows follow the model's graph: a Sequential model is a chain, a functional model
may have several inputs and outputs, branches and merges. Layers are placed in ranks (a layer's
rank is the longest path to it from an input), top to bottom (``rankdir='TB'``) or left to
right (``'LR'``); within a rank they are ordered by the mean position of their predecessors, so
that arrows cross little. An arrow that skips ranks (a residual connection) is drawn as an arc,
so it does not run through the boxes between.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from ._figure import new_figure, save_figure

__all__ = ["plot_model", "model_to_dot", "layer_graph"]

_FONT = 9  # points
_CHAR_W = 0.075  # inches per character at _FONT (DejaVu Sans, a little generous)
_LINE_H = 0.19  # inches per text line
_PAD = 0.12  # inches of box padding
_GAP = 0.45  # inches between ranks
_SEP = 0.3  # inches between boxes of one rank


@dataclass
class Box:
    """One layer in the picture: ``lines`` of text, and where it goes."""

    key: int
    layer: object
    lines: list[str]
    rank: int = 0
    order: float = 0.0
    x: float = 0.0
    y: float = 0.0
    w: float = 0.0
    h: float = 0.0
    preds: list[int] = field(default_factory=list)


def _shape_text(shape) -> str:
    if shape is None:
        return "?"
    if isinstance(shape, list):
        return "[" + ", ".join(_shape_text(s) for s in shape) + "]"
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"


def _layer_output_shape(layer):
    shape = getattr(layer, "built_output_shape", None)
    if shape is None and type(layer).__name__ == "InputLayer":
        shape = getattr(layer, "batch_shape", None) or getattr(layer, "shape", None)
    return shape


def _chain_or_graph(model):
    """``[(layer, [predecessor layers], input_shape)]`` in topological order."""
    outputs = []
    try:
        outputs = list(getattr(model, "outputs", None) or [])
    except Exception:  # an unbuilt Sequential has no tensors yet
        outputs = []
    if outputs and all(getattr(t, "node", None) is not None for t in outputs):
        order, seen = [], set()

        def visit(node):
            if id(node) in seen:
                return
            seen.add(id(node))
            for parent in node.parents:
                visit(parent)
            order.append(node)

        for t in outputs:
            visit(t.node)
        entries, index = [], {}
        for node in order:
            preds = [p.layer for p in node.parents]
            ins = node.inputs if isinstance(node.inputs, (list, tuple)) else [node.inputs]
            in_shape = [t.shape for t in ins if t is not None]
            in_shape = None if not in_shape else in_shape[0] if len(in_shape) == 1 else in_shape
            if id(node.layer) in index:  # a shared layer: one box, more arrows
                entry = entries[index[id(node.layer)]]
                entry[1].extend(p for p in preds if all(p is not q for q in entry[1]))
                continue
            index[id(node.layer)] = len(entries)
            entries.append((node.layer, preds, in_shape))
        return entries
    if getattr(model, "model_kind", None) == "sequential":
        entries, prev = [], None
        for layer in model.layers:
            in_shape = _layer_output_shape(prev) if prev is not None else None
            entries.append((layer, [prev] if prev is not None else [], in_shape))
            prev = layer
        return entries
    raise ValueError(
        f"plot_model: model '{getattr(model, 'name', model)}' has no graph of layers to draw "
        "(a subclassed model's call is Python code); build it as a Sequential or functional "
        "Model, or call it on data first if it is a Sequential without an input shape"
    )


def _expand(entries, expand_nested, prefix=""):
    """Replace each nested Sequential/functional model by its own layers when asked."""
    if not expand_nested:
        return [(layer, preds, shape, prefix) for layer, preds, shape in entries]
    out, exits = [], {}
    for layer, preds, shape in entries:
        preds = [exits.get(id(p), [p]) for p in preds]
        preds = [p for group in preds for p in group]
        if getattr(layer, "model_kind", None) in ("sequential", "functional"):
            inner = _expand(_chain_or_graph(layer), True, f"{prefix}{layer.name}/")
            for inner_layer, inner_preds, shape_in, inner_prefix in inner:
                is_input = type(inner_layer).__name__ == "InputLayer"
                if is_input and preds:
                    continue  # the outer arrows go straight to the layers it fed
                fed = [p for p in inner_preds if type(p).__name__ == "InputLayer"]
                if fed and preds:
                    inner_preds = [p for p in inner_preds if p not in fed] + preds
                out.append((inner_layer, inner_preds, shape_in, inner_prefix))
            used = {id(p) for e in inner for p in e[1]}
            exits[id(layer)] = [e[0] for e in inner if id(e[0]) not in used] or [layer]
        else:
            out.append((layer, preds, shape, prefix))
    return out


def layer_graph(model, show_shapes=False, show_dtype=False, show_layer_names=True,
                expand_nested=False, show_layer_activations=False,
                show_trainable=False):  # fmt: skip
    """The boxes of ``plot_model``'s picture, in topological order (no drawing; no
    matplotlib needed): a list of :class:`Box` whose ``preds`` index its predecessors."""
    entries = _expand(_chain_or_graph(model), expand_nested)
    keys = {id(layer): i for i, (layer, *_rest) in enumerate(entries)}
    boxes = []
    for i, (layer, preds, in_shape, prefix) in enumerate(entries):
        kind = type(layer).__name__
        lines = [f"{prefix}{layer.name} ({kind})" if show_layer_names else kind]
        if show_shapes:
            if kind != "InputLayer":
                lines.append(f"Input shape: {_shape_text(in_shape)}")
            lines.append(f"Output shape: {_shape_text(_layer_output_shape(layer))}")
        if show_dtype:
            dtype = getattr(layer, "dtype", None) or "float32"
            lines.append(f"Output dtype: {getattr(dtype, 'name', dtype)}")
        if show_layer_activations and getattr(layer, "activation", None) is not None:
            act = layer.activation
            name = getattr(act, "__name__", None) or getattr(act, "name", None) or str(act)
            lines.append(f"Activation: {name}")
        if show_trainable:
            lines.append(f"Trainable: {bool(getattr(layer, 'trainable', True))}")
        box = Box(i, layer, lines, preds=[keys[id(p)] for p in preds if id(p) in keys])
        boxes.append(box)
    return boxes


def _layout(boxes, rankdir):
    for box in boxes:  # topological order: predecessors are ranked already
        box.rank = 1 + max((boxes[p].rank for p in box.preds), default=-1)
        box.w = max(len(line) for line in box.lines) * _CHAR_W + 2 * _PAD
        box.h = len(box.lines) * _LINE_H + 2 * _PAD
    succs: dict[int, list[int]] = {}
    for box in boxes:
        for p in box.preds:
            succs.setdefault(p, []).append(box.key)
    for box in boxes:  # an extra input sits just above the layer that first takes it
        if not box.preds and box.key in succs:
            box.rank = max(0, min(boxes[k].rank for k in succs[box.key]) - 1)
    ranks: dict[int, list[Box]] = {}
    for box in boxes:
        ranks.setdefault(box.rank, []).append(box)
    across_tb = rankdir == "TB"
    for r in sorted(ranks):
        row = ranks[r]
        for i, box in enumerate(row):
            preds = [boxes[p].order for p in box.preds]
            box.order = sum(preds) / len(preds) if preds else float(i)
        row.sort(key=lambda b: b.order)
        for i, box in enumerate(row):
            box.order = float(i) + (row[0].order if r and len(row) == 1 else 0.0)
        # place the row: sizes across the rank axis, centred on 0
        sizes = [b.w if across_tb else b.h for b in row]
        total = sum(sizes) + _SEP * (len(row) - 1)
        pos = -total / 2
        for b, s in zip(row, sizes):
            if across_tb:
                b.x = pos + s / 2
            else:
                b.y = pos + s / 2
            pos += s + _SEP
    # along the rank axis: each rank as deep as its deepest box
    depth = {r: max((b.h if across_tb else b.w) for b in row) for r, row in ranks.items()}
    pos = 0.0
    for r in sorted(ranks):
        for b in ranks[r]:
            if across_tb:
                b.y = -(pos + depth[r] / 2)  # top to bottom: y decreases
            else:
                b.x = pos + depth[r] / 2
        pos += depth[r] + _GAP
    return ranks


def _detour(a, b, tb, ranks):
    """The coordinate across the ranks that an arrow from ``a`` to ``b`` skipping ranks keeps
    to, clear of every box in the ranks between: beyond their right (TB) or bottom (LR) edge
    when ``a`` lies on that side of the centre, else beyond the other edge."""
    between = [box for r in range(a.rank + 1, b.rank) for box in ranks.get(r, [])] + [b]
    if tb:
        if a.x >= 0:
            return max([box.x + box.w / 2 for box in between] + [a.x + a.w / 2]) + _SEP
        return min([box.x - box.w / 2 for box in between] + [a.x - a.w / 2]) - _SEP
    if a.y <= 0:
        return min([box.y - box.h / 2 for box in between] + [a.y - a.h / 2]) - _SEP
    return max([box.y + box.h / 2 for box in between] + [a.y + a.h / 2]) + _SEP


def _arrow(ax, a, b, tb, ranks):
    """An arrow from box ``a`` to box ``b``: straight between neighbouring ranks; round the
    boxes in between (a cubic curve through the detour line) when it skips ranks."""
    from matplotlib.patches import FancyArrowPatch
    from matplotlib.path import Path

    style = dict(arrowstyle="-|>", mutation_scale=10, linewidth=1.0, color="#333333",
                 zorder=1, shrinkA=0, shrinkB=1)  # fmt: skip
    if b.rank - a.rank <= 1:
        if tb:
            start, end = (a.x, a.y - a.h / 2), (b.x, b.y + b.h / 2)
        else:
            start, end = (a.x + a.w / 2, a.y), (b.x - b.w / 2, b.y)
        ax.add_patch(FancyArrowPatch(start, end, **style))
        return
    side = _detour(a, b, tb, ranks)
    if tb:
        right = side > a.x
        sx = a.x + (a.w / 2 if right else -a.w / 2)
        ex = b.x + (b.w / 2 if right else -b.w / 2)
        pull = side + (side - (sx + ex) / 2) / 3  # a cubic reaches 3/4 of its control points
        verts = [(sx, a.y), (pull, a.y), (pull, b.y), (ex, b.y)]
    else:
        below = side < a.y
        sy = a.y + (-a.h / 2 if below else a.h / 2)
        ey = b.y + (-b.h / 2 if below else b.h / 2)
        pull = side + (side - (sy + ey) / 2) / 3
        verts = [(a.x, sy), (a.x, pull), (b.x, pull), (b.x, ey)]
    path = Path(verts, [Path.MOVETO, Path.CURVE4, Path.CURVE4, Path.CURVE4])
    ax.add_patch(FancyArrowPatch(path=path, **style))


def _draw(boxes, rankdir):
    from matplotlib.patches import FancyBboxPatch

    ranks = _layout(boxes, rankdir)
    margin = 0.15
    x0 = min(b.x - b.w / 2 for b in boxes) - margin
    x1 = max(b.x + b.w / 2 for b in boxes) + margin
    y0 = min(b.y - b.h / 2 for b in boxes) - margin
    y1 = max(b.y + b.h / 2 for b in boxes) + margin
    for b in boxes:  # room for the detours of arrows that skip ranks
        for p in b.preds:
            if b.rank - boxes[p].rank > 1:
                side = _detour(boxes[p], b, rankdir == "TB", ranks)
                if rankdir == "TB":
                    x0, x1 = min(x0, side - margin), max(x1, side + margin)
                else:
                    y0, y1 = min(y0, side - margin), max(y1, side + margin)
    fig = new_figure(x1 - x0, y1 - y0)
    fig.set_layout_engine("none")
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_axis_off()
    tb = rankdir == "TB"
    for b in boxes:
        patch = FancyBboxPatch(
            (b.x - b.w / 2, b.y - b.h / 2), b.w, b.h, boxstyle="round,pad=0,rounding_size=0.06",
            facecolor="#eef3fb" if type(b.layer).__name__ != "InputLayer" else "#f4f4f4",
            edgecolor="#3b5b8c", linewidth=1.0, zorder=2,
        )
        ax.add_patch(patch)
        top = b.y + b.h / 2 - _PAD - _LINE_H / 2
        for i, line in enumerate(b.lines):
            ax.text(b.x, top - i * _LINE_H, line, ha="center", va="center", fontsize=_FONT,
                    fontweight="bold" if i == 0 else "normal", zorder=3)  # fmt: skip
    for b in boxes:
        for p in b.preds:
            _arrow(ax, boxes[p], b, tb, ranks)
    return fig


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False,
               show_layer_names=True, rankdir="TB", expand_nested=False, dpi=200,
               show_layer_activations=False, show_trainable=False, **kwargs):  # fmt: skip
    """Draw ``model``'s layer graph into ``to_file``, as ``keras.utils.plot_model`` does.

    Args:
        model: a Sequential or functional model.
        to_file: the image file; its extension picks the format (``.png``, ``.pdf``,
            ``.svg``, ... whatever matplotlib writes; PNG when there is none). Written
            atomically.
        show_shapes: add each layer's input and output shapes (``None`` the batch size).
        show_dtype: add each layer's dtype.
        show_layer_names: the first line is ``name (Class)``; False: the class alone.
        rankdir: ``'TB'`` (top to bottom) or ``'LR'`` (left to right).
        expand_nested: draw the layers of nested Sequential/functional models in place of one
            box (their names prefixed by the nested model's name).
        dpi: resolution of raster images.
        show_layer_activations: add the activation of layers that have one.
        show_trainable: add whether each layer is trainable.
        **kwargs: Keras's other keywords (``subgraph``, ``layer_range``) are refused by name.

    Returns:
        An ``IPython.display.Image`` of the file when IPython is installed and the file is a
        PNG/JPEG (``IPython.display.SVG`` for an SVG, which ``Image`` cannot embed), so a
        notebook shows it; else None (a PDF, or no IPython), as Keras.
    """
    if kwargs:
        raise TypeError(f"plot_model: unsupported arguments {sorted(kwargs)}")
    if rankdir not in ("TB", "LR"):
        raise ValueError(f"plot_model: rankdir must be 'TB' or 'LR', got {rankdir!r}")
    boxes = layer_graph(model, show_shapes, show_dtype, show_layer_names, expand_nested,
                        show_layer_activations, show_trainable)  # fmt: skip
    if not boxes:
        raise ValueError(f"plot_model: model '{model.name}' has no layers to draw")
    fig = _draw(boxes, rankdir)
    target = save_figure(fig, to_file, dpi=dpi)
    ext = os.path.splitext(target)[1].lower()
    if ext in (".png", ".jpg", ".jpeg", ".svg", ""):
        try:
            from IPython import display
        except ImportError:
            return None
        return display.SVG(filename=target) if ext == ".svg" else display.Image(filename=target)
    return None


def model_to_dot(model, *args, **kwargs):
    """Keras's ``model_to_dot`` builds a pydot graph; npconv has no pydot/Graphviz backend."""
    raise NotImplementedError(
        "npconv.utils.model_to_dot: npconv does not build pydot/Graphviz graphs; it draws the "
        "layer graph itself with matplotlib. Use npconv.utils.plot_model(model, "
        "to_file='model.png') (PNG, PDF or SVG by extension; needs pip install \"npconv[plot]\")"
    )
