"""``npconv.ops`` on Keras tensors: ``x + residual``, ``ops.concatenate([a, b])``,
``x[:, :2]`` inside a functional model.

Keras 3 lets a functional model mix layers with ops: ``x = layers.Conv2D(...)(inputs);
x += residual; outputs = ops.mean(x, axis=[1, 2])``. An op called on a Keras tensor (which
has a shape but no values) cannot compute, so it becomes a node of the graph, as a layer call
does: a ``SymbolicOp`` layer that holds the op and its other arguments, and runs the op on the
values when the model runs (differentiable, as the op is on Tensors). Its output shape comes
from running the op on ones of the inputs' shapes twice, with batches of 2 and 3 (and
unknown sizes 8 and 12): the axes whose size follows them are unknown (``None``).

A model holding one saves the op by name (an ``npconv.ops`` function, or the indexing of
``x[...]``) with its other arguments when they are plain values (numbers, strings, lists,
NumPy arrays, slices), and loads it back; an op of any other function cannot be saved (say
``Lambda`` with a named function instead).
"""

from __future__ import annotations

import json

from ..autograd import Tensor, no_grad
from ..backend import xp
from .base import Layer
from .symbolic import KerasTensor

__all__ = ["SymbolicOp", "symbolic_call"]

_SLOT = "__keras_tensor__"


def symbolic_call(op, args, kwargs):
    """``op(*args, **kwargs)`` where some arguments are Keras tensors: the output Keras
    tensor of a ``SymbolicOp`` node."""
    tensors = []
    template = _template((list(args), dict(kwargs)), tensors)
    layer = SymbolicOp(op, template)
    return layer(tensors if len(tensors) > 1 else tensors[0])


def _template(value, tensors):
    """``value`` with each Keras tensor replaced by ``{_SLOT: i}`` (``i``: its place in
    ``tensors``, appended)."""
    if isinstance(value, KerasTensor):
        tensors.append(value)
        return {_SLOT: len(tensors) - 1}
    if isinstance(value, (list, tuple)):
        items = [_template(v, tensors) for v in value]
        return items if isinstance(value, list) else tuple(items)
    if isinstance(value, dict):
        return {k: _template(v, tensors) for k, v in value.items()}
    return value


def _fill(template, values):
    if isinstance(template, dict):
        if set(template) == {_SLOT}:
            return values[template[_SLOT]]
        return {k: _fill(v, values) for k, v in template.items()}
    if isinstance(template, (list, tuple)):
        items = [_fill(v, values) for v in template]
        return items if isinstance(template, list) else tuple(items)
    return template


class SymbolicOp(Layer):
    """One ``npconv.ops`` call on Keras tensors, as a node of a functional model.

    ``op``: the op (a function of ``npconv.ops``, or any function of Tensors);
    ``arguments``: ``[args, kwargs]`` with the Keras tensors replaced by ``{"__keras_tensor__":
    i}``, the i-th input of this layer's call."""

    def __init__(self, op, arguments, **kwargs):
        kwargs.setdefault("name", None)
        if kwargs["name"] is None:
            from .._naming import to_snake_case
            from .base import unique_name

            kwargs["name"] = unique_name(to_snake_case(getattr(op, "__name__", "op")))
        super().__init__(**kwargs)
        self.op = op
        self.arguments = arguments

    def call(self, inputs, training=False):
        values = inputs if isinstance(inputs, (list, tuple)) else [inputs]
        args, kwargs = _fill(self.arguments, list(values))
        return self.op(*args, **kwargs)

    def compute_output_shape(self, input_shape):
        shapes = input_shape if isinstance(input_shape, list) else [input_shape]
        outs = []
        for batch, fill in ((2, 8), (3, 12)):  # unknown sizes vary with the batch's
            probes = [Tensor(xp.ones((batch, *[fill if d is None else d for d in s[1:]]),
                                     dtype=_dtype(t)))
                      for s, t in zip(shapes, self._input_dtypes(len(shapes)))]
            try:
                with no_grad(), xp.errstate(all="ignore"):
                    out = self.call(probes if isinstance(input_shape, list) else probes[0])
            except Exception as e:
                raise ValueError(
                    f"{getattr(self.op, '__name__', 'op')} on Keras tensors of shapes "
                    f"{input_shape}: running it on ones of those shapes failed "
                    f"({type(e).__name__}: {e})"
                ) from e
            outs.append(tuple(int(d) for d in getattr(out, "shape", ())))
            self._out_dtype = str(getattr(out, "dtype", self.dtype))
        if len(outs[0]) != len(outs[1]):
            raise ValueError(
                f"{getattr(self.op, '__name__', 'op')}: its output's rank depends on the batch "
                "size; put it in a Lambda layer with output_shape=..."
            )
        return tuple(None if a != b else a for a, b in zip(*outs))

    def _call_symbolic(self, inputs, **kwargs):
        self._inputs_for_dtype = inputs if isinstance(inputs, list) else [inputs]
        output = super()._call_symbolic(inputs, **kwargs)
        dtype = getattr(self, "_out_dtype", None)
        if dtype is not None and isinstance(output, KerasTensor):
            output.dtype = dtype
        return output

    def _input_dtypes(self, n):
        inputs = getattr(self, "_inputs_for_dtype", None) or []
        return [getattr(t, "dtype", None) for t in inputs] + [None] * (n - len(inputs))

    # config
    def get_config(self):
        name, module = getattr(self.op, "__name__", None), getattr(self.op, "__module__", "")
        if not isinstance(name, str) or module not in _SAVABLE_MODULES:
            raise ValueError(
                f"SymbolicOp '{self.name}': only npconv.ops functions can be saved, not "
                f"{self.op!r}; use a Lambda layer with a named function"
            )
        try:
            arguments = _encode(self.arguments)
            json.dumps(arguments)
        except TypeError:
            raise ValueError(
                f"SymbolicOp '{self.name}' ({name}): its arguments are not plain values "
                "(numbers, strings, lists, arrays, slices), so it cannot be saved; use a Lambda "
                "layer with a named function instead"
            ) from None
        return {**super().get_config(), "op": f"{module}.{name}", "arguments": arguments}

    @classmethod
    def from_config(cls, config):
        import importlib

        config = dict(config)
        name = str(config.pop("op"))
        module, _, op_name = name.rpartition(".")
        op = None
        if module in _SAVABLE_MODULES:  # nothing else is imported because a file names it
            op = getattr(importlib.import_module(module), op_name, None)
        if op is None or not callable(op):
            raise ValueError(f"SymbolicOp '{config.get('name')}': npconv has no op {name!r}")
        args, kwargs = _decode(config.pop("arguments"))
        return cls(op, (list(args), dict(kwargs)), **config)


# where the ops a saved SymbolicOp names may come from
_SAVABLE_MODULES = ("npconv.ops.core", "npconv.ops.numpy", "npconv.ops.nn", "npconv.ops.image",
                    "npconv.layers.symbolic")


def _encode(value):
    """``value`` as JSON-able data: arrays, slices, ``...`` and tuples (an index key) tagged,
    so that ``_decode`` gives them back as they were."""
    import numpy as np

    if isinstance(value, (np.ndarray, np.generic)):
        return {"__ndarray__": np.asarray(value).tolist(), "dtype": str(value.dtype)}
    if isinstance(value, slice):
        return {"__slice__": [_encode(value.start), _encode(value.stop), _encode(value.step)]}
    if value is Ellipsis:
        return {"__ellipsis__": True}
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v) for v in value]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"cannot save {type(value).__name__}")


def _decode(value):
    import numpy as np

    if isinstance(value, list):
        return [_decode(v) for v in value]
    if isinstance(value, dict):
        if "__ndarray__" in value:
            return np.asarray(value["__ndarray__"], dtype=value["dtype"])
        if "__slice__" in value:
            return slice(*[_decode(v) for v in value["__slice__"]])
        if "__ellipsis__" in value:
            return Ellipsis
        if "__tuple__" in value:
            return tuple(_decode(v) for v in value["__tuple__"])
        return {k: _decode(v) for k, v in value.items()}
    return value


def _dtype(dtype):
    if dtype is None:
        return "float32"
    name = str(dtype)
    return name if name in ("float16", "float32", "float64", "int32", "int64", "uint8",
                            "bool") else "float32"
