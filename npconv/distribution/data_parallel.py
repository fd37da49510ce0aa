"""``DataParallel``: every rank holds the whole model and trains on its share of each batch.

What a step does under it (the trainer calls these; a custom loop may too):

- ``shard(n)``: this rank's contiguous share of a global batch of ``n`` samples. The shares
  differ by at most one sample and cover the batch exactly once (an uneven last batch too; a
  batch smaller than the number of ranks leaves some ranks an empty share).
- ``allreduce_gradients(grads, share)``: each rank's gradient is the mean over its own share,
  so the global mean is ``sum_r (n_r / n) * g_r``: every gradient is scaled by this rank's
  share ``n_r / n`` and all of them are summed across ranks in one in-place ``Allreduce`` of a
  single flat buffer (one collective per step, however many weights; the buffer is kept).
- ``broadcast_arrays(arrays)``: rank 0's weights and optimizer slots, copied in place on every
  rank at the start of ``fit`` and after anything that loads weights.
- ``allreduce_sum(array)``, ``any(flag)``: metric states (sums and counts) and decisions to stop,
  so that every rank logs the global numbers and stops at the same step.
- ``gather(local)``: the ranks' rows concatenated in rank order on every rank (``predict``).

An exception on one rank would leave the others waiting in a collective for ever, so while a
distribution with several ranks is set, an uncaught exception prints its traceback and aborts
the whole job (``MPI_Abort``).
"""

from __future__ import annotations

import os
import sys

import numpy as np

from .. import backend
from . import mpi

_current = None  # the distribution set by set_distribution, or None


class DataParallel:
    """Data parallelism over the ranks of an MPI communicator (``MPI.COMM_WORLD`` by default).

    ``threads``: the threads each rank's ops run on; by default the cores of this machine
    divided among the ranks on it, so that two ranks on two cores do not run four threads.
    """

    def __init__(self, communicator=None, threads=None):
        self.MPI = mpi.load()
        self.comm = communicator if communicator is not None else self.MPI.COMM_WORLD
        self.rank = self.comm.Get_rank()
        self.size = self.comm.Get_size()
        self._bucket = None
        self.share = None  # this rank's share of the current batch, set by the trainer
        if threads is None:
            cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
            cores = cores or os.cpu_count() or 1
            threads = max(1, cores // mpi.local_size(self.comm)) if self.size > 1 else None
        self.threads = threads

    def __repr__(self):
        return f"DataParallel(rank={self.rank}, size={self.size})"

    # the batch
    def shard(self, n: int) -> slice:
        """This rank's share of ``n`` samples: ``n // size`` of them, one more for the first
        ``n % size`` ranks."""
        counts = self.counts(n)
        start = sum(counts[: self.rank])
        return slice(start, start + counts[self.rank])

    def counts(self, n: int) -> list[int]:
        """Every rank's share of ``n`` samples, in rank order."""
        base, extra = divmod(int(n), self.size)
        return [base + (1 if r < extra else 0) for r in range(self.size)]

    # collectives
    def allreduce_gradients(self, grads, share: float):
        """``sum over ranks of share_r * grads_r``, in place where the arrays allow.

        ``grads``: arrays (None for a weight without a gradient on this rank, which counts as
        zeros). Returns the list of reduced arrays in the same order.
        """
        shapes = [None if g is None else np.shape(g) for g in grads]
        sizes = [0 if s is None else int(np.prod(s)) for s in shapes]
        dtype = next((np.asarray(g).dtype for g in grads if g is not None), np.float32)
        total = sum(sizes)
        if self._bucket is None or self._bucket.size != total or self._bucket.dtype != dtype:
            self._bucket = np.empty(total, dtype=dtype)
        bucket = self._bucket
        at = 0
        for g, size in zip(grads, sizes):
            if size:
                np.multiply(np.asarray(g).reshape(-1), share, out=bucket[at:at + size])
                at += size
        self.comm.Allreduce(self.MPI.IN_PLACE, bucket, op=self.MPI.SUM)
        out, at = [], 0
        for g, shape, size in zip(grads, shapes, sizes):  # views of the bucket: used at once
            out.append(None if g is None else bucket[at:at + size].reshape(shape))
            at += size
        return out

    def broadcast_arrays(self, arrays, root: int = 0):
        """Copy rank ``root``'s arrays into every rank's arrays, in place (one flat Bcast)."""
        arrays = [a for a in arrays if a is not None and a.size]
        if not arrays or self.size == 1:
            return
        by_dtype = {}
        for a in arrays:
            by_dtype.setdefault(a.dtype, []).append(a)
        for dtype, group in by_dtype.items():
            flat = np.concatenate([a.reshape(-1) for a in group]) if self.rank == root else \
                np.empty(sum(a.size for a in group), dtype=dtype)
            self.comm.Bcast(flat, root=root)
            at = 0
            for a in group:
                a[...] = flat[at:at + a.size].reshape(a.shape)
                at += a.size

    def broadcast_object(self, obj, root: int = 0):
        return self.comm.bcast(obj, root=root)

    def allreduce_sum(self, array):
        """The sum of ``array`` over the ranks (a new float64 array, or a float for a scalar)."""
        a = np.ascontiguousarray(array, dtype=np.float64)
        out = np.empty_like(a)
        self.comm.Allreduce(a, out, op=self.MPI.SUM)
        return float(out) if out.ndim == 0 else out

    def any(self, flag: bool) -> bool:
        """True on every rank when ``flag`` is true on any."""
        return bool(self.comm.allreduce(bool(flag), op=self.MPI.LOR))

    def gather(self, local):
        """Every rank's ``local`` rows concatenated in rank order, on every rank."""
        local = np.ascontiguousarray(local)
        counts = self.comm.allgather(len(local))
        row = int(np.prod(local.shape[1:]))
        out = np.empty((sum(counts),) + local.shape[1:], dtype=local.dtype)
        sizes = [c * row for c in counts]
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(int).tolist()
        self.comm.Allgatherv(local.reshape(-1), [out.reshape(-1), sizes, offsets,
                                                 self.MPI._typedict[local.dtype.char]])
        return out

    def barrier(self):
        self.comm.Barrier()

    def abort(self, code: int = 1):
        self.comm.Abort(code)


def set_distribution(value):
    """Make ``value`` (a ``DataParallel``, or None for one process) the distribution that
    ``fit``/``evaluate``/``predict`` use from now on.

    Under several ranks it also: sets each rank's threads (cores over local ranks), gives each
    rank its own stream for noise (dropout, DropConnect, stochastic pooling, augmentation),
    derived from the seed and the rank, while the generator that draws weights and the data
    order stays the same on every rank; and makes an uncaught exception abort the whole job.
    """
    global _current
    if value is not None and not isinstance(value, DataParallel):
        raise TypeError(f"set_distribution expects a DataParallel or None, got {value!r}")
    _current = value
    if value is None or value.size == 1:
        backend.set_noise_stream(None)
        return
    if value.threads:
        backend.set_num_threads(value.threads)
    backend.set_noise_stream(value.rank)
    _abort_on_uncaught_exception(value)


def distribution():
    """The distribution set by ``set_distribution`` (None: one process)."""
    return _current


def launched_by_mpi() -> bool:
    """True in a process that an MPI launcher started as one of several ranks."""
    return mpi.launched_size() > 1


def _abort_on_uncaught_exception(dist):
    previous = sys.excepthook

    def hook(kind, value, tb):
        previous(kind, value, tb)
        sys.stderr.write(f"npconv: rank {dist.rank} failed; aborting all {dist.size} ranks\n")
        sys.stderr.flush()
        dist.abort(1)

    if not getattr(sys.excepthook, "_npconv_abort", False):
        hook._npconv_abort = True
        sys.excepthook = hook
