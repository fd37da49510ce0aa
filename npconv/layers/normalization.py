"""``BatchNormalization``: normalize each channel by the batch's statistics while training and
by moving averages at inference (Ioffe & Szegedy 2015), with Keras 3's update rule

    moving = moving * momentum + batch_statistic * (1 - momentum)

using the biased batch variance, as Keras does. Weights in Keras's order: gamma, beta,
moving_mean, moving_variance (the last two non-trainable).

``synchronized=True`` (Keras 3; ``SyncBatchNormalization`` is Keras 2's name for it): under a
data-parallel distribution the statistics are those of the global batch, summed across the
ranks, so the moving statistics stay identical on every rank; without one it changes nothing.
By default each rank normalizes by its own share of the batch, as Keras and PyTorch do.
"""

from __future__ import annotations

from ..autograd import as_tensor
from ..functions import normalization as ops_norm
from .base import Layer, resolve_training


class BatchNormalization(Layer):
    def __init__(
        self,
        axis=-1,
        momentum=0.99,
        epsilon=1e-3,
        center=True,
        scale=True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        moving_mean_initializer="zeros",
        moving_variance_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        synchronized=False,
        **kwargs,
    ):
        kwargs.pop("renorm", None)
        super().__init__(**kwargs)
        self.axis = int(axis)
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer, self.gamma_initializer = beta_initializer, gamma_initializer
        self.moving_mean_initializer = moving_mean_initializer
        self.moving_variance_initializer = moving_variance_initializer
        self.beta_regularizer, self.gamma_regularizer = beta_regularizer, gamma_regularizer
        self.beta_constraint, self.gamma_constraint = beta_constraint, gamma_constraint
        self.synchronized = bool(synchronized)

    def build(self, input_shape):
        axis = self.axis % len(input_shape)
        n = input_shape[axis]
        if n is None:
            raise ValueError(
                f"BatchNormalization '{self.name}' needs a known size on axis {self.axis}"
            )
        self._axis = axis
        self.gamma = self.beta = None
        if self.scale:
            self.gamma = self.add_weight(
                (n,),
                self.gamma_initializer,
                name="gamma",
                regularizer=self.gamma_regularizer,
                constraint=self.gamma_constraint,
            )
        if self.center:
            self.beta = self.add_weight(
                (n,),
                self.beta_initializer,
                name="beta",
                regularizer=self.beta_regularizer,
                constraint=self.beta_constraint,
            )
        self.moving_mean = self.add_weight(
            (n,), self.moving_mean_initializer, trainable=False, name="moving_mean"
        )
        self.moving_variance = self.add_weight(
            (n,), self.moving_variance_initializer, trainable=False, name="moving_variance"
        )

    def call(self, inputs, training=False):
        return self._normalize(inputs, training)

    def _normalize(self, inputs, training, activation=None):
        if training and self.trainable:
            y, mean, var = ops_norm.batch_norm_train(
                inputs, self.gamma, self.beta, axis=self._axis, epsilon=self.epsilon,
                sync=self._sync(), activation=activation,
            )
            m = self.momentum
            self.moving_mean.data *= m
            self.moving_mean.data += (1.0 - m) * mean.astype(self.moving_mean.dtype)
            self.moving_variance.data *= m
            self.moving_variance.data += (1.0 - m) * var.astype(self.moving_variance.dtype)
            return y
        return ops_norm.batch_norm_inference(
            inputs,
            self.gamma,
            self.beta,
            self.moving_mean.data,
            self.moving_variance.data,
            epsilon=self.epsilon,
            axis=self._axis,
            activation=activation,
        )

    def call_relu(self, inputs, training=None):
        """This layer and a plain ReLU layer after it as one op (``models.fusion`` calls it
        when this layer's output goes only to that ReLU): the same numbers as the two layers,
        one pass fewer forward and backward. ``None`` when it does not apply (not built, an
        activity regularizer, or a subclass with its own ``call``)."""
        if (not self.built or self.activity_regularizer is not None
                or type(self).call is not BatchNormalization.call):
            return None
        x = as_tensor(inputs)
        self.check_input_shape((None, *x.shape[1:]))
        self._losses = []
        return self._normalize(x, resolve_training(self, training), "relu")

    def folds(self, training=None, axis=-1):
        """Whether this layer, called with ``training`` on inputs whose channels lie on
        ``axis``, is the fixed per-channel map of ``inference_scale_shift`` along that axis
        (inference mode, or frozen), which a convolution before it can take into its kernel
        and bias (``models.fusion``)."""
        rank = len(self.built_input_shape or ())
        return (self.built and self.activity_regularizer is None
                and type(self).call is BatchNormalization.call
                and rank > 0 and self._axis == axis % rank
                and not (resolve_training(self, training) and self.trainable))

    def inference_scale_shift(self):
        """``(scale, shift)``, float64 ``(channels,)``: inference computes ``x * scale +
        shift`` along ``axis``, from the current weights."""
        return ops_norm.inference_scale_shift(self.gamma, self.beta, self.moving_mean,
                                              self.moving_variance, self.epsilon)

    def _sync(self):
        if not self.synchronized:
            return None
        from ..distribution import distribution

        dist = distribution()
        return dist if dist is not None and dist.size > 1 else None

    def get_config(self):
        from .. import constraints, initializers, regularizers
        from .core import _serialize

        def ser(i):
            return initializers.serialize(initializers.get(i))

        return {
            **super().get_config(),
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": ser(self.beta_initializer),
            "gamma_initializer": ser(self.gamma_initializer),
            "moving_mean_initializer": ser(self.moving_mean_initializer),
            "moving_variance_initializer": ser(self.moving_variance_initializer),
            "beta_regularizer": _serialize(regularizers.get(self.beta_regularizer), regularizers),
            "gamma_regularizer": _serialize(regularizers.get(self.gamma_regularizer),
                                            regularizers),
            "beta_constraint": _serialize(constraints.get(self.beta_constraint), constraints),
            "gamma_constraint": _serialize(constraints.get(self.gamma_constraint), constraints),
            "synchronized": self.synchronized,
        }


class SyncBatchNormalization(BatchNormalization):
    """Keras 2's ``SyncBatchNormalization``: ``BatchNormalization(synchronized=True)``."""

    def __init__(self, *args, **kwargs):
        kwargs["synchronized"] = True
        super().__init__(*args, **kwargs)


def __getattr__(name):
    # Keras 2 imported more from this path (``keras.layers.convolutional.UpSampling2D``, ...):
    # any layer of npconv.layers, looked up when asked for
    from .._missing import forward

    return forward(__name__, name)
