"""Adagrad (Duchi et al., 2011): step sizes that shrink with each weight's accumulated squared
gradient."""

from __future__ import annotations

from .. import backend
from ..backend import xp
from .base_optimizer import Optimizer


class Adagrad(Optimizer):
    """Adagrad: Keras 3's ``keras.optimizers.Adagrad``.

    ::

        acc = acc + g**2                        # acc starts at initial_accumulator_value
        w = w - learning_rate * g / sqrt(acc + epsilon)

    Weights that rarely get a gradient keep large steps; frequent ones slow down. The
    accumulator only grows, so the effective rate decays over training.

    Args:
        learning_rate: float, schedule or callable; default 0.001.
        initial_accumulator_value: starting value of ``acc`` (0.1).
        epsilon: default 1e-7 (``None``: ``backend.epsilon()``).
        **kwargs: the common arguments, see ``Optimizer``.
    """

    def __init__(
        self,
        learning_rate=0.001,
        initial_accumulator_value=0.1,
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
        self.initial_accumulator_value = initial_accumulator_value
        self.epsilon = backend.epsilon() if epsilon is None else epsilon

    _elementwise_update = True

    def _slot_groups(self):
        return [[("accumulator", self.initial_accumulator_value)]]

    def update_step(self, gradient, variable, learning_rate):
        w = variable.data
        dt = w.dtype.type
        acc = self._slot(variable, "accumulator")
        tmp = self._buffer(w)
        denominator = self._buffer(w, 1)
        xp.square(gradient, out=tmp)
        acc += tmp
        xp.add(acc, dt(self.epsilon), out=denominator)
        xp.sqrt(denominator, out=denominator)
        xp.multiply(gradient, learning_rate, out=tmp)
        tmp /= denominator
        w -= tmp

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon,
            }
        )
        return config
