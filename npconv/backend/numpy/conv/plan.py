"""Which convolution plan runs, and the shapes, chunks and buffers that every plan shares.

``choose_plan`` looks at the shapes of one convolution and names, for each step, the plan that
computes it fastest on the CPU; ``ConvPlan`` holds that choice with the shapes. The plans
themselves are small modules beside this one:

- how the forward's GEMM is laid out (``patches``): ``im2col`` (the general case, one GEMM per
  group), ``kmajor`` (one input channel), ``pairs`` (few filters or tiny patches);
- how a grouped convolution runs (``groups``): ``grouped`` GEMMs, or ``dense_groups`` (the dense
  convolution with a block-diagonal kernel, for small kernels);
- how the input gradient is computed (``input_grad``): ``col2im`` or ``full``.

Every plan computes the same numbers as ``functions.conv.conv_reference`` (the tests force each
one on the shapes it supports). Why the thresholds are where they are: the comments below; the
timings behind them: ``bench/conv_vs_torch.py`` and the README's speed section.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ... import floatx
from ..threads import num_threads, scratch

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


@dataclass(eq=False)
class ConvPlan:
    """One convolution's shapes (after ``dense_groups``) and the plans chosen for it.

    ``patches``: ``'im2col'``, ``'kmajor'`` or ``'pairs'``; ``input_grad``: ``'col2im'`` or
    ``'full'``; ``blocks``: G when a grouped convolution runs as the dense one (``groups`` is
    then 1), else 1. Spatial tuples have one entry per spatial axis; ``out`` is the output's
    spatial shape, ``padded`` the input's after padding, ``chunk`` samples per chunk.
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

    @property
    def fg(self):
        return self.filters // self.groups

    @property
    def shared_kernel_grad(self):
        """With the ``full`` input gradient and x read in place, the kernel gradient comes from
        the input gradient's patches of gy (``input_grad.Full.kernel_grad``)."""
        return self.input_grad == "full" and self.direct

    # --- chunks and threads ------------------------------------------------------------------

    def chunks(self, lo, hi):
        """``(n0, n1)`` sample ranges of at most ``chunk`` samples covering ``[lo, hi)``."""
        for n0 in range(lo, hi, self.chunk):
            yield n0, min(n0 + self.chunk, hi)

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

    def padded_buffer(self, zeros=True, key="conv.padded"):
        """A thread's room for one chunk of padded, channels-last x (``None`` when x is read in
        place). Only the interior is ever written, so zeroed once, the borders stay zero."""
        if zeros and self.direct:
            return None
        buf = scratch(key, self.chunk * math.prod(self.padded) * self.cin, self.dtype)
        if zeros:
            buf.fill(0)
        return buf

    def input_grad_buffer(self):
        """A thread's room for one padded chunk of gx (``None`` when gx is written in place)."""
        return None if self.direct else self.padded_buffer(zeros=False, key="conv.dx")

    def padded_chunk(self, flat, b):
        """The first ``b`` samples of a flat buffer, as ``(b, *padded, channels)``."""
        shape = (b, *self.padded, self.cin)
        return flat[: math.prod(shape)].reshape(shape)

    def interior(self, buf):
        """The part of a padded channels-last buffer that holds x."""
        return buf[(slice(None),) + tuple(
            slice(a, a + n) for n, (a, _) in zip(self.spatial, self.pads))]

    def source(self, x, n0, n1, padded):
        """Samples ``[n0, n1)`` of x as the windows read them: x itself when ``direct``, else
        copied into the interior of the zero-bordered channels-last buffer ``padded``."""
        if self.direct:
            return x[n0:n1]
        xc = self.padded_chunk(padded, n1 - n0)
        self.interior(xc)[...] = self.to_last(x[n0:n1])
        return xc


def choose_plan(x, kernel, strides, dilation, pads, groups=1, channels_first=False):
    """The plan for ``conv(x, kernel)``: x ``(batch, *spatial, C)`` (or channels first), kernel
    ``(*k, C // groups, F)``, with normalized ``strides``, ``dilation`` and per-axis
    ``(before, after)`` ``pads``. Reads only shapes, dtypes and x's strides."""
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

    if cin == 1 and groups == 1:
        patches = "kmajor"  # one channel: rows of K entries, built offset by offset
    elif (groups == 1 and out[-1] % 2 == 0 and strides[-1] == 1 and dilation[-1] == 1
          and (filters <= PAIR_MAX_FILTERS or kcount * cin <= PAIR_MAX_PATCH)
          # the pair's windows read x in place only if its pixels are contiguous
          and (not direct or x.strides[-2] == cin * x.strides[-1])):
        patches = "pairs"
    else:
        patches = "im2col"
    # 'full' wins while it builds no more patches than col2im adds: no more filters than
    # channels; it needs stride 1 (every output meets every offset) and one group
    full = groups == 1 and filters <= cin and all(s == 1 for s in strides)
    return ConvPlan(
        patches=patches, input_grad="full" if full else "col2im", blocks=blocks, n=n,
        spatial=spatial, cin=cin, ksize=ksize, strides=tuple(strides), dilation=tuple(dilation),
        pads=tuple(tuple(p) for p in pads), channels_first=channels_first, padded=padded,
        out=out, groups=groups, cg=cg, filters=filters, kcount=kcount, positions=positions,
        dtype=dtype, xdtype=xdtype, kdtype=kernel.dtype, direct=direct, chunk=chunk)
