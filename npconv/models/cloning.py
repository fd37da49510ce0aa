"""``clone_model``, ``model_from_json`` and ``Model.to_json``: a model's architecture copied, or
written as JSON and read back, without its weights (Keras's functions of those names).
"""

from __future__ import annotations

import json

from ..layers.base import Layer
from ..layers.input_layer import Input, InputLayer
from .model import Model
from .sequential import Sequential

__all__ = ["clone_model", "model_from_json", "to_json"]


def _default_clone(layer):
    if isinstance(layer, Model):
        return clone_model(layer)
    return type(layer).from_config(layer.get_config())


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def clone_model(model, input_tensors=None, clone_function=None):
    """A new model with ``model``'s architecture and configuration and fresh weights, as
    Keras's ``clone_model``: each layer is rebuilt from its ``get_config()`` (so weights are
    initialized anew; copy them with ``clone.set_weights(model.get_weights())``), and a layer
    the model uses twice is cloned once and shared the same way.

    ``clone_function(layer) -> layer`` replaces the default rebuild for each layer (return the
    layer itself to share it between both models). ``input_tensors``: ``Input(...)`` tensors
    to build the clone on, instead of new ones like the original's. Works on ``Sequential``
    and functional models; a subclassed model has no graph to copy (Keras refuses it too).
    """
    clone_function = clone_function or _default_clone
    if isinstance(model, Sequential):
        return _clone_sequential(model, input_tensors, clone_function)
    if isinstance(model, Model) and model.model_kind == "functional":
        return _clone_functional(model, input_tensors, clone_function)
    raise ValueError(
        f"clone_model expects a Sequential or functional Model, got {type(model).__name__} "
        f"'{getattr(model, 'name', model)}': a subclassed model has no graph to copy; "
        "create a new instance of its class instead"
    )


def _cloned(layer, clone_function):
    new = clone_function(layer)
    if not isinstance(new, Layer):
        raise ValueError(
            f"clone_function must return a layer, got {type(new).__name__} for layer "
            f"'{layer.name}'"
        )
    return new


def _clone_sequential(model, input_tensors, clone_function):
    clone = Sequential(name=model.name, trainable=model.trainable)
    if input_tensors is not None:
        tensors = _as_list(input_tensors)
        if len(tensors) != 1:
            raise ValueError(
                f"clone_model: Sequential model '{model.name}' takes one input tensor, got "
                f"{len(tensors)}"
            )
        clone.add(tensors[0])
    elif model.input_layer is not None:
        layer = model.input_layer
        clone.add(Input(batch_shape=layer.batch_shape, dtype=layer.dtype, name=layer.name))
    for layer in model.layers:
        clone.add(_cloned(layer, clone_function))
    if model.built and not clone.built:
        clone.build(model.built_input_shape)
    return clone


def _clone_functional(model, input_tensors, clone_function):
    if input_tensors is not None:
        given = _as_list(input_tensors)
        if len(given) != len(model.inputs):
            raise ValueError(
                f"clone_model: model '{model.name}' has {len(model.inputs)} inputs, got "
                f"{len(given)} input tensors"
            )
    else:
        given = []
        for t in model.inputs:
            layer = t.node.layer
            given.append(Input(batch_shape=layer.batch_shape, dtype=layer.dtype, name=layer.name))
    values = {id(t): new for t, new in zip(model.inputs, given)}
    clones = {}
    for node in model.graph_nodes():
        if isinstance(node.layer, InputLayer):
            continue
        layer = node.layer
        if id(layer) not in clones:
            clones[id(layer)] = _cloned(layer, clone_function)
        if isinstance(node.inputs, (list, tuple)):
            args = [values[id(t)] for t in node.inputs]
        else:
            args = values[id(node.inputs)]
        node.bind(values, clones[id(layer)](args, **node.kwargs))
    outputs = [values[id(t)] for t in model.outputs]
    return Model(
        given if model.input_is_list else given[0],
        outputs if model.output_is_list else outputs[0],
        name=model.name,
        trainable=model.trainable,
    )


def to_json(model, **kwargs) -> str:
    """``model``'s architecture as a JSON string (npconv's architecture format, that of its
    model files; see ``npconv.io.architecture``); ``kwargs`` go to ``json.dumps``."""
    from .. import __version__
    from ..io.architecture import model_config

    entry = model_config(model)
    entry["npconv_version"] = __version__
    return json.dumps(entry, **kwargs)


#: model_from_json builds from no file, so no weight budget: any size the config asks for
_NO_LIMIT = 1 << 62


def model_from_json(json_string, custom_objects=None):
    """The (uncompiled, freshly initialized) model described by ``json_string``: one written
    by ``model.to_json()``, or by real Keras's ``model.to_json()`` for layers npconv has.
    Nothing in the text is executed; classes other than npconv's come only from
    ``custom_objects`` (name -> class)."""
    from ..io import architecture
    from ..io.custom_objects import merged

    try:
        config = json.loads(json_string)
    except (TypeError, ValueError) as e:
        raise ValueError(f"model_from_json: the text is not JSON ({e})") from e
    if not isinstance(config, dict) or not isinstance(config.get("config"), dict):
        raise ValueError(
            "model_from_json expects a JSON object with 'class_name' and 'config', as "
            "model.to_json() writes"
        )
    body = config["config"]
    if "input_layer" in body or "nodes" in body:  # npconv's form
        budget = architecture.WeightBudget(_NO_LIMIT)
        model = architecture.build_model(config, merged(custom_objects), budget)
        budget.release()
        return model
    from ..io.keras_h5 import model_from_keras_config

    return model_from_keras_config(config)
