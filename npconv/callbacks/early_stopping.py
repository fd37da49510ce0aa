"""``EarlyStopping``: stop ``fit`` when a monitored value has stopped improving.

Training longer than the point where the validation loss stops falling only fits the training
set more closely (over-fitting); this callback ends training there and, optionally, puts back
the weights of the best epoch. Behaviour is Keras 3's, line for line.
"""

from __future__ import annotations

import warnings

from .monitor_callback import MonitorCallback


class EarlyStopping(MonitorCallback):
    """Stop training when a monitored metric has stopped improving.

    At the end of every epoch, the value of ``monitor`` in the logs is compared with the best
    seen so far. Each epoch without an improvement of more than ``min_delta`` adds one to a
    counter (``wait``); when it reaches ``patience`` (and at least two epochs have run),
    ``model.stop_training`` is set and ``fit`` ends after this epoch.

    Args:
        monitor: quantity to be monitored. Defaults to ``'val_loss'``.
        min_delta: minimum change in the monitored quantity to qualify as an improvement, i.e.
            an absolute change of less than ``min_delta`` will count as no improvement. Its
            sign is ignored. Defaults to ``0``.
        patience: number of epochs with no improvement after which training will be stopped.
            Defaults to ``0``.
        verbose: ``0`` is silent; ``1`` prints ``"Epoch N: early stopping"`` and
            ``"Restoring model weights from the end of the best epoch: N."`` when it acts.
        mode: ``'auto'``, ``'min'`` or ``'max'``. In ``'min'`` mode training stops when the
            quantity has stopped decreasing, in ``'max'`` mode when it has stopped increasing;
            ``'auto'`` infers the direction from the name (``val_loss``: min, ``val_accuracy``:
            max; see ``npconv.callbacks.monitor_callback``).
        baseline: baseline value for the monitored quantity. If not ``None``, the ``wait``
            counter is only reset by epochs that improve on both the best value so far and the
            baseline; so if no epoch beats the baseline, training runs for ``patience`` epochs.
        restore_best_weights: whether to restore the model weights from the epoch with the
            best value of the monitored quantity. As in Keras 3 this happens at the end of
            training whether or not training was stopped early (Keras 2 restored only when it
            stopped early). An epoch is restored regardless of the ``baseline``. If ``False``,
            the weights of the last step of training are kept.
        start_from_epoch: number of epochs to wait before starting to monitor improvement: a
            warm-up during which no improvement is expected and training is not stopped.

    Attributes after ``fit``: ``stopped_epoch`` (0-based epoch at which training stopped, 0 if
    it did not), ``best`` (best monitored value), ``best_epoch`` (0-based), ``wait``.

    Example::

        callback = npconv.callbacks.EarlyStopping(monitor="loss", patience=3)
        history = model.fit(x, y, epochs=10, callbacks=[callback], verbose=0)
    """

    def __init__(
        self,
        monitor="val_loss",
        min_delta=0,
        patience=0,
        verbose=0,
        mode="auto",
        baseline=None,
        restore_best_weights=False,
        start_from_epoch=0,
    ):
        super().__init__(monitor, mode, min_delta=min_delta)
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.wait = 0
        self.stopped_epoch = 0
        self.restore_best_weights = restore_best_weights
        self.best_weights = None
        self.best_epoch = 0
        self.start_from_epoch = start_from_epoch

    def on_train_begin(self, logs=None):
        # Allow instances to be re-used across `fit()` calls.
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            # Decided here, once the model's metrics exist.
            self._set_monitor_op()

        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            # No value to monitor, or still in the warm-up.
            return
        if self.restore_best_weights and self.best_weights is None:
            # Nothing kept yet: the current weights are the best.
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch

        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            # Only restart the wait when both the baseline and the previous best are beaten.
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return

        if self.wait >= self.patience and epoch > 0:
            # Patience exceeded: stop training.
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(
                    "Restoring model weights from the end of the best epoch: "
                    f"{self.best_epoch + 1}."
                )
            self.model.set_weights(self.best_weights)

    def get_monitor_value(self, logs):
        """``logs[monitor]``, or ``None`` with a warning that lists the keys there are."""
        logs = logs or {}
        monitor_value = logs.get(self.monitor)
        if monitor_value is None:
            warnings.warn(
                f"Early stopping conditioned on metric `{self.monitor}` which is not "
                f"available. Available metrics are: {','.join(list(logs.keys()))}",
                stacklevel=2,
            )
        return monitor_value
