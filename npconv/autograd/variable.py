"""``Variable``: a named, trainable Tensor — a layer's weight or an optimizer's slot.

Optimizers update ``variable.data`` in place (so graphs, views and references stay valid);
``assign`` is the public way to replace its value, checking the shape and keeping the dtype.
"""

from __future__ import annotations

from ..backend import xp
from .tensor import Tensor, _other_library


class Variable(Tensor):
    """A leaf Tensor that persists across steps.

    ``trainable`` decides whether optimizers update it (and whether gradients are recorded);
    ``constraint`` (a callable on arrays, e.g. ``max_norm``) is applied after each update.
    """

    __slots__ = ("constraint", "regularizer", "path", "layer_trainable")

    def __init__(self, value, name=None, trainable=True, dtype=None, constraint=None):
        if _other_library(value):  # a weight placed on a device (backend.to_backend): stays
            array = _copy_in_place(value, dtype)
        else:
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
        value = value.data if isinstance(value, Tensor) else value
        if _other_library(self.data):  # a device weight: the value moved beside it
            value = _library_of(self.data).asarray(value, device=self.data.device)
        else:
            value = xp.asarray(value)
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


def _library_of(a):
    from ..backend.selection import array_namespace

    return array_namespace(a)


def _copy_in_place(value, dtype):
    """A copy of ``value`` (an array of another library) in its library and on its device, of
    ``dtype`` (a NumPy-style name) when given."""
    import numpy as np

    ns = _library_of(value)
    dt = None if dtype is None else getattr(ns, np.dtype(dtype).name)
    return ns.asarray(value, dtype=dt, device=value.device, copy=True)
