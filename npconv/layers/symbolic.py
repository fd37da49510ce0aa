"""Symbolic tensors for the functional API: ``Input(shape)`` and the graph they record.

``KerasTensor`` carries only a shape (batch axis ``None``) and the ``Node`` that made it; a
``Node`` is one call of one layer on some symbolic inputs. ``Model(inputs, outputs)`` walks the
nodes back from its outputs to find the layers to run and their order.
"""

from __future__ import annotations


class Node:
    """One call of ``layer`` on ``inputs`` (a KerasTensor or a list of them)."""

    __slots__ = ("layer", "inputs", "kwargs", "outputs")

    def __init__(self, layer, inputs, kwargs=None):
        self.layer = layer
        self.inputs = inputs
        self.kwargs = kwargs or {}
        self.outputs = []

    @property
    def parents(self):
        xs = self.inputs if isinstance(self.inputs, (list, tuple)) else [self.inputs]
        return [x.node for x in xs if x.node is not None]

    def bind(self, values, result):
        """Record this call's ``result`` in ``values`` under the ids of its output tensors:
        one, or one per output of a layer or model that returns several."""
        if len(self.outputs) == 1:
            values[id(self.outputs[0])] = result
        else:
            for tensor, value in zip(self.outputs, result):
                values[id(tensor)] = value


class KerasTensor:
    """A placeholder for data flowing through a functional model: a shape and its origin."""

    __slots__ = ("shape", "dtype", "node", "name")

    def __init__(self, shape, dtype="float32", node=None, name=None):
        self.shape = tuple(shape)
        self.dtype = dtype
        self.node = node
        self.name = name

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        origin = f", created by layer '{self.node.layer.name}'" if self.node else ""
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}{origin}>"
