"""Data adapters: what ``fit``/``evaluate``/``predict`` iterate over, one batch at a time.

Whatever the user passed — arrays, a Python generator or iterator, a ``PyDataset`` /
``Sequence`` — becomes an adapter whose ``epoch()`` yields the batches of one epoch as the
``data`` that ``train_step``/``test_step``/``predict_step`` receive: Keras 3's packing,
``x`` alone when there are no targets, else ``(x, y)`` or ``(x, y, sample_weight)``
(``pack_x_y_sample_weight``), with ``x`` the array (or list of arrays) the model takes.

Arrays were checked whole before training (``npconv.training.data``); a batch from a generator
or dataset is checked the same way when it arrives, and an error names the batch (``fit: batch
3 of the generator: ...``). A batch whose shape or dtype differs from the earlier ones is
refused, saying what they had.

Batches from a generator or dataset are read and checked on a thread, one batch ahead of
training (``Prefetcher``): reading, converting to float32 and checking the next batch overlaps
the current step, so a generator-fed ``fit`` runs at the speed of ``fit`` on arrays. Only the
very first batch is prepared on the caller's thread, as it may build the model.
"""

from __future__ import annotations

import concurrent.futures
import queue
import threading
import warnings

import numpy as np

from .. import backend
from . import data as D

__all__ = [
    "pack_x_y_sample_weight",
    "unpack_x_y_sample_weight",
    "ArrayAdapter",
    "IteratorAdapter",
    "Prefetcher",
    "is_batch_source",
]


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """Keras 3's packing of one batch: ``x`` alone when ``y`` is ``None`` (``(x,)`` when ``x``
    is a list or tuple, so it is not mistaken for ``(x, y)``), else ``(x, y)`` or
    ``(x, y, sample_weight)``."""
    if y is None:
        return (x,) if isinstance(x, (list, tuple)) else x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def batch_length(x):
    """The number of samples in the batch ``x`` (an array, Tensor, or list/dict of them)."""
    while isinstance(x, (list, tuple, dict)):
        x = next(iter(x.values())) if isinstance(x, dict) else x[0]
    return x.shape[0] if hasattr(x, "shape") else len(x)  # array API arrays have no len()


def unpack_x_y_sample_weight(data):
    """``(x, y, sample_weight)`` from one batch (missing ones are ``None``), as Keras 3: a list
    is read as a tuple; anything else is ``x`` alone."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data
    raise ValueError(
        "A batch must be x, (x,), (x, y) or (x, y, sample_weight); got a tuple of "
        f"{len(data)} items"
    )


def is_batch_source(x) -> bool:
    """Whether ``x`` is served batch by batch (a ``PyDataset``/``Sequence`` or an iterator,
    generators included) rather than being the data itself."""
    from ..utils.py_dataset import PyDataset

    return isinstance(x, PyDataset) or (hasattr(x, "__next__") and not hasattr(x, "shape"))


class ArrayAdapter:
    """Batches sliced from checked arrays; reshuffled each epoch with npconv's generator."""

    def __init__(self, pack, xs, ys, sw, batch_size, shuffle=False, steps=None):
        self.pack, self.xs, self.ys, self.sw = pack, xs, ys, sw
        self.n = len(xs[0])
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.steps = -(-self.n // batch_size)
        if steps:
            self.steps = min(self.steps, int(steps))

    def epoch(self):
        order = backend.rng().permutation(self.n) if self.shuffle else None
        for step, index in enumerate(D.batches(self.n, self.batch_size, order)):
            if step >= self.steps:
                return
            yield self.pack(
                D.take(self.xs, index),
                None if self.ys is None else D.take(self.ys, index),
                D.take_weights(self.sw, index),
            )

    def on_epoch_end(self):
        pass

    def close(self):
        pass


class IteratorAdapter:
    """Batches from a generator/iterator or a ``PyDataset``, checked by ``prepare`` and read
    one batch ahead on a thread.

    ``prepare(raw_batch)`` unpacks, checks and converts one batch (the trainer's checks) and
    returns the ``(xs, ys, sw)`` lists; ``pack`` turns those into the step's ``data``. ``steps``:
    the batches per epoch (``steps_per_epoch``), or ``None`` for the whole ``PyDataset`` or
    until the iterator ends. ``shuffle`` reorders a ``PyDataset``'s batch indices each epoch.
    """

    def __init__(self, source, prepare, pack, steps=None, shuffle=False, what="fit"):
        from ..utils.py_dataset import PyDataset

        self.source = source
        self.prepare = prepare
        self.pack = pack
        self.what = what
        self.dataset = source if isinstance(source, PyDataset) else None
        self.shuffle = shuffle and self.dataset is not None
        if self.dataset is not None:
            n = len(self.dataset)
            self.steps = n if not steps else min(n, int(steps))
            self.kind = f"the {type(self.dataset).__name__}"
        else:
            self.steps = int(steps) if steps else None
            self.kind = "the generator" if _is_generator(source) else "the iterator"
        self.exhausted = False
        self._signature = None
        self._prefetcher = None
        self._built = False

    # the raw batches of one epoch
    def _raw(self):
        if self.dataset is None:
            count = 0
            while self.steps is None or count < self.steps:
                try:
                    batch = next(self.source)
                except StopIteration:
                    self.exhausted = True
                    return
                yield count, batch
                count += 1
            return
        indices = list(range(len(self.dataset)))
        if self.shuffle:
            indices = [indices[i] for i in backend.rng().permutation(len(indices))]
        indices = indices[: self.steps]
        workers = self.dataset.workers
        if workers <= 1:
            for count, i in enumerate(indices):
                yield count, self.dataset[i]
            return
        # ``workers`` threads, at most ``max_queue_size`` batches ahead, handed out in order
        ahead = max(self.dataset.max_queue_size, workers)
        with concurrent.futures.ThreadPoolExecutor(workers) as pool:
            pending = [pool.submit(self.dataset.__getitem__, i) for i in indices[:ahead]]
            for count in range(len(indices)):
                batch = pending[count].result()
                pending[count] = None
                nxt = count + ahead
                if nxt < len(indices):
                    pending.append(pool.submit(self.dataset.__getitem__, indices[nxt]))
                yield count, batch

    def _checked(self, count, batch):
        try:
            xs, ys, sw = self.prepare(batch)
            self._check_signature(xs, ys, sw)
        except (TypeError, ValueError) as e:
            cls = TypeError if isinstance(e, TypeError) else ValueError
            raise cls(f"{self.what}: batch {count} of {self.kind}: {e}") from None
        return self.pack(xs, ys, sw)

    def _check_signature(self, xs, ys, sw):
        """Every batch like the first: the same arrays, trailing shapes and kinds of dtype."""
        arrays = [("x", a) for a in xs] + [("y", a) for a in ys or []]
        if sw is not None:
            arrays.append(("sample_weight", sw))
        names = _names(arrays)
        signature = [(name, a.shape[1:], a.dtype.kind) for name, (_, a) in zip(names, arrays)]
        if self._signature is None:
            self._signature = signature
            return
        if [s[0] for s in signature] != [s[0] for s in self._signature]:
            raise ValueError(
                f"it holds {[s[0] for s in signature]}, earlier batches held "
                f"{[s[0] for s in self._signature]}"
            )
        for (name, shape, kind), (_, shape0, kind0) in zip(signature, self._signature):
            if shape != shape0:
                raise ValueError(
                    f"{name} has shape {D._fmt((None, *shape))}, earlier batches had "
                    f"{D._fmt((None, *shape0))}"
                )
            if _kind_class(kind) != _kind_class(kind0):
                raise TypeError(
                    f"{name} has dtype kind {_KIND_NAMES.get(kind, kind)}, earlier batches had "
                    f"{_KIND_NAMES.get(kind0, kind0)}"
                )

    def _prepared(self, raw):
        for count, batch in raw:
            yield self._checked(count, batch)

    def epoch(self):
        """The epoch's batches; the first one of all is prepared here (it may build the
        model), the others on the prefetch thread."""
        raw = self._raw()
        if not self._built:
            first = next(raw, None)
            if first is None:
                return
            self._built = True
            yield self._checked(*first)
        self._prefetcher = Prefetcher(self._prepared(raw))
        try:
            yield from self._prefetcher
        finally:
            self._prefetcher.close()
            self._prefetcher = None

    def on_epoch_end(self):
        if self.dataset is not None:
            self.dataset.on_epoch_end()

    def close(self):
        if self._prefetcher is not None:
            self._prefetcher.close()


_KIND_NAMES = {"f": "float", "i": "int", "u": "unsigned int", "b": "bool"}


def _kind_class(kind):
    return "number" if kind in "iub" else kind  # integer widths and bools mix freely


def _names(arrays):
    counts = {}
    for role, _ in arrays:
        counts[role] = counts.get(role, 0) + 1
    seen, out = {}, []
    for role, _ in arrays:
        i = seen.get(role, 0)
        seen[role] = i + 1
        out.append(f"{role}[{i}]" if counts[role] > 1 else role)
    return out


def _is_generator(x):
    import types

    return isinstance(x, types.GeneratorType)


class Prefetcher:
    """Iterate ``items`` on a thread, ``depth`` items ahead of the consumer.

    An exception raised while producing is raised again by the consumer at the item where it
    happened. ``close()`` stops the thread (the consumer left early); the producer stops after
    the item it is working on, so at most ``depth + 1`` items are read beyond the last used.
    """

    _ITEM, _END, _ERROR = 0, 1, 2

    def __init__(self, items, depth=2):
        self._queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(items,), name="npconv-prefetch", daemon=True
        )
        self._thread.start()

    def _put(self, message):
        while not self._stop.is_set():
            try:
                self._queue.put(message, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def _run(self, items):
        try:
            for item in items:
                if not self._put((self._ITEM, item)):
                    return
            self._put((self._END, None))
        except BaseException as e:  # handed to the consumer, raised there
            self._put((self._ERROR, e))

    def __iter__(self):
        while True:
            kind, value = self._queue.get()
            if kind == self._END:
                return
            if kind == self._ERROR:
                raise value
            yield value

    def close(self):
        self._stop.set()
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        self._thread.join(timeout=10)


def warn_out_of_data(what, steps_done):
    warnings.warn(
        f"{what}: the input ran out of data after {steps_done} batch(es); interrupting. Make "
        "sure the generator can yield at least steps_per_epoch * epochs batches (or repeat "
        "it), or use a PyDataset",
        UserWarning,
        stacklevel=D._stacklevel(),
    )


def stack_outputs(chunks):
    """``predict``'s per-batch outputs (each an array or a list of arrays) joined along the
    batch axis."""
    if isinstance(chunks[0], list):
        return [np.concatenate([c[i] for c in chunks]) for i in range(len(chunks[0]))]
    return np.concatenate(chunks)
