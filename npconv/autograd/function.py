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


class _NoGrads(dict):
    """``(False,) * n`` for each arity ``n``, made once (``needs_grad`` of a call not
    recorded)."""

    def __missing__(self, n):
        value = self[n] = (False,) * n
        return value


_NO_GRADS = _NoGrads()


class Function:
    """Base class of every differentiable operation (see the module docstring)."""

    def __call__(self, *inputs):
        # Run once per op per step (70-odd times in a ResNet-20 step), so kept to the few
        # Python operations it needs.
        tensors = [x if isinstance(x, Tensor) else as_tensor(x) for x in inputs]
        needs = [t.requires_grad for t in tensors]
        record = True in needs and mode.is_grad_enabled()
        self.needs_grad = tuple(needs) if record else _NO_GRADS[len(needs)]
        ys = self.forward(*[t.data for t in tensors])
        if not isinstance(ys, tuple):
            out = Tensor(ys)
            if record:
                self._link(tensors, (out,))
            return out
        outputs = tuple([Tensor(y) for y in ys])
        if record:
            self._link(tensors, outputs)
        return outputs

    def _link(self, tensors, outputs):
        """Make this call the creator of ``outputs`` in the graph."""
        generation = max([t.generation for t in tensors])
        self.generation = generation
        self.inputs = tensors
        self.output_meta = [(o.data.shape, o.data.dtype) for o in outputs]
        generation += 1
        for o in outputs:
            o.creator = self
            o.requires_grad = True
            o.generation = generation
        self.outputs = [weakref.ref(o) for o in outputs]

    # Set by the backward walk before each ``backward``: whether the graph is kept for another
    # walk (``retain_graph=True``, a persistent ``GradientTape``).
    retained = False

    def release(self, *names):
        """Drop the arrays saved as attributes ``names`` once ``backward`` has used them, so
        their memory is freed during the walk, not after it; kept when the graph is retained
        for another backward."""
        if not self.retained:
            for name in names:
                setattr(self, name, None)

    def forward(self, *xs):
        raise NotImplementedError

    def backward(self, *gys):
        raise NotImplementedError

    def __repr__(self):
        return f"<{type(self).__name__}>"
