"""Which convolution plan runs, and the shapes, chunks and buffers that every plan shares.

``choose_plan`` looks at the shapes of one convolution and names, for each step, the plan that
computes it fastest on the CPU; ``ConvPlan`` holds that choice with the shapes. The plans
themselves are small modules beside this one:

- how the forward's GEMM is laid out (``patches``): ``im2col`` (the general case, one GEMM per
  group), ``kmajor`` (one input channel), ``pairs`` (few filters or tiny patches),
  ``pointwise`` (a 1x1 kernel: x, or its strided view, is the patch matrix), ``kn2row`` (one
  or a few filters for many channels: the kernel applied first, the shifted planes summed);
- how a grouped convolution runs (``groups``): ``grouped`` GEMMs, or ``dense_groups`` (the dense
  convolution with a block-diagonal kernel, for small kernels);
- how the input gradient is computed (``input_grad``): ``col2im``, ``full`` or ``pointwise``.

Every plan computes the same numbers as ``functions.conv.conv_reference`` (the tests force each
one on the shapes it supports). Why the thresholds are where they are: the comments below; the
timings behind them: ``bench/conv_vs_torch.py`` and the README's speed section.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

import numpy as np

from ... import floatx
from ..threads import filled_scratch, num_threads, scratch

__all__ = ["ConvPlan", "choose_plan"]

# Bytes of one chunk's patch matrix (or of its outputs, when larger): the batch is cut into
# chunks this size, small enough that the copy building the patches and the GEMM reading them
# share the last-level cache, large enough that each GEMM keeps BLAS busy.
CHUNK_BYTES = 2 << 20
# The smallest piece of work handed to a thread, in multiply-adds (an element copied or written
# counts 16): below it the hand-off to another thread costs more than the thread saves.
MIN_PIECE_WORK = 32 << 20
# ``pairs``: with at most PAIR_MAX_FILTERS filters (a GEMM that narrow runs BLAS at about half
# speed) or patches of at most PAIR_MAX_PATCH entries (the copy, not the GEMM, dominates), one
# patch row covering two neighbouring output pixels is faster; with wider GEMMs and larger
# patches, the zeros of the pair kernel cost the GEMM more than the smaller copy saves.
PAIR_MAX_FILTERS = 8
PAIR_MAX_PATCH = 32
# ``dense_groups``: a grouped convolution whose dense (block-diagonal) kernel has at most this
# many entries runs as that dense convolution: G times the multiplications, but one wide GEMM
# instead of G narrow ones, which wins while the kernel is small.
DENSE_GROUPS_LIMIT = 1 << 17
# ``full`` input gradient: used up to this many filters per input channel (see choose_plan).
FULL_MAX_RATIO = 1
# ``kn2row``: one filter, or at least this many channels a filter. Its planes hold K*F values a
# position where im2col's patches hold K*C; below this ratio (4 channels a filter and fewer)
# the ``pairs`` plan's wider GEMM was as fast or faster. Its chunks are sized on the planes.
KN2ROW_MIN_RATIO = 8


@dataclass(eq=False)
class ConvPlan:
    """One convolution's shapes (after ``dense_groups``) and the plans chosen for it.

    ``patches``: ``'im2col'``, ``'kmajor'``, ``'pairs'`` or ``'pointwise'``; ``input_grad``:
    ``'col2im'``, ``'full'`` or ``'pointwise'``; ``blocks``: G when a grouped convolution runs
    as the dense one (``groups`` is then 1), else 1. Spatial tuples have one entry per spatial
    axis; ``out`` is the output's spatial shape, ``padded`` the input's after padding,
    ``chunk`` samples per chunk.
    """

    patches: str
    input_grad: str
    blocks: int
    n: int
    spatial: tuple
    cin: int
    ksize: tuple
    strides: tuple
    dilation: tuple
    pads: tuple
    channels_first: bool
    padded: tuple
    out: tuple
    groups: int
    cg: int
    filters: int
    kcount: int
    positions: int
    dtype: np.dtype
    xdtype: np.dtype
    kdtype: np.dtype
    direct: bool
    chunk: int
    forward_chunk: int | None = None

    @property
    def fg(self):
        return self.filters // self.groups

    @property
    def shared_kernel_grad(self):
        """With the ``full`` input gradient the kernel gradient comes from the input gradient's
        patches of gy and x itself, unpadded (``input_grad.Full.kernel_grad``): no patches of x
        in the backward."""
        return self.input_grad == "full"

    # --- chunks and threads ------------------------------------------------------------------

    def chunks(self, lo, hi, size=None):
        """``(n0, n1)`` sample ranges covering ``[lo, hi)``: as few as hold at most ``size``
        (default ``chunk``) samples each, of sizes differing by at most one (9 samples in chunks
        of 7 run as 4 + 5, not 7 + 2: two GEMMs of even width, no narrow one)."""
        size = size or self.chunk
        count = -(-(hi - lo) // size)
        for i in range(count):
            yield lo + (hi - lo) * i // count, lo + (hi - lo) * (i + 1) // count

    def min_piece(self):
        """Samples per thread piece: at least about MIN_PIECE_WORK multiply-adds, and no fewer
        pieces than threads (``threads.parallel`` cuts the batch into up to SPLIT pieces per
        thread, taken as threads free up)."""
        per_sample = self.positions * (
            self.kcount * self.cin * self.fg + 16 * (self.kcount * self.cin + self.filters))
        return max(1, min(-(-self.n // num_threads()),
                          -(-MIN_PIECE_WORK // max(per_sample, 1))))

    # --- layouts and buffers -----------------------------------------------------------------

    def to_last(self, a):
        """A chunk of x, y or their gradients in channels-last order (a view)."""
        return np.moveaxis(a, 1, -1) if self.channels_first else a

    def cols_buffer(self):
        """A thread's room for one chunk's patches (``kmajor``: plus the forward's row of
        ones)."""
        rows = self.kcount * self.cin + (1 if self.patches == "kmajor" else 0)
        return scratch("conv.cols", self.chunk * self.positions * rows, self.dtype)

    def padded_buffer(self, size=None):
        """A thread's ``(size or chunk, *padded, C)`` room for padded, channels-last x (``None``
        when x is read in place). Only the interior is ever written, so the border, zeroed when
        the buffer was made (``threads.filled_scratch``, one per shape and interior), stays
        zero."""
        if self.direct:
            return None
        return filled_scratch(("conv.padded", self.pads),
                              (size or self.chunk, *self.padded, self.cin), self.dtype)

    @property
    def gx_interior(self):
        """Whether the input gradient plan writes gx's own positions (``full``,
        ``pointwise``) rather than the padded input's (``col2im``)."""
        return self.input_grad != "col2im"

    @property
    def gx_in_place(self):
        """Whether the input gradient is written straight into gx (channels last, its dtype)."""
        if self.gx_interior:
            return not self.channels_first and self.xdtype == self.dtype
        return self.direct

    def input_grad_buffer(self):
        """A thread's room for one chunk of gx, padded for ``col2im`` (``None`` when gx is
        written in place); every element is written on every call."""
        if self.gx_in_place:
            return None
        spatial = self.spatial if self.gx_interior else self.padded
        shape = (self.chunk, *spatial, self.cin)
        return scratch("conv.dx", math.prod(shape), self.dtype).reshape(shape)

    def x_last(self, x, n0, n1):
        """Samples ``[n0, n1)`` of x, unpadded, channels last and in the compute dtype: x itself
        when it already is, else a per-thread copy."""
        xc = self.to_last(x[n0:n1])
        if not self.channels_first and x.dtype == self.dtype:
            return xc
        buf = scratch("conv.xlast", xc.size, self.dtype).reshape(xc.shape)
        np.copyto(buf, xc)
        return buf

    def interior(self, buf):
        """The part of a padded channels-last buffer that holds x."""
        return buf[(slice(None),) + tuple(
            slice(a, a + n) for n, (a, _) in zip(self.spatial, self.pads))]

    def source(self, x, n0, n1, padded):
        """Samples ``[n0, n1)`` of x as the windows read them: x itself when ``direct``, else
        copied into the interior of the zero-bordered channels-last buffer ``padded``."""
        if self.direct:
            return x[n0:n1]
        xc = padded[: n1 - n0]
        self.interior(xc)[...] = self.to_last(x[n0:n1])
        return xc


_plans = {}  # choose_plan's cache: key -> ConvPlan, in order of last use
_plans_lock = threading.Lock()
# Plans kept: a net's distinct convolution calls (each layer's forward and backward share one),
# times a few batch sizes (the last batch of an epoch, predict's).
PLAN_CACHE_SIZE = 256


def choose_plan(x, kernel, strides, dilation, pads, groups=1, channels_first=False):
    """The plan for ``conv(x, kernel)``: x ``(batch, *spatial, C)`` (or channels first), kernel
    ``(*k, C // groups, F)``, with normalized ``strides``, ``dilation`` and per-axis
    ``(before, after)`` ``pads``. Reads only shapes, dtypes and x's strides.

    A training step asks for the same plans on every step: they are kept (a small cache, shared
    by threads, keyed on everything the choice reads, the thresholds and ``floatx()``
    included), so a step does not redo the arithmetic. Plans are never changed once made."""
    key = (x.shape, x.dtype, x.strides, kernel.shape, kernel.dtype, tuple(strides),
           tuple(dilation), tuple(tuple(p) for p in pads), groups, channels_first, floatx(),
           CHUNK_BYTES, PAIR_MAX_FILTERS, PAIR_MAX_PATCH, DENSE_GROUPS_LIMIT, FULL_MAX_RATIO,
           KN2ROW_MIN_RATIO)
    with _plans_lock:
        plan = _plans.pop(key, None)
        if plan is not None:
            _plans[key] = plan
            return plan
    plan = _choose_plan(x, kernel, strides, dilation, pads, groups, channels_first)
    with _plans_lock:
        _plans[key] = plan
        while len(_plans) > PLAN_CACHE_SIZE:
            del _plans[next(iter(_plans))]
    return plan


def _choose_plan(x, kernel, strides, dilation, pads, groups, channels_first):
    """``choose_plan`` without the cache."""
    r = kernel.ndim - 2
    ksize, cg, filters = tuple(kernel.shape[:r]), kernel.shape[-2], kernel.shape[-1]
    blocks = 1
    if groups > 1 and kernel.size * groups <= DENSE_GROUPS_LIMIT:
        blocks, groups, cg = groups, 1, cg * groups  # dense_groups
    n = x.shape[0]
    spatial = tuple(x.shape[2:] if channels_first else x.shape[1:-1])
    cin = x.shape[1] if channels_first else x.shape[-1]
    padded = tuple(s + a + b for s, (a, b) in zip(spatial, pads))
    out = tuple((p - (k - 1) * d - 1) // s + 1
                for p, k, d, s in zip(padded, ksize, dilation, strides))
    dtype = np.result_type(x.dtype, kernel.dtype)
    if not np.issubdtype(dtype, np.inexact):
        dtype = np.dtype(floatx())
    xdtype = x.dtype if np.issubdtype(x.dtype, np.inexact) else dtype
    kcount, positions = math.prod(ksize), math.prod(out)
    # x is windowed in place only when it needs no padding, transposing or casting
    direct = not channels_first and not any(a or b for a, b in pads) and x.dtype == dtype
    # a chunk's patches, or its outputs (bias and ReLU pass over them), fit CHUNK_BYTES
    per_sample = positions * max(kcount * cin, filters) * dtype.itemsize
    chunk = max(1, min(n, CHUNK_BYTES // max(per_sample, 1)))

    pointwise = groups == 1 and kcount == 1 and not any(a or b for a, b in pads)
    forward_chunk = None
    if pointwise:
        patches = "pointwise"  # 1x1: x itself (stride 1) or its strided view is the patches
    elif cin == 1 and groups == 1:
        patches = "kmajor"  # one channel: rows of K entries, built offset by offset
    elif (groups == 1 and all(s == 1 for s in strides)
          and (filters == 1 or filters * KN2ROW_MIN_RATIO <= cin)):
        patches = "kn2row"
        planes = kcount * filters * math.prod(padded) * dtype.itemsize
        forward_chunk = max(1, min(n, CHUNK_BYTES // max(planes, 1)))
    elif (groups == 1 and out[-1] % 2 == 0 and strides[-1] == 1 and dilation[-1] == 1
          and (filters <= PAIR_MAX_FILTERS or kcount * cin <= PAIR_MAX_PATCH)
          # the pair's windows read x in place only if its pixels are contiguous
          and (not direct or x.strides[-2] == cin * x.strides[-1])):
        patches = "pairs"
    else:
        patches = "im2col"
    # 'full' builds K*F entries a position for gx and the kernel gradient together, where
    # col2im writes and adds K*C and the kernel gradient copies the K*C patches of x: it wins up
    # to FULL_MAX_RATIO filters a channel. It needs stride 1 (every output meets every offset),
    # one group, and pads within the kernel's reach (gy's zero border, (k - 1) * d - pad, >= 0)
    full = (groups == 1 and filters <= FULL_MAX_RATIO * cin and all(s == 1 for s in strides)
            and all(a <= (k - 1) * d and b <= (k - 1) * d
                    for (a, b), k, d in zip(pads, ksize, dilation)))
    if pointwise:
        input_grad = "pointwise"  # gy @ W^T is gx (stride 1) or its strided positions
    else:
        input_grad = "full" if full else "col2im"
    return ConvPlan(
        patches=patches, input_grad=input_grad, blocks=blocks, n=n,
        spatial=spatial, cin=cin, ksize=ksize, strides=tuple(strides), dilation=tuple(dilation),
        pads=tuple(tuple(p) for p in pads), channels_first=channels_first, padded=padded,
        out=out, groups=groups, cg=cg, filters=filters, kcount=kcount, positions=positions,
        dtype=dtype, xdtype=xdtype, kdtype=kernel.dtype, direct=direct, chunk=chunk,
        forward_chunk=forward_chunk)
