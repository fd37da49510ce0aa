"""A small define-by-run autograd on NumPy.

- ``Tensor``: array + ``grad`` + ``creator``.
- ``Function``: ``forward``/``backward`` on arrays; calling one builds the graph.
- ``backward(y)``: reverse-mode over the graph, gradients accumulated for fan-out.
- ``no_grad()``: run without recording (inference, weight updates).
- ``GradientTape``: tf.GradientTape's API (``tape.gradient(loss, weights)``) for custom steps.
- ``gradcheck``: compare backward with central finite differences.

Gradients are plain arrays (first-order only), which keeps backward passes as fast as
hand-written NumPy.
"""

from .function import Function
from .graph import backward
from .mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .tensor import Tensor, as_array, as_tensor
from .variable import Variable

__all__ = [
    "Tensor",
    "Variable",
    "Function",
    "backward",
    "GradientTape",
    "no_grad",
    "enable_grad",
    "is_grad_enabled",
    "set_grad_enabled",
    "as_tensor",
    "as_array",
]


def __getattr__(name):
    # loaded on first use, so that ``import npconv`` stays as small as it was
    if name == "GradientTape":
        from .tape import GradientTape

        return GradientTape
    raise AttributeError(f"module 'npconv.autograd' has no attribute {name!r}")
