"""Finding layers in a model for the filter and feature-map plots."""

from __future__ import annotations

import numbers


def is_conv2d(layer) -> bool:
    """A 2-D convolution layer (``Conv2D`` / ``Convolution2D`` or a subclass)."""
    from ..layers.convolutional import BaseConv

    return isinstance(layer, BaseConv) and layer.rank == 2


def model_layers(model) -> list:
    layers = getattr(model, "layers", None)
    if layers is None:
        raise TypeError(f"Expected an npconv model (with .layers), got {type(model)!r}")
    return list(layers)


def describe_layers(layers) -> str:
    return "[" + ", ".join(f"{type(x).__name__} '{x.name}'" for x in layers) + "]"


def resolve_layer(model, spec):
    """The layer of ``model`` named by ``spec``: a name, an index into ``model.layers``, or the
    layer itself (which must belong to the model)."""
    from ..layers.base import Layer

    if isinstance(spec, Layer):
        if not any(layer is spec for layer in model_layers(model)):
            raise ValueError(
                f"Layer '{spec.name}' is not one of the layers of model '{model.name}': "
                f"{describe_layers(model_layers(model))}"
            )
        return spec
    if isinstance(spec, str):
        return model.get_layer(name=spec)
    if isinstance(spec, numbers.Integral) and not isinstance(spec, bool):
        return model.get_layer(index=int(spec))
    raise TypeError(f"A layer is named by its name, index or the Layer itself; got {spec!r}")
