"""``TensorBoard``: write training logs that ``tensorboard --logdir logs`` shows, without
TensorFlow (event files are written by ``_event_file``).

Layout and tags are Keras 3's: ``log_dir/train`` and ``log_dir/validation`` each hold an event
file; at each epoch's end the train file gets ``epoch_<metric>`` (and ``epoch_learning_rate``)
at step ``epoch`` and the validation file ``epoch_<metric>`` for each ``val_<metric>``; with
``update_freq`` an integer N (``'batch'`` is 1) the train file also gets ``batch_<metric>`` every
N batches at the global batch number; ``evaluate`` inside ``fit`` adds
``evaluation_<metric>_vs_iterations`` at the optimizer's step. ``histogram_freq=N`` writes a
histogram of every weight (``<layer>/<weight>/histogram``) every N epochs, and with
``write_images`` the weights as images (``<layer>/<weight>/image``; a conv kernel as one grey
image per output filter, up to 3 as ``tf.summary.image`` does, each min-max scaled to [0, 255]).

``write_graph`` is accepted for compatibility; there is no TensorFlow graph to write, so no
graph is written. ``profile_batch`` and ``embeddings_freq`` must stay 0 (profiling needs
TensorFlow or JAX, as in Keras 3's numpy backend).
"""

from __future__ import annotations

import os
import time

import numpy as np

from . import _event_file
from ._learning_rate import get_learning_rate
from .base import Callback

MAX_IMAGES = 3


class TensorBoard(Callback):
    """Enable visualizations for TensorBoard.

    Args:
        log_dir: where to write the logs (``log_dir/train``, ``log_dir/validation``).
        histogram_freq: epochs between weight histograms; 0 writes none.
        write_graph: accepted for Keras compatibility (no graph is written).
        write_images: also write the weights as images when histograms are written.
        write_steps_per_second: also write ``epoch_steps_per_second`` (and
            ``batch_steps_per_second`` with batch-level logging).
        update_freq: ``'epoch'``, ``'batch'`` or an integer N: write ``batch_*`` scalars every N
            training batches.
        profile_batch, embeddings_freq, embeddings_metadata: accepted; must be 0/None.

    Example::

        tensorboard = npconv.callbacks.TensorBoard(log_dir="./logs", histogram_freq=1)
        model.fit(x, y, epochs=5, validation_split=0.1, callbacks=[tensorboard])
        # then: tensorboard --logdir ./logs
    """

    chief_only = True  # under data parallelism only rank 0 writes the event files

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0,
                 embeddings_freq=0, embeddings_metadata=None):
        super().__init__()
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = int(histogram_freq)
        self.write_graph = write_graph
        self.write_images = write_images
        self.write_steps_per_second = write_steps_per_second
        if update_freq == "batch":
            update_freq = 1
        if update_freq != "epoch" and (not isinstance(update_freq, int) or update_freq < 1):
            raise ValueError("TensorBoard: update_freq must be 'epoch', 'batch' or a positive "
                             f"integer, got {update_freq!r}")
        self.update_freq = update_freq
        if profile_batch:
            raise ValueError("TensorBoard: profiling needs TensorFlow or JAX; npconv supports "
                             f"profile_batch=0 only, got {profile_batch!r}")
        if embeddings_freq:
            raise ValueError("TensorBoard: embeddings are not supported; embeddings_freq must "
                             f"be 0, got {embeddings_freq!r}")
        self.profile_batch = profile_batch
        self.embeddings_freq = embeddings_freq
        self.embeddings_metadata = embeddings_metadata
        self._writers = {}
        self._global_train_batch = 0
        self._epoch_start = None
        self._epoch_start_step = 0

    # -- writers

    def _writer(self, which):
        if which not in self._writers:
            self._writers[which] = _event_file.EventFileWriter(os.path.join(self.log_dir, which))
        return self._writers[which]

    def _close_writers(self):
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    # -- hooks

    def on_train_begin(self, logs=None):
        self._global_train_batch = 0
        self._writer("train")

    def on_train_end(self, logs=None):
        self._close_writers()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.perf_counter()
        self._epoch_start_step = self._global_train_batch

    def on_train_batch_begin(self, batch, logs=None):
        self._global_train_batch += 1
        self._batch_start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        if self.update_freq == "epoch" or self._global_train_batch % self.update_freq:
            return
        step = self._global_train_batch
        values = [_event_file.scalar_value(f"batch_{k}", v) for k, v in _scalars(logs).items()]
        if self.write_steps_per_second:
            seconds = max(time.perf_counter() - self._batch_start, 1e-9)
            values.append(_event_file.scalar_value("batch_steps_per_second", 1.0 / seconds))
        self._writer("train").add_values(values, step)

    def on_test_end(self, logs=None):
        optimizer = getattr(self.model, "optimizer", None)
        if not logs or optimizer is None or "train" not in self._writers:
            return  # a stand-alone evaluate() writes nothing, as in Keras
        step = int(getattr(optimizer, "iterations", 0))
        values = [_event_file.scalar_value(f"evaluation_{k}_vs_iterations", v)
                  for k, v in _scalars(logs).items()]
        self._writer("validation").add_values(values, step)
        self._writer("validation").flush()

    def on_epoch_end(self, epoch, logs=None):
        scalars = _scalars(logs)
        train = {k: v for k, v in scalars.items() if not k.startswith("val_")}
        val = {k[4:]: v for k, v in scalars.items() if k.startswith("val_")}
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None:
            try:
                train["learning_rate"] = get_learning_rate(optimizer)
            except (AttributeError, TypeError, ValueError):
                pass
        if self.write_steps_per_second and self._epoch_start is not None:
            seconds = max(time.perf_counter() - self._epoch_start, 1e-9)
            steps = self._global_train_batch - self._epoch_start_step
            train["steps_per_second"] = steps / seconds
        if train:
            self._writer("train").add_values(
                [_event_file.scalar_value(f"epoch_{k}", v) for k, v in train.items()], epoch)
        if val:
            self._writer("validation").add_values(
                [_event_file.scalar_value(f"epoch_{k}", v) for k, v in val.items()], epoch)
            self._writer("validation").flush()
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._log_weights(epoch)
        self._writer("train").flush()

    def _log_weights(self, epoch):
        values = []
        for layer in getattr(self.model, "layers", []):
            for weight in layer.weights:
                name = str(getattr(weight, "name", "") or getattr(weight, "path", ""))
                if "/" not in name:  # Keras 3's weight path is '<layer>/<weight>'
                    name = f"{layer.name}/{name}"
                name = name.replace(":", "_")
                array = np.asarray(weight.data if hasattr(weight, "data") else weight)
                values.append(_event_file.histogram_value(f"{name}/histogram", array))
                if self.write_images:
                    images = _weight_images(array)
                    if images is not None:
                        for k, img in enumerate(images[:MAX_IMAGES]):
                            tag = f"{name}/image" if len(images) == 1 else f"{name}/image/{k}"
                            values.append(_event_file.image_value(tag, img))
        self._writer("train").add_values(values, epoch)


def _scalars(logs):
    out = {}
    for key, value in (logs or {}).items():
        try:
            out[key] = float(value)
        except (TypeError, ValueError):
            continue
    return out


def _weight_images(w):
    """Keras's weight-as-image shapes: a bias -> one 1 x n image; a dense kernel -> one image,
    the longer axis across; a 2-D conv kernel (rows, cols, in, out) squeezed to 3 axes -> one
    image per last axis. Returns uint8 ``(N, H, W, 1)`` images, or None when the weight has no
    image form (as Keras skips a 3-D conv kernel)."""
    w = np.squeeze(np.asarray(w, dtype=np.float64))
    if w.ndim == 1:
        w = w.reshape(1, 1, -1, 1)
    elif w.ndim == 2:
        if w.shape[0] > w.shape[1]:
            w = w.T
        w = w.reshape(1, *w.shape, 1)
    elif w.ndim == 3:
        w = np.transpose(w, (2, 0, 1))[..., None]
    else:
        return None
    low = w.min(axis=(1, 2, 3), keepdims=True)
    span = w.max(axis=(1, 2, 3), keepdims=True) - low
    scaled = (w - low) / np.where(span == 0, 1, span)
    return np.round(scaled * 255).astype(np.uint8)
