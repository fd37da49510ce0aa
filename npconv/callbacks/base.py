"""``Callback``: hooks the training loop calls; ``History`` records what ``fit`` returns.

Every hook Keras has is here with Keras's signature; ``logs`` is a dict of floats such as
``{'loss': 0.31, 'accuracy': 0.9, 'val_loss': ...}``. A callback stops training by setting
``self.model.stop_training = True``.
"""

from __future__ import annotations


class Callback:
    """Base class: override the hooks you need.

    ``chief_only``: under data parallelism (``npconv.distribution``) a callback that writes
    files (``ModelCheckpoint``, ``CSVLogger``, ``TensorBoard``) runs on rank 0 alone; the
    others run on every rank, on the same global logs.
    """

    chief_only = False

    def __init__(self):
        self.model = None
        self.params = {}

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def on_train_begin(self, logs=None): ...
    def on_train_end(self, logs=None): ...
    def on_epoch_begin(self, epoch, logs=None): ...
    def on_epoch_end(self, epoch, logs=None): ...

    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs=logs)  # Keras 2's name, as Keras 3 does

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs=logs)  # Keras 2's name, as Keras 3 does

    def on_test_begin(self, logs=None): ...
    def on_test_end(self, logs=None): ...
    def on_test_batch_begin(self, batch, logs=None): ...
    def on_test_batch_end(self, batch, logs=None): ...
    def on_predict_begin(self, logs=None): ...
    def on_predict_end(self, logs=None): ...
    def on_predict_batch_begin(self, batch, logs=None): ...
    def on_predict_batch_end(self, batch, logs=None): ...

    # Keras 2 names of the train-batch hooks. As in Keras 3, the training loop calls
    # on_train_batch_*, whose default calls these, so a Keras 2 callback that overrides
    # on_batch_end still runs after every training batch.
    def on_batch_begin(self, batch, logs=None): ...
    def on_batch_end(self, batch, logs=None): ...


class History(Callback):
    """Collects each epoch's logs: ``history.history['val_accuracy'][-1]``."""

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []
        # keep earlier values when fit is called again with initial_epoch, as Keras does
        self.history = self.history or {}

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)


class CallbackList:
    """Calls a hook on each callback in order."""

    def __init__(self, callbacks, model, params):
        self.callbacks = list(callbacks)
        for cb in self.callbacks:
            cb.set_model(model)
            cb.set_params(params)

    def __getattr__(self, hook):
        if not hook.startswith("on_"):
            raise AttributeError(hook)

        def call(*args):
            for cb in self.callbacks:
                getattr(cb, hook)(*args)

        return call
