"""Adadelta (Zeiler, 2012): per-weight step sizes from running means of squared gradients
and squared updates."""

from __future__ import annotations

from .. import backend
from ..backend import xp
from .base_optimizer import Optimizer


class Adadelta(Optimizer):
    """Adadelta: Keras's ``keras.optimizers.Adadelta``, with Keras 2's default rate.

    Keeps a running mean of squared gradients (``E[g^2]``) and of squared updates
    (``E[dx^2]``); the ratio of their roots gives each weight a step in the units of the weight,
    so the method needs (almost) no learning rate::

        E[g^2]  = rho * E[g^2] + (1 - rho) * g**2
        dx      = -sqrt(E[dx^2] + epsilon) / sqrt(E[g^2] + epsilon) * g
        E[dx^2] = rho * E[dx^2] + (1 - rho) * dx**2
        w       = w + learning_rate * dx

    Default ``learning_rate=1.0``: Keras 2 and the paper's value. Keras 3 changed the default
    to 0.001, with which the tutorials' ``Adadelta()`` barely moves (each step is a thousandth of
    Adadelta's own step); npconv keeps 1.0. Pass ``learning_rate=0.001`` for Keras 3's.

    Args:
        learning_rate: float, schedule or callable; default 1.0 (see above).
        rho: decay of both running means (0.95).
        epsilon: default 1e-7 (``None``: ``backend.epsilon()``).
        **kwargs: the common arguments, see ``Optimizer``.
    """

    def __init__(
        self,
        learning_rate=1.0,
        rho=0.95,
        epsilon=1e-7,
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
        self.rho = rho
        self.epsilon = backend.epsilon() if epsilon is None else epsilon

    _elementwise_update = True

    def _slot_groups(self):
        return [[("accumulated_grad", "zeros"), ("accumulated_delta_var", "zeros")]]

    def update_step(self, gradient, variable, learning_rate):
        w = variable.data
        dt = w.dtype.type
        rho, one_minus_rho, eps = dt(self.rho), dt(1 - self.rho), dt(self.epsilon)
        acc_g = self._slot(variable, "accumulated_grad")
        acc_dx = self._slot(variable, "accumulated_delta_var")
        tmp = self._buffer(w)
        delta = self._buffer(w, 1)
        # E[g^2] = rho * E[g^2] + (1 - rho) * g^2
        acc_g *= rho
        xp.square(gradient, out=tmp)
        tmp *= one_minus_rho
        acc_g += tmp
        # dx = -(sqrt(E[dx^2] + eps) * g) / sqrt(E[g^2] + eps)
        xp.add(acc_dx, eps, out=delta)
        xp.sqrt(delta, out=delta)
        delta *= gradient
        xp.add(acc_g, eps, out=tmp)
        xp.sqrt(tmp, out=tmp)
        delta /= tmp
        xp.negative(delta, out=delta)
        # E[dx^2] = rho * E[dx^2] + (1 - rho) * dx^2
        acc_dx *= rho
        xp.square(delta, out=tmp)
        tmp *= one_minus_rho
        acc_dx += tmp
        # w = w + lr * dx
        delta *= learning_rate
        w += delta

    def get_config(self):
        config = super().get_config()
        config.update({"rho": self.rho, "epsilon": self.epsilon})
        return config
