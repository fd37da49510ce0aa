"""Stochastic gradient descent, with optional (Nesterov) momentum."""

from __future__ import annotations

import numbers

from ..backend import xp
from .base_optimizer import Optimizer


class SGD(Optimizer):
    """Gradient descent (with momentum): Keras 3's ``keras.optimizers.SGD``.

    Plain (``momentum=0``)::

        w = w - learning_rate * g

    With momentum (a velocity ``m``, zero at first)::

        m = momentum * m - learning_rate * g
        w = w + m                                        # nesterov=False
        w = w + momentum * m - learning_rate * g         # nesterov=True

    Momentum averages the recent gradients, so steps grow along directions that agree and
    shrink across directions that oscillate; the Nesterov form looks one step ahead along the
    velocity.

    Args:
        learning_rate: float, schedule or callable; default 0.01.
        momentum: float in [0, 1]; 0 means plain gradient descent.
        nesterov: use Nesterov momentum.
        **kwargs: the common arguments (``weight_decay``, ``clipnorm``, ``clipvalue``,
            ``global_clipnorm``, ``use_ema``, ..., ``name``) and Keras 2's ``lr=`` and
            ``decay=`` (``lr / (1 + decay * iterations)``): see ``Optimizer``.

    Keras 2 tutorials' ``SGD(momentum=0.5, decay=0.0004)`` runs unchanged.
    """

    def __init__(
        self,
        learning_rate=0.01,
        momentum=0.0,
        nesterov=False,
        weight_decay=None,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
        use_ema=False,
        ema_momentum=0.99,
        ema_overwrite_frequency=None,
        loss_scale_factor=None,
        gradient_accumulation_steps=None,
        name=None,
        **kwargs,
    ):
        super().__init__(
            learning_rate=learning_rate,
            weight_decay=weight_decay,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
            use_ema=use_ema,
            ema_momentum=ema_momentum,
            ema_overwrite_frequency=ema_overwrite_frequency,
            loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps,
            name=name,
            **kwargs,
        )
        if (
            isinstance(momentum, bool)
            or not isinstance(momentum, numbers.Real)
            or momentum < 0
            or momentum > 1
        ):
            raise ValueError(f"`momentum` must be a float between [0, 1]. Received: {momentum!r}")
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)

    _elementwise_update = True
    _fuse_small = False  # two to four NumPy calls a variable: fusing them saves nothing

    def _slot_groups(self):
        return [[("momentum", "zeros")]] if self.momentum != 0 else []

    def update_step(self, gradient, variable, learning_rate):
        w = variable.data
        dt = w.dtype.type
        step = self._buffer(w)
        xp.multiply(gradient, learning_rate, out=step)  # lr * g
        if self.momentum == 0:
            w -= step
            return
        m = self._slot(variable, "momentum")
        momentum = dt(self.momentum)
        m *= momentum
        m -= step  # m = momentum * m - lr * g
        if self.nesterov:
            ahead = self._buffer(w, 1)
            xp.multiply(m, momentum, out=ahead)
            ahead -= step
            w += ahead
        else:
            w += m

    def get_config(self):
        config = super().get_config()
        config.update({"momentum": self.momentum, "nesterov": self.nesterov})
        return config
