"""``ReduceLROnPlateau``: divide the learning rate when the monitored value stops improving.

Models often benefit from reducing the learning rate by a factor of 2-10 once learning
stagnates: the steps were too large to settle into the minimum. Behaviour is Keras 3's.
"""

from __future__ import annotations

import warnings

import numpy as np

from ._learning_rate import get_learning_rate, optimizer_of, set_learning_rate
from .monitor_callback import MonitorCallback


class ReduceLROnPlateau(MonitorCallback):
    """Reduce the learning rate when a metric has stopped improving.

    At each epoch end the optimizer's current rate is added to the logs as
    ``logs['learning_rate']`` (so ``History`` and ``CSVLogger`` record it, as in Keras 3).
    After ``patience`` epochs without an improvement of more than ``min_delta``, the rate
    becomes ``max(lr * factor, min_lr)``; then ``cooldown`` epochs pass before epochs without
    improvement are counted again. A rate already at ``min_lr`` is left alone.

    Args:
        monitor: quantity to be monitored.
        factor: factor by which the learning rate will be reduced: ``new_lr = lr * factor``.
            Must be < 1.
        patience: number of epochs with no improvement after which the learning rate will be
            reduced.
        verbose: ``0`` quiet; ``1`` prints ``"Epoch N: ReduceLROnPlateau reducing learning
            rate to X."``.
        mode: ``'auto'``, ``'min'`` or ``'max'``: whether the quantity should fall or rise
            (``'auto'`` infers it from the name).
        min_delta: threshold for measuring the new optimum, to only focus on significant
            changes.
        cooldown: number of epochs to wait before resuming normal operation after the
            learning rate has been reduced.
        min_lr: lower bound on the learning rate.

    The optimizer's ``learning_rate`` must be a settable float; an optimizer built with a
    learning-rate schedule raises ``TypeError`` when the rate would be reduced, as in Keras 3.
    """

    def __init__(
        self,
        monitor="val_loss",
        factor=0.1,
        patience=10,
        verbose=0,
        mode="auto",
        min_delta=1e-4,
        cooldown=0,
        min_lr=0.0,
        **kwargs,
    ):
        super().__init__(monitor, mode, min_delta=min_delta)
        if factor >= 1.0:
            raise ValueError(
                f"ReduceLROnPlateau does not support a factor >= 1.0. Received factor={factor}"
            )
        if "epsilon" in kwargs:  # Keras 2's name of min_delta
            warnings.warn(
                "`epsilon` argument is deprecated; use `min_delta` instead.", stacklevel=2
            )
            self.min_delta = abs(kwargs.pop("epsilon"))
        if kwargs:
            raise TypeError(f"ReduceLROnPlateau got unexpected argument(s) {sorted(kwargs)}")
        self.factor = factor
        self.min_lr = min_lr
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.cooldown_counter = 0
        self.wait = 0

    def _reset(self):
        """Reset the wait and cooldown counters and the best value."""
        self.best = None
        self.cooldown_counter = 0
        self.wait = 0

    def on_train_begin(self, logs=None):
        self._reset()

    def _reduce_optimizer_lr(self, optimizer, epoch):
        old_lr = get_learning_rate(optimizer)
        # Compared in float32, as Keras stores the rate: a rate rounded to float32 at min_lr
        # counts as at min_lr.
        if old_lr > np.float32(self.min_lr):
            new_lr = max(old_lr * self.factor, self.min_lr)
            set_learning_rate(optimizer, new_lr, "ReduceLROnPlateau")
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr}.")
            return True
        return False

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            # Decided here, once the model's metrics exist.
            self._set_monitor_op()
        logs = logs or {}
        optimizer = optimizer_of(self)
        logs["learning_rate"] = get_learning_rate(optimizer)
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(
                "Learning rate reduction is conditioned on metric "
                f"`{self.monitor}` which is not available. Available metrics "
                f"are: {','.join(list(logs.keys()))}.",
                stacklevel=2,
            )
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience and self._reduce_optimizer_lr(optimizer, epoch):
                self.cooldown_counter = self.cooldown
                self.wait = 0

    def in_cooldown(self):
        return self.cooldown_counter > 0
