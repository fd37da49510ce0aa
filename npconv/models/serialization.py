"""Layer and model configs as plain dicts: ``{"class_name": ..., "config": {...}}``.

Only classes npconv knows (or that the caller passes in ``custom_objects``) can be rebuilt, so
a config never names arbitrary code to run.
"""

from __future__ import annotations


def _registry(custom_objects=None):
    from .. import layers

    known = {
        name: obj
        for name, obj in vars(layers).items()
        if isinstance(obj, type) and issubclass(obj, layers.Layer)
    }
    from ..layers.op_layer import SymbolicOp  # an ops call on Keras tensors (Keras 3)

    known["SymbolicOp"] = SymbolicOp
    known.update(custom_objects or {})
    return known


def layer_config(layer) -> dict:
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def layer_from_config(item: dict, custom_objects=None):
    cls = _registry(custom_objects).get(item["class_name"])
    if cls is None:
        raise ValueError(f"Unknown layer class {item['class_name']!r}: pass it in custom_objects")
    return cls.from_config(dict(item["config"]))


def functional_config(model) -> dict:
    index = {id(layer): i for i, layer in enumerate(model.layers)}
    nodes = []
    for node in model._nodes:
        inputs = node.inputs if isinstance(node.inputs, (list, tuple)) else [node.inputs]
        nodes.append(
            {
                "layer": node.layer.name,
                "inputs": [t.node.layer.name for t in inputs],
                "list_input": isinstance(node.inputs, (list, tuple)),
            }
        )
    return {
        "layers": [layer_config(layer) for layer in model.layers],
        "layer_order": [index[id(layer)] for layer in model.layers],
        "nodes": nodes,
        "input_layers": [t.node.layer.name for t in model.inputs],
        "output_layers": [t.node.layer.name for t in model.outputs],
    }
