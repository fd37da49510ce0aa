"""``model.summary()``: the table Keras 3 prints — layer (type), output shape, parameters."""

from __future__ import annotations

from ..layers.base import format_shape


def _size(n_bytes: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n_bytes < 1024 or unit == "GB":
            return f"{n_bytes:.2f} {unit}"
        n_bytes /= 1024
    return f"{n_bytes:.2f} GB"


def _shape_text(shape) -> str:
    if shape is None:
        return "?"
    if isinstance(shape, list):
        return ", ".join(format_shape(s) for s in shape)
    return format_shape(shape)


def summary_text(model, line_length=None) -> str:
    widths = [33, 24, 15]
    if line_length:
        extra = max(0, int(line_length) - 80)
        widths = [33 + extra // 2, 24 + extra - extra // 2, 15]
    rows = []
    for layer in model.layers:
        if type(layer).__name__ == "InputLayer":
            continue
        shape = layer.built_output_shape if layer.built else None
        params = f"{layer.count_params():,}" if layer.built else "0 (unbuilt)"
        rows.append((f"{layer.name} ({type(layer).__name__})", _shape_text(shape), params))

    def line(left, mid, right, fill):
        return left + mid.join(fill * (w + 2) for w in widths) + right

    def cells(values, bar):
        a, b, c = values
        return (
            f"{bar} {a[: widths[0]]:<{widths[0]}} {bar} {b[: widths[1]]:<{widths[1]}} "
            f"{bar} {c:>{widths[2]}} {bar}"
        )

    out = [f'Model: "{model.name}"', line("┏", "┳", "┓", "━")]
    out.append(cells(("Layer (type)", "Output Shape", "Param #"), "┃"))
    out.append(line("┡", "╇", "┩", "━"))
    out.extend(cells(r, "│") for r in rows)
    out.append(line("└", "┴", "┘", "─"))
    weights = model.weights if model.built else []
    trainable = sum(v.data.size for v in weights if v.requires_grad)
    total = sum(v.data.size for v in weights)
    nbytes = {id(v): v.data.nbytes for v in weights}
    t_bytes = sum(nbytes[id(v)] for v in weights if v.requires_grad)
    all_bytes = sum(nbytes.values())
    out.append(f" Total params: {total:,} ({_size(all_bytes)})")
    out.append(f" Trainable params: {trainable:,} ({_size(t_bytes)})")
    out.append(f" Non-trainable params: {total - trainable:,} ({_size(all_bytes - t_bytes)})")
    return "\n".join(out)
