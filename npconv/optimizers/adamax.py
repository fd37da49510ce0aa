"""Adamax (Kingma & Ba, 2014, section 7.1): Adam with the infinity norm in place of the
second moment."""

from __future__ import annotations

from .. import backend
from ..backend import xp
from .base_optimizer import Optimizer


class Adamax(Optimizer):
    """Adamax: Keras 3's ``keras.optimizers.Adamax``.

    At step ``t = iterations + 1``::

        m = m + (g - m) * (1 - beta_1)
        u = max(beta_2 * u, |g|)
        w = w - learning_rate * m / ((1 - beta_1**t) * (u + epsilon))

    ``u`` is an exponentially weighted infinity norm; it needs no bias correction.

    Args:
        learning_rate: float, schedule or callable; default 0.001.
        beta_1: decay of the first moment (0.9).
        beta_2: decay of the infinity norm (0.999).
        epsilon: default 1e-7 (``None``: ``backend.epsilon()``).
        **kwargs: the common arguments, see ``Optimizer``.
    """

    def __init__(
        self,
        learning_rate=0.001,
        beta_1=0.9,
        beta_2=0.999,
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
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = backend.epsilon() if epsilon is None else epsilon

    _elementwise_update = True

    def _slot_groups(self):
        return [[("momentum", "zeros"), ("norm", "zeros")]]

    def update_step(self, gradient, variable, learning_rate):
        w = variable.data
        dt = w.dtype.type
        beta_1_power = xp.power(dt(self.beta_1), dt(self._step() + 1))
        m = self._slot(variable, "momentum")
        u = self._slot(variable, "norm")
        tmp = self._buffer(w)
        denominator = self._buffer(w, 1)
        xp.subtract(gradient, m, out=tmp)
        tmp *= dt(1 - self.beta_1)
        m += tmp
        u *= dt(self.beta_2)
        xp.abs(gradient, out=tmp)
        xp.maximum(u, tmp, out=u)
        xp.add(u, dt(self.epsilon), out=denominator)
        denominator *= dt(1) - beta_1_power
        xp.multiply(m, learning_rate, out=tmp)
        tmp /= denominator
        w -= tmp

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return config
