"""Ops called on Keras tensors build graph nodes instead of computing.

Every public op of ``npconv.ops`` is wrapped once (``dispatch``): when one of its arguments
(or an item of a list argument, ``ops.concatenate([a, b])``) is a Keras tensor from
``keras.Input``, the call becomes a node of the functional graph
(``npconv.layers.op_layer.SymbolicOp``), as in Keras 3; otherwise the op runs as written. The
check is a few type comparisons per call.
"""

from __future__ import annotations

import functools
import types

__all__ = ["dispatch", "has_keras_tensor"]


def _is_keras_tensor(value) -> bool:
    return type(value).__name__ == "KerasTensor"  # ops sit below layers: no import


def has_keras_tensor(values) -> bool:
    """Whether any of ``values``, or an item of a list/tuple among them, is a Keras tensor."""
    for value in values:
        if _is_keras_tensor(value):
            return True
        if type(value) in (list, tuple) and any(_is_keras_tensor(v) for v in value):
            return True
    return False


def dispatch(module) -> None:
    """Wrap each function in ``module.__all__`` so that Keras tensors make graph nodes."""
    for name in module.__all__:
        fn = getattr(module, name, None)
        if isinstance(fn, types.FunctionType) and not getattr(fn, "_keras_tensors", False):
            setattr(module, name, _dispatching(fn))


def _dispatching(fn):
    @functools.wraps(fn)
    def op(*args, **kwargs):
        if has_keras_tensor(args) or (kwargs and has_keras_tensor(kwargs.values())):
            from ..layers.op_layer import symbolic_call

            return symbolic_call(op, args, kwargs)
        return fn(*args, **kwargs)

    op._keras_tensors = True
    return op
