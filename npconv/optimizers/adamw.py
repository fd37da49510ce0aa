"""AdamW: Adam with decoupled weight decay (Loshchilov & Hutter, 2019)."""

from __future__ import annotations

from .adam import Adam


class AdamW(Adam):
    """AdamW: Keras 3's ``keras.optimizers.AdamW``.

    Adam's update (see ``Adam``) preceded by weight decay that does not go through the
    gradient, and so is not rescaled by Adam's per-weight step sizes::

        w = w - w * weight_decay * learning_rate
        ... then Adam's step on w

    (L2 regularization added to the loss would instead be divided by ``sqrt(v)`` like the rest
    of the gradient, decaying weights with large gradients less.)

    Args:
        learning_rate: default 0.001.
        weight_decay: default 0.004; must be a float (``None`` is refused, as Keras).
        beta_1, beta_2, epsilon, amsgrad: as ``Adam``.
        **kwargs: the common arguments, see ``Optimizer``.
    """

    def __init__(
        self,
        learning_rate=0.001,
        weight_decay=0.004,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        amsgrad=False,
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
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            amsgrad=amsgrad,
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
        if self.weight_decay is None:
            raise ValueError("Argument `weight_decay` must be a float. Received: weight_decay=None")
