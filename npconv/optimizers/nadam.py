"""Nadam (Dozat, 2016): Adam with Nesterov momentum."""

from __future__ import annotations

from .. import backend
from ..backend import xp
from .base_optimizer import Optimizer


class Nadam(Optimizer):
    """Nadam: Keras 3's ``keras.optimizers.Nadam``.

    Adam whose first moment looks one step ahead, with Dozat's momentum schedule
    ``mu_t = beta_1 * (1 - 0.5 * 0.96**t)``. At step ``t = iterations + 1``, with the running
    product ``P_t = mu_1 * ... * mu_t`` (one optimizer-wide state value, updated once per step
    before the variables)::

        m = m + (g - m) * (1 - beta_1)
        v = v + (g**2 - v) * (1 - beta_2)
        m_hat = mu_{t+1} * m / (1 - P_t * mu_{t+1}) + (1 - mu_t) * g / (1 - P_t)
        v_hat = v / (1 - beta_2**t)
        w = w - learning_rate * m_hat / (sqrt(v_hat) + epsilon)

    Args:
        learning_rate: float, schedule or callable; default 0.001.
        beta_1: 0.9; beta_2: 0.999.
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
        self._u_product = None

    _elementwise_update = True

    def _slot_groups(self):
        return [[("momentum", "zeros"), ("velocity", "zeros")]]

    def _build_extra(self, variables):
        dtype = variables[0].dtype if variables else backend.floatx()
        self._u_product = self.add_variable((), initializer="ones", dtype=dtype, name="u_product")

    def _update_steps(self, grads, variables, learning_rate):
        u = self._u_product.data
        dt = u.dtype.type
        t = dt(self._step() + 1)
        u[...] = u * dt(self.beta_1) * (dt(1.0) - dt(0.5) * xp.power(dt(0.96), t))
        super()._update_steps(grads, variables, learning_rate)

    def update_step(self, gradient, variable, learning_rate):
        w = variable.data
        dt = w.dtype.type
        one = dt(1.0)
        t = dt(self._step() + 1)
        t_next = dt(self._step() + 2)
        decay = dt(0.96)
        beta_1 = dt(self.beta_1)
        beta_2 = dt(self.beta_2)
        u_t = beta_1 * (one - dt(0.5) * xp.power(decay, t))
        u_t_1 = beta_1 * (one - dt(0.5) * xp.power(decay, t_next))
        u_product_t = dt(self._u_product.data)
        u_product_t_1 = u_product_t * u_t_1
        beta_2_power = xp.power(beta_2, t)
        m = self._slot(variable, "momentum")
        v = self._slot(variable, "velocity")
        tmp = self._buffer(w)
        m_hat = self._buffer(w, 1)
        xp.subtract(gradient, m, out=tmp)
        tmp *= one - beta_1
        m += tmp
        xp.square(gradient, out=tmp)
        tmp -= v
        tmp *= one - beta_2
        v += tmp
        # m_hat = u_{t+1} * m / (1 - P_t * u_{t+1}) + (1 - u_t) * g / (1 - P_t)
        xp.multiply(m, u_t_1, out=m_hat)
        m_hat /= one - u_product_t_1
        xp.multiply(gradient, one - u_t, out=tmp)
        tmp /= one - u_product_t
        m_hat += tmp
        # w -= m_hat * lr / (sqrt(v / (1 - beta_2**t)) + eps)
        xp.divide(v, one - beta_2_power, out=tmp)
        xp.sqrt(tmp, out=tmp)
        tmp += dt(self.epsilon)
        m_hat *= learning_rate
        m_hat /= tmp
        w -= m_hat

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return config
