"""``Trainer.set_resume_point`` and ``fit_interrupted``: the named handles ``BackupAndRestore``
uses to tell ``fit`` where to go on and to learn that Ctrl-C stopped it."""

import numpy as np

import npconv
from npconv import layers


class _Recorder(npconv.callbacks.Callback):
    def __init__(self, resume=None):
        super().__init__()
        self.resume, self.seen = resume, []

    def on_train_begin(self, logs=None):
        if self.resume is not None:
            self.model.set_resume_point(*self.resume)

    def on_train_batch_begin(self, batch, logs=None):
        self.seen.append((self.epoch, batch))

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch


def _model():
    model = npconv.Sequential([npconv.Input((3,)), layers.Dense(1)])
    model.compile("sgd", "mse")
    return model


def test_fit_goes_on_from_the_resume_point_then_starts_afresh():
    x, y = np.ones((8, 3), np.float32), np.zeros((8, 1), np.float32)
    model = _model()
    recorder = _Recorder(resume=(2, 1))
    history = model.fit(x, y, batch_size=4, epochs=4, verbose=0, callbacks=[recorder],
                        shuffle=False)
    assert history.epoch == [2, 3]
    assert recorder.seen == [(2, 1), (3, 0), (3, 1)]  # epoch 2's first batch skipped
    assert not model.fit_interrupted
    plain = _Recorder()
    model.fit(x, y, batch_size=4, epochs=1, verbose=0, callbacks=[plain])
    assert plain.seen == [(0, 0), (0, 1)]  # the point held for one fit only
