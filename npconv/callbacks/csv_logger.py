"""``CSVLogger``: stream each epoch's logs to a CSV file, for plotting or comparing runs later.

Behaviour and file layout are Keras 3's.
"""

from __future__ import annotations

import collections.abc
import csv
import os

import numpy as np

from .base import Callback


def _handle_value(value):
    if isinstance(value, str):
        return value
    if isinstance(value, collections.abc.Iterable) and not (
        isinstance(value, np.ndarray) and value.ndim == 0
    ):
        return f'"[{", ".join(map(str, value))}]"'
    return value


class CSVLogger(Callback):
    """Callback that streams epoch results to a CSV file.

    The columns are ``epoch`` (0-based, as Keras writes it) and then the log keys in sorted
    order, fixed by the first epoch. When the first epoch has no ``val_`` keys, Keras adds a
    ``val_<key>`` column for every key anyway and fills them with ``NA`` (so a later run with
    validation data can append to the same file); npconv does the same. Keys missing from an
    epoch are written as ``NA``. The file is flushed after each epoch, so it can be read while
    training runs, and closed at the end of training. Rows end with ``\\r\\n`` (the ``csv``
    module's "excel" dialect, as Keras writes them). Values that are sequences (such as 1-D
    arrays) are written as ``"[a, b, c]"``.

    Args:
        filename: filename of the CSV file, e.g. ``'run/log.csv'``.
        separator: string used to separate elements in the CSV file.
        append: ``True``: append if the file exists (useful for continuing training), writing
            the header only if the file is empty. ``False``: overwrite an existing file.

    Example::

        csv_logger = CSVLogger("training.log")
        model.fit(x_train, y_train, callbacks=[csv_logger])
    """

    chief_only = True  # under data parallelism only rank 0 writes the file

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.sep = separator
        self.filename = os.fspath(filename)
        self.append = append
        self.writer = None
        self.keys = None
        self.append_header = True
        self.csv_file = None

    def on_train_begin(self, logs=None):
        if self.append:
            if os.path.exists(self.filename):
                with open(self.filename, encoding="utf-8", newline="") as f:
                    self.append_header = not bool(len(f.readline()))
            mode = "a"
        else:
            mode = "w"
        if self.csv_file and not self.csv_file.closed:
            self.csv_file.close()
        self.csv_file = open(self.filename, mode, encoding="utf-8", newline="")
        self.writer = None
        self.keys = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.csv_file is None or self.csv_file.closed:
            self.on_train_begin()
        if self.keys is None:
            self.keys = sorted(logs.keys())
            if self.keys and not any(key.startswith("val_") for key in self.keys):
                self.keys.extend([f"val_{k}" for k in self.keys])
        if not self.writer:
            sep = self.sep

            class CustomDialect(csv.excel):
                delimiter = sep

            fieldnames = ["epoch"] + (self.keys or [])
            self.writer = csv.DictWriter(
                self.csv_file, fieldnames=fieldnames, dialect=CustomDialect
            )
            if self.append_header:
                self.writer.writeheader()
        row = {"epoch": epoch}
        row.update((key, _handle_value(logs.get(key, "NA"))) for key in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        if self.csv_file and not self.csv_file.closed:
            self.csv_file.close()
        self.writer = None
