"""The collectives a custom training loop or ``train_step`` needs, on the current distribution.

Without a distribution (one process) they are the identity: ``rank()`` is 0, ``size()`` 1,
``allreduce_mean(x)`` is ``x``, so the same program runs under ``python`` and ``mpiexec``.
"""

from __future__ import annotations

import numpy as np

from . import data_parallel


def _dist():
    return data_parallel.distribution()


def rank() -> int:
    """This process's rank (0 without a distribution)."""
    dist = _dist()
    return dist.rank if dist is not None else 0


def size() -> int:
    """How many ranks train together (1 without a distribution)."""
    dist = _dist()
    return dist.size if dist is not None else 1


def is_chief() -> bool:
    """True on rank 0, the one that writes files and prints progress."""
    return rank() == 0


def _array(x):
    return np.asarray(getattr(x, "data", x))


def allreduce_sum(x):
    """The sum of ``x`` (an array, a Tensor's value or a number) over the ranks."""
    dist = _dist()
    if dist is None:
        return _array(x).copy() if np.ndim(x) else float(_array(x))
    return dist.allreduce_sum(_array(x))


def allreduce_mean(x):
    """The mean of ``x`` over the ranks."""
    total = allreduce_sum(x)
    return total / size()


def broadcast(x, root: int = 0):
    """Rank ``root``'s array (copied into ``x`` in place on the others) or Python object."""
    dist = _dist()
    if dist is None:
        return x
    if isinstance(x, np.ndarray):
        dist.broadcast_arrays([x], root=root)
        return x
    return dist.broadcast_object(x, root=root)


def barrier() -> None:
    """Wait until every rank gets here."""
    dist = _dist()
    if dist is not None:
        dist.barrier()
