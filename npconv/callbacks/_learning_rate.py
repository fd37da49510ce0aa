"""Reading and setting ``model.optimizer.learning_rate`` for the learning-rate callbacks.

The optimizer exposes ``learning_rate`` as a float property with a setter (Keras 3). When it was
built with a schedule (a callable of the step), the current rate is the schedule at the
optimizer's ``iterations``, and setting it is an error, as in Keras 3.
"""

from __future__ import annotations

import inspect
import numbers

import numpy as np


def _to_float(value, what):
    value = getattr(value, "data", value)  # an npconv Variable or Tensor holds an array
    try:
        return float(np.asarray(value))
    except (TypeError, ValueError):
        raise TypeError(f"{what} should be a number, got {value!r}") from None


def optimizer_of(callback):
    model = callback.model
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        raise ValueError(
            f"{type(callback).__name__} needs a compiled model: model.optimizer is None. "
            "Call model.compile(optimizer=...) before fit()."
        )
    if not hasattr(optimizer, "learning_rate"):
        raise ValueError('Optimizer must have a "learning_rate" attribute.')
    return optimizer


def is_schedule(value) -> bool:
    return callable(value) and not isinstance(value, numbers.Number)


def get_learning_rate(optimizer) -> float:
    """The optimizer's current learning rate as a Python float."""
    lr = optimizer.learning_rate
    if is_schedule(lr):  # an optimizer that hands out its schedule rather than its value
        step = int(_to_float(getattr(optimizer, "iterations", 0), "optimizer.iterations"))
        try:
            inspect.signature(lr).bind(step)
        except TypeError:  # Keras calls a callable of no arguments with none
            lr = lr()
        except ValueError:  # no signature to read
            lr = lr(step)
        else:
            lr = lr(step)
    return _to_float(lr, "optimizer.learning_rate")


def has_schedule(optimizer) -> bool:
    """Whether the rate comes from a schedule (npconv's optimizers name it
    ``learning_rate_schedule``)."""
    return is_schedule(optimizer.learning_rate) or is_schedule(
        getattr(optimizer, "learning_rate_schedule", None)
    )


def set_learning_rate(optimizer, value, who) -> None:
    """Set a float learning rate; refuse, as Keras 3 does, when it comes from a schedule."""
    if has_schedule(optimizer):
        raise TypeError(
            f"{who} cannot set the learning rate: this optimizer was created with a "
            "`LearningRateSchedule` object as its `learning_rate` constructor argument, hence "
            "its learning rate is not settable. If you need the learning rate to be settable, "
            "you should instantiate the optimizer with a float `learning_rate` argument."
        )
    optimizer.learning_rate = float(value)
