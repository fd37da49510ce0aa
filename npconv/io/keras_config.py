"""An npconv model described the way Keras 3 describes it, for Keras's legacy HDF5 files.

``model.save("x.h5")`` is only useful if real Keras (``keras.models.load_model``) can rebuild
the model from the file's ``model_config`` and put each weight where it belongs. This module
gives the three things that takes:

- ``keras_model_config(model)``: the ``{"class_name", "config"}`` JSON Keras 3.15 writes with
  ``use_legacy_config=True`` (what its ``legacy_h5_format.save_model_to_hdf5`` writes):
  ``Sequential`` with its ``InputLayer`` and ``build_input_shape``; ``Functional`` with each
  layer's ``inbound_nodes`` (``{"args": [<__keras_tensor__>], "kwargs": {}}``) and
  ``input_layers``/``output_layers`` as ``[name, node_index, tensor_index]``. Each layer's config
  is its ``get_config``, kept to the constructor arguments Keras's class takes
  (``npconv.io.keras_arguments``, generated from Keras 3.15): an npconv-only argument at its
  default value is dropped, one with any other value is refused (the model Keras rebuilt would
  compute something else), and so is a layer class Keras does not have.
- ``keras_layers(model)``: the model's layers in Keras's order. Keras's legacy loader matches
  weights to layers by position, in the order of ``model.layers`` of the model it rebuilt; for a
  functional model that is the order of ``keras.src.ops.function.map_graph`` (deepest first,
  ties by first visit in a depth-first walk from the outputs), not the order in which npconv
  lists them, so the file's ``layer_names`` must follow Keras's.
- ``training_config(model)``: the compile settings as Keras writes them (``loss``, ``metrics``,
  ``loss_weights``, ``optimizer_config``), or ``None`` with a reason when something in them has
  no Keras equivalent (a custom loss, ``SGD(decay=...)``): Keras then loads the model
  uncompiled, as it does any file without training settings.

Layers with weights of their own at model level, shared layers (one layer called twice) and
subclassed models are refused with an error saying so; npconv's own ``.keras`` format saves
them.
"""

from __future__ import annotations

import inspect

from . import keras_arguments, limits

__all__ = ["keras_model_config", "keras_layers", "training_config", "KERAS_VERSION"]

#: The Keras release whose legacy HDF5 format this writes (and whose arguments it checks).
KERAS_VERSION = "3.15.1"
#: Keras 2's input-shape arguments of a first layer; Keras 3 turns them into an InputLayer.
INPUT_SHAPE_KEYS = ("input_shape", "batch_input_shape", "input_dim", "batch_size", "input_length")
FLOAT32_POLICY = {
    "module": "keras",
    "class_name": "DTypePolicy",
    "config": {"name": "float32"},
    "registered_name": None,
}


# ----------------------------------------------------------------------------- layer order
def _is_functional(model):
    from ..models import Model, Sequential

    return (
        isinstance(model, Model)
        and not isinstance(model, Sequential)
        and model.model_kind == "functional"
    )


def _node_inputs(node):
    xs = node.inputs if isinstance(node.inputs, (list, tuple)) else [node.inputs]
    return [x for x in xs if x is not None]


def keras_layers(model):
    """``model.layers`` in the order Keras's ``model.layers`` has them once Keras rebuilt the
    model: for ``Sequential`` the stack; for a functional model the order of Keras's
    ``map_graph``."""
    from ..layers.input_layer import InputLayer

    if not _is_functional(model):
        return list(model.layers)
    finished, nodes, first_visit = set(), [], {}

    def visit(node):  # Keras's _build_map_helper
        if id(node) in finished:
            return
        first_visit.setdefault(id(node.layer), len(first_visit))
        if not isinstance(node.layer, InputLayer):
            for t in _node_inputs(node):
                if t.node is not None:
                    visit(t.node)
        finished.add(id(node))
        nodes.append(node)

    for t in model.outputs:
        visit(t.node)
    node_depth, layer_depth, layers = {}, {}, {}
    for node in reversed(nodes):
        depth = max(node_depth.setdefault(id(node), 0), layer_depth.get(id(node.layer), 0))
        layer_depth[id(node.layer)] = depth
        layers[id(node.layer)] = node.layer
        node_depth[id(node)] = depth
        for t in _node_inputs(node):
            if t.node is not None and not isinstance(node.layer, InputLayer):
                node_depth[id(t.node)] = max(depth + 1, node_depth.get(id(t.node), 0))
    for t in model.inputs:  # inputs that feed no output
        layer = t.node.layer
        if id(layer) not in layer_depth:
            layer_depth[id(layer)], first_visit[id(layer)], layers[id(layer)] = 0, -1, layer
    order = sorted(layers, key=lambda k: (-layer_depth[k], first_visit[k]))
    return [layers[k] for k in order]


# ----------------------------------------------------------------------------- model config
def keras_model_config(model, depth=0):
    """``{"class_name": "Sequential" | "Functional", "config": {...}}`` as Keras writes it in
    a legacy ``.h5`` file's ``model_config`` attribute. Raises ``ValueError`` naming the layer
    for anything Keras could not rebuild exactly."""
    from ..models import Sequential

    if depth > limits.MAX_MODEL_DEPTH:
        raise ValueError(f"models nested more than {limits.MAX_MODEL_DEPTH} deep")
    if isinstance(model, Sequential):
        return {"class_name": "Sequential", "config": _sequential(model, depth)}
    if _is_functional(model):
        return {"class_name": "Functional", "config": _functional(model, depth)}
    raise ValueError(
        f"model '{model.name}' ({type(model).__name__}) is a subclassed model: a Keras .h5 file "
        "holds Sequential and functional Model(inputs, outputs) models only. Use "
        "model.save_weights('x.h5') and build the model in code, or save it as .keras"
    )


def _entry(layer, depth):
    from ..models import Model

    if isinstance(layer, Model):
        return keras_model_config(layer, depth + 1)
    return {"class_name": _class_name(layer), "config": keras_layer_config(layer)}


def _input_entry(name, batch_shape, dtype=None):
    return {
        "class_name": "InputLayer",
        "config": {
            "batch_shape": list(batch_shape),
            "dtype": str(dtype or "float32"),
            "sparse": False,
            "ragged": False,
            "name": name,
            "optional": False,
        },
    }


def _sequential(model, depth):
    if not model.built:
        raise ValueError(
            f"model '{model.name}' is not built, so it has no weights to save: give its first "
            "layer an input shape, call model.build(input_shape), or fit it first"
        )
    layers = [_entry(layer, depth) for layer in model.layers]
    input_layer = model.input_layer
    if input_layer is not None:
        layers.insert(0, _input_entry(input_layer.name, input_layer.batch_shape,
                                      input_layer.dtype))
    else:  # Keras 2 style, input_shape= on the first layer: Keras 3 makes an InputLayer of it
        names = {layer.name for layer in model.layers}
        name, i = "input_layer", 0
        while name in names:
            i += 1
            name = f"input_layer_{i}"
        layers.insert(0, _input_entry(name, model.built_input_shape))
    return {
        "name": model.name,
        "trainable": bool(model.trainable),
        "dtype": FLOAT32_POLICY,
        "layers": layers,
        "build_input_shape": list(model.built_input_shape),
    }


def _functional(model, depth):
    from ..layers.input_layer import InputLayer

    calls = {}
    for node in model.graph_nodes():
        calls.setdefault(id(node.layer), []).append(node)
    entries = []
    for layer in keras_layers(model):
        nodes = calls.get(id(layer), [])
        if isinstance(layer, InputLayer):
            entry = _input_entry(layer.name, layer.batch_shape, layer.dtype)
            entry.update(name=layer.name, inbound_nodes=[])
            entries.append(entry)
            continue
        if len(nodes) != 1:
            raise ValueError(
                f"layer '{layer.name}' is called {len(nodes)} times in model '{model.name}'; "
                "npconv writes Keras .h5 files for models whose layers are each called once "
                "(save shared-layer models as .keras)"
            )
        node = nodes[0]
        if node.kwargs:
            raise ValueError(
                f"layer '{layer.name}' is called with arguments {sorted(node.kwargs)} besides "
                "its inputs, which npconv does not write to Keras .h5 files"
            )
        args = node.inputs
        if isinstance(args, (list, tuple)):
            args = [_tensor(t) for t in args]
        else:
            args = _tensor(args)
        entry = _entry(layer, depth)
        entry.update(name=layer.name, inbound_nodes=[{"args": [args], "kwargs": {}}])
        entries.append(entry)
    inputs = [_history(t) for t in model.inputs]
    outputs = [_history(t) for t in model.outputs]
    return {
        "name": model.name,
        "trainable": bool(model.trainable),
        "layers": entries,
        "input_layers": inputs if model.input_is_list else inputs[0],
        "output_layers": outputs if model.output_is_list else outputs[0],
    }


def _history(tensor):
    """``[layer name, node index, tensor index]``. A functional model counts its own graph as
    its first node, so its first call in an outer model is node 1 (Keras's ``kept_nodes``)."""
    layer = tensor.node.layer
    return [layer.name, 1 if _is_functional(layer) else 0, 0]


def _tensor(tensor):
    return {
        "class_name": "__keras_tensor__",
        "config": {
            "shape": list(tensor.shape),
            "dtype": str(tensor.dtype or "float32"),
            "keras_history": _history(tensor),
        },
    }


def _class_name(layer):
    return type(layer).__name__


def keras_layer_config(layer):
    """``layer.get_config()`` kept to what Keras's class of the same name accepts."""
    name = _class_name(layer)
    config = dict(layer.get_config())
    if not type(layer).__module__.startswith("npconv."):
        return config  # a user's own layer: Keras needs it in custom_objects, as for its files
    accepted = keras_arguments.LAYERS.get(name)
    if accepted is None:
        raise ValueError(
            f"layer '{layer.name}' ({name}) is npconv's own; Keras has no {name} layer, so a "
            "Keras .h5 file cannot hold it. Save the model as .keras (npconv's format)"
        )
    for key in INPUT_SHAPE_KEYS:  # the model's InputLayer says it, as in Keras 3's files
        config.pop(key, None)
    if "trainable" not in accepted and not layer.weights:
        config.pop("trainable", None)  # meaningless without weights (Keras's SpatialDropout)
    fix = _KERAS_VALUES.get(name)
    if fix is not None:
        config = fix(config)
    kept = _keep_accepted(config, accepted, type(layer), f"layer '{layer.name}' ({name})")
    if "dtype" in kept and kept["dtype"] in (None, "float32"):
        kept["dtype"] = FLOAT32_POLICY
    for problem in _unrepresentable(kept):
        raise ValueError(f"layer '{layer.name}' ({name}): {problem}")
    return kept


def _padding_1d(config):
    """npconv's ZeroPadding1D says ``padding=((1, 1),)``; Keras's takes ``(1, 1)``."""
    padding = config.get("padding")
    if isinstance(padding, (list, tuple)) and len(padding) == 1:
        config = dict(config, padding=list(padding[0]))
    return config


#: Values npconv's configs spell otherwise than Keras's constructors take them.
_KERAS_VALUES = {"ZeroPadding1D": _padding_1d}


def _keep_accepted(config, accepted, cls, what=None):
    """``config`` without the keys Keras's class does not take; each dropped key must hold
    npconv's default for it, else ``ValueError``."""
    defaults = _defaults(cls)
    out = {}
    for key, value in config.items():
        if key in accepted:
            out[key] = value
        elif key not in defaults or not _same(value, defaults[key]):
            raise ValueError(
                f"{what or cls.__name__}: {key}={value!r} is an npconv argument that Keras's "
                f"{cls.__name__} does not have, so Keras could not rebuild it"
            )
    return out


def _defaults(cls):
    out = {}
    for klass in reversed(cls.__mro__):
        init = vars(klass).get("__init__")
        if init is None:
            continue
        try:
            params = inspect.signature(init).parameters.values()
        except (TypeError, ValueError):
            continue
        for p in params:
            if p.default is not p.empty:
                out[p.name] = p.default
    return out


def _same(a, b):
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return list(a) == list(b)
    return a == b


def _unrepresentable(config):
    """Values in a config that JSON cannot carry to Keras (a Python function)."""
    for key, value in config.items():
        if callable(value) and not isinstance(value, type):
            yield (
                f"{key}={value!r} is a Python function; Keras .h5 files name functions, they "
                "cannot hold one"
            )


# ----------------------------------------------------------------------------- compile settings
def training_config(model):
    """``(config, None)`` with the compile settings as Keras 3.15 writes them in a legacy
    ``.h5`` file's ``training_config`` attribute, or ``(None, reason)`` when the model is not
    compiled or something in its settings has no Keras equivalent."""
    if not getattr(model, "compiled", False) or getattr(model, "optimizer", None) is None:
        return None, "the model is not compiled"
    try:
        optimizer = _optimizer_config(model.optimizer)
        losses = [_loss_entry(loss) for loss in model.compiled_losses]
        metrics = [_metrics_entry(spec) for spec in model.metric_specs]
    except ValueError as e:
        return None, str(e)
    single = len(losses) == 1
    weights = [float(w) for w in model.loss_weights]
    return {
        "loss": losses[0] if single else losses,
        "loss_weights": None if all(w == 1.0 for w in weights) else weights,
        "metrics": (metrics[0] if single else metrics) if any(metrics) else None,
        "weighted_metrics": None,
        "run_eagerly": False,
        "steps_per_execution": 1,
        "jit_compile": False,
        "optimizer_config": optimizer,
    }, None


def _optimizer_config(optimizer):
    from .. import optimizers

    entry = optimizers.serialize(optimizer)
    name = entry.get("class_name")
    accepted = keras_arguments.OPTIMIZERS.get(name)
    if accepted is None or not type(optimizer).__module__.startswith("npconv."):
        raise ValueError(f"Keras has no optimizer {name!r}")
    config = _keep_accepted(entry.get("config") or {}, accepted, type(optimizer),
                            f"optimizer {name}")
    if isinstance(config.get("learning_rate"), dict):
        raise ValueError(f"optimizer {name}: a learning-rate schedule is not written to .h5")
    return {"class_name": name, "config": config}


def _loss_entry(loss):
    from .. import losses

    if loss is None:
        return None
    if type(loss) is losses.LossFunctionWrapper:
        return _function_name(loss.fn, losses, "loss")
    name = type(loss).__name__
    accepted = keras_arguments.LOSSES.get(name)
    if accepted is None or not type(loss).__module__.startswith("npconv."):
        raise ValueError(f"Keras has no loss {name!r}")
    return {"class_name": name, "config": _keep_accepted(loss.get_config(), accepted, type(loss),
                                                         f"loss {name}")}


def _metrics_entry(spec):
    if spec is None:
        return None
    if isinstance(spec, (list, tuple)):
        return [_metric_entry(m) for m in spec]
    return [_metric_entry(spec)]


def _metric_entry(metric):
    from .. import metrics

    if isinstance(metric, str):
        return metric
    if isinstance(metric, metrics.Metric) and type(metric) is not metrics.MeanMetricWrapper:
        name = type(metric).__name__
        accepted = keras_arguments.METRICS.get(name)
        if accepted is None or not type(metric).__module__.startswith("npconv."):
            raise ValueError(f"Keras has no metric {name!r}")
        config = _keep_accepted(metric.get_config(), accepted, type(metric), f"metric {name}")
        return {"class_name": name, "config": config}
    if isinstance(metric, type):
        return metric.__name__ if metric.__name__ in keras_arguments.METRICS else _no(metric)
    fn = getattr(metric, "fn", metric)
    return _function_name(fn, metrics, "metric")


def _function_name(fn, module, what):
    name = getattr(fn, "__name__", None)
    if not (isinstance(name, str) and getattr(module, name, None) is fn):
        raise ValueError(f"the {what} {fn!r} is a function of your own, which Keras cannot name")
    return name


def _no(obj):
    raise ValueError(f"Keras has no {obj!r}")
