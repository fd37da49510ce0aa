"""N-d convolution (1D, 2D, 3D): one implementation, forward and backward side by side.

What: ``conv(x, kernel, bias, strides, padding, dilation_rate, groups, data_format)``, the
cross-correlation Keras's ``Conv1D/2D/3D`` compute, with gradients for ``x``, ``kernel`` and
``bias``. ``conv_reference`` computes the same thing from plain differentiable array ops, one
kernel offset at a time; the tests hold the fast path to it.

Shapes (``r = kernel.ndim - 2`` spatial axes, ``K = prod(kernel_size)``):

- ``x``: ``(batch, *spatial, in_channels)`` for ``'channels_last'``,
  ``(batch, in_channels, *spatial)`` for ``'channels_first'``.
- ``kernel``: Keras's ``(*kernel_size, in_channels // groups, filters)``; ``bias``: ``(filters,)``.
- output: ``(batch, *out_spatial, filters)`` (or channels first), where ``out_spatial`` comes from
  ``padding.conv_output_length``. ``'same'`` pads as TensorFlow does (an odd total puts the extra
  element at the end); ``'causal'`` (1D only) pads only at the start.
- ``groups`` splits the input channels and the filters into ``groups`` equal parts; filter block
  ``g`` sees only channel block ``g``.

Why it is shaped this way (speed; DESIGN.md, bench/conv_vs_torch.py): the arithmetic is BLAS
GEMMs on buffers BLAS reads in place, and the copies around them stay in cache, because the batch
is cut into chunks of a few samples (``CHUNK_BYTES`` of patches each). Per chunk, with ``M`` its
output positions and ``G`` groups of ``Cg`` channels and ``Fg`` filters:

    forward   cols (M, G, K*Cg)  = copy of the as_strided windows of x      (im2col)
              y    (M, G*Fg)     = cols @ W                     one GEMM per group
    backward  gW   (K*Cg, Fg)   += cols^T @ gy                  cols recomputed, cheap in cache
              d_o  (M, C)        = gy @ W_o^T                   one GEMM per kernel offset o
              gx[window of o]   += d_o                          one strided add per offset

A group is a block of columns, which BLAS takes in place (rows longer than the block), so groups
cost no copies; a small grouped convolution runs instead as the dense one with a block-diagonal
kernel (``DENSE_GROUPS_LIMIT``). Padded or channels-first inputs are copied chunk by chunk into a
zero-bordered channels-last buffer, so the GEMMs see one layout. Never ``np.add.at`` or fancy
indexing. The backward recomputes patches instead of keeping the forward's (K times the input's
memory), computes no input gradient when x needs none (the first layer) and no kernel gradient
for a frozen kernel.

The input gradient's steps (``_input_grad_setup``, ``_input_grad_chunk``) are also the forward
of the transposed convolution (``functions.conv_transpose``), whose backward is this forward and
this kernel gradient: one N-d implementation serves both.
"""

from __future__ import annotations

import itertools
import math
import numbers

from numpy.lib.stride_tricks import as_strided

from ..autograd import Function, Tensor, as_tensor
from ..autograd.mode import is_grad_enabled
from ..backend import floatx, normalize_data_format, xp
from ..backend.numpy.threads import num_threads, parallel, scratch
from . import array as A
from .padding import conv_output_length, normalize_padding, normalize_tuple, spatial_pads

__all__ = ["conv", "conv_max_pool", "conv_reference", "Conv"]

# Bytes of one chunk's patch matrix: small enough for the last-level cache, large enough that
# each GEMM keeps BLAS busy. Measured on the benchmark shape (see bench/conv_vs_torch.py).
CHUNK_BYTES = 2 << 20
# The smallest piece of work (multiply-adds) handed to a thread (see Conv._min_piece).
MIN_PIECE_WORK = 32 << 20
# Pixel pairs: when a convolution has few filters (a GEMM only that many columns wide, which BLAS
# runs at half speed) or tiny patches, each row of the forward's patch matrix covers two
# neighbouring output pixels along the last axis: patches of (k + 1) columns instead of two of k,
# one GEMM twice as wide against a kernel with each pixel's copy of the weights (and zeros), and
# the (M/2, 2F) product is y itself. Measured per chunk, one thread: (6, 26, 26, 16) -> 8
# 0.34 -> 0.28 ms and (6, 34, 34, 3) -> 32 0.32 -> 0.27 ms, but (4, 32, 32, 32) -> 32 1.01 ->
# 1.18 ms (the zeros cost the GEMM more than the smaller copy saves); whole forward, 2 threads,
# best of 4 alternated runs: mnist_simple's (32, 26, 26, 16) -> 8 1.30 -> 1.19 ms, cifar10_cnn's
# (512, 32, 32, 3) -> 32 'same' 26.2 -> 25.0 ms.
PAIR_MAX_FILTERS = 8
PAIR_MAX_PATCH = 32
# Grouped convolutions whose dense equivalent has at most this many kernel entries run as that
# dense convolution (see Conv.forward): measured 1.5-3x faster on (128, 28, 28, 32) inputs.
DENSE_GROUPS_LIMIT = 1 << 17


class Conv(Function):
    """The fast N-d convolution; ``conv()`` checks the arguments and calls this.

    ``activation='relu'`` fuses the ReLU that a layer's ``activation='relu'`` would apply next:
    the forward applies it to each chunk while the chunk is in cache, the backward masks each
    chunk of the upstream gradient by ``y > 0`` (exactly what the separate ReLU's backward does).
    """

    def __init__(self, strides, dilation, pads, groups, channels_first, activation=None,
                 pool=None):
        self.strides = strides
        self.dilation = dilation
        self.pads = pads
        self.conv_groups = groups
        self.channels_first = channels_first
        self.activation = activation
        # inference only (conv_max_pool): max-pool each chunk's output while it is in cache
        self.pool = pool

    def forward(self, x, kernel, bias=None):
        kernel = self._prepare(x, kernel, bias)
        g, fg, f = self.groups, self.fg, self.filters
        w = kernel.reshape(self.kcount * self.cg, g, fg).transpose(1, 0, 2)  # (G, K*Cg, Fg)
        w = xp.ascontiguousarray(w, dtype=self.dtype)
        pool = self.pool
        if pool is not None:
            if any(self.needs_grad) or self.channels_first:
                raise ValueError("a pooled convolution is for inference, channels last")
            pooled = tuple(o // p for o, p in zip(self.out, pool))
            if not all(pooled):
                raise ValueError(f"conv_max_pool: convolution output {self.out} is smaller "
                                 f"than pool_size {pool}")
            y = xp.empty((self.n, *pooled, f), dtype=self.dtype)
        elif self.channels_first:
            y = xp.empty((self.n, f, *self.out), dtype=self.dtype)
        else:
            y = xp.empty((self.n, *self.out, f), dtype=self.dtype)
        bias = None if bias is None else bias.astype(self.dtype, copy=False)
        relu = self.activation == "relu"
        # One input channel (K = 9 rows of patches): the bias rides in the GEMM as a row of ones
        # in the patches and a row of w, saving a pass over the chunk's outputs (measured on
        # (24, 28, 28, 1) -> 32, one thread: 0.77 -> 0.56 ms per chunk); wider patches are
        # better left at K (K + 1 columns cost the GEMM more than the pass it saves).
        ones = self.kmajor and bias is not None
        if ones:
            w = xp.concatenate([w, bias.reshape(1, 1, f)], axis=1)
            bias = None
        pairs = self._pairs()
        if pairs:
            w = _pair_kernel(kernel.astype(self.dtype, copy=False))

        def piece(lo, hi):
            padded, cols_buf = self._padded_buffer(), self._cols_buffer()
            for n0, n1 in self._chunks(lo, hi):
                cols = self._cols(x, n0, n1, padded, cols_buf, ones=ones, pairs=pairs)
                m = (n1 - n0) * self.positions
                if self.channels_first or pool is not None:
                    yc = scratch("conv.y", m * f, self.dtype).reshape(m, f)
                else:
                    yc = y[n0:n1].reshape(m, f)
                if pairs:
                    xp.matmul(cols, w, out=yc.reshape(m // 2, 2 * f)[None])
                else:
                    xp.matmul(cols, w, out=_by_group(yc, g))
                if pool is not None:
                    # bias and ReLU commute with the max (both are monotone, even rounded),
                    # so they run on the pooled chunk, a fraction of the size
                    yc = _max_pool_chunk(yc.reshape(n1 - n0, *self.out, f), pool, y[n0:n1])
                if bias is not None:
                    yc += bias
                if relu:
                    xp.maximum(yc, 0, out=yc)
                if self.channels_first:
                    self._to_last(y[n0:n1])[...] = yc.reshape(n1 - n0, *self.out, f)

        parallel(piece, self.n, min_size=self._min_piece())
        if relu and any(self.needs_grad):
            self.y = y
        return y

    def backward(self, gy):
        need_x, need_w = self.needs_grad[:2]
        need_b = self.has_bias and self.needs_grad[2]
        g, cg, fg, k, cin = self.groups, self.cg, self.fg, self.kcount, self.cin
        relu = self.activation == "relu"
        if need_x:
            self._input_grad_setup(self.kernel)
            shape = (self.n, cin, *self.spatial) if self.channels_first else (
                self.n, *self.spatial, cin)
            # zeroed chunk by chunk on the threads, in cache, just before col2im adds into it
            gx = xp.empty(shape, dtype=self.xdtype)
        x, y = self.x, (self.y if relu else None)

        # With x used in place and the full-correlation input gradient, the kernel gradient
        # comes from the same patches of gy: gw[o] = sum_p x[p]^T gy[p - o], and the flipped
        # patch row of gy at p holds gy[p - o] for every offset o, so gw is one GEMM
        # x^T (C, M') @ gcols (M', K*F) with no im2col of x.
        shared = need_w and need_x and self.full and self.direct

        def piece(lo, hi):
            gb = xp.zeros((1, self.filters), self.dtype) if need_b else None
            if shared:
                gw = xp.zeros((cin, k * self.filters), self.dtype)
            else:
                gw = xp.zeros((g, k * cg, fg), self.dtype) if need_w else None
            if need_b:
                ones = xp.ones((1, self.chunk * self.positions), self.dtype)
            if need_w:
                part = scratch("conv.part", gw.size, self.dtype).reshape(gw.shape)
                padded = self._padded_buffer()
            dx_buf = self._input_grad_buffer() if need_x else None
            cols_buf = self._cols_buffer()
            for n0, n1 in self._chunks(lo, hi):
                m = (n1 - n0) * self.positions
                gyc = self._to_last(gy[n0:n1])
                if relu:
                    # the fused ReLU's backward: gy * (y > 0), chunk by chunk
                    buf = scratch("conv.gy", m * self.filters, self.dtype)
                    buf = buf.reshape(gyc.shape)
                    mask = scratch("conv.mask", m * self.filters, bool).reshape(gyc.shape)
                    xp.greater(self._to_last(y[n0:n1]), 0, out=mask)
                    xp.multiply(gyc, mask, out=buf)
                    gyc = buf.reshape(m, self.filters)
                else:
                    gyc = xp.ascontiguousarray(gyc, dtype=self.dtype).reshape(m, self.filters)
                if need_b:
                    gb += ones[:, :m] @ gyc  # a GEMV: 3x faster than sum(axis=0)
                if need_w and not shared:
                    cols = self._cols(x, n0, n1, padded, cols_buf)
                    gw += xp.matmul(cols.transpose(0, 2, 1), _by_group(gyc, g), out=part)
                if need_x:
                    gcols = self._input_grad_chunk(gyc, n0, n1, gx, dx_buf, cols_buf)
                    if shared:
                        gw += xp.matmul(x[n0:n1].reshape(-1, cin).T, gcols, out=part)
            return gw, gb

        parts = parallel(piece, self.n, min_size=self._min_piece())
        self.x = self.kernel = self.y = self.kernel_t = self.wt = None
        gw = gb = None
        for pw, pb in parts:  # summed in piece order: the same result on any thread count
            gw = pw if gw is None else gw + pw
            gb = pb if gb is None else gb + pb
        if shared:
            # (C, K, F) with K in flipped order -> (1, K*C, F) as the im2col path gives it
            gw = gw.reshape(cin, k, self.filters)[:, ::-1].transpose(1, 0, 2)
            gw = xp.ascontiguousarray(gw).reshape(1, k * cin, self.filters)
        if need_w:
            gw = gw.transpose(1, 0, 2).reshape(*self.ksize, cg, g * fg)
            if self.blocks > 1:
                gw = _diagonal_blocks(gw, self.blocks)
            gw = gw.astype(self.kdtype, copy=False)
        grads = [gx if need_x else None, gw if need_w else None]
        if self.has_bias:
            grads.append(gb.reshape(-1).astype(self.bdtype, copy=False) if need_b else None)
        return tuple(grads)

    # --- shapes, chunks and buffers -------------------------------------------------------

    def _prepare(self, x, kernel, bias):
        """The forward's first step: shapes, and the inputs the backward will need. Returns the
        kernel the GEMMs take: a small grouped convolution runs as the dense one with a
        block-diagonal kernel (G times the multiplications, but in one wide GEMM instead of G
        narrow ones)."""
        self.groups, self.blocks = self.conv_groups, 1
        if self.groups > 1 and kernel.size * self.groups <= DENSE_GROUPS_LIMIT:
            self.groups, self.blocks = 1, self.groups
            kernel = _block_diagonal(kernel, self.blocks)
        self._setup(x, kernel, bias)
        self.x = x if self.needs_grad[1] else None
        self.kernel = kernel if self.needs_grad[0] else None
        return kernel

    def _setup(self, x, kernel, bias):
        r = kernel.ndim - 2
        self.ksize = kernel.shape[:r]
        self.n = x.shape[0]
        self.spatial = x.shape[2:] if self.channels_first else x.shape[1:-1]
        self.cin = x.shape[1] if self.channels_first else x.shape[-1]
        self.padded = tuple(n + a + b for n, (a, b) in zip(self.spatial, self.pads))
        self.out = tuple(
            (n - (k - 1) * d - 1) // s + 1
            for n, k, d, s in zip(self.padded, self.ksize, self.dilation, self.strides)
        )
        self.cg = kernel.shape[-2]
        self.filters = kernel.shape[-1]
        self.fg = self.filters // self.groups
        self.kcount = math.prod(self.ksize)
        self.positions = math.prod(self.out)
        self.dtype = xp.result_type(x.dtype, kernel.dtype)
        if not xp.issubdtype(self.dtype, xp.inexact):
            self.dtype = xp.dtype(floatx())
        self.xdtype = x.dtype if xp.issubdtype(x.dtype, xp.inexact) else self.dtype
        self.kdtype = kernel.dtype
        self.xstrides = x.strides
        self.has_bias = bias is not None
        self.bdtype = None if bias is None else bias.dtype
        # x is windowed in place only when it needs no padding, transposing or casting;
        # otherwise each chunk is copied into a zero-bordered channels-last buffer first.
        self.direct = (
            not self.channels_first
            and not any(a or b for a, b in self.pads)
            and x.dtype == self.dtype
        )
        # one input channel: patches built kernel-offset-major (see _cols)
        self.kmajor = self.cin == 1 and self.groups == 1
        # a chunk's patches, or its outputs (bias and ReLU pass over them), fit CHUNK_BYTES
        per_sample = self.positions * max(self.kcount * self.cin, self.filters)
        per_sample *= self.dtype.itemsize
        self.chunk = max(1, min(self.n, CHUNK_BYTES // max(per_sample, 1)))

    def _pairs(self):
        """Whether the forward's patch rows cover output pixel pairs (see PAIR_MAX_FILTERS)."""
        if self.kmajor or self.groups != 1 or self.out[-1] % 2:
            return False
        if self.strides[-1] != 1 or self.dilation[-1] != 1:
            return False
        if self.filters > PAIR_MAX_FILTERS and self.kcount * self.cin > PAIR_MAX_PATCH:
            return False
        # the windows read x in place only if its pixels are contiguous (channels last)
        return not self.direct or self.xstrides[-2] == self.cin * self.xstrides[-1]

    def _min_piece(self):
        """Samples per thread piece: the batch is cut into up to ``threads.SPLIT`` pieces per
        thread (taken as threads free up), but no piece smaller than about MIN_PIECE_WORK
        multiply-adds (counting 16 per element copied or written), nor fewer pieces than
        threads. Measured under load: mnist_cnn 352 -> 395 samples/s with 4 pieces per
        thread, while batch-32 mnist_simple lost 20% to pieces of 4 samples."""
        per_sample = self.positions * (
            self.kcount * self.cin * self.fg + 16 * (self.kcount * self.cin + self.filters))
        threads = num_threads()
        return max(1, min(-(-self.n // threads), -(-MIN_PIECE_WORK // max(per_sample, 1))))

    def _chunks(self, lo, hi):
        for n0 in range(lo, hi, self.chunk):
            yield n0, min(n0 + self.chunk, hi)

    def _cols_buffer(self):
        # (one more row of patches in kmajor: the forward's row of ones, see forward)
        rows = self.kcount * self.cin + (1 if self.kmajor else 0)
        return scratch("conv.cols", self.chunk * self.positions * rows, self.dtype)

    def _padded_buffer(self, zeros=True, key="conv.padded"):
        """Room for one chunk of padded, channels-last x (``None`` when x is used directly).
        Only the interior is ever written, so the zero borders stay zero."""
        if zeros and self.direct:
            return None
        size = self.chunk * math.prod(self.padded) * self.cin
        buf = scratch(key, size, self.dtype)
        if zeros:
            buf.fill(0)
        return buf

    def _padded_chunk(self, flat, b):
        """The first ``b`` samples of a flat buffer, as ``(b, *padded, channels)``."""
        shape = (b, *self.padded, self.cin)
        return flat[: math.prod(shape)].reshape(shape)

    def _interior(self, buf):
        """The part of a padded channels-last buffer that holds x."""
        return buf[(slice(None),) + tuple(
            slice(a, a + n) for n, (a, _) in zip(self.spatial, self.pads))]

    def _to_last(self, a):
        """A chunk of x (or of gx) in channels-last order (a view)."""
        return xp.moveaxis(a, 1, -1) if self.channels_first else a

    # --- im2col and col2im ----------------------------------------------------------------

    def _cols(self, x, n0, n1, padded, buf, ones=False, pairs=False):
        """The patch matrix of samples ``[n0, n1)``, copied into ``buf`` as ``(M, G, K*Cg)``
        and returned as the ``(G, M, K*Cg)`` view the grouped GEMMs take. ``ones`` (one input
        channel only): a last column of ones, ``(1, M, K + 1)``. ``pairs``: one row per pair
        of output pixels along the last axis, ``(1, M/2, K/k * (k + 1) * C)``.

        The windows are an ``as_strided`` view ``(b, *out, G, *k, Cg)`` of the chunk: of x
        itself, or of its padded channels-last copy.
        """
        if self.direct:
            xc = x[n0:n1]
        else:
            xc = self._padded_chunk(padded, n1 - n0)
            self._interior(xc)[...] = self._to_last(x[n0:n1])
        sb, *ss, sc = xc.strides
        if self.kmajor:
            # one channel: copy the windows as (*k, M), rows of ``ow`` contiguous inputs, and
            # hand BLAS the transposed view (M, K) (7x faster to build than (M, K) rows of 3)
            shape = (*self.ksize, n1 - n0, *self.out)
            strides = (
                *(s * d for s, d in zip(ss, self.dilation)),
                sb,
                *(s * st for s, st in zip(ss, self.strides)),
            )
            windows = _strided(xc, shape, strides)
            m = windows.size // self.kcount
            rows = self.kcount + (1 if ones else 0)
            cols = buf[: rows * m].reshape(rows, m)
            xp.copyto(cols[: self.kcount].reshape(windows.shape), windows)
            if ones:
                cols[self.kcount].fill(1)
            return cols.T[None]
        if pairs:
            # (b, *out[:-1], out[-1]/2, *k[:-1], (k[-1] + 1) * C): the pair's k + 1 columns of
            # channels are one contiguous run of x
            *sk, kl = self.ksize
            shape = (n1 - n0, *self.out[:-1], self.out[-1] // 2, *sk, (kl + 1) * self.cin)
            strides = (
                sb,
                *(s * st for s, st in zip(ss[:-1], self.strides[:-1])),
                2 * ss[-1],
                *(s * d for s, d in zip(ss[:-1], self.dilation[:-1])),
                sc,
            )
            windows = _strided(xc, shape, strides)
            cols = buf[: windows.size].reshape(windows.shape)
            xp.copyto(cols, windows)
            return cols.reshape(1, -1, math.prod(shape[len(self.out) + 1:]))
        shape = (n1 - n0, *self.out, self.groups, *self.ksize, self.cg)
        strides = (
            sb,
            *(s * st for s, st in zip(ss, self.strides)),
            self.cg * sc,
            *(s * d for s, d in zip(ss, self.dilation)),
            sc,
        )
        windows = _strided(xc, shape, strides)
        cols = buf[: windows.size].reshape(windows.shape)
        xp.copyto(cols, windows)
        return _by_group(cols.reshape(-1, self.groups * self.kcount * self.cg), self.groups)

    # --- the input gradient (also the transposed convolution's forward) ---------------------

    def _input_grad_setup(self, kernel):
        """Choose how ``_input_grad_chunk`` computes and lay out ``kernel`` (the one the GEMMs
        took) for it.

        ``self.full``: as the "full" correlation of gy with the flipped kernel (patches of the
        zero-bordered gy, one GEMM straight into gx: no col2im) when there are no more filters
        than channels, stride 1 and one group; measured per chunk, one thread: (16, 26, 26, 16)
        ->8 1.09 -> 0.67 ms, (4, 32, 32, 32)->32 1.49 -> 1.13 ms, but (4, 26, 26, 32)->64 1.43
        -> 1.62 ms (more patches than the col2im adds it saves). Otherwise one GEMM per kernel
        offset (and group) then col2im.
        """
        g, cg, fg, k, cin = self.groups, self.cg, self.fg, self.kcount, self.cin
        self.full = g == 1 and self.filters <= cin and all(s == 1 for s in self.strides)
        if self.full:
            # (*k, C, F) flipped on every spatial axis -> (K*F, C)
            flip = kernel[(slice(None, None, -1),) * len(self.ksize)]
            self.kernel_t = xp.ascontiguousarray(
                xp.swapaxes(flip, -1, -2).reshape(k * self.filters, cin), dtype=self.dtype)
        else:
            # (*k, Cg, G*Fg) -> (K, G, Fg, Cg): one GEMM per kernel offset (and group), each
            # giving that offset's gradient as a contiguous (M, C) block, so that col2im adds
            # long runs (not C-long pieces of one (M, K*C) product: measured 2x slower).
            wt = kernel.reshape(k, cg, g, fg).transpose(0, 2, 3, 1)
            self.wt = xp.ascontiguousarray(wt, dtype=self.dtype)

    def _input_grad_buffer(self):
        """A thread's room for one padded chunk of gx (``None`` when gx is written in place)."""
        return None if self.direct else self._padded_buffer(zeros=False, key="conv.dx")

    def _input_grad_chunk(self, gyc, n0, n1, gx, dx_buf, cols_buf):
        """``gx[n0:n1]`` = the input gradient of samples ``[n0, n1)`` from their output
        gradient ``gyc`` (``(M, F)``, channels last, contiguous), as ``_input_grad_setup``
        chose. Written in place when x is used directly, else into the padded chunk
        ``dx_buf`` and its interior copied out. Returns the full path's patches of gy when
        written in place (see ``backward``'s shared kernel gradient), else ``None``."""
        b = n1 - n0
        dx = gx[n0:n1] if self.direct else self._padded_chunk(dx_buf, b)
        gcols = None
        if self.full:
            gcols = self._full_input_grad(gyc, b, dx)
        else:
            g, k, cin = self.groups, self.kcount, self.cin
            m = b * self.positions
            dcols = cols_buf[: k * m * cin].reshape(k, m, cin)
            xp.matmul(_by_group(gyc, g), self.wt, out=_by_group(dcols, g))
            dx.fill(0)
            self._col2im(dx, dcols.reshape(k, b, *self.out, cin))
        if not self.direct:
            self._to_last(gx[n0:n1])[...] = self._interior(dx)
            return None
        return gcols

    def _full_input_grad(self, gyc, b, dx):
        """``dx`` (``(b, *padded, C)``, channels last) = the stride-1 "full" correlation of the
        chunk's gy with the flipped kernel: patches of gy inside a zero border of
        ``(k - 1) * dilation``, times ``(K*F, C)``. Returns those patches, ``(M', K*F)``, row
        p holding gy[p - o] for the flipped offsets o (valid until the next call)."""
        f = self.filters
        border = [(k - 1) * d for k, d in zip(self.ksize, self.dilation)]
        shape = (b, *(o + 2 * e for o, e in zip(self.out, border)), f)
        buf = scratch("conv.gypad", math.prod(shape), self.dtype).reshape(shape)
        buf.fill(0)
        buf[(slice(None), *(slice(e, e + o) for e, o in zip(border, self.out)))] = (
            gyc.reshape(b, *self.out, f))
        sb, *ss, sc = buf.strides
        wshape = (b, *self.padded, *self.ksize, f)
        strides = (sb, *ss, *(s * d for s, d in zip(ss, self.dilation)), sc)
        windows = _strided(buf, wshape, strides)
        cols = scratch("conv.gcols", windows.size, self.dtype).reshape(wshape)
        xp.copyto(cols, windows)
        cols = cols.reshape(-1, self.kcount * f)
        xp.matmul(cols, self.kernel_t, out=dx.reshape(-1, self.cin))
        return cols

    def _col2im(self, dx, dcols):
        """Add each kernel offset's ``(b, *out, C)`` gradient into the strided slice of the
        padded ``(b, *padded, C)`` chunk that its window read."""
        offsets = itertools.product(*(range(k) for k in self.ksize))
        for o, offset in enumerate(offsets):
            index = (slice(None),) + tuple(
                slice(i * d, i * d + (m - 1) * s + 1, s)
                for i, d, m, s in zip(offset, self.dilation, self.out, self.strides)
            )
            dx[index] += dcols[o]


def _max_pool_chunk(a, pool, out):
    """``out`` = the maximum over each ``pool`` window of ``a`` (``(b, *spatial, C)``, windows
    that tile it from the start, a remainder left out, as 'valid' pooling with strides equal to
    the pool), one spatial axis at a time: the rows first, whose slices are long contiguous
    runs, then the rest on arrays already cut by the first. Returns ``out``."""
    r = len(pool)
    for axis, p in enumerate(pool, start=1):
        n = a.shape[axis] // p
        shape = (*a.shape[:axis], n, *a.shape[axis + 1:])
        dst = out if axis == r else scratch(f"conv.pool{axis}", math.prod(shape),
                                            a.dtype).reshape(shape)
        lead = (slice(None),) * axis

        def take(q, a=a, lead=lead, n=n, p=p):
            return a[lead + (slice(q, q + p * (n - 1) + 1, p),)]

        if p == 1:
            xp.copyto(dst, take(0))
        else:
            xp.maximum(take(0), take(1), out=dst)
            for q in range(2, p):
                xp.maximum(dst, take(q), out=dst)
        a = dst
    return out


def _pair_kernel(kernel):
    """``(*k, C, F)`` -> ``(1, K/k * (k + 1) * C, 2 * F)``: the weights of two neighbouring
    output pixels along the last axis, over the pair's ``k + 1`` input columns (pixel q reads
    columns q .. q + k - 1, zeros elsewhere); see PAIR_MAX_FILTERS."""
    *sk, kl, c, f = kernel.shape
    w = kernel.reshape(-1, kl, c, f)
    pair = xp.zeros((w.shape[0], kl + 1, c, 2, f), dtype=kernel.dtype)
    pair[:, :kl, :, 0] = w
    pair[:, 1:, :, 1] = w
    return pair.reshape(1, -1, 2 * f)


def _block_diagonal(kernel, groups):
    """Grouped ``(*k, Cg, G*Fg)`` -> the dense ``(*k, G*Cg, G*Fg)`` kernel of the same
    convolution: block g maps channel block g to filter block g, the rest is zero."""
    *k, cg, f = kernel.shape
    blocks = kernel.reshape(*k, 1, cg, groups, f // groups)
    eye = xp.eye(groups, dtype=kernel.dtype).reshape(groups, 1, groups, 1)
    return (blocks * eye).reshape(*k, groups * cg, f)


def _diagonal_blocks(dense, groups):
    """The inverse of ``_block_diagonal``: ``(*k, G*Cg, G*Fg)`` -> ``(*k, Cg, G*Fg)``."""
    *k, c, f = dense.shape
    blocks = dense.reshape(*k, groups, c // groups, groups, f // groups)
    diagonal = xp.diagonal(blocks, axis1=len(k), axis2=len(k) + 2)  # (*k, Cg, Fg, G)
    return xp.moveaxis(diagonal, -1, -2).reshape(*k, c // groups, f)


def _strided(a, shape, strides):
    """The strided view of ``a`` (read only by the callers). ``ndarray(buffer=a)`` when ``a`` is
    contiguous: 2.6 us, against 21 us for ``as_strided``, which a batch-32 step calls ~20 times."""
    if a.flags.c_contiguous:
        return xp.ndarray(shape, a.dtype, a, 0, strides)
    return as_strided(a, shape, strides, writeable=False)


def _by_group(a, groups):
    """``(..., M, G * n)`` -> the view ``(..., G, M, n)``: group g's columns as one matrix.

    Its rows are strided but its columns contiguous, which BLAS takes as is (a leading
    dimension larger than the row), so grouped GEMMs read and write in place.
    """
    *lead, m, gn = a.shape
    if groups == 1:
        return a[..., None, :, :]  # moveaxis costs 20 us a call
    return xp.moveaxis(a.reshape(*lead, m, groups, gn // groups), -2, -3)


# --- argument checking ----------------------------------------------------------------------


def _check(x, kernel, bias, strides, padding, dilation_rate, groups, data_format):
    """Validate and normalize the arguments; return what ``Conv`` needs."""
    kshape = tuple(kernel.shape)
    if len(kshape) < 3:
        raise ValueError(
            "conv expects a kernel of shape (*kernel_size, in_channels // groups, filters), "
            f"got shape {kshape}"
        )
    r = len(kshape) - 2
    data_format = normalize_data_format(data_format)
    first = data_format == "channels_first"
    layout = "(batch, channels, *spatial)" if first else "(batch, *spatial, channels)"
    xshape = tuple(x.shape)
    if len(xshape) != r + 2:
        raise ValueError(
            f"conv with a {r}-D kernel of shape {kshape} expects x of rank {r + 2} {layout}, "
            f"got shape {xshape}"
        )
    if isinstance(groups, bool) or not isinstance(groups, numbers.Integral) or groups < 1:
        raise ValueError(f"groups must be a positive int, got {groups!r}")
    groups = int(groups)
    cin = xshape[1] if first else xshape[-1]
    filters = kshape[-1]
    if cin % groups or filters % groups:
        raise ValueError(
            f"groups={groups} must divide both in_channels={cin} and filters={filters}"
        )
    if kshape[-2] * groups != cin:
        raise ValueError(
            f"conv: x of shape {xshape} ({data_format}) has {cin} channels, but the kernel of "
            f"shape {kshape} with groups={groups} expects {kshape[-2] * groups} "
            f"(in_channels // groups = {kshape[-2]})"
        )
    if bias is not None and tuple(bias.shape) != (filters,):
        raise ValueError(f"conv: bias must have shape ({filters},), got {tuple(bias.shape)}")
    strides = normalize_tuple(strides, r, "strides")
    dilation = normalize_tuple(dilation_rate, r, "dilation_rate")
    padding = normalize_padding(padding)
    if padding == "causal" and r != 1:
        raise ValueError(f"padding='causal' is only for 1-D convolution, got a {r}-D kernel")
    ksize = kshape[:r]
    spatial = xshape[2:] if first else xshape[1:-1]
    out = [conv_output_length(n, k, padding, s, d)
           for n, k, s, d in zip(spatial, ksize, strides, dilation)]
    if any(o < 1 for o in out):
        raise ValueError(
            f"conv: input spatial shape {spatial} is too small for kernel_size {ksize} with "
            f"dilation_rate {dilation} and padding='{padding}'"
        )
    pads = [tuple(p) for p in spatial_pads(spatial, ksize, padding, strides, dilation)]
    return strides, dilation, pads, groups, first


def conv(x, kernel, bias=None, strides=1, padding="valid", dilation_rate=1, groups=1,
         data_format="channels_last", activation=None) -> Tensor:
    """N-d convolution (cross-correlation) as Keras's ``ConvND``; see the module docstring.

    ``activation='relu'`` returns ``relu(conv(...))`` computed in one fused op."""
    if activation not in (None, "relu"):
        raise ValueError(f"conv: activation must be None or 'relu', got {activation!r}")
    x, kernel = as_tensor(x), as_tensor(kernel)
    bias = None if bias is None else as_tensor(bias)
    strides, dilation, pads, groups, first = _check(
        x, kernel, bias, strides, padding, dilation_rate, groups, data_format
    )
    op = Conv(strides, dilation, pads, groups, first, activation)
    return op(x, kernel) if bias is None else op(x, kernel, bias)


def conv_max_pool(x, kernel, bias=None, pool_size=2, strides=1, padding="valid",
                  dilation_rate=1, groups=1, data_format="channels_last", activation=None):
    """``max_pool(conv(x, ..., activation=activation), pool_size)`` with 'valid' pooling and
    strides equal to ``pool_size``: what a ``Conv*D`` followed by a ``MaxPooling*D`` computes.

    For inference (``predict``): each chunk's convolution output is pooled while it is in cache
    and the bias and ReLU run on the pooled values, which gives the same numbers (max commutes
    with adding a bias and with ReLU, rounding included), without writing and re-reading the
    full-size output. With gradients to record, or channels first, it is the two ops in turn.
    """
    from .pooling import max_pool

    x, kernel = as_tensor(x), as_tensor(kernel)
    bias = None if bias is None else as_tensor(bias)
    pool = normalize_tuple(pool_size, kernel.ndim - 2, "pool_size")
    inputs = (x, kernel) if bias is None else (x, kernel, bias)
    recording = is_grad_enabled() and any(t.requires_grad for t in inputs)
    if recording or normalize_data_format(data_format) == "channels_first":
        y = conv(x, kernel, bias, strides, padding, dilation_rate, groups, data_format,
                 activation)
        return max_pool(y, pool, data_format=data_format)
    if activation not in (None, "relu"):
        raise ValueError(f"conv: activation must be None or 'relu', got {activation!r}")
    strides, dilation, pads, groups, first = _check(
        x, kernel, bias, strides, padding, dilation_rate, groups, data_format
    )
    return Conv(strides, dilation, pads, groups, first, activation, pool=pool)(*inputs)


def conv_reference(x, kernel, bias=None, strides=1, padding="valid", dilation_rate=1, groups=1,
                   data_format="channels_last") -> Tensor:
    """The same convolution from plain array ops, one kernel offset at a time.

    For every kernel offset, the input positions it meets are one strided slice of the padded
    input; multiply that slice by the offset's ``(Cg, Fg)`` matrix per group and add. Gradients
    come from the array ops' own backward passes. Slow; for tests.
    """
    x, kernel = as_tensor(x), as_tensor(kernel)
    bias = None if bias is None else as_tensor(bias)
    strides, dilation, pads, groups, first = _check(
        x, kernel, bias, strides, padding, dilation_rate, groups, data_format
    )
    r = kernel.ndim - 2
    if first:
        x = A.transpose(x, (0, *range(2, r + 2), 1))
    x = A.pad(x, [(0, 0), *pads, (0, 0)])
    ksize, cg, f = kernel.shape[:r], kernel.shape[-2], kernel.shape[-1]
    fg = f // groups
    padded = x.shape[1:-1]
    out = [(n - (k - 1) * d - 1) // s + 1 for n, k, d, s in zip(padded, ksize, dilation, strides)]
    # kernel (*k, Cg, G*Fg) -> (*k, G, Cg, Fg): one (Cg, Fg) matrix per offset and group
    w = A.transpose(A.reshape(kernel, (*ksize, cg, groups, fg)), (*range(r), r + 1, r, r + 2))
    y = None
    for offset in itertools.product(*(range(k) for k in ksize)):
        index = (slice(None),) + tuple(
            slice(i * d, i * d + (m - 1) * s + 1, s)
            for i, d, m, s in zip(offset, dilation, out, strides)
        )
        patch = A.reshape(x[index], (x.shape[0], *out, groups, 1, cg))  # (b, *out, G, 1, Cg)
        term = A.matmul(patch, w[offset])  # (b, *out, G, 1, Fg)
        y = term if y is None else y + term
    y = A.reshape(y, (x.shape[0], *out, f))
    if bias is not None:
        y = y + bias
    if first:
        y = A.transpose(y, (0, r + 1, *range(1, r + 1)))
    return y
