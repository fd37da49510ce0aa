"""Updating a large variable in slices on npconv's threads: the contract between ``Optimizer``
and the optimizers whose update is elementwise.

An optimizer whose ``update_step`` computes each element of the variable (and of its slots)
from the same element of the gradient, slots and scalars only sets ``_elementwise_update =
True``. For a variable of at least ``base_optimizer.PARALLEL_MIN_SIZE`` elements, ``Optimizer``
then cuts the flattened variable into contiguous slices and calls ``update_step`` once per
slice, on npconv's threads (``update_in_slices``), which gives exactly the whole-array result.

What such an ``update_step(gradient, variable, learning_rate)`` may rely on, and must keep to:

- ``variable`` may be a ``VariableSlice``: ``.data`` is a flat, writable view of elements
  ``[lo, hi)`` of the variable, ``.name`` the variable's name, ``.variable`` the variable
  itself; ``gradient`` is the same slice of the flattened gradient.
- Its state comes only from ``self._slot(variable, name)`` and ``self._buffer(like, k)``, which
  hand back the slice's part of the whole slot or buffer (``VariableSlice.part``), so slots are
  updated in place through the slice.
- It reads no shape, neighbour or reduction of ``variable.data`` (a slice has none of the
  whole's), and ``learning_rate`` is a scalar.

The same contract lets the built-in optimizers update their small variables together: a
``FusedVariables`` (the variables' values concatenated, their slots gathered the same way and
everything copied back after the call) is handed to ``update_step`` as one variable.
"""

from __future__ import annotations

import threading

from ..backend.numpy.threads import parallel

__all__ = ["VariableSlice", "FusedVariables", "current_slice", "update_in_slices"]

_current = threading.local()  # .slice: the VariableSlice being updated on this thread


class VariableSlice:
    """Elements ``[lo, hi)`` of a variable, flattened: what ``update_step`` sees in a sliced
    update. ``data``: a view into the variable; ``name``: the variable's; ``variable``: it."""

    __slots__ = ("variable", "lo", "hi", "data", "name")

    def __init__(self, variable, lo, hi):
        self.variable, self.lo, self.hi = variable, lo, hi
        self.data = variable.data.reshape(-1)[lo:hi]
        self.name = variable.name

    def part(self, whole):
        """This slice's elements of ``whole``, an array shaped like the variable (a view)."""
        return whole.reshape(-1)[self.lo : self.hi]


def current_slice():
    """The ``VariableSlice`` this thread is updating, or ``None`` outside a sliced update."""
    return getattr(_current, "slice", None)


# Each thread's slice is updated in blocks of at most this many elements, so that the update's
# passes (Adam makes twelve, over the gradient, two slots, the variable and two buffers: 1.5 MiB
# for a float32 block) run in the core's cache instead of streaming the whole variable from
# memory each time. Measured for Adam on a 640k-element variable, one thread: 2.0 ms whole,
# 1.2 ms in blocks of 64k (32k-128k alike; 8k-16k lose to the per-call overhead).
BLOCK = 1 << 16


def update_in_slices(update_step, gradient, variable, learning_rate, min_size):
    """``update_step(gradient[lo:hi], VariableSlice(variable, lo, hi), learning_rate)`` for
    contiguous slices of at least ``min_size`` elements covering the flat ``gradient`` (the
    variable's gradient, flattened), on npconv's threads; each thread's slice in blocks of at
    most ``BLOCK`` elements."""

    def run(lo, hi):
        try:
            for start in range(lo, hi, BLOCK):
                end = min(hi, start + BLOCK)
                _current.slice = piece = VariableSlice(variable, start, end)
                update_step(gradient[start:end], piece, learning_rate)
        finally:
            _current.slice = None

    parallel(run, variable.data.size, min_size=min_size)


class FusedVariables:
    """Several small variables of one dtype updated as one: what ``update_step`` sees when
    ``Optimizer`` fuses the small variables of a step (each ``update_step`` call costs a dozen
    NumPy calls whatever the size, 20 us per variable for Adam, so a ResNet's BatchNormalization
    scales and biases cost more in calls than in arithmetic).

    ``data``: the variables' values, flattened and concatenated (a copy); ``slot(optimizer,
    name)``: the same concatenation of their slot ``name`` (gathered on first use); ``scatter()``
    copies values and every gathered slot back into the variables. The update being
    elementwise, each element gets exactly the arithmetic the variable alone would give it.
    """

    __slots__ = ("variables", "data", "name", "_gathered")

    def __init__(self, variables):
        self.variables = variables
        self.data = _concatenate([v.data for v in variables])
        self.name = "fused"
        self._gathered = {}

    def slot(self, optimizer, name):
        gathered = self._gathered.get(name)
        if gathered is None:
            arrays = [optimizer._slots[optimizer._index[id(v)]][name].data
                      for v in self.variables]
            gathered = self._gathered[name] = (_concatenate(arrays), arrays)
        return gathered[0]

    def scatter(self):
        _scatter(self.data, [v.data for v in self.variables])
        for flat, arrays in self._gathered.values():
            _scatter(flat, arrays)


def _concatenate(arrays):
    import numpy

    if type(arrays[0]) is numpy.ndarray:
        return numpy.concatenate([a.reshape(-1) for a in arrays])
    from ..backend.selection import array_namespace  # CuPy, array API: stay on the device

    xp = array_namespace(*arrays)
    return xp.concat([xp.reshape(a, (-1,)) for a in arrays])


def _scatter(flat, arrays):
    lo = 0
    for a in arrays:
        hi = lo + a.size
        a[...] = flat[lo:hi].reshape(a.shape)
        lo = hi
