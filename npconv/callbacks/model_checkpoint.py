"""``ModelCheckpoint``: save the model (or its weights) during training.

Long runs get interrupted, and the last epoch is rarely the best one; this callback saves every
epoch, every N batches, or only when the monitored value improves. Behaviour is Keras 3's. The
writing itself is the model's ``save``/``save_weights`` (atomic: a temporary file in the same
folder, then a rename), so an interrupted save never leaves half a file behind.
"""

from __future__ import annotations

import os
import warnings

import numpy as np

from .monitor_callback import MonitorCallback


class ModelCheckpoint(MonitorCallback):
    """Save the model or its weights at some frequency.

    Args:
        filepath: string or ``PathLike``, where to save. It may contain named format fields,
            filled with ``epoch`` (1-based, as Keras), ``batch`` (1-based, when saving every
            N batches) and the keys of the logs: ``"ckpt-{epoch:02d}-{val_loss:.2f}.keras"``
            gives ``ckpt-03-0.41.keras``. The folder is created if missing. Unlike Keras 3,
            the file name's extension is not checked here: which formats exist is the model's
            business, and ``save``/``save_weights`` reject the ones they cannot write.
        monitor: the log key to monitor (``'val_loss'``, ``'val_accuracy'``, ...) when
            ``save_best_only=True``.
        verbose: ``0`` silent; ``1`` prints a message each time the callback acts.
        save_best_only: save only when the monitored value improves on the best so far. With
            a ``filepath`` without format fields, each better model overwrites the last.
        save_weights_only: save with ``model.save_weights(filepath)`` instead of
            ``model.save(filepath)``.
        mode: ``'auto'``, ``'min'`` or ``'max'``: whether smaller or larger monitored values
            are better (``'auto'`` infers it from the name).
        save_freq: ``'epoch'`` (at the end of every epoch) or an integer N (after every N
            training batches, counted across epochs). Metrics then reflect a part of an epoch.
        initial_value_threshold: initial "best" value: with ``save_best_only=True`` nothing
            is saved until the monitored value beats it.
    """

    chief_only = True  # under data parallelism only rank 0 writes the file

    def __init__(
        self,
        filepath,
        monitor="val_loss",
        verbose=0,
        save_best_only=False,
        save_weights_only=False,
        mode="auto",
        save_freq="epoch",
        initial_value_threshold=None,
    ):
        super().__init__(monitor, mode, initial_value_threshold)
        self.verbose = verbose
        self.filepath = os.fspath(filepath)
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.save_freq = save_freq
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = None
        self._current_epoch = 0
        from ..io.saving import check_save_path

        check_save_path(self.filepath, self.save_weights_only, what="ModelCheckpoint")
        if self.save_freq != "epoch" and (
            isinstance(self.save_freq, bool) or not isinstance(self.save_freq, (int, np.integer))
        ):
            raise ValueError(
                f"Unrecognized save_freq: {self.save_freq}. "
                "Expected save_freq are 'epoch' or integer values"
            )

    def on_train_batch_end(self, batch, logs=None):
        if self._should_save_on_batch(batch):
            self._save_model(epoch=self._current_epoch, batch=batch, logs=logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            # Decided here, once the model's metrics exist.
            self._set_monitor_op()
        if self.save_freq == "epoch":
            self._save_model(epoch=epoch, batch=None, logs=logs)

    def _should_save_on_batch(self, batch):
        if self.save_freq == "epoch":
            return False
        if self._last_batch_seen is None or batch <= self._last_batch_seen:
            add_batches = batch + 1  # a new epoch: batches are 0-based
        else:
            add_batches = batch - self._last_batch_seen
        self._batches_seen_since_last_saving += add_batches
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _should_save_model(self, epoch, batch, logs, filepath):
        logs = logs or {}
        if not self.save_best_only:
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: saving model to {filepath}")
            return True
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"Can save best model only with {self.monitor} available.", stacklevel=2)
            return True
        if np.ndim(current) > 0:
            warnings.warn(
                "Can save best model only when `monitor` is a scalar value. "
                f"Received: {current}. Falling back to `save_best_only=False`.",
                stacklevel=2,
            )
            return True
        best_str = "None" if self.best is None else f"{self.best:.5f}"
        if self._is_improvement(current, self.best):
            if self.verbose > 0:
                print(
                    f"\nEpoch {epoch + 1}: {self.monitor} improved from {best_str} to "
                    f"{current:.5f}, saving model to {filepath}"
                )
            self.best = current
            return True
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best_str}")
        return False

    def _save_model(self, epoch, batch, logs):
        filepath = self._get_file_path(epoch, batch, logs)
        if not self._should_save_model(epoch, batch, logs, filepath):
            return
        if os.path.isdir(filepath):
            raise OSError(
                "Please specify a non-directory filepath for ModelCheckpoint. "
                f"Filepath used is an existing directory: {filepath}"
            )
        dirname = os.path.dirname(filepath)
        if dirname:
            os.makedirs(dirname, exist_ok=True)
        method = "save_weights" if self.save_weights_only else "save"
        save = getattr(self.model, method, None)
        if save is None:
            raise NotImplementedError(
                f"ModelCheckpoint(save_weights_only={self.save_weights_only}) calls "
                f"model.{method}(filepath), which {type(self.model).__name__} does not have"
            )
        save(filepath, overwrite=True)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: finished saving model to {filepath}")

    def _get_file_path(self, epoch, batch, logs):
        """``filepath`` with its fields filled: 1-based ``epoch``/``batch`` and the logs."""
        logs = logs or {}
        try:
            if batch is None or "batch" in logs:
                return self.filepath.format(epoch=epoch + 1, **logs)
            return self.filepath.format(epoch=epoch + 1, batch=batch + 1, **logs)
        except KeyError as e:
            raise KeyError(
                f'Failed to format this callback filepath: "{self.filepath}". Reason: {e}. '
                f"Available keys: epoch, {'batch, ' if batch is not None else ''}"
                f"{', '.join(logs)}"
            ) from None
