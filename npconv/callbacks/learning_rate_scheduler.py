"""``LearningRateScheduler``: set the learning rate at the start of every epoch from a function.

For step decay, exponential decay, warm-up and other per-epoch rules written as plain Python.
Behaviour is Keras 3's.
"""

from __future__ import annotations

import inspect

import numpy as np

from ._learning_rate import get_learning_rate, optimizer_of, set_learning_rate
from .base import Callback


def _takes_two_arguments(fn):
    """True/False when the signature says whether ``fn(epoch, lr)`` binds; None if unknown."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    try:
        signature.bind(0, 0.0)
    except TypeError:
        return False
    return True


class LearningRateScheduler(Callback):
    """Learning rate scheduler.

    At the beginning of every epoch, ``schedule`` is called with the epoch index (0-based) and
    the current learning rate, and its result becomes the optimizer's learning rate. A
    ``schedule(epoch)`` of one argument (Keras 2's form) is accepted too. At each epoch end
    the rate in use is added to the logs as ``logs['learning_rate']``, as in Keras 3.

    Args:
        schedule: a function ``schedule(epoch, lr) -> float`` (or ``schedule(epoch)``). As in
            Keras, it must return a float (Python or NumPy); an ``int`` is refused.
        verbose: ``0`` quiet; ``1`` prints ``"Epoch N: LearningRateScheduler setting learning
            rate to X."``.

    Example::

        def scheduler(epoch, lr):
            return lr if epoch < 10 else lr * np.exp(-0.1)

        model.fit(x, y, epochs=15, callbacks=[LearningRateScheduler(scheduler)])

    Keras decides between the two forms by calling ``schedule(epoch, lr)`` and falling back to
    ``schedule(epoch)`` on any ``TypeError``, which also hides a ``TypeError`` raised inside a
    two-argument schedule. npconv asks the function's signature first and only falls back to
    that trial for callables without one.
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise TypeError(f"LearningRateScheduler needs a callable schedule, got {schedule!r}")
        self.schedule = schedule
        self.verbose = verbose

    def _new_rate(self, epoch, lr):
        two = _takes_two_arguments(self.schedule)
        if two is None:
            try:
                return self.schedule(epoch, lr)
            except TypeError:  # Keras 2's schedule(epoch)
                return self.schedule(epoch)
        return self.schedule(epoch, lr) if two else self.schedule(epoch)

    def _update_optimizer_lr(self, optimizer, epoch):
        learning_rate = self._new_rate(epoch, get_learning_rate(optimizer))
        if isinstance(learning_rate, np.ndarray) and learning_rate.ndim == 0:
            learning_rate = learning_rate[()]
        if not isinstance(learning_rate, (float, np.floating)):
            raise ValueError(
                f"The output of the `schedule` function should be a float. Got: {learning_rate}"
            )
        set_learning_rate(optimizer, learning_rate, "LearningRateScheduler")
        return learning_rate

    def on_epoch_begin(self, epoch, logs=None):
        learning_rate = self._update_optimizer_lr(optimizer_of(self), epoch)
        if self.verbose > 0:
            print(
                f"\nEpoch {epoch + 1}: LearningRateScheduler setting "
                f"learning rate to {learning_rate}."
            )

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        logs["learning_rate"] = get_learning_rate(optimizer_of(self))
