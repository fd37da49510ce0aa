"""``Variable``: a named, trainable Tensor — a layer's weight or an optimizer's slot.

Optimizers update ``variable.data`` in place (so graphs, views and references stay valid);
``assign`` is the public way to replace its value, checking the shape and keeping the dtype.
"""

from __future__ import annotations

from ..backend import xp
from .tensor import Tensor


class Variable(Tensor):
    """A leaf Tensor that persists across steps.

    ``trainable`` decides whether optimizers update it (and whether gradients are recorded);
    ``constraint`` (a callable on arrays, e.g. ``max_norm``) is applied after each update.
    """

    __slots__ = ("constraint", "regularizer", "path", "layer_trainable")

    def __init__(self, value, name=None, trainable=True, dtype=None, constraint=None):
        array = xp.array(value, dtype=dtype, copy=True)
        super().__init__(array, requires_grad=trainable, name=name)
        self.constraint = constraint
        self.regularizer = None
        self.path = name
        self.layer_trainable = trainable  # what the layer asked for, kept across freezing

    @property
    def trainable(self) -> bool:
        return self.requires_grad

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self.requires_grad = bool(value)

    @property
    def value(self):
        return self.data

    def assign(self, value) -> None:
        """Copy ``value`` into this variable (same shape; cast to this variable's dtype)."""
        value = value.data if isinstance(value, Tensor) else xp.asarray(value)
        if value.shape != self.data.shape:
            raise ValueError(
                f"Variable '{self.name}' has shape {self.data.shape}, "
                f"cannot assign a value of shape {value.shape}"
            )
        self.data[...] = value

    def assign_add(self, delta) -> None:
        self.data += xp.asarray(delta, dtype=self.data.dtype)

    def assign_sub(self, delta) -> None:
        self.data -= xp.asarray(delta, dtype=self.data.dtype)

    def __repr__(self):
        return f"<Variable '{self.name}' shape={self.data.shape} dtype={self.data.dtype}>"
