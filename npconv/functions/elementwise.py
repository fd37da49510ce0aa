"""Elementwise functions with their derivatives, for the ``npconv.ops`` beyond ``sin``/``cos``:
the trigonometric and hyperbolic ones and their inverses, ``exp2``, ``cbrt``, ``arctan2``.

One class does the unary ones: ``Unary(f, d)`` computes ``y = f(x)`` and passes back
``gy * d(x, y)``, the derivative written in whichever of ``x`` and ``y`` is simpler
(``tan' = 1 + tan^2``). The table ``UNARY`` is the list of them, each derivative beside its
function.
"""

from __future__ import annotations

import math

from ..autograd import Function
from ..backend import xp
from .array import sum_to


class Unary(Function):
    """``y = f(x)``, elementwise; ``dy/dx = d(x, y)``."""

    def __init__(self, f, d):
        self.f, self.d = f, d

    def forward(self, x):
        y = self.f(x)
        if any(self.needs_grad):
            self.x, self.y = x, y
        return y

    def backward(self, gy):
        return (gy * self.d(self.x, self.y)).astype(gy.dtype, copy=False)


UNARY = {
    "tan": (xp.tan, lambda x, y: 1 + y * y),
    "arcsin": (xp.arcsin, lambda x, y: 1 / xp.sqrt(1 - x * x)),
    "arccos": (xp.arccos, lambda x, y: -1 / xp.sqrt(1 - x * x)),
    "arctan": (xp.arctan, lambda x, y: 1 / (1 + x * x)),
    "sinh": (xp.sinh, lambda x, y: xp.cosh(x)),
    "cosh": (xp.cosh, lambda x, y: xp.sinh(x)),
    "arcsinh": (xp.arcsinh, lambda x, y: 1 / xp.sqrt(x * x + 1)),
    "arccosh": (xp.arccosh, lambda x, y: 1 / xp.sqrt(x * x - 1)),
    "arctanh": (xp.arctanh, lambda x, y: 1 / (1 - x * x)),
    "exp2": (xp.exp2, lambda x, y: y * math.log(2.0)),
    "cbrt": (xp.cbrt, lambda x, y: 1 / (3 * y * y)),
}


def unary(name, x):
    """``UNARY[name]`` applied to the Tensor ``x``."""
    f, d = UNARY[name]
    return Unary(f, d)(x)


class Arctan2(Function):
    """The angle of the point ``(x2, x1)``: ``arctan2(x1, x2)``, quadrant-aware;
    ``d/dx1 = x2 / r^2``, ``d/dx2 = -x1 / r^2``."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return xp.arctan2(a, b)

    def backward(self, gy):
        r2 = self.a * self.a + self.b * self.b
        ga = sum_to((gy * self.b / r2).astype(gy.dtype, copy=False), self.a.shape)
        gb = sum_to((-gy * self.a / r2).astype(gy.dtype, copy=False), self.b.shape)
        return ga, gb


def arctan2(a, b):
    return Arctan2()(a, b)
