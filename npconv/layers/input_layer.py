"""``Input`` / ``InputLayer``: where a model's data enters, with its expected shape."""

from __future__ import annotations

from .base import Layer
from .symbolic import KerasTensor, Node


class InputLayer(Layer):
    """Declares a model input of ``shape`` (without the batch axis) and makes its KerasTensor."""

    output = None  # a plain attribute here: the KerasTensor made in __init__

    def __init__(self, shape=None, batch_size=None, dtype=None, name=None, **kwargs):
        batch_shape = kwargs.pop("batch_shape", None) or kwargs.pop("batch_input_shape", None)
        input_shape = kwargs.pop("input_shape", None)
        super().__init__(name=name, dtype=dtype, **kwargs)
        if batch_shape is not None:
            batch_shape = tuple(batch_shape)
        elif shape is not None or input_shape is not None:
            batch_shape = (batch_size, *tuple(shape if shape is not None else input_shape))
        else:
            raise ValueError("InputLayer needs shape= (the shape of one sample, e.g. (28, 28, 1))")
        self.batch_shape = batch_shape
        self.input_shape_arg = batch_shape
        self.built = True
        self.built_input_shape = self.built_output_shape = batch_shape
        node = Node(self, [])
        self.output = KerasTensor(batch_shape, dtype=self.dtype, node=node, name=self.name)
        node.outputs = [self.output]
        self.inbound_nodes.append(node)

    def call(self, inputs, training=False):
        return inputs

    def get_config(self):
        return {"batch_shape": self.batch_shape, "dtype": self.dtype, "name": self.name}


def Input(shape=None, batch_size=None, dtype=None, name=None, batch_shape=None):  # noqa: N802
    """A symbolic input for the functional API: ``x = Input((28, 28, 1))``."""
    layer = InputLayer(
        shape=shape, batch_size=batch_size, dtype=dtype, name=name, batch_shape=batch_shape
    )
    return layer.output
