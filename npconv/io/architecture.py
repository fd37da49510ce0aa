"""A model's architecture as JSON, and the model rebuilt from it.

Each layer is described by its own ``get_config`` (through ``layer_config`` /
``layer_from_config`` of ``npconv.models.serialization``). The model level is described here,
not with ``Model.get_config``, because a file must say which *call* of a shared layer feeds
which: ``get_config`` names layers only, which is ambiguous once a layer is called twice.

``Sequential``::

    {"class_name": "Sequential", "config": {"name": ..., "trainable": true,
     "input_layer": <InputLayer entry> | null, "layers": [<entry>, ...],
     "build_input_shape": [null, 28, 28, 1] | null}}

``build_input_shape`` is the shape the model was built with (from data, when no layer declared
one); a loaded model is built with it, so its weights exist before they are loaded.

Functional ``Model(inputs, outputs)``::

    {"class_name": "Functional", "config": {"name": ..., "trainable": true,
     "layers": [<entry>, ...],
     "nodes": [{"layer": 0, "inputs": [], "list_input": false, "kwargs": {}}, ...],
     "inputs": [0, 1], "outputs": [5, 7], "single_input": false, "single_output": false}}

A subclassed model (a ``Model`` subclass with its own ``call``)::

    {"class_name": "Subclassed", "config": {"class_name": "Net", "config": <get_config()>,
     "build_input_shape": [null, 28, 28, 1] | [[...], ...] | null}}

rebuilt as ``Net.from_config(config)`` — ``Net`` must be given in ``custom_objects`` (or
registered), as Keras requires — then built by calling it once on zeros of
``build_input_shape``.

``nodes`` are the layer calls in an order where each comes after those feeding it; ``layer`` is
an index in ``layers``, ``inputs`` are indices of earlier nodes (each call has one output),
``list_input`` says whether the layer received a list. An ``<entry>`` is a layer's
``{"class_name", "config"}``, or a nested model in one of the two forms above.

Rebuilding executes nothing from the file: class names are looked up in npconv's layer registry
and the caller's custom objects, and while the model is built each layer may create only as
many bytes of weights as the file holds (``WeightBudget``), so a config claiming a
``Dense(10**9)`` fails before allocating.
"""

from __future__ import annotations

import inspect
import math

import numpy as np

from . import limits

__all__ = ["model_config", "build_model", "WeightBudget"]

SEQUENTIAL, FUNCTIONAL, SUBCLASSED = "Sequential", "Functional", "Subclassed"


# ---------------------------------------------------------------------------------- describing
def model_config(model, depth=0) -> dict:
    """The architecture entry of a Sequential or functional ``model``."""
    from ..models import Model, Sequential

    if depth > limits.MAX_MODEL_DEPTH:
        raise ValueError(f"Models nested more than {limits.MAX_MODEL_DEPTH} deep")
    if type(model) is Sequential:
        return {"class_name": SEQUENTIAL, "config": _sequential_config(model, depth)}
    if type(model) is Model and model.model_kind == "functional":
        return {"class_name": FUNCTIONAL, "config": _functional_config(model, depth)}
    if isinstance(model, Model) and model.model_kind != "functional" and (
        type(model).call is not Model.call
    ):
        return {"class_name": SUBCLASSED, "config": _subclassed_config(model)}
    raise ValueError(
        f"Cannot save the architecture of model '{model.name}' ({type(model).__name__}): "
        "model.save writes Sequential and functional Model(inputs, outputs) models. For a "
        "subclassed model, use model.save_weights(...) and rebuild the model in code."
    )


def _entry(layer, depth):
    from ..models import Model
    from ..models.serialization import layer_config

    if isinstance(layer, Model):
        return model_config(layer, depth + 1)
    return layer_config(layer)


def _sequential_config(model, depth):
    from ..models.serialization import layer_config

    input_layer = model.input_layer
    built = model.built_input_shape if model.built else None
    return {
        "name": model.name,
        "trainable": model.trainable,
        "input_layer": None if input_layer is None else layer_config(input_layer),
        "layers": [_entry(layer, depth) for layer in model.layers],
        "build_input_shape": None if built is None else list(built),
    }


def _subclassed_config(model):
    shape = model.built_input_shape if model.built else None
    if isinstance(shape, list):
        shape = [list(s) for s in shape]
    elif shape is not None:
        shape = list(shape)
    return {
        "class_name": type(model).__name__,
        "config": model.get_config(),
        "build_input_shape": shape,
    }


def _functional_config(model, depth):
    layers = model.layers
    layer_index = {id(layer): i for i, layer in enumerate(layers)}
    graph = model.graph_nodes()
    known = {id(n) for n in graph}
    nodes = [t.node for t in model.inputs if id(t.node) not in known] + graph
    node_index = {id(node): k for k, node in enumerate(nodes)}
    described = []
    for node in nodes:
        listed = isinstance(node.inputs, (list, tuple))
        inputs = list(node.inputs) if listed else [node.inputs]
        described.append(
            {
                "layer": layer_index[id(node.layer)],
                "inputs": [node_index[id(t.node)] for t in inputs],
                "list_input": listed,
                "kwargs": dict(node.kwargs),
            }
        )
    return {
        "name": model.name,
        "trainable": model.trainable,
        "layers": [_entry(layer, depth) for layer in layers],
        "nodes": described,
        "inputs": [node_index[id(t.node)] for t in model.inputs],
        "outputs": [node_index[id(t.node)] for t in model.outputs],
        "single_input": not model.input_is_list,
        "single_output": not model.output_is_list,
        **({"output_nesting": model.__dict__["_output_nesting"]}
           if model.__dict__.get("_output_nesting") is not None else {}),
    }


# ---------------------------------------------------------------------------------- rebuilding
class WeightBudget:
    """Lets the layers being rebuilt create at most ``nbytes`` bytes of weights in all.

    ``guard(layer)`` shadows that one layer's ``add_weight`` (an instance attribute, so no
    other layer or thread is affected) with a check run before any allocation; ``release()``
    removes the shadows once the model is built.
    """

    def __init__(self, nbytes):
        self.left = int(nbytes)
        self._guarded = []

    def guard(self, layer):
        original = layer.add_weight
        try:
            signature = inspect.signature(original)
        except (TypeError, ValueError):
            return

        def add_weight(*args, **kwargs):
            try:
                bound = signature.bind(*args, **kwargs).arguments
            except TypeError:
                bound = {}
            if "shape" in bound:
                self.spend(layer, bound["shape"], bound.get("dtype") or layer.dtype)
            return original(*args, **kwargs)

        layer.add_weight = add_weight
        self._guarded.append(layer)

    def spend(self, layer, shape, dtype):
        try:
            nbytes = math.prod(int(d) for d in shape) * np.dtype(dtype).itemsize
        except (TypeError, ValueError, OverflowError):
            return  # not a shape: add_weight itself will say so
        if nbytes > self.left:
            raise ValueError(
                f"layer '{layer.name}' would create a weight of shape {tuple(shape)} "
                f"({nbytes} bytes), more than the {self.left} bytes of weights left in the "
                "file: the architecture and the weights do not match"
            )
        self.left -= nbytes

    def release(self):
        for layer in self._guarded:
            layer.__dict__.pop("add_weight", None)
        self._guarded.clear()


def build_model(entry, custom_objects, budget, depth=0):
    """The model described by architecture ``entry`` (``model_config``'s form)."""
    if depth > limits.MAX_MODEL_DEPTH:
        raise ValueError(f"models are nested more than {limits.MAX_MODEL_DEPTH} deep")
    if not isinstance(entry, dict) or not isinstance(entry.get("config"), dict):
        raise ValueError("a model entry must be an object with 'class_name' and 'config'")
    kind, config = entry.get("class_name"), entry["config"]
    if kind == SEQUENTIAL:
        return _build_sequential(config, custom_objects, budget, depth)
    if kind == FUNCTIONAL:
        return _build_functional(config, custom_objects, budget, depth)
    if kind == SUBCLASSED:
        return _build_subclassed(config, custom_objects, budget)
    raise ValueError(
        f"unknown model class {kind!r} (expected {SEQUENTIAL!r}, {FUNCTIONAL!r} or "
        f"{SUBCLASSED!r})"
    )


def _build_subclassed(config, custom_objects, budget):
    from ..models import Model

    name = config.get("class_name")
    cls = custom_objects.get(name) if isinstance(name, str) else None
    if not (isinstance(cls, type) and issubclass(cls, Model)):
        raise ValueError(
            f"the model is a subclassed model of class {name!r}: pass the class to "
            f"load_model(..., custom_objects={{{name!r}: {name}}})"
        )
    if not isinstance(config.get("config"), dict):
        raise ValueError("a subclassed model's config must be an object")
    try:
        model = cls.from_config(dict(config["config"]))
    except TypeError as e:
        raise ValueError(
            f"{name}.from_config could not rebuild the model ({e}): give {name} a "
            "get_config() listing its constructor's arguments, or a from_config()"
        ) from e

    def guard(layer):
        budget.guard(layer)
        for sub in getattr(layer, "layers", []):
            guard(sub)

    for layer in model.layers:
        guard(layer)
    shape = config.get("build_input_shape")
    if shape is not None and not model.built:
        if not isinstance(shape, list):
            raise ValueError(f"build_input_shape must be a list, got {shape!r}")
        if shape and isinstance(shape[0], list):
            model.build([tuple(s) for s in shape])
        else:
            model.build(tuple(shape))
    return model


def _build_layer(entry, custom_objects, budget, depth):
    from ..models.serialization import layer_from_config

    if not isinstance(entry, dict) or not isinstance(entry.get("config"), dict):
        raise ValueError("a layer entry must be an object with 'class_name' and 'config'")
    name = entry.get("class_name")
    if not isinstance(name, str):
        raise ValueError(f"a layer's class_name must be a string, got {name!r}")
    if name in (SEQUENTIAL, FUNCTIONAL):
        return build_model(entry, custom_objects, budget, depth + 1)
    config = dict(entry["config"])
    activation = config.get("activation")
    if isinstance(activation, str) and activation in custom_objects:
        config["activation"] = custom_objects[activation]
    try:
        layer = layer_from_config({"class_name": name, "config": config}, custom_objects)
    except TypeError as e:
        raise ValueError(f"layer {name} '{config.get('name')}': {e}") from e
    budget.guard(layer)
    return layer


def _build_sequential(config, custom_objects, budget, depth):
    from ..models import Sequential

    model = Sequential(name=_name(config), trainable=bool(config.get("trainable", True)))
    if config.get("input_layer") is not None:
        model.add(_build_layer(config["input_layer"], custom_objects, budget, depth))
    for entry in _items(config, "layers"):
        model.add(_build_layer(entry, custom_objects, budget, depth))
    shape = config.get("build_input_shape")
    if not model.built and shape is not None:
        if not isinstance(shape, list) or not all(d is None or type(d) is int for d in shape):
            raise ValueError(f"build_input_shape must be a list of ints and nulls, got {shape!r}")
        model.build(tuple(shape))
    return model


def _build_functional(config, custom_objects, budget, depth):
    from ..layers.input_layer import InputLayer
    from ..models import Model

    layers = [_build_layer(e, custom_objects, budget, depth) for e in _items(config, "layers")]
    tensors = []
    for k, node in enumerate(_items(config, "nodes")):
        if not isinstance(node, dict):
            raise ValueError(f"node {k} is not an object")
        layer = layers[_index(node.get("layer"), len(layers), f"node {k}'s layer")]
        inputs = [tensors[_index(j, k, f"node {k}'s input")] for j in _items(node, "inputs")]
        if isinstance(layer, InputLayer):
            if inputs:
                raise ValueError(f"node {k}: input layer '{layer.name}' cannot take inputs")
            tensors.append(layer.output)
            continue
        if not inputs or (len(inputs) > 1 and not node.get("list_input")):
            raise ValueError(f"node {k}: layer '{layer.name}' needs one input or a list")
        kwargs = node.get("kwargs") or {}
        _check_call_kwargs(layer, kwargs, k)
        tensors.append(layer(inputs if node.get("list_input") else inputs[0], **kwargs))
    ins = [tensors[_index(j, len(tensors), "model input")] for j in _items(config, "inputs")]
    outs = [tensors[_index(j, len(tensors), "model output")] for j in _items(config, "outputs")]
    if not ins or not outs:
        raise ValueError("a functional model needs inputs and outputs")
    single_in, single_out = config.get("single_input"), config.get("single_output")
    if (single_in and len(ins) != 1) or (single_out and len(outs) != 1):
        raise ValueError("single_input/single_output with several inputs/outputs")
    nesting = config.get("output_nesting")
    if nesting is not None:  # Model(x, [[a, b], c]): the outputs in their nesting again
        from ..training.data import nest_values

        flat = []
        _nest_check(nesting, len(outs), flat)
        outs = nest_values(nesting, outs)
    return Model(
        ins[0] if single_in else ins,
        outs[0] if single_out else outs,
        name=_name(config),
        trainable=bool(config.get("trainable", True)),
    )


def _nest_check(nesting, count, seen):
    """``output_nesting`` must be nested lists of the output indices, each once."""
    if isinstance(nesting, list):
        for item in nesting:
            _nest_check(item, count, seen)
        return
    if isinstance(nesting, bool) or not isinstance(nesting, int) or not 0 <= nesting < count \
            or nesting in seen:
        raise ValueError(f"output_nesting: {nesting!r} is not an output index")
    seen.append(nesting)


def _check_call_kwargs(layer, kwargs, k):
    """A symbolic call records its keyword arguments without running ``call``; check here
    that ``call`` accepts them, rather than at the first prediction."""
    if not isinstance(kwargs, dict):
        raise ValueError(f"node {k}: kwargs must be an object")
    if not kwargs:
        return
    try:
        inspect.signature(layer.call).bind(None, training=False, **kwargs)
    except TypeError as e:
        raise ValueError(
            f"node {k}: layer '{layer.name}' cannot be called with keyword arguments "
            f"{sorted(kwargs)[:10]}: {e}"
        ) from e
    except ValueError:
        pass  # no signature to check against


def _items(obj, key):
    items = obj.get(key)
    if not isinstance(items, list):
        raise ValueError(f"{key!r} must be a list")
    return items


def _index(value, bound, what):
    if type(value) is not int or not 0 <= value < bound:
        raise ValueError(f"{what} is {value!r}, not an index below {bound}")
    return value


def _name(config):
    name = config.get("name")
    if name is not None and not isinstance(name, str):
        raise ValueError(f"a model name must be a string, got {name!r}")
    return name
