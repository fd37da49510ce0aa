"""Adam: adaptive moment estimation (Kingma & Ba, 2014), with the optional AMSGrad variant."""

from __future__ import annotations

from .. import backend
from ..backend import xp
from .base_optimizer import Optimizer


class Adam(Optimizer):
    """Adam: Keras 3's ``keras.optimizers.Adam``.

    Keeps running means of the gradient (``m``) and of its square (``v``), and divides the
    step by the root of the latter, so every weight gets its own step size. At step
    ``t = iterations + 1``::

        m = m + (g - m) * (1 - beta_1)
        v = v + (g**2 - v) * (1 - beta_2)
        v_hat = max(v_hat, v)                 # amsgrad=True only; then v := v_hat below
        alpha = learning_rate * sqrt(1 - beta_2**t) / (1 - beta_1**t)
        w = w - alpha * m / (sqrt(v) + epsilon)

    The bias correction is folded into ``alpha`` and ``epsilon`` is added to ``sqrt(v)``
    uncorrected, exactly as Keras (and TensorFlow) compute it, rather than the paper's
    ``m_hat / (sqrt(v_hat) + epsilon)``; the two differ slightly while ``v`` is tiny.

    Args:
        learning_rate: float, schedule or callable; default 0.001.
        beta_1: decay of the first-moment mean (0.9).
        beta_2: decay of the second-moment mean (0.999).
        epsilon: added to ``sqrt(v)``; default 1e-7 (Keras's, not the paper's 1e-8).
            ``None`` means ``backend.epsilon()``, as in Keras 2.
        amsgrad: use the running maximum of ``v`` (Reddi et al., 2018).
        **kwargs: the common arguments, see ``Optimizer``.
    """

    def __init__(
        self,
        learning_rate=0.001,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        amsgrad=False,
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
        self.amsgrad = amsgrad

    _elementwise_update = True

    def _slot_groups(self):
        groups = [[("momentum", "zeros"), ("velocity", "zeros")]]
        if self.amsgrad:
            groups.append([("velocity_hat", "zeros")])
        return groups

    def update_step(self, gradient, variable, learning_rate):
        w = variable.data
        dt = w.dtype.type
        alpha = self._step_size(learning_rate, dt)
        m = self._slot(variable, "momentum")
        v = self._slot(variable, "velocity")
        tmp = self._buffer(w)
        xp.subtract(gradient, m, out=tmp)
        tmp *= dt(1 - self.beta_1)
        m += tmp
        xp.square(gradient, out=tmp)
        tmp -= v
        tmp *= dt(1 - self.beta_2)
        v += tmp
        if self.amsgrad:
            v_hat = self._slot(variable, "velocity_hat")
            xp.maximum(v_hat, v, out=v_hat)
            v = v_hat
        denominator = self._buffer(w, 1)
        xp.sqrt(v, out=denominator)
        denominator += dt(self.epsilon)
        xp.multiply(m, alpha, out=tmp)
        tmp /= denominator
        w -= tmp

    def _step_size(self, learning_rate, dt):
        """``learning_rate * sqrt(1 - beta_2**t) / (1 - beta_1**t)`` at this step, computed once
        per step and dtype rather than once per variable (a model updates tens of them)."""
        key = (self._step(), learning_rate, dt, self.beta_1, self.beta_2)
        cached = self.__dict__.get("_step_size_cache")
        if cached is not None and cached[0] == key:
            return cached[1]
        t = dt(key[0] + 1)
        beta_1_power = xp.power(dt(self.beta_1), t)
        beta_2_power = xp.power(dt(self.beta_2), t)
        alpha = learning_rate * xp.sqrt(dt(1) - beta_2_power) / (dt(1) - beta_1_power)
        self._step_size_cache = (key, alpha)
        return alpha

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "beta_1": self.beta_1,
                "beta_2": self.beta_2,
                "epsilon": self.epsilon,
                "amsgrad": self.amsgrad,
            }
        )
        return config
