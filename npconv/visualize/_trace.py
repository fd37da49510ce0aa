"""Running a model one layer call at a time, keeping every call's inputs and output.

The explainer page and Grad-CAM need what ``model(x)`` hides: each layer's input and output.
``calls(model)`` lists the layer calls in the order they run, each naming the values it reads
and the value it makes; ``run(model, calls, xs)`` evaluates them. Values are named by strings:
``"input:k"`` for the model's k-th input, ``"call:j"`` for the output of call ``j``.

- ``Sequential``: one call per layer, each reading the previous one's output;
- functional ``Model``: one call per node of its graph (a layer used twice is two calls);
- anything else (a subclassed ``Model``) is one opaque call of the whole model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Call:
    """One call of ``layer`` on the values named ``inputs``, making the value ``output``."""

    layer: object
    inputs: list
    output: str
    kwargs: dict


def calls(model) -> list[Call]:
    """The layer calls of ``model`` in running order (InputLayer nodes are not calls)."""
    from ..layers.input_layer import InputLayer
    from ..models import Sequential

    if isinstance(model, Sequential):
        out, previous = [], "input:0"
        for j, layer in enumerate(model.layers):
            if isinstance(layer, InputLayer):
                continue
            out.append(Call(layer, [previous], f"call:{j}", {}))
            previous = f"call:{j}"
        return out
    if getattr(model, "model_kind", None) == "functional":
        names = {id(t): f"input:{k}" for k, t in enumerate(model.inputs)}
        out = []
        for j, node in enumerate(model.graph_nodes()):
            if isinstance(node.layer, InputLayer):
                continue
            args = node.inputs if isinstance(node.inputs, (list, tuple)) else [node.inputs]
            name = f"call:{j}"
            names[id(node.outputs[0])] = name
            out.append(Call(node.layer, [names[id(t)] for t in args], name, dict(node.kwargs)))
        return out
    return [Call(model, ["input:0"], "call:0", {})]


def output_names(model, call_list) -> list[str]:
    """The value names of the model's outputs."""
    from ..layers.input_layer import InputLayer

    if getattr(model, "model_kind", None) == "functional":
        names = {id(t): f"input:{k}" for k, t in enumerate(model.inputs)}
        for j, node in enumerate(model.graph_nodes()):
            if not isinstance(node.layer, InputLayer):
                names[id(node.outputs[0])] = f"call:{j}"
        return [names[id(t)] for t in model.outputs]
    return [call_list[-1].output] if call_list else ["input:0"]


def run(call_list, xs, replace=None, stop=None) -> dict:
    """Evaluate ``call_list`` on the model inputs ``xs`` (a list of batches) in inference mode.

    ``replace`` maps a value name to a function applied to that value as soon as it is made
    (Grad-CAM swaps the last convolution's output for a leaf tensor that collects gradients).
    ``stop``: the value name after which to stop. Returns ``{value name: value}`` (tensors or
    arrays, as the layers return them).
    """
    values = {f"input:{k}": x for k, x in enumerate(xs)}
    replace = replace or {}
    for name in list(values):
        if name in replace:
            values[name] = replace[name](values[name])
    for call in call_list:
        args = [values[n] for n in call.inputs]
        arg = args if len(args) > 1 or _takes_list(call.layer) else args[0]
        y = call.layer(arg, training=False, **call.kwargs)
        if call.output in replace:
            y = replace[call.output](y)
        values[call.output] = y
        if call.output == stop:
            break
    return values


def _takes_list(layer) -> bool:
    from ..layers.merging import Merge

    return isinstance(layer, Merge)


def to_array(value) -> np.ndarray:
    return np.asarray(getattr(value, "data", value))


def as_inputs(model, x) -> list[np.ndarray]:
    """``x`` as a list of float arrays, one per model input, each with a batch axis.

    One array for a one-input model (a single sample without the batch axis is accepted, and a
    missing channels axis of 1 is added), or a list with one array per input.
    """
    shapes = getattr(model, "built_input_shape", None)
    if shapes is None:
        raise ValueError(f"Model '{model.name}' is not built: call it on data or give it an "
                         "input shape first")
    multi = isinstance(shapes, list)
    shapes = shapes if multi else [shapes]
    if isinstance(x, (list, tuple)) and (multi or (len(x) == 1 and np.ndim(x[0]) > 1)):
        xs = list(x)  # one batch per input (a one-input model may get a list of one)
    else:
        xs = [x]
    if len(xs) != len(shapes):
        raise ValueError(f"Model '{model.name}' has {len(shapes)} inputs; got {len(xs)} arrays")
    out = []
    for k, (a, shape) in enumerate(zip(xs, shapes)):
        a = np.asarray(getattr(a, "data", a))
        if a.dtype.kind not in "uif":
            raise ValueError(f"input {k} must be numeric, got dtype {a.dtype}")
        a = a.astype(np.float32, copy=False)
        want = tuple(shape[1:])
        for candidate in (a, a[None], a[..., None], a[None, ..., None]):
            if candidate.ndim == len(want) + 1 and all(
                    d is None or d == n for d, n in zip(want, candidate.shape[1:])):
                out.append(np.ascontiguousarray(candidate))
                break
        else:
            raise ValueError(f"Model '{model.name}' input {k} takes samples shaped "
                             f"{want}; got an array shaped {a.shape}")
    if len({len(a) for a in out}) > 1:
        raise ValueError(f"The inputs hold different numbers of samples: {[len(a) for a in out]}")
    return out
