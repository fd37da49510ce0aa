"""RMSprop (Hinton, 2012): divide the gradient by a running root mean square of its recent
values."""

from __future__ import annotations

from .. import backend
from ..backend import xp
from .base_optimizer import Optimizer


class RMSprop(Optimizer):
    """RMSprop: Keras 3's ``keras.optimizers.RMSprop``.

    ::

        v = rho * v + (1 - rho) * g**2
        a = rho * a + (1 - rho) * g               # centered=True only
        denominator = v - a**2 + epsilon          # centered=True (a variance estimate)
        denominator = v + epsilon                 # centered=False
        increment = learning_rate * g / sqrt(denominator)
        mom = momentum * mom + increment          # momentum > 0 only
        w = w - mom                               # momentum > 0
        w = w - increment                         # momentum == 0

    Note ``epsilon`` is inside the square root, as in Keras 3 and TensorFlow.

    Args:
        learning_rate: float, schedule or callable; default 0.001.
        rho: decay of the running means (0.9).
        momentum: heavy-ball momentum on the increments (0.0).
        epsilon: default 1e-7 (``None``: ``backend.epsilon()``).
        centered: normalize by the estimated variance instead of the raw second moment.
        **kwargs: the common arguments, see ``Optimizer``.
    """

    def __init__(
        self,
        learning_rate=0.001,
        rho=0.9,
        momentum=0.0,
        epsilon=1e-7,
        centered=False,
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
        self.momentum = momentum
        self.epsilon = backend.epsilon() if epsilon is None else epsilon
        self.centered = centered

    _elementwise_update = True

    def _slot_groups(self):
        groups = [[("velocity", "zeros")]]
        if self.momentum > 0:
            groups.append([("momentum", "zeros")])
        if self.centered:
            groups.append([("average_gradient", "zeros")])
        return groups

    def update_step(self, gradient, variable, learning_rate):
        w = variable.data
        dt = w.dtype.type
        rho, one_minus_rho = dt(self.rho), dt(1 - self.rho)
        velocity = self._slot(variable, "velocity")
        tmp = self._buffer(w)
        denominator = self._buffer(w, 1)
        velocity *= rho
        xp.square(gradient, out=tmp)
        tmp *= one_minus_rho
        velocity += tmp
        if self.centered:
            average = self._slot(variable, "average_gradient")
            average *= rho
            xp.multiply(gradient, one_minus_rho, out=tmp)
            average += tmp
            xp.square(average, out=tmp)
            xp.subtract(velocity, tmp, out=denominator)
            denominator += dt(self.epsilon)
        else:
            xp.add(velocity, dt(self.epsilon), out=denominator)
        # increment = lr * g / sqrt(denominator)
        xp.sqrt(denominator, out=denominator)
        xp.multiply(gradient, learning_rate, out=tmp)
        tmp /= denominator
        if self.momentum > 0:
            mom = self._slot(variable, "momentum")
            mom *= dt(self.momentum)
            mom += tmp
            w -= mom
        else:
            w -= tmp

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "rho": self.rho,
                "momentum": self.momentum,
                "epsilon": self.epsilon,
                "centered": self.centered,
            }
        )
        return config
