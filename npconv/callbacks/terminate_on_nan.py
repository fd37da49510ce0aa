"""``TerminateOnNaN``: stop training as soon as the loss becomes NaN or infinite.

A diverged run (learning rate too high, log of zero) never recovers; stopping at once saves the
rest of the run and keeps the callbacks' end-of-training work (restoring, logging). Keras 3's.
"""

from __future__ import annotations

import math

from .base import Callback


class TerminateOnNaN(Callback):
    """Callback that terminates training when a NaN or infinite loss is encountered.

    After each training batch, if ``logs['loss']`` is NaN or +-inf it prints
    ``"Batch N: Invalid loss, terminating training"`` (N is the 0-based batch index within the
    epoch) and sets ``model.stop_training = True``: ``fit`` ends after this batch, and the
    other callbacks still get ``on_epoch_end``/``on_train_end``.

    Args:
        raise_error: if ``True``, raise ``RuntimeError`` at once instead, so no other
            callback's end-of-training code runs (e.g. to keep a backup intact). Defaults to
            ``False``. (Keras 3.10+.)
    """

    def __init__(self, raise_error: bool = False):
        super().__init__()
        self.raise_error = raise_error

    def on_batch_end(self, batch, logs=None):
        # Keras 3 overrides the Keras 2 name too; the base's on_train_batch_end calls it.
        logs = logs or {}
        loss = logs.get("loss")
        if loss is None:
            return
        loss = float(loss)
        if math.isnan(loss) or math.isinf(loss):
            if self.raise_error:
                raise RuntimeError(
                    f"NaN or Inf loss encountered at batch {batch}. "
                    f"Loss value: {loss}. Terminating training immediately."
                )
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True
