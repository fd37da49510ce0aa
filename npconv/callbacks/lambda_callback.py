"""``LambdaCallback``: a callback made of plain functions, for one-off hooks without a class."""

from __future__ import annotations

from .base import Callback

# Hooks called as hook(logs) and as hook(index, logs).
_LOGS_ONLY = (
    "on_train_begin",
    "on_train_end",
    "on_test_begin",
    "on_test_end",
    "on_predict_begin",
    "on_predict_end",
)
_INDEX_AND_LOGS = (
    "on_epoch_begin",
    "on_epoch_end",
    "on_train_batch_begin",
    "on_train_batch_end",
    "on_test_batch_begin",
    "on_test_batch_end",
    "on_predict_batch_begin",
    "on_predict_batch_end",
    "on_batch_begin",
    "on_batch_end",
)


def _logs_only(fn):
    def hook(logs=None):
        return fn(logs if logs is not None else {})

    hook.__wrapped__ = fn
    return hook


def _index_and_logs(fn):
    def hook(index, logs=None):
        return fn(index, logs if logs is not None else {})

    hook.__wrapped__ = fn
    return hook


class LambdaCallback(Callback):
    r"""Callback for creating simple, custom callbacks on-the-fly.

    Each function is called at its moment of ``fit`` (or ``evaluate``/``predict``) with the
    arguments Keras gives:

    - ``on_epoch_begin`` and ``on_epoch_end``: ``(epoch, logs)``;
    - ``on_train_begin`` and ``on_train_end``: ``(logs)``;
    - ``on_train_batch_begin`` and ``on_train_batch_end``: ``(batch, logs)``.

    ``logs`` is always a dict (``{}`` where there is nothing to report), so
    ``lambda epoch, logs: ...`` works for every hook of that shape. npconv passes ``logs``
    positionally; Keras passes it by keyword to the batch hooks, so write ``logs`` (not another
    name) there if the same code must run on Keras too.

    Args:
        on_epoch_begin: called at the beginning of every epoch.
        on_epoch_end: called at the end of every epoch.
        on_train_begin: called at the beginning of model training.
        on_train_end: called at the end of model training.
        on_train_batch_begin: called at the beginning of every train batch.
        on_train_batch_end: called at the end of every train batch.
        **kwargs: any other hook of ``Callback`` by name (``on_test_end=fn``, ...), or any
            other attribute to set on the callback. Keras 2's ``on_batch_begin`` /
            ``on_batch_end`` are accepted and called for each training batch.

    Example::

        json_log = open("loss_log.json", mode="wt", buffering=1)
        json_logging_callback = LambdaCallback(
            on_epoch_end=lambda epoch, logs: json_log.write(
                json.dumps({"epoch": epoch, "loss": logs["loss"]}) + "\n"),
            on_train_end=lambda logs: json_log.close(),
        )
    """

    def __init__(
        self,
        on_epoch_begin=None,
        on_epoch_end=None,
        on_train_begin=None,
        on_train_end=None,
        on_train_batch_begin=None,
        on_train_batch_end=None,
        **kwargs,
    ):
        super().__init__()
        hooks = dict(kwargs)
        named = {
            "on_epoch_begin": on_epoch_begin,
            "on_epoch_end": on_epoch_end,
            "on_train_begin": on_train_begin,
            "on_train_end": on_train_end,
            "on_train_batch_begin": on_train_batch_begin,
            "on_train_batch_end": on_train_batch_end,
        }
        hooks.update({name: fn for name, fn in named.items() if fn is not None})
        for name, value in hooks.items():
            if name in _LOGS_ONLY and callable(value):
                value = _logs_only(value)
            elif name in _INDEX_AND_LOGS and callable(value):
                value = _index_and_logs(value)
            setattr(self, name, value)
