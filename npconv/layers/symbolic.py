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

    # arithmetic and indexing build graph nodes (npconv.layers.op_layer), as in Keras 3:
    # ``x += residual``, ``2 * x``, ``x[:, :2]``
    def __add__(self, other):
        return _ops().add(self, other)

    def __radd__(self, other):
        return _ops().add(other, self)

    def __sub__(self, other):
        return _ops().subtract(self, other)

    def __rsub__(self, other):
        return _ops().subtract(other, self)

    def __mul__(self, other):
        return _ops().multiply(self, other)

    def __rmul__(self, other):
        return _ops().multiply(other, self)

    def __truediv__(self, other):
        return _ops().divide(self, other)

    def __rtruediv__(self, other):
        return _ops().divide(other, self)

    def __matmul__(self, other):
        return _ops().matmul(self, other)

    def __rmatmul__(self, other):
        return _ops().matmul(other, self)

    def __pow__(self, other):
        return _ops().power(self, other)

    def __neg__(self):
        return _ops().negative(self)

    def __abs__(self):
        return _ops().absolute(self)

    def __getitem__(self, index):
        from .op_layer import symbolic_call

        return symbolic_call(get_item, (self, index), {})


def _ops():
    from .. import ops

    return ops


def get_item(x, index):
    """``x[index]`` of a Tensor (differentiable), an array or a number."""
    return x[index]
