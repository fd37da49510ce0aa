"""A model's ``compile`` settings as JSON, and ``compile`` called again from them.

::

    {"optimizer": {"module": ..., "class_name": "Adam", "config": {...}, "registered_name": null},
     "loss": [<loss>, ...],              # one per output (null where an output has none)
     "loss_weights": [1.0, ...],
     "metrics": [[<metric>, ...] | <metric> | null, ...]}   # one per output

A ``<loss>`` is ``{"class_name": "CategoricalCrossentropy", "config": {...}}``, or for a loss
made from a plain function ``{"class_name": "function", "function": "my_loss",
"config": {...}}``. A ``<metric>`` is a name as given to ``compile`` (``"accuracy"``), a
``{"class_name", "config"}`` object (``config`` null for a metric class passed uninstantiated),
or ``{"class_name": "function", "function": name}``. Names resolve in npconv's registries, then
in the caller's custom objects; the optimizer goes through ``npconv.optimizers.deserialize``.
"""

from __future__ import annotations

import inspect

__all__ = ["compile_config", "compile_from_config"]

FUNCTION = "function"


# ---------------------------------------------------------------------------------- describing
def compile_config(model) -> dict | None:
    """``model``'s compile settings, or ``None`` when it is not compiled."""
    from .. import optimizers

    if not getattr(model, "compiled", False):
        return None
    return {
        "optimizer": optimizers.serialize(model.optimizer),
        "loss": [_loss_entry(loss) for loss in model.compiled_losses],
        "loss_weights": [float(w) for w in model.loss_weights],
        "metrics": [_spec_entry(spec) for spec in model.metric_specs],
    }


def _loss_entry(loss):
    from .. import losses

    if loss is None:
        return None
    if type(loss) is losses.LossFunctionWrapper:
        return {"class_name": FUNCTION, "function": _fn_name(loss.fn), "config": loss.get_config()}
    return {"class_name": type(loss).__name__, "config": loss.get_config()}


def _spec_entry(spec):
    if spec is None:
        return None
    if isinstance(spec, (list, tuple)):
        return [_metric_entry(m) for m in spec]
    return _metric_entry(spec)


def _metric_entry(metric):
    from .. import metrics

    if isinstance(metric, str):
        return metric
    if isinstance(metric, type) and issubclass(metric, metrics.Metric):
        return {"class_name": metric.__name__, "config": None}
    if isinstance(metric, metrics.Metric):
        entry = {"class_name": type(metric).__name__, "config": metric.get_config()}
        if type(metric) is metrics.MeanMetricWrapper:
            entry.update(class_name=FUNCTION, function=_fn_name(metric.fn))
        return entry
    if callable(metric):
        return {"class_name": FUNCTION, "function": _fn_name(metric)}
    raise ValueError(f"Cannot save metric {metric!r}")


def _fn_name(fn):
    name = getattr(fn, "__name__", None)
    if not isinstance(name, str) or name == "<lambda>":
        raise ValueError(
            f"Cannot save {fn!r} by name: give it a def'd name, so that load_model can find it in "
            "custom_objects"
        )
    return name


# ---------------------------------------------------------------------------------- rebuilding
def compile_from_config(model, config, custom_objects):
    """Call ``model.compile`` with the settings of ``compile_config``."""
    from .. import optimizers

    if not isinstance(config, dict):
        raise ValueError("the compile settings must be an object")
    optimizer = optimizers.deserialize(config.get("optimizer"), custom_objects=custom_objects)
    loss = [_loss(entry, custom_objects) for entry in _list(config, "loss")]
    weights = _list(config, "loss_weights")
    specs = [_spec(entry, custom_objects) for entry in _list(config, "metrics")]
    if not all(isinstance(w, (int, float)) and not isinstance(w, bool) for w in weights):
        raise ValueError("loss_weights must be numbers")
    n_out = model.count_outputs()
    if not len(loss) == len(weights) == len(specs) == n_out:
        raise ValueError(
            f"the compile settings describe {len(loss)} losses, {len(weights)} loss weights and "
            f"{len(specs)} metric lists for a model with {n_out} outputs"
        )
    model.compile(optimizer=optimizer, loss=loss, loss_weights=weights)
    # compile() reshapes its metrics argument; the saved per-output list is already that shape
    model.metric_specs = specs


def _list(config, key):
    value = config.get(key)
    if not isinstance(value, list):
        raise ValueError(f"the compile settings' {key!r} must be a list")
    return value


def _loss(entry, custom_objects):
    from .. import losses

    if entry is None:
        return None
    name, config = _class_and_config(entry, "loss")
    if name == FUNCTION:
        fn = _function(entry, custom_objects, losses, "loss")
        config = dict(config or {})
        return losses.LossFunctionWrapper(
            fn,
            name=config.pop("name", None),
            reduction=config.pop("reduction", "sum_over_batch_size"),
            **config,
        )
    cls = custom_objects.get(name)
    if cls is not None:
        return cls.from_config(dict(config or {}))
    try:
        return losses.get({"class_name": name, "config": dict(config or {})})
    except ValueError:
        raise ValueError(f"unknown loss class {name!r}: pass it in custom_objects") from None


def _spec(entry, custom_objects):
    if entry is None:
        return None
    if isinstance(entry, list):
        return [_metric(m, custom_objects) for m in entry]
    return _metric(entry, custom_objects)


def _metric(entry, custom_objects):
    from .. import metrics

    if isinstance(entry, str):
        if entry.lower() not in ("accuracy", "acc"):
            metrics.get(entry)  # fails early, with the valid names, on an unknown one
        return entry
    name, config = _class_and_config(entry, "metric")
    if name == FUNCTION:
        fn = _function(entry, custom_objects, metrics, "metric")
        if config is None:
            return fn
        return metrics.MeanMetricWrapper(fn, **dict(config))
    cls = custom_objects.get(name)
    if cls is None:
        cls = getattr(metrics, name, None)
        if not (isinstance(cls, type) and issubclass(cls, metrics.Metric)):
            raise ValueError(f"unknown metric class {name!r}: pass it in custom_objects")
    if config is None:
        return cls
    return cls.from_config(dict(config))


def _class_and_config(entry, what):
    if not isinstance(entry, dict) or not isinstance(entry.get("class_name"), str):
        raise ValueError(f"a {what} must be a name or an object with 'class_name'")
    config = entry.get("config")
    if config is not None and not isinstance(config, dict):
        raise ValueError(f"a {what}'s config must be an object")
    return entry["class_name"], config


def _function(entry, custom_objects, module, what):
    """A function named in a file: from custom_objects, or one of ``module``'s own."""
    name = entry.get("function")
    if not isinstance(name, str):
        raise ValueError(f"a {what} function entry needs a 'function' name")
    if name in custom_objects:
        return custom_objects[name]
    fn = getattr(module, name, None)
    if inspect.isfunction(fn) and fn.__module__ == module.__name__:
        return fn
    raise ValueError(f"unknown {what} function {name!r}: pass it in custom_objects")
