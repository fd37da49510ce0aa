"""Piecewise-linear activations with a kink: PReLU (He et al. 2015), whose negative slope is
learned, and the thresholded ReLU of Keras 2 (Konda et al. 2014).

``prelu(x, alpha)``: ``y = x`` where ``x > 0``, else ``alpha * x``; ``alpha`` broadcasts against
one sample of ``x`` (Keras's ``PReLU`` keeps one slope per feature, shared along
``shared_axes``). Backward: ``d_x = g`` where ``x > 0`` else ``g * alpha``; ``d_alpha`` is
``g * x`` where ``x <= 0``, summed over the batch and every axis ``alpha`` is broadcast along.

``thresholded_relu(x, theta)``: ``y = x`` where ``x > theta``, else ``0``; the gradient passes
where the input passed.
"""

from __future__ import annotations

from ..autograd import Function, as_tensor
from ..backend import xp
from .array import sum_to

__all__ = ["prelu", "thresholded_relu", "PReLU", "ThresholdedReLU"]


class PReLU(Function):
    def forward(self, x, alpha):
        self.positive = x > 0
        self.x, self.alpha = x, alpha
        return xp.where(self.positive, x, alpha * x)

    def backward(self, gy):
        gx = galpha = None
        if self.needs_grad[0]:
            gx = xp.where(self.positive, gy, gy * self.alpha)
        if self.needs_grad[1]:
            galpha = sum_to(xp.where(self.positive, 0, gy * self.x).astype(gy.dtype),
                            self.alpha.shape)
        return gx, galpha


class ThresholdedReLU(Function):
    def __init__(self, theta):
        self.theta = float(theta)

    def forward(self, x):
        self.mask = x > self.theta
        return x * self.mask

    def backward(self, gy):
        return gy * self.mask


def prelu(x, alpha):
    """``x`` where positive, ``alpha * x`` elsewhere; ``alpha`` broadcasts to ``x``."""
    x, alpha = as_tensor(x), as_tensor(alpha)
    try:
        shape = xp.broadcast_shapes(x.shape, alpha.shape)
    except ValueError:
        shape = None
    if shape != tuple(x.shape):
        raise ValueError(
            f"prelu: alpha of shape {tuple(alpha.shape)} does not broadcast to the input of "
            f"shape {tuple(x.shape)}"
        )
    return PReLU()(x, alpha)


def thresholded_relu(x, theta=1.0):
    """``x`` where ``x > theta``, else 0."""
    return ThresholdedReLU(theta)(x)
