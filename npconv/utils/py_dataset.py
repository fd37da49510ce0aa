"""``PyDataset`` (Keras 3) and ``Sequence`` (Keras 2): data served one batch per index.

Subclass and implement ``__len__`` (the number of batches) and ``__getitem__(index)`` (the
batch: ``x``, ``(x, y)`` or ``(x, y, sample_weight)``); ``on_epoch_end`` runs after each epoch
(reshuffle there). ``fit``/``evaluate``/``predict`` take an instance in place of arrays.

``workers``, ``use_multiprocessing`` and ``max_queue_size`` are Keras 3's: with ``workers > 1``
batches are loaded ``workers`` at a time on threads, up to ``max_queue_size`` batches ahead of
training, and handed out in index order. npconv always uses threads, also when
``use_multiprocessing=True``: processes would need the dataset pickled, which npconv never
does, and the loading that benefits (NumPy, Pillow decoding, file reads) releases the GIL.
"""

from __future__ import annotations

__all__ = ["PyDataset", "Sequence"]


class PyDataset:
    """Base class of datasets served batch by batch (see the module docstring)."""

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        if int(workers) < 1:
            raise ValueError(f"PyDataset: workers must be at least 1, got {workers!r}")
        if int(max_queue_size) < 1:
            raise ValueError(
                f"PyDataset: max_queue_size must be at least 1, got {max_queue_size!r}"
            )
        self._workers = int(workers)
        self._use_multiprocessing = bool(use_multiprocessing)
        self._max_queue_size = int(max_queue_size)

    # Subclasses may skip super().__init__() (Keras 2's Sequence had none): defaults then.
    @property
    def workers(self):
        return getattr(self, "_workers", 1)

    @workers.setter
    def workers(self, value):
        self._workers = int(value)

    @property
    def use_multiprocessing(self):
        return getattr(self, "_use_multiprocessing", False)

    @use_multiprocessing.setter
    def use_multiprocessing(self, value):
        self._use_multiprocessing = bool(value)

    @property
    def max_queue_size(self):
        return getattr(self, "_max_queue_size", 10)

    @max_queue_size.setter
    def max_queue_size(self, value):
        self._max_queue_size = int(value)

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__(index)")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __len__()")

    @property
    def num_batches(self):
        """The number of batches (``len(self)``; Keras 3's name)."""
        return len(self)

    def on_epoch_begin(self):
        """Called before each epoch of ``fit``."""

    def on_epoch_end(self):
        """Called after each epoch of ``fit`` (reshuffle here)."""

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]


class Sequence(PyDataset):
    """Keras 2's name for ``PyDataset`` (``keras.utils.Sequence``), which tutorials subclass
    without calling ``super().__init__()``."""
