"""``Function``: one differentiable operation, its forward and backward on plain arrays.

Subclasses implement ``forward(*arrays)`` returning an array (or a tuple of arrays) and
``backward(*grads_of_outputs)`` returning one gradient per input (or ``None`` for an input that
needs none). Calling an instance on Tensors or arrays runs ``forward`` and, when gradients are
enabled and some input requires one, links the outputs into the graph.

``self.needs_grad`` (one bool per input) is set before ``forward`` runs, so an op can skip
saving what its backward will not use and skip computing gradients nobody asked for (the
first layer's input gradient, the gradient of a frozen weight).
"""

from __future__ import annotations

import weakref

from . import mode
from .tensor import Tensor, as_tensor


class Function:
    """Base class of every differentiable operation (see the module docstring)."""

    def __call__(self, *inputs):
        tensors = [as_tensor(x) for x in inputs]
        record = mode.is_grad_enabled() and any(t.requires_grad for t in tensors)
        self.needs_grad = tuple(record and t.requires_grad for t in tensors)
        ys = self.forward(*[t.data for t in tensors])
        single = not isinstance(ys, tuple)
        outputs = [Tensor(y) for y in ((ys,) if single else ys)]
        if record:
            self.generation = max(t.generation for t in tensors)
            self.inputs = tensors
            self.output_meta = [(o.shape, o.dtype) for o in outputs]
            for o in outputs:
                o.creator = self
                o.requires_grad = True
                o.generation = self.generation + 1
            self.outputs = [weakref.ref(o) for o in outputs]
        return outputs[0] if single else tuple(outputs)

    def forward(self, *xs):
        raise NotImplementedError

    def backward(self, *gys):
        raise NotImplementedError

    def __repr__(self):
        return f"<{type(self).__name__}>"
