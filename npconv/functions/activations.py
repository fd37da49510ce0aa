"""Activation functions with gradients, one fused ``Function`` each, Keras 3's formulas.

Every activation keeps its input's float dtype (float32 in, float32 out: constants are Python
numbers, which NumPy 2 casts to the array's dtype), saves for ``backward`` only what the
derivative needs, and saves nothing when no gradient is wanted (``needs_grad``). Integer inputs
are cast to ``floatx()`` first.

Formulas follow ``keras.activations`` (Keras 3):

- ``relu(x, negative_slope=0.0, max_value=None, threshold=0.0)``:
  ``clip(x if x > threshold else 0, 0, max_value) - negative_slope * relu(threshold - x)``
  (Keras's ``ReLU.static_call``; with only ``negative_slope`` it is ``leaky_relu``).
- ``leaky_relu`` slope defaults to 0.2 (the function; the ``LeakyReLU`` layer's is 0.3).
- ``gelu(x, approximate=False)``: exact ``x * Phi(x)`` by default, as ``keras.activations.gelu``
  (``keras.ops.gelu`` defaults to the tanh form; ``approximate=True`` gives it).
- ``hard_sigmoid``: Keras 3's ``relu6(x + 3) / 6`` (Keras 2's was ``clip(0.2 x + 0.5, 0, 1)``);
  ``hard_silu`` / ``hard_swish`` is ``x * hard_sigmoid(x)``.
- ``softmax`` / ``log_softmax`` subtract the maximum along ``axis`` (any axis) first.

At a kink (``relu`` at 0, ``hard_sigmoid`` at +-3, ...) the gradient is TensorFlow's choice: the
flat side (``relu'(0) = 0``).

Speed: NumPy's ``expm1``, ``log1p`` and SciPy-free ``erf`` are slow on float32 (scalar loops or
many passes), so float32 uses ``exp(x) - 1``, ``log(1 + x)`` and Eigen's float32 ``erf`` (what
TensorFlow uses), with absolute errors within a few float32 ulps of 1, while float64 (gradient
checks, PyTorch references) uses the exact forms. ``np.where`` is avoided on hot paths (about 8x
a multiply here).
"""

from __future__ import annotations

import math

from ..autograd import Function, as_tensor
from ..backend import floatx, xp
from . import _on_device

__all__ = [
    "relu",
    "relu6",
    "sigmoid",
    "tanh",
    "softmax",
    "log_softmax",
    "leaky_relu",
    "elu",
    "selu",
    "gelu",
    "softplus",
    "softsign",
    "silu",
    "swish",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "exponential",
    "linear",
    "erf",
]

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _float(x):
    """``x`` itself when it is a float array, else cast to ``floatx()``."""
    return x if xp.issubdtype(x.dtype, xp.floating) else x.astype(floatx())


def _sigmoid(x):
    """Keras's ``1 / (1 + exp(-x))``: accurate for every ``x`` (an overflow of ``exp(-x)`` to
    ``inf`` gives the correct limit 0, silently)."""
    e = xp.negative(x)
    with xp.errstate(over="ignore"):
        xp.exp(e, out=e)
    e += 1
    xp.reciprocal(e, out=e)
    return e


def _fast(dtype):
    """Whether to use ``exp(x) - 1`` / ``log(1 + x)`` instead of NumPy's ``expm1`` / ``log1p``,
    which are scalar loops about 8x slower than the vectorized ``exp`` / ``log`` on float32: yes
    for float32 and narrower, where the absolute error stays within the output's rounding."""
    return dtype.itemsize <= 4


# ---------------------------------------------------------------------------------------------
# erf without SciPy: W. J. Cody's rational Chebyshev approximations (Math. Comp. 23, 1969, the
# coefficients of Netlib's CALERF), about 1e-16 relative error in float64.

_ERF_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
          3.20937758913846947e03, 1.85777706184603153e-1)
_ERF_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
          2.84423683343917062e03)
_ERF_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
          2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
          2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8)
_ERF_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
          1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
          3.43936767414372164e03, 1.23033935480374942e03)
_ERF_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
          1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2)
_ERF_Q = (2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1,
          6.05183413124413191e-2, 2.33520497626869185e-3)
_ONE_OVER_SQRT_PI = 5.6418958354775628695e-1


_ERF32_ALPHA = (-2.72614225801306e-10, 2.77068142495902e-08, -2.10102402082508e-06,
                -5.69250639462346e-05, -7.34990630326855e-04, -2.95459980854025e-03,
                -1.60960333262415e-02)
_ERF32_BETA = (-1.45660718464996e-05, -2.13374055278905e-04, -1.68282697438203e-03,
               -7.37332916720468e-03, -1.42647390514189e-02)


def _erf32(x):
    """Eigen's float32 ``erf`` (the one TensorFlow and XLA use): ``x * A(x^2) / B(x^2)`` on
    ``x`` clamped to [-4, 4], within 4e-7 (a few float32 ulps of 1) in NumPy arithmetic."""
    v = xp.clip(x, -4.0, 4.0)
    z = v * v
    num = _ERF32_ALPHA[0] * z
    for a in _ERF32_ALPHA[1:-1]:
        num += a
        num *= z
    num += _ERF32_ALPHA[-1]
    num *= v
    den = _ERF32_BETA[0] * z
    for b in _ERF32_BETA[1:-1]:
        den += b
        den *= z
    den += _ERF32_BETA[-1]
    num /= den
    return xp.clip(num, -1.0, 1.0, out=num)


def _erf64(x):
    y = xp.abs(x)
    # |x| <= 0.46875: erf = x * A(x^2) / B(x^2)
    z = xp.minimum(y, 0.46875)
    z *= z
    num = _ERF_A[4] * z
    den = z.copy()
    for a, b in zip(_ERF_A[:3], _ERF_B[:3]):
        num += a
        num *= z
        den += b
        den *= z
    small = x * ((num + _ERF_A[3]) / (den + _ERF_B[3]))
    # 0.46875 < |x| <= 4: erfc = exp(-x^2) C(|x|) / D(|x|)
    u = xp.clip(y, 0.46875, 4.0)
    num = _ERF_C[8] * u
    den = u.copy()
    for c, d in zip(_ERF_C[:7], _ERF_D[:7]):
        num += c
        num *= u
        den += d
        den *= u
    mid = (num + _ERF_C[7]) / (den + _ERF_D[7])
    # |x| > 4: erfc = exp(-x^2) / |x| * (1/sqrt(pi) - P(1/x^2) / (x^2 Q(1/x^2)))
    w = xp.maximum(y, 4.0)
    v = 1.0 / (w * w)
    num = _ERF_P[5] * v
    den = v.copy()
    for p, q in zip(_ERF_P[:4], _ERF_Q[:4]):
        num += p
        num *= v
        den += q
        den *= v
    big = (_ONE_OVER_SQRT_PI - v * (num + _ERF_P[4]) / (den + _ERF_Q[4])) / w
    erfc = xp.where(y <= 4.0, mid, big)
    erfc *= xp.exp(-(y * y))
    large = 1.0 - erfc
    xp.copysign(large, x, out=large)
    return xp.where(y <= 0.46875, small, large)


def erf(x):
    """The error function, elementwise, in the array's float dtype: Cody's approximations
    (about 1e-16) in float64, Eigen's (within 4e-7, as TensorFlow's) in float32."""
    x = _float(xp.asarray(x))
    return _erf32(x) if _fast(x.dtype) else _erf64(x)


# ---------------------------------------------------------------------------------------------
# np.where is slow on large arrays (about 8x a multiply here): the hot paths below select with
# masks and arithmetic instead.


class ReLU(Function):
    """Keras 3's ``relu`` with its three options, one pass forward and one backward."""

    def __init__(self, negative_slope=0.0, max_value=None, threshold=0.0):
        self.slope = float(negative_slope)
        self.max_value = None if max_value is None else float(max_value)
        self.threshold = float(threshold)
        self.plain = self.slope == 0.0 and self.max_value is None and self.threshold == 0.0
        self.leaky = self.slope != 0.0 and self.max_value is None and self.threshold == 0.0

    def forward(self, x):
        if type(x) is not _on_device.ndarray:  # CuPy, array API
            return _on_device.relu_forward(self, x)
        x = _float(x)
        if self.plain:
            y = xp.maximum(x, 0)
            if self.needs_grad[0]:
                self.y = y
            return y
        t, s, cap = self.threshold, self.slope, self.max_value
        if self.leaky:  # as Keras dispatches it: max(x, slope * x)
            y = s * x
            xp.maximum(x, y, out=y)
        else:
            y = x * (x > t) if t != 0.0 else xp.maximum(x, 0)
            if cap is not None:
                xp.clip(y, 0, cap, out=y)
            if s != 0.0:
                neg = t - x
                xp.maximum(neg, 0, out=neg)
                neg *= s
                y -= neg
        if self.needs_grad[0]:
            self.x = x
        return y

    def backward(self, gy):
        if type(gy) is not _on_device.ndarray:
            return _on_device.relu_backward(self, gy)
        if self.plain:
            return gy * (self.y > 0)
        x, t, s, cap = self.x, self.threshold, self.slope, self.max_value
        if self.leaky:
            # slope s below zero and 1 above (for s > 1, max(x, s x) swaps them)
            below, above = (s, 1.0) if s <= 1 else (1.0, s)
            d = xp.multiply(x > 0, above - below, dtype=gy.dtype)
            d += below
            d *= gy
            return d
        inside = x > t
        if cap is not None:
            # the clip passes the gradient where the thresholded value lies in [0, cap]
            inside &= x <= cap
            if t < 0:
                inside &= x >= 0
        d = inside.astype(gy.dtype)
        if s != 0.0:
            d += xp.multiply(x < t, s, dtype=gy.dtype)
        d *= gy
        return d


class Sigmoid(Function):
    def forward(self, x):
        y = _sigmoid(_float(x))
        if self.needs_grad[0]:
            self.y = y
        return y

    def backward(self, gy):
        y = self.y
        d = 1 - y
        d *= y
        d *= gy
        return d


class Tanh(Function):
    def forward(self, x):
        y = xp.tanh(_float(x))
        if self.needs_grad[0]:
            self.y = y
        return y

    def backward(self, gy):
        y = self.y
        d = y * y
        xp.subtract(1, d, out=d)
        d *= gy
        return d


class Softmax(Function):
    """``exp(x - max) / sum(exp(x - max))`` along ``axis``."""

    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, x):
        if type(x) is not _on_device.ndarray:
            return _on_device.softmax_forward(self, x)
        x = _float(x)
        y = x - x.max(axis=self.axis, keepdims=True)
        xp.exp(y, out=y)
        y /= y.sum(axis=self.axis, keepdims=True)
        if self.needs_grad[0]:
            self.y = y
        return y

    def backward(self, gy):
        if type(gy) is not _on_device.ndarray:
            return _on_device.softmax_backward(self, gy)
        y = self.y
        gx = gy * y
        gx -= y * gx.sum(axis=self.axis, keepdims=True)
        return gx


class LogSoftmax(Function):
    """``x - max - log(sum(exp(x - max)))`` along ``axis``."""

    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, x):
        x = _float(x)
        y = x - x.max(axis=self.axis, keepdims=True)
        y -= xp.log(xp.exp(y).sum(axis=self.axis, keepdims=True))
        if self.needs_grad[0]:
            self.y = y
        return y

    def backward(self, gy):
        gx = xp.exp(self.y)
        gx *= -gy.sum(axis=self.axis, keepdims=True)
        gx += gy
        return gx


class ELU(Function):
    """``scale * (x if x > 0 else alpha * (exp(x) - 1))``: ``elu`` (scale 1) and ``selu``.
    Computed as ``scale * (max(x, 0) + alpha * expm1(min(x, 0)))``, no branch."""

    def __init__(self, alpha=1.0, scale=1.0):
        self.alpha, self.scale = float(alpha), float(scale)

    def forward(self, x):
        x = _float(x)
        neg = xp.minimum(x, 0)
        if _fast(x.dtype):
            xp.exp(neg, out=neg)
            neg -= 1
        else:
            xp.expm1(neg, out=neg)
        if self.needs_grad[0]:
            self.x, self.neg = x, neg
        y = neg * (self.alpha * self.scale)
        pos = xp.maximum(x, 0)
        if self.scale != 1.0:
            pos *= self.scale
        y += pos
        return y

    def backward(self, gy):
        # d/dx: scale above zero; scale * alpha * exp(x) below. exp(min(x, 0)) = neg + 1 is 1
        # above zero, so d = scale * (alpha * (neg + 1) + (x > 0) * (1 - alpha)).
        a, sc = self.alpha, self.scale
        d = self.neg * (a * sc)
        d += a * sc
        d += xp.multiply(self.x > 0, (1.0 - a) * sc, dtype=d.dtype)
        d *= gy
        return d


class GELU(Function):
    """``x * Phi(x)``; with ``approximate`` the tanh form
    ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``."""

    def __init__(self, approximate=False):
        self.approximate = bool(approximate)

    def forward(self, x):
        x = _float(x)
        if self.approximate:
            inner = x * x
            inner *= 0.044715
            inner += 1
            inner *= x
            inner *= _SQRT_2_OVER_PI
            t = xp.tanh(inner, out=inner)
            cdf = t + 1
            cdf *= 0.5
            if self.needs_grad[0]:
                self.x, self.t = x, t
        else:
            cdf = erf(x * _INV_SQRT_2)
            cdf += 1
            cdf *= 0.5
            if self.needs_grad[0]:
                self.x, self.cdf = x, cdf
        return x * cdf

    def backward(self, gy):
        x = self.x
        if self.approximate:
            t = self.t
            # d/dx: 0.5 (1 + t) + 0.5 x (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 x^2)
            d = x * x
            d *= 3 * 0.044715
            d += 1
            d *= x
            d *= 0.5 * _SQRT_2_OVER_PI
            d *= 1 - t * t
            d += 0.5
            d += 0.5 * t
        else:
            # d/dx: Phi(x) + x phi(x)
            d = x * x
            d *= -0.5
            xp.exp(d, out=d)
            d *= x
            d *= _INV_SQRT_2PI
            d += self.cdf
        d *= gy
        return d


class Softplus(Function):
    """``log(1 + exp(x))`` as ``max(x, 0) + log1p(exp(-|x|))``: no overflow."""

    def forward(self, x):
        x = _float(x)
        y = xp.abs(x)
        xp.negative(y, out=y)
        xp.exp(y, out=y)
        if _fast(x.dtype):
            y += 1
            xp.log(y, out=y)
        else:
            xp.log1p(y, out=y)
        y += xp.maximum(x, 0)
        if self.needs_grad[0]:
            self.x = x
        return y

    def backward(self, gy):
        d = _sigmoid(self.x)
        d *= gy
        return d


class Softsign(Function):
    """``x / (1 + |x|)``."""

    def forward(self, x):
        x = _float(x)
        d = xp.abs(x)
        d += 1
        if self.needs_grad[0]:
            self.d = d
        return x / d

    def backward(self, gy):
        d = self.d
        return gy / (d * d)


class SiLU(Function):
    """``x * sigmoid(x)`` (swish)."""

    def forward(self, x):
        x = _float(x)
        s = _sigmoid(x)
        if self.needs_grad[0]:
            self.x, self.s = x, s
        return x * s

    def backward(self, gy):
        x, s = self.x, self.s
        # s + x s (1 - s) = s (1 + x (1 - s))
        d = 1 - s
        d *= x
        d += 1
        d *= s
        d *= gy
        return d


class HardSigmoid(Function):
    """``relu6(x + 3) / 6``: 0 below -3, 1 above 3, linear between."""

    def forward(self, x):
        x = _float(x)
        y = x / 6
        y += 0.5
        xp.clip(y, 0, 1, out=y)
        if self.needs_grad[0]:
            self.x = x
        return y

    def backward(self, gy):
        x = self.x
        inside = x > -3
        inside &= x < 3
        d = gy * inside
        d *= 1 / 6
        return d


class HardSiLU(Function):
    """``x * relu6(x + 3) / 6``: 0 below -3, ``x`` above 3, ``x (x + 3) / 6`` between."""

    def forward(self, x):
        x = _float(x)
        h = x / 6
        h += 0.5
        xp.clip(h, 0, 1, out=h)
        if self.needs_grad[0]:
            self.x = x
        h *= x
        return h

    def backward(self, gy):
        x = self.x
        # between: (2 x + 3) / 6; above 3: 1; below -3: 0
        inside = x > -3
        inside &= x < 3
        d = x / 3
        d += 0.5
        d *= inside
        d += x >= 3
        d *= gy
        return d


class Exp(Function):
    def forward(self, x):
        y = xp.exp(_float(x))
        if self.needs_grad[0]:
            self.y = y
        return y

    def backward(self, gy):
        return gy * self.y


# ---------------------------------------------------------------------------------------------


def _elementwise(fn, x):
    """``fn(x)``, a 0-d ``x`` (a scalar such as ``ops.sigmoid(prediction[0][0])``) run as one
    element: NumPy turns 0-d results into scalars, which the in-place passes cannot write."""
    x = as_tensor(x)
    if x.ndim:
        return fn(x)
    from .array import reshape

    return reshape(fn(reshape(x, (1,))), ())


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Rectified linear unit with Keras 3's ``negative_slope``, ``max_value``, ``threshold``."""
    if max_value is not None and max_value < 0:
        raise ValueError(f"relu max_value must be >= 0 or None, got {max_value!r}")
    return _elementwise(ReLU(negative_slope, max_value, threshold), x)


def relu6(x):
    """``min(max(x, 0), 6)``."""
    return _elementwise(ReLU(max_value=6.0), x)


def sigmoid(x):
    """``1 / (1 + exp(-x))``, computed without overflow."""
    return _elementwise(Sigmoid(), x)


def tanh(x):
    return _elementwise(Tanh(), x)


def softmax(x, axis=-1):
    """Softmax along ``axis`` (numerically stable, any axis)."""
    return Softmax(axis)(x)


def log_softmax(x, axis=-1):
    """``log(softmax(x))`` along ``axis``, computed with log-sum-exp."""
    return LogSoftmax(axis)(x)


def leaky_relu(x, negative_slope=0.2):
    """``x`` if ``x > 0`` else ``negative_slope * x`` (Keras's ``max(x, negative_slope * x)``)."""
    return _elementwise(ReLU(negative_slope=negative_slope), x)


def elu(x, alpha=1.0):
    """``x`` if ``x >= 0`` else ``alpha * (exp(x) - 1)``."""
    return _elementwise(ELU(alpha), x)


def selu(x):
    """``scale * elu(x, alpha)`` with Klambauer et al.'s constants."""
    return _elementwise(ELU(SELU_ALPHA, SELU_SCALE), x)


def gelu(x, approximate=False):
    """Gaussian error linear unit; ``approximate=False`` (Keras 3's default for
    ``keras.activations.gelu``) is the exact ``x * Phi(x)``, ``True`` the tanh form."""
    return _elementwise(GELU(approximate), x)


def softplus(x):
    """``log(exp(x) + 1)``, computed without overflow."""
    return _elementwise(Softplus(), x)


def softsign(x):
    """``x / (abs(x) + 1)``."""
    return _elementwise(Softsign(), x)


def silu(x):
    """``x * sigmoid(x)``, also called swish."""
    return _elementwise(SiLU(), x)


swish = silu


def hard_sigmoid(x):
    """Keras 3's hard sigmoid, ``relu6(x + 3) / 6`` (Keras 2 used ``0.2 x + 0.5``)."""
    return _elementwise(HardSigmoid(), x)


def hard_silu(x):
    """``x * hard_sigmoid(x)``, also called hard swish."""
    return _elementwise(HardSiLU(), x)


hard_swish = hard_silu


def exponential(x):
    """``exp(x)``."""
    return _elementwise(Exp(), x)


def linear(x):
    """The identity (Keras's ``'linear'`` activation): ``x`` itself, as a Tensor."""
    return as_tensor(x)
