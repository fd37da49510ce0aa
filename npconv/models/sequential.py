"""``Sequential``: a plain stack of layers, each feeding the next.

The model builds as soon as it knows its input shape — from an ``input_shape=`` on the first
layer, an ``Input``/``InputLayer`` added first, or the first data it sees — and from then on
each added layer is built at once, so a layer that does not fit the previous one is reported
when it is added, not in the middle of training.
"""

from __future__ import annotations

from ..layers.base import Layer
from ..layers.input_layer import InputLayer
from ..layers.symbolic import KerasTensor
from ..training.data import adjust_input_rank, cast_floats
from . import fusion
from .model import Model


class Sequential(Model):
    """``Sequential([Conv2D(...), ...])`` or ``Sequential()`` then ``.add(layer)``."""

    def __init__(self, layers=None, name=None, trainable=True):
        super().__init__(name=name, trainable=trainable)
        self._stack: list[Layer] = []
        self._input_layer: InputLayer | None = None
        self._graph = None  # (input tensor, [(layer, node)]): the stack called on Keras tensors
        for layer in layers or []:
            self.add(layer)

    def add(self, layer) -> None:
        """Append ``layer`` (an ``Input(...)`` tensor is accepted first, as in Keras)."""
        if isinstance(layer, KerasTensor) and isinstance(layer.node.layer, InputLayer):
            layer = layer.node.layer
        if not isinstance(layer, Layer):
            raise TypeError(
                f"Sequential.add expects a layer instance, got {layer!r}"
                + (" (a class: did you forget the parentheses?)" if isinstance(layer, type) else "")
            )
        if isinstance(layer, InputLayer):
            if self._stack or self._input_layer is not None:
                raise ValueError("An InputLayer can only be the first layer of a Sequential model")
            self._input_layer = layer
            self._build_stack(layer.batch_shape)
            return
        if any(existing is layer for existing in self._stack):
            raise ValueError(f"Layer '{layer.name}' is already in model '{self.name}'")
        self._stack.append(layer)
        if self.built:
            shape = self.built_output_shape
            layer._maybe_build(shape)
            layer.check_input_shape(shape)
            self.built_output_shape = layer.compute_output_shape(shape)
            self._make_graph()
        elif len(self._stack) == 1 and layer.input_shape_arg is not None:
            self._build_stack(layer.input_shape_arg)
        elif (len(self._stack) == 1 and isinstance(layer, Model) and layer.built
              and isinstance(layer.built_input_shape, tuple)):
            # a built model first (a data-augmentation Sequential, a transfer-learning base):
            # its input shape is this model's, as Keras takes it
            self._build_stack(layer.built_input_shape)

    def pop(self) -> Layer:
        """Remove and return the last layer."""
        if not self._stack:
            raise TypeError("There are no layers in the model to pop")
        layer = self._stack.pop()
        if self.built:
            self.built_output_shape = (
                self._stack[-1].built_output_shape if self._stack else self.built_input_shape
            )
            self._make_graph()
        return layer

    def _build_stack(self, input_shape) -> None:
        shape = tuple(input_shape)
        self.built_input_shape = shape
        for layer in self._stack:
            layer._maybe_build(shape)
            layer.check_input_shape(shape)
            shape = layer.compute_output_shape(shape)
        self.built_output_shape = shape
        self.built = True
        self._make_graph()

    def _make_graph(self):
        """Call the stack on a Keras tensor of the input shape, as Keras 3 does once a
        Sequential knows its input: ``model.inputs``/``outputs`` and each layer's
        ``input``/``output`` then exist, for models that read activations
        (``Model(model.inputs, [layer.output for layer in model.layers])``). Rebuilt, without
        the previous call's nodes, when layers are added or popped."""
        from ..layers.input_layer import InputLayer

        if self._graph is not None:
            for layer, node in self._graph[1]:
                if node in layer.inbound_nodes:
                    layer.inbound_nodes.remove(node)
        if self._input_layer is not None:
            x = self._input_layer.output
        else:  # named after the model, so layer-name counters stay as they were
            x = InputLayer(batch_shape=self.built_input_shape, name=f"{self.name}_input").output
        start, nodes = x, []
        for layer in self._stack:
            x = layer(x)  # on a Keras tensor: records the call, as Keras 3 builds a Sequential
            nodes.append((layer, x.node if isinstance(x, KerasTensor) else x[0].node))
        self._graph = (start, nodes)

    def build(self, input_shape=None) -> None:
        if input_shape is None:
            if self.built:
                return
            raise ValueError(
                f"Sequential model '{self.name}' has no input shape: give its first layer "
                "input_shape=... or call build((None, ...))"
            )
        self._build_stack(input_shape)

    def _maybe_build(self, input_shape) -> None:
        if not self.built:
            self._build_stack((None, *tuple(input_shape)[1:]))

    def check_input_shape(self, shape) -> None:
        if self._stack:
            self._stack[0].check_input_shape(shape)

    def call(self, inputs, training=False):
        calls, pairs, chains = self._fusion_plan()
        # a convolution and the max pooling it alone feeds run as one op, and the chains of
        # models.fusion.fused_chains, in training and inference
        values = fusion.run_calls(calls, {-1: inputs}, lambda call, x: call.layer(
            x, training=training), pairs, chains, training)
        return values[len(calls) - 1] if calls else inputs

    def _fusion_plan(self):
        """``(calls, conv_pool_pairs, fused_chains)`` of the current stack, worked out once
        per stack (``models.fusion``)."""
        key = tuple(map(id, self._stack))
        plan = self.__dict__.get("_fusion")
        if plan is None or plan[0] != key:
            calls = fusion.sequential_calls(self._stack)
            outputs = [len(calls) - 1]
            plan = self._fusion = (key, calls, fusion.conv_pool_pairs(calls),
                                   fusion.fused_chains(calls, outputs))
        return plan[1:]

    def __call__(self, inputs, training=None, **kwargs):
        if self.built and not isinstance(inputs, KerasTensor):
            inputs = adjust_input_rank(inputs, self.built_input_shape)  # as Keras 3
            inputs = cast_floats(inputs, self._input_dtype())
        return Layer.__call__(self, inputs, training=training, **kwargs)

    def _call_symbolic(self, inputs, **kwargs):
        return Layer._call_symbolic(self, inputs, **kwargs)

    def _input_dtype(self):
        """The dtype the model's inputs are cast to when floating: its ``Input``'s, else its
        first layer's."""
        if self._input_layer is not None:
            return getattr(self._input_layer, "dtype", None)
        return self._stack[0].dtype if self._stack else None

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        for layer in self._stack:
            shape = layer.compute_output_shape(shape)
        return shape

    @property
    def layers(self) -> list[Layer]:
        return list(getattr(self, "_stack", []))

    @property
    def model_kind(self) -> str:
        return "sequential"

    @property
    def input_layer(self) -> InputLayer | None:
        """The ``InputLayer`` the model was started with (``Input(...)`` or ``InputLayer``
        added first), or None when the first layer's ``input_shape=`` or the data gave the
        shape: ``clone_model`` and the file formats (``npconv.io``) copy it."""
        return self._input_layer

    def _single_input_model(self) -> bool:
        return True

    @property
    def inputs(self):
        """``[input tensor]`` once the model knows its input shape (else None)."""
        return [self._graph[0]] if self._graph is not None else None

    @property
    def outputs(self):
        """``[output tensor]`` once the model knows its input shape (else None)."""
        if self._graph is None:
            return None
        if not self._graph[1]:
            return [self._graph[0]]
        outs = self._graph[1][-1][1].outputs
        return [outs[0]] if len(outs) == 1 else list(outs)

    def get_config(self):
        from .serialization import layer_config

        config = {
            "name": self.name,
            "trainable": self.trainable,
            "layers": [layer_config(layer) for layer in self._stack],
        }
        if self._input_layer is not None:
            config["batch_shape"] = self._input_layer.batch_shape
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from .serialization import layer_from_config

        model = cls(name=config.get("name"))
        if "batch_shape" in config:
            model.add(InputLayer(batch_shape=config["batch_shape"]))
        for item in config["layers"]:
            model.add(layer_from_config(item, custom_objects))
        return model
