"""Embedding lookup: rows of a table picked by integer ids (Keras's ``Embedding``).

``embedding(ids, table)``: ``table`` is ``(input_dim, output_dim)``; the output has shape
``ids.shape + (output_dim,)``, row ``table[i]`` for each id ``i``. Ids are data, not
differentiable.

Backward: the table's gradient is the output gradient's rows summed per id — a row used three
times receives three gradients. Rather than ``numpy.add.at`` (an unbuffered scatter, tens of
times slower), the rows are sorted by id and each run of equal ids summed at once with
``numpy.add.reduceat``.
"""

from __future__ import annotations

from ..autograd import Function, Tensor, as_tensor
from ..backend import xp

__all__ = ["embedding", "Embedding"]


class Embedding(Function):
    """``table[ids]`` for fixed integer ``ids``; gradient with respect to ``table`` only."""

    def __init__(self, ids):
        self.ids = ids

    def forward(self, table):
        self.table_shape = table.shape
        return table[self.ids]

    def backward(self, gy):
        ids = self.ids.reshape(-1)
        rows = gy.reshape(ids.size, -1)
        gtable = xp.zeros(self.table_shape, dtype=gy.dtype)
        if ids.size:
            order = xp.argsort(ids, kind="stable")
            sorted_ids = ids[order]
            starts = xp.flatnonzero(xp.r_[True, sorted_ids[1:] != sorted_ids[:-1]])
            gtable[sorted_ids[starts]] = xp.add.reduceat(rows[order], starts, axis=0)
        return gtable


def embedding(ids, table):
    """Rows of ``table`` ``(input_dim, output_dim)`` at integer ``ids`` (any shape): returns
    ``ids.shape + (output_dim,)``. Float ids are cast to integers (truncated, as Keras casts
    them); an id outside ``[0, input_dim)`` is an error."""
    table = as_tensor(table)
    ids = ids.data if isinstance(ids, Tensor) else xp.asarray(ids)
    if not xp.issubdtype(ids.dtype, xp.integer):
        ids = ids.astype(xp.int64)  # truncates toward zero, as Keras's cast to int32 does
    n = table.shape[0]
    if ids.size and (ids.min() < 0 or ids.max() >= n):
        bad = ids.min() if ids.min() < 0 else ids.max()
        raise ValueError(f"embedding: id {int(bad)} is outside [0, {n}) (input_dim {n})")
    return Embedding(ids)(table)
