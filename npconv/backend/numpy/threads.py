"""How many cores npconv's ops use: one process-wide setting, and the pool that uses it.

``num_threads()`` / ``set_num_threads(n)``: npconv cuts the batch of its heavy ops
(convolution, dense, pooling, elementwise work) into pieces and runs them on ``n`` threads
(NumPy's ufuncs and BLAS calls release the GIL). The default is the number of cores this process
may run on, or ``$NPCONV_NUM_THREADS``.

While npconv's ops run (``parallel``), the BLAS library is held at one thread, because npconv's
own threads already keep every core busy, and ``set_num_threads(1)`` then means one core.
Measured on the 2-core benchmark machine with other processes running: OpenBLAS at 2 threads
under npconv's small per-chunk GEMMs fell to 1/50 of its speed (its workers spin waiting for
work and lose their core to other processes), while two npconv threads each running 1-thread
GEMMs kept the speed of an idle machine. The BLAS setting is restored after each call, so a
user's own NumPy code keeps its threads. OpenBLAS (NumPy's wheels) is found among the loaded
libraries; with another BLAS nothing is changed.

The number of threads changes results by float rounding at most: elementwise work is the same
whichever thread runs it, but BLAS may round a piece's product differently from the whole's
(its edge kernels), and a convolution's kernel gradient is a sum of per-piece sums, added in
piece order. With the same setting a run repeats exactly.

The first ``parallel`` call also tunes glibc's malloc for this process (``tune_malloc``: freed
memory kept for reuse, so a training step does not page-fault its activations in again every
step); ``NPCONV_MALLOC_TUNING=0`` turns that off.
"""

from __future__ import annotations

import os
import threading

__all__ = ["num_threads", "set_num_threads", "parallel", "pieces", "blas_threads", "scratch",
           "filled_scratch", "tune_malloc"]


def _default_threads():
    env = os.environ.get("NPCONV_NUM_THREADS")
    if env:
        try:
            return max(1, int(env))
        except ValueError:
            pass
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


_threads = _default_threads()
_pool = None  # _Pool, made on first use
_local = threading.local()  # .inside: a parallel() call is running on this thread
_busy = threading.Lock()  # held while a parallel() call uses the pool


def num_threads() -> int:
    """The number of threads npconv's ops run on."""
    return _threads


def set_num_threads(n: int) -> None:
    """Run npconv's ops on ``n`` threads (1: everything on the calling thread)."""
    global _threads, _pool
    n = int(n)
    if n < 1:
        raise ValueError(f"set_num_threads expects a positive integer, got {n!r}")
    _threads = n
    if _pool is not None and _pool.size < n - 1:
        _pool.close()
        _pool = None


# --- BLAS threads ---------------------------------------------------------------------------

_blas = None  # (get, set) ctypes functions, or () when no OpenBLAS was found


def _find_blas():
    global _blas
    if _blas is not None:
        return _blas
    _blas = ()
    try:
        import ctypes

        paths = []
        with open("/proc/self/maps") as maps:
            for line in maps:
                path = line.rstrip().split(" ")[-1]
                if "openblas" in path.lower() and path not in paths:
                    paths.append(path)
        for path in paths:
            lib = ctypes.CDLL(path)
            for get_name, set_name in (
                ("scipy_openblas_get_num_threads64_", "scipy_openblas_set_num_threads64_"),
                ("scipy_openblas_get_num_threads", "scipy_openblas_set_num_threads"),
                ("openblas_get_num_threads64_", "openblas_set_num_threads64_"),
                ("openblas_get_num_threads", "openblas_set_num_threads"),
            ):
                get = getattr(lib, get_name, None)
                set_ = getattr(lib, set_name, None)
                if get is not None and set_ is not None:
                    get.restype = ctypes.c_int
                    set_.argtypes = [ctypes.c_int]
                    set_.restype = None
                    _blas = (get, set_)
                    return _blas
    except (OSError, AttributeError):
        pass
    return _blas


def blas_threads(n: int | None = None) -> int | None:
    """The BLAS library's thread count (``None`` if unknown); with ``n``, set it first and
    return the previous count."""
    blas = _find_blas()
    if not blas:
        return None
    previous = blas[0]()
    if n is not None and n != previous:
        blas[1](int(n))
    return previous


# --- the C heap ----------------------------------------------------------------------------

# glibc's malloc gives memory at the top of its heap back to the kernel once more than
# M_TRIM_THRESHOLD of it is free, and takes fresh pages (zeroed, one fault per page) when it
# grows again; arrays above M_MMAP_THRESHOLD (32 MiB at most) are mapped and unmapped on every
# allocation. A training step frees and reallocates tens to hundreds of MB of activations and
# gradients, so with the defaults every step page-faults its activations in again (thousands of
# faults a step, a fifth of cifar10_cnn's step in kernel time; measured with bench/models.py,
# see the README's speed section). Keeping freed heap memory for reuse removes that, at the
# cost of a higher resident size after a step (bounded by the trim threshold, not peak memory):
MALLOC_MMAP_MAX = 0  # no mmap'd arrays: every array comes from the heap, so a freed one is reused
MALLOC_TRIM_THRESHOLD = 512 << 20  # keep up to 512 MiB of free heap instead of trimming it
_malloc_tuned = False


def tune_malloc() -> bool:
    """Set glibc's malloc to keep freed memory for reuse (``MALLOC_MMAP_MAX``,
    ``MALLOC_TRIM_THRESHOLD``) for this process; return whether it was set.

    npconv does this once, explicitly, the first time its thread pool runs work
    (``parallel``), because a process that runs npconv's ops is one that allocates and frees
    large arrays every step. It is a process-wide setting of the C library, so it is documented
    here and in the README and can be refused: ``NPCONV_MALLOC_TUNING=0`` leaves malloc alone.
    Other C libraries (musl, macOS, Windows) are never touched. Calling it again does nothing.
    """
    global _malloc_tuned
    if _malloc_tuned:
        return False
    _malloc_tuned = True
    if os.environ.get("NPCONV_MALLOC_TUNING", "1") == "0":
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        mallopt = getattr(libc, "mallopt", None)
        if mallopt is None or not hasattr(libc, "gnu_get_libc_version"):
            return False  # not glibc: its mallopt parameters may mean something else
        mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        mallopt.restype = ctypes.c_int
        mallopt(-4, MALLOC_MMAP_MAX)  # M_MMAP_MAX
        mallopt(-1, MALLOC_TRIM_THRESHOLD)  # M_TRIM_THRESHOLD
        return True
    except (OSError, AttributeError, TypeError):
        return False


# --- the pool -------------------------------------------------------------------------------


class _Pool:
    """``size`` daemon workers fed by one queue each (a lighter hand-off than an executor:
    a batch-32 training step makes a few dozen parallel calls)."""

    def __init__(self, size):
        import queue

        self.size = size
        self.queues = [queue.SimpleQueue() for _ in range(size)]
        self.done = queue.SimpleQueue()
        self.workers = []
        for q in self.queues:
            t = threading.Thread(target=self._work, args=(q,), daemon=True, name="npconv-worker")
            t.start()
            self.workers.append(t)

    def _work(self, q):
        _local.inside = True
        while True:
            task = q.get()
            if task is None:
                return
            fn, args = task
            try:
                fn(*args)
                self.done.put(None)
            except BaseException as error:  # noqa: BLE001 - handed back to the caller
                self.done.put(error)

    def close(self):
        for q in self.queues:
            q.put(None)


def _drop_pool():
    global _pool, _blas
    _pool = None  # a forked child has none of the parent's threads


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_drop_pool)


def pieces(n: int, parts: int, grain: int = 1):
    """Cut ``range(n)`` into at most ``parts`` contiguous ``(lo, hi)`` pieces of nearly equal
    size, each a multiple of ``grain`` long except the last."""
    parts = max(1, min(parts, -(-n // max(grain, 1))))
    units = -(-n // grain)
    out, lo = [], 0
    for i in range(parts):
        hi = min(n, (units * (i + 1) // parts) * grain)
        if hi > lo:
            out.append((lo, hi))
            lo = hi
    return out


# Work is cut into up to SPLIT pieces per thread, which the threads take in turn as each finishes
# its last: on a shared machine one thread often loses its core for a while, and with one piece
# per thread the whole op waited for it.
SPLIT = 4


def parallel(fn, n: int, *, min_size: int = 1, grain: int = 1, threads: int | None = None,
             split: int | None = None):
    """Call ``fn(lo, hi)`` for contiguous pieces of ``range(n)`` on up to ``num_threads()``
    threads, and return the list of results in piece order (whichever thread ran a piece).

    ``min_size``: pieces are at least this long (small work stays on one thread, where a hand-off
    would cost more than it saves); ``grain``: piece lengths are multiples of it; ``split``:
    at most this many pieces per thread (``SPLIT``; 1 for work that prefers few large pieces).
    Inside a running ``parallel`` call (a nested one) everything runs on the calling thread.
    Exceptions raised by ``fn`` reach the caller.
    """
    global _pool
    if not _malloc_tuned:
        tune_malloc()  # once per process; see tune_malloc
    threads = _threads if threads is None else threads
    split = SPLIT if split is None else split
    parts = min(threads * max(split, 1) if threads > 1 else 1, max(1, n // max(min_size, 1)))
    if parts > threads:
        parts -= parts % threads  # a multiple of the threads: none is left with a last piece alone
    if getattr(_local, "inside", False) or n <= 0:
        return [fn(0, n)] if n > 0 else []
    ranges = pieces(n, parts, grain)
    if len(ranges) > 1 and _busy.acquire(blocking=False):
        try:
            return _run_pieces(fn, ranges, threads)
        finally:
            _busy.release()
    # One piece, or another of the user's threads is using the pool: run it here, still with
    # BLAS at one thread (npconv's setting bounds all its work, and a multi-threaded BLAS here
    # would leave spinning workers behind for the next parallel call).
    previous = blas_threads(1)
    try:
        return [fn(0, n)]
    finally:
        if previous is not None and previous != 1:
            blas_threads(previous)


def _run_pieces(fn, ranges, threads):
    global _pool
    helpers = min(threads, len(ranges)) - 1
    if _pool is None or _pool.size < helpers:
        if _pool is not None:
            _pool.close()
        _pool = _Pool(max(helpers, _threads - 1))
    results = [None] * len(ranges)
    order = iter(range(len(ranges)))  # next() on it is atomic under the GIL
    errors = []

    def take_pieces():
        for i in order:
            if errors:
                return
            try:
                results[i] = fn(*ranges[i])
            except BaseException as e:  # noqa: BLE001 - handed to the caller
                errors.append(e)
                return

    previous = blas_threads(1)
    _local.inside = True
    try:
        for k in range(helpers):
            _pool.queues[k].put((take_pieces, ()))
        take_pieces()
        for _ in range(helpers):
            e = _pool.done.get()
            if e is not None:
                errors.append(e)
        if errors:
            raise errors[0]
    finally:
        _local.inside = False
        if previous is not None and previous != 1:
            blas_threads(previous)
    return results


def scratch(key, size: int, dtype):
    """A flat work array of at least ``size`` elements of ``dtype``, kept per thread and per
    ``key`` and handed out again on the next call with that key (so a training step's
    temporaries are allocated once, not on every step: allocating fresh multi-megabyte buffers
    costs page faults each time). Never return it, or a view of it, from an op: the next call
    overwrites it. Returns exactly ``size`` elements (a view)."""
    import numpy

    cache = getattr(_local, "scratch", None)
    if cache is None:
        cache = _local.scratch = {}
    dtype = numpy.dtype(dtype)
    buf = cache.get(key)
    if buf is None or buf.dtype != dtype or buf.size < size:
        buf = cache[key] = numpy.empty(max(size, 1), dtype)
    return buf[:size]


# How many filled_scratch arrays a thread keeps: one per (key, shape, dtype), so a net's
# distinct layer shapes each keep theirs (ResNet-20 has about a dozen); beyond this the least
# recently used is dropped.
FILLED_SCRATCH_LIMIT = 64


def filled_scratch(key, shape, dtype, value=0):
    """A work array of exactly ``shape``, kept per thread and per ``(key, shape, dtype)``, filled
    with ``value`` once, when made. For buffers whose callers write only the part they own and
    need the rest to hold ``value`` (a padded input's zero border, a row of ones): later calls
    skip the fill. Every caller of a key must write the same part (put what decides the part,
    such as the padding, in ``key``) and never outside it. Never return it from an op."""
    import numpy

    cache = getattr(_local, "filled", None)
    if cache is None:
        cache = _local.filled = {}
    dtype = numpy.dtype(dtype)
    k = (key, tuple(shape), dtype, value)
    buf = cache.pop(k, None)  # popped and put back: the dict's order is recency of use
    if buf is None:
        buf = numpy.full(shape, value, dtype)
        if len(cache) >= FILLED_SCRATCH_LIMIT:
            del cache[next(iter(cache))]
    cache[k] = buf
    return buf
