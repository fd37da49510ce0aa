"""N-d pooling (1D, 2D, 3D): max, average, stochastic and global, forward and backward side by side.

What: the arithmetic of Keras's ``MaxPooling1D/2D/3D``, ``AveragePooling1D/2D/3D``,
``GlobalMaxPooling*``/``GlobalAveragePooling*`` and of ``StochasticPooling*`` (Zeiler & Fergus
2013, "Stochastic Pooling for Regularization of Deep Convolutional Neural Networks"), with
gradients. ``max_pool_reference`` and ``avg_pool_reference`` compute the same from plain
differentiable array ops; the tests hold the fast path to them.

Shapes (``r = len(pool_size)`` spatial axes; an int ``pool_size`` means ``r = x.ndim - 2``):

- ``x``: ``(batch, *spatial, channels)`` for ``'channels_last'``, ``(batch, channels, *spatial)``
  for ``'channels_first'``; the output has the same layout with ``out_spatial`` from
  ``padding.conv_output_length``. ``strides=None`` means ``strides = pool_size`` (Keras).
- ``'same'`` pads as TensorFlow does (``padding.spatial_pads``: an odd total puts the extra
  element at the end). Padding is never materialized: a padded position is simply not part of
  its window, so a max pool never selects it (as if it were ``-inf``) and an average pool
  divides by the number of real inputs in the window (TF's ``count_include_pad=False``).
- Global pools reduce every spatial axis: ``(batch, channels)``, or with ``keepdims=True``
  ``(batch, 1, ..., 1, channels)`` (``(batch, channels, 1, ..., 1)`` channels first).

Why it is shaped this way (speed; DESIGN.md, bench/pooling_vs_torch.py): a window offset ``o``
(one of the ``K = prod(pool_size)`` positions inside a window) meets the inputs
``x[o : o + stride * out : stride]`` along each axis: one strided view, no copy. Every op below
is a loop over the K offsets doing one whole-array ufunc per view, with ``out=``, so the work
is K passes over output-sized arrays instead of an im2col copy (3.8 ms vs 42 ms measured for
max pooling 2x2/2 on (128, 64, 24, 24)). With ``'same'`` padding, offset ``o`` touches only the
block of outputs whose window holds a real input at ``o`` (``_Windows``). No mask the size of
the input is kept, and neither ``np.add.at`` nor fancy indexing is used on these paths. Max and
average pooling run over pieces of the batch that fit in cache (``PIECE_BYTES``), on npconv's
threads (``backend.numpy.threads``; ufuncs release the GIL), which halves their time on two cores.
Measured on this 2-core machine, max pool 2x2/2 on (128, 24, 24, 64) float32: forward 1.3 ms,
forward + backward 5.6 ms (PyTorch 2.13, 2 threads: 0.9 / 3.0 ms channels_last, 15 / 17 ms
NCHW). Overlapping windows cost more (3x3/2: K = 9 offsets, and the backward accumulates):
about 4x PyTorch.

Forward and backward (``x_o`` = the view of x at offset ``o``, ``gx_o`` the same view of the
input gradient; ``+=`` becomes a plain copy when the windows do not overlap, ``strides >=
pool_size``):

    max_pool  forward   y = x_0;  y = maximum(y, x_o, out=y)           for each offset o
              backward  g = gy                                          (gradient still unsent)
                        for o in window order:  s = g * (x_o == y);  gx_o += s;  g -= s
                        (the last offset just takes what is left: gx_o += g)
    avg_pool  forward   y = (sum_o x_o) / count                          count = real inputs
              backward  g = gy / count;  gx_o += g                      for each offset o
    stochastic, training (p = max(x, 0), S = sum_o p_o, t = u * S with u ~ U[0, 1) per window)
              forward   choose the first o (window order) with cumsum_o(p) >= t and p_o > 0;
                        y = p_chosen; an all-zero window has S = 0, chooses nothing, gives 0
              backward  gx_o += gy * (chosen == o)                      (the sample is fixed)
    stochastic, inference (Q = sum_o p_o^2)
              forward   y = Q / S   (0 where S = 0)                     = sum_o p_o * (p_o / S)
              backward  gx_o += (2 p_o - y) * gy / S * (x_o > 0)        (0 where S = 0)
    global_max_pool     y = max over spatial;  gx[argmax] = gy          (argmax: first maximum)
    global_avg_pool     y = mean over spatial; gx = gy / P              (P spatial positions)

Ties in a max pool: the gradient of a tied maximum goes to ONE element, the first in window
order (row-major over the window's offsets), as TensorFlow does; the backward finds it again by
comparing each offset's view with y, the first match taking the whole remaining gradient ``g``.
This assumes a finite upstream gradient (``inf * 0`` would spread NaN through the window).
Overlapping windows (``strides < pool_size``) are handled by accumulating into the shared
inputs.

Stochastic pooling assumes non-negative activations (place it after a ReLU); a negative
activation counts as zero (never sampled, no weight at inference). The random numbers come
from ``npconv.backend.rng()``, so ``npconv.backend.set_seed`` (or
``npconv.utils.set_random_seed``) makes a draw repeat.

dtypes: floating inputs keep their dtype (float32 stays float32, float64 for gradient checks);
integer or boolean inputs are cast to ``backend.floatx()``.
"""

from __future__ import annotations

import itertools
import math
import numbers

from ..autograd import Function, Tensor, as_tensor
from ..backend import floatx, noise_rng, normalize_data_format, xp
from ..backend.numpy.threads import num_threads, parallel
from . import _on_device
from . import array as A
from .padding import conv_output_length, normalize_tuple, spatial_pads

__all__ = [
    "max_pool",
    "avg_pool",
    "stochastic_pool",
    "global_max_pool",
    "global_avg_pool",
    "max_pool_reference",
    "avg_pool_reference",
    "MaxPool",
    "AvgPool",
    "StochasticPool",
    "GlobalMaxPool",
    "GlobalAvgPool",
]

_SPATIAL_NAMES = {1: "steps", 2: "rows, cols", 3: "depth, rows, cols"}


# --- window geometry ----------------------------------------------------------------------


class _Offset:
    """One window offset: ``src`` indexes x (a strided view), ``dst`` the outputs it meets."""

    __slots__ = ("number", "src", "dst", "full")

    def __init__(self, number, src, dst, full):
        self.number, self.src, self.dst, self.full = number, src, dst, full


class _Windows:
    """Where each of the ``K`` window offsets reads x and writes y, for one input shape.

    Along an axis of length ``n`` with ``before`` padding, output ``j`` of offset ``o`` reads
    input ``j * stride + o - before``; only the outputs where that index lies in ``[0, n)``
    belong to the offset (all of them for ``'valid'``). Offsets that meet no output are left out.
    """

    def __init__(self, shape, pool, strides, padding, channels_first):
        self.shape = tuple(shape)
        self.pool, self.strides = pool, strides
        self.channels_first = channels_first
        spatial = self.shape[2:] if channels_first else self.shape[1:-1]
        self.pads = [tuple(p) for p in spatial_pads(spatial, pool, padding, strides)]
        self.out = tuple(
            conv_output_length(n, k, padding, s) for n, k, s in zip(spatial, pool, strides)
        )
        if channels_first:
            self.out_shape = (*self.shape[:2], *self.out)
        else:
            self.out_shape = (self.shape[0], *self.out, self.shape[-1])
        # Windows do not share inputs: the backward may copy instead of add.
        self.disjoint = all(s >= k for s, k in zip(strides, pool))
        # ... and every input lies in exactly one window: the input gradient needs no zeros.
        self.covering = all(
            s == k and m * k == n + b + a
            for s, k, m, n, (b, a) in zip(strides, pool, self.out, spatial, self.pads)
        )
        self.offsets = []
        for number, offset in enumerate(itertools.product(*(range(k) for k in pool))):
            src, dst, full = [], [], True
            for o, s, m, n, (before, _) in zip(offset, strides, self.out, spatial, self.pads):
                lo = max(0, -(-(before - o) // s))  # ceil((before - o) / s)
                hi = min(m, (n - 1 + before - o) // s + 1)
                if hi <= lo:
                    break
                start = lo * s + o - before
                src.append(slice(start, start + (hi - lo - 1) * s + 1, s))
                dst.append(slice(lo, hi))
                full = full and lo == 0 and hi == m
            else:
                self.offsets.append(
                    _Offset(number, self._index(src), self._index(dst), full)
                )

    def _index(self, spatial_slices):
        if self.channels_first:
            return (slice(None), slice(None), *spatial_slices)
        return (slice(None), *spatial_slices, slice(None))

    def count(self, dtype):
        """How many real inputs each window holds: a scalar, or an array broadcasting to y."""
        spatial = self.shape[2:] if self.channels_first else self.shape[1:-1]
        if all(b == 0 and a == 0 for b, a in self.pads):
            return math.prod(self.pool)
        r = len(self.pool)
        count = xp.ones((), dtype=xp.float64)
        for axis, (n, k, s, m, (before, _)) in enumerate(
            zip(spatial, self.pool, self.strides, self.out, self.pads)
        ):
            start = xp.arange(m) * s - before
            per_axis = xp.minimum(start + k, n) - xp.maximum(start, 0)
            shape = [1] * r
            shape[axis] = m
            count = count * per_axis.reshape(shape)
        count = count.reshape((1, 1, *self.out) if self.channels_first else (1, *self.out, 1))
        return count.astype(dtype)

    def gradient_buffer(self, dtype):
        """The input gradient's buffer: uninitialized when every input gets written."""
        return (xp.empty if self.covering else xp.zeros)(self.shape, dtype=dtype)


def _window_sum(x, windows, dtype, y=None):
    """``sum_o x_o`` over the window offsets (only the real inputs of each window)."""
    if y is None:
        y = xp.empty((x.shape[0], *windows.out_shape[1:]), dtype=dtype)
    offsets = windows.offsets
    if offsets[0].full:
        xp.copyto(y, x[offsets[0].src])
        offsets = offsets[1:]
    else:
        y.fill(0)
    for o in offsets:
        yd = y[o.dst]
        xp.add(yd, x[o.src], out=yd)
    return y


def _scatter(gx, g, o, windows):
    """``gx_o += g[o.dst]`` (a copy when windows do not overlap: each input is met once)."""
    view = gx[o.src]
    if windows.disjoint:
        xp.copyto(view, g[o.dst])
    else:
        xp.add(view, g[o.dst], out=view)


# --- batch pieces and threads -------------------------------------------------------------

# Max and average pooling run over pieces of the batch of about PIECE_BYTES of input each, so
# that the K passes over a piece's output-sized arrays stay in cache, on npconv's threads
# (``backend.numpy.threads``: NumPy's ufuncs release the GIL; elementwise NumPy is otherwise
# single-threaded). Measured on the benchmark shape (bench/pooling_vs_torch.py), 2 cores: pieces
# 15% faster than whole arrays, 2 threads 1.6-2x faster than 1. Inputs under THREADS_MIN_BYTES
# stay on the calling thread (handing tiny arrays to a pool costs more than it saves). Results
# do not depend on these settings: each output element sees the same arithmetic in the same
# order.
PIECE_BYTES = 2 << 20
THREADS_MIN_BYTES = 1 << 20


def _by_pieces(fn, shape, itemsize):
    """Call ``fn(lo, hi)`` for batch pieces ``[lo, hi)`` covering ``range(shape[0])``."""
    n = shape[0]
    per_sample = max(1, math.prod(shape[1:]) * itemsize)
    step = max(1, PIECE_BYTES // per_sample)
    threads = num_threads() if n * per_sample >= THREADS_MIN_BYTES else 1

    def run(lo, hi):
        for a in range(lo, hi, step):
            fn(a, min(hi, a + step))

    parallel(run, n, threads=threads)


# --- the ops ------------------------------------------------------------------------------


class MaxPool(Function):
    """Max pooling; ``max_pool()`` checks the arguments and calls this.

    ``relu_input=True`` (``functions.conv.conv_max_pool`` in training): x is the output of a
    ReLU fused into the convolution before it, whose gradient mask ``x > 0`` this backward
    applies instead, on the pooled gradient (``gy * (y > 0)``: a window's gradient goes to
    its maximum, which is positive exactly when the pooled value is), a tensor 4-8 times
    smaller than x. The result is the unfused ops' bit for bit."""

    def __init__(self, windows, relu_input=False):
        self.windows = windows
        self.relu_input = relu_input

    def forward(self, x):
        if type(x) is not _on_device.ndarray:  # CuPy, array API: the backend's kernels
            return _on_device.pool_forward(self, x, "max")
        w = self.windows
        # max is exact and order-free: start from any offset that meets every window
        full = next((o for o in w.offsets if o.full), None)
        y = xp.empty(w.out_shape, dtype=x.dtype)

        def piece(lo, hi):
            xs, ys = x[lo:hi], y[lo:hi]
            if full is None:
                ys.fill(-xp.inf)
            else:
                xp.copyto(ys, xs[full.src])
            for o in w.offsets:
                if o is not full:
                    yd = ys[o.dst]
                    xp.maximum(yd, xs[o.src], out=yd)

        _by_pieces(piece, x.shape, x.itemsize)
        if self.needs_grad[0]:
            self.x, self.y = x, y
        return y

    def backward(self, gy):
        if type(gy) is not _on_device.ndarray:
            return _on_device.pool_backward(self, gy)
        w, x, y = self.windows, self.x, self.y
        if self.relu_input:
            gy = xp.multiply(gy, y > 0, dtype=x.dtype)
        gx = w.gradient_buffer(x.dtype)
        if w.disjoint:
            _by_pieces(lambda lo, hi: _max_pool_backward_disjoint(
                w, x[lo:hi], y[lo:hi], gy[lo:hi], gx[lo:hi]), x.shape, x.itemsize)
            return gx

        def piece(lo, hi):
            xs, ys, gxs = x[lo:hi], y[lo:hi], gx[lo:hi]
            g = gy[lo:hi]  # the gradient not yet sent, per window
            owned = g.dtype != x.dtype  # False while g is still the caller's gy (read only)
            if owned:
                g = g.astype(x.dtype)
            mask = xp.empty(ys.shape, dtype=bool)
            sent = None if w.disjoint else xp.empty(ys.shape, dtype=x.dtype)
            for o in w.offsets[:-1]:
                m = mask[o.dst]
                xp.equal(xs[o.src], ys[o.dst], out=m)
                s = gxs[o.src] if w.disjoint else sent[o.dst]  # disjoint: straight into place
                xp.multiply(g[o.dst], m, out=s)
                if not w.disjoint:
                    view = gxs[o.src]
                    xp.add(view, s, out=view)
                if not owned and o.full:
                    g, owned = xp.subtract(g, s), True  # the first update makes our own copy
                    continue
                if not owned:
                    g, owned = g.copy(), True
                gd = g[o.dst]
                xp.subtract(gd, s, out=gd)
            # A window whose maximum is not at an earlier offset has it at the last one.
            _scatter(gxs, g, w.offsets[-1], w)

        _by_pieces(piece, x.shape, x.itemsize)
        return gx


def _max_pool_backward_disjoint(w, x, y, gy, gx):
    """Max pooling's backward when no two windows share an input (``strides >= pool_size``):
    ``gx_o = gy * first_o`` where ``first_o`` marks the windows whose first maximum (window
    order) sits at offset ``o``. A boolean ``pending`` (the windows whose maximum is not yet
    found) replaces the float "gradient not yet sent": per offset one strided read of x (the
    comparison) and one strided write of gx, the rest on small contiguous boolean arrays. On
    the zoo's pools (2x2x2 on (32, 14, 14, 14, 16), 2x2 on (128, 28, 28, 32), one thread, CPU
    time) 2.4 and 4.4 ms against 2.7 and 5.2 ms for the general loop in ``MaxPool.backward``.
    """
    eq = xp.empty(y.shape, dtype=bool)
    pending = xp.ones(y.shape, dtype=bool)
    offsets = w.offsets
    for o in offsets[:-1]:
        m, p = eq[o.dst], pending[o.dst]
        xp.equal(x[o.src], y[o.dst], out=m)
        m &= p
        p ^= m
        xp.multiply(gy[o.dst], m, out=gx[o.src], dtype=gx.dtype)
    last = offsets[-1]
    xp.multiply(gy[last.dst], pending[last.dst], out=gx[last.src], dtype=gx.dtype)


class AvgPool(Function):
    """Average pooling over the real inputs of each window; ``avg_pool()`` calls this."""

    def __init__(self, windows):
        self.windows = windows

    def forward(self, x):
        if type(x) is not _on_device.ndarray:
            return _on_device.pool_forward(self, x, "avg")
        w = self.windows
        self.dtype = x.dtype
        self.count = w.count(x.dtype)
        y = xp.empty(w.out_shape, dtype=x.dtype)

        def piece(lo, hi):
            ys = _window_sum(x[lo:hi], w, x.dtype, y[lo:hi])
            xp.divide(ys, self.count, out=ys)

        _by_pieces(piece, x.shape, x.itemsize)
        return y

    def backward(self, gy):
        if type(gy) is not _on_device.ndarray:
            return _on_device.pool_backward(self, gy)
        w = self.windows
        gx = w.gradient_buffer(self.dtype)
        if w.covering and not any(b or a for b, a in w.pads):
            _by_pieces(lambda lo, hi: _avg_pool_backward_tiled(
                w, xp.divide(gy[lo:hi], self.count, dtype=self.dtype), gx[lo:hi]),
                w.shape, gx.itemsize)
            return gx

        def piece(lo, hi):
            g = xp.divide(gy[lo:hi], self.count, dtype=self.dtype)
            gxs = gx[lo:hi]
            for o in w.offsets:
                _scatter(gxs, g, o, w)

        _by_pieces(piece, w.shape, gx.itemsize)
        return gx


def _avg_pool_backward_tiled(w, g, gx):
    """Average pooling's backward when the windows tile the input (``w.covering``, no
    padding): every
    input of a window gets that window's ``g`` (``gy / count``). ``g`` is repeated along the
    inner spatial axes (``numpy.repeat``), then copied into ``gx`` once per offset of the
    outermost axis as one broadcast copy, whose runs are whole rows: K strided passes of
    short runs (the channels) become a few long ones. The same numbers as the general loop;
    on LeNet's 2x2 pool of (64, 28, 28, 6) 0.13 ms against 0.28 ms (one thread, CPU time)."""
    first = 2 if w.channels_first else 1
    r = len(w.pool)
    for i in range(r - 1, 0, -1):
        if w.pool[i] > 1:
            g = xp.repeat(g, w.pool[i], axis=first + i)
    n0, k0 = w.out[0], w.pool[0]
    split = (*gx.shape[:first], n0, k0, *gx.shape[first + 1:])
    xp.copyto(gx.reshape(split), xp.expand_dims(g, first + 1))


class StochasticPool(Function):
    """Stochastic pooling (see the module docstring); ``stochastic_pool()`` calls this."""

    def __init__(self, windows, training):
        self.windows = windows
        self.training = training

    def forward(self, x):
        w = self.windows
        p = xp.maximum(x, 0)  # the sampling weights: non-negative activations
        total = _window_sum(p, w, x.dtype)  # S
        if self.training:
            return self._sample(p, total)
        q = _window_sum(p * p, w, x.dtype)  # Q
        y = xp.zeros(w.out_shape, dtype=x.dtype)
        xp.divide(q, total, out=y, where=total > 0)
        if self.needs_grad[0]:
            self.p, self.total, self.y = p, total, y
        return y

    def _sample(self, p, total):
        w = self.windows
        u_dtype = xp.float64 if p.dtype == xp.float64 else xp.float32
        threshold = noise_rng().random(w.out_shape, dtype=u_dtype).astype(p.dtype, copy=False)
        threshold *= total  # t = u * S <= S, and the running sum below ends exactly at S
        running = xp.zeros(w.out_shape, dtype=p.dtype)
        y = xp.zeros(w.out_shape, dtype=p.dtype)
        index_dtype = xp.int16 if len(w.offsets) < 2**15 else xp.int32
        chosen = xp.full(w.out_shape, -1, dtype=index_dtype)
        mask = xp.empty(w.out_shape, dtype=bool)
        for o in w.offsets:  # the same order of additions as total's, so the sums agree
            rd, md, cd, ps = running[o.dst], mask[o.dst], chosen[o.dst], p[o.src]
            xp.add(rd, ps, out=rd)
            xp.greater_equal(rd, threshold[o.dst], out=md)
            md &= ps > 0
            md &= cd < 0
            xp.copyto(y[o.dst], ps, where=md)
            xp.copyto(cd, o.number, where=md)
        if self.needs_grad[0]:
            self.chosen, self.dtype = chosen, p.dtype
        return y

    def backward(self, gy):
        w = self.windows
        if self.training:
            gy = gy.astype(self.dtype, copy=False)
            gx = w.gradient_buffer(self.dtype)
            g = xp.empty(w.out_shape, dtype=self.dtype)
            for o in w.offsets:
                gd = g[o.dst]
                xp.multiply(gy[o.dst], self.chosen[o.dst] == o.number, out=gd)
                _scatter(gx, g, o, w)
            return gx
        p, total, y = self.p, self.total, self.y
        scale = xp.zeros(w.out_shape, dtype=p.dtype)  # gy / S
        xp.divide(gy, total, out=scale, where=total > 0)
        gx = w.gradient_buffer(p.dtype)
        g = xp.empty(w.out_shape, dtype=p.dtype)
        for o in w.offsets:
            ps, gd = p[o.src], g[o.dst]
            xp.multiply(ps, 2, out=gd)
            xp.subtract(gd, y[o.dst], out=gd)
            xp.multiply(gd, scale[o.dst], out=gd)
            xp.multiply(gd, ps > 0, out=gd)
            _scatter(gx, g, o, w)
        return gx


class _GlobalPool(Function):
    def __init__(self, channels_first, keepdims):
        self.channels_first, self.keepdims = channels_first, keepdims

    def _flat(self, x):
        """(batch, P, channels) or (batch, channels, P) and the axis of P."""
        n = x.shape[0]
        if self.channels_first:
            return x.reshape(n, x.shape[1], -1), 2
        return x.reshape(n, -1, x.shape[-1]), 1

    def _shape_out(self, y, shape):
        if not self.keepdims:
            return y
        ones = (1,) * (len(shape) - 2)
        return y.reshape((shape[0], shape[1], *ones) if self.channels_first
                         else (shape[0], *ones, shape[-1]))


class GlobalMaxPool(_GlobalPool):
    """The maximum over all spatial positions; the gradient goes to the first maximum."""

    def forward(self, x):
        flat, axis = self._flat(x)
        self.shape, self.dtype = x.shape, x.dtype
        if self.needs_grad[0]:
            self.argmax = xp.expand_dims(xp.argmax(flat, axis=axis), axis)
            y = xp.take_along_axis(flat, self.argmax, axis=axis).squeeze(axis)
        else:
            y = xp.max(flat, axis=axis)
        return self._shape_out(y, x.shape)

    def backward(self, gy):
        n, axis = self.shape[0], 2 if self.channels_first else 1
        gy = gy.reshape(n, -1)  # (batch, channels)
        positions = math.prod(self.shape[2:] if self.channels_first else self.shape[1:-1])
        c = gy.shape[1]
        flat = (n, c, positions) if self.channels_first else (n, positions, c)
        gx = xp.zeros(flat, dtype=self.dtype)
        # one element per (sample, channel): output-sized, off the hot path
        xp.put_along_axis(gx, self.argmax, xp.expand_dims(gy, axis), axis=axis)
        return gx.reshape(self.shape)


class GlobalAvgPool(_GlobalPool):
    """The mean over all spatial positions."""

    def forward(self, x):
        flat, axis = self._flat(x)
        self.shape, self.dtype = x.shape, x.dtype
        self.positions = flat.shape[axis]
        y = xp.mean(flat, axis=axis, dtype=x.dtype)
        return self._shape_out(y, x.shape)

    def backward(self, gy):
        n = self.shape[0]
        g = xp.divide(gy.reshape(n, -1), self.positions, dtype=self.dtype)
        gx = xp.empty(self.shape, dtype=self.dtype)
        first = self.channels_first
        ones = (1,) * (len(self.shape) - 2)
        gx[...] = g.reshape((n, g.shape[1], *ones) if first else (n, *ones, g.shape[1]))
        return gx


# --- argument checking --------------------------------------------------------------------


def _float_tensor(x):
    x = as_tensor(x)
    if type(x.data) is not _on_device.ndarray and _on_device.other_library(x):
        return _on_device.float_tensor(x)
    if not xp.issubdtype(x.dtype, xp.floating):
        x = Tensor(x.data.astype(floatx()))
    return x


def _layout(r, channels_first):
    names = _SPATIAL_NAMES.get(r, "*spatial")
    return f"(batch, channels, {names})" if channels_first else f"(batch, {names}, channels)"


def _check(name, x, pool_size, strides, padding, data_format):
    """Validate and normalize the arguments of a windowed pool; return its ``_Windows``."""
    data_format = normalize_data_format(data_format)
    first = data_format == "channels_first"
    shape = tuple(x.shape)
    if isinstance(pool_size, numbers.Integral) and not isinstance(pool_size, bool):
        r = len(shape) - 2
        if r < 1:
            raise ValueError(
                f"{name} expects input of rank 3, 4 or 5 {_layout(None, first)}, "
                f"got shape {shape}"
            )
    else:
        try:
            r = len(pool_size)
        except TypeError:
            raise ValueError(
                f"{name}: pool_size must be an int or a tuple of ints, got {pool_size!r}"
            ) from None
        if len(shape) != r + 2:
            raise ValueError(
                f"{name} with pool_size {tuple(pool_size)} expects input of rank {r + 2} "
                f"{_layout(r, first)}, got shape {shape}"
            )
    pool = normalize_tuple(pool_size, r, "pool_size")
    strides = pool if strides is None else normalize_tuple(strides, r, "strides")
    value = str(padding).lower()
    if value not in ("valid", "same"):
        raise ValueError(f"{name}: padding must be 'valid' or 'same', got {padding!r}")
    spatial = shape[2:] if first else shape[1:-1]
    if value == "valid" and any(k > n for k, n in zip(pool, spatial)):
        raise ValueError(
            f"{name}: pool_size {pool} is larger than the input's spatial shape {spatial} "
            f"(input shape {shape}, {data_format}) with padding='valid'; use a smaller "
            "pool_size or padding='same'"
        )
    if value == "same" and any(n == 0 for n in spatial):
        raise ValueError(f"{name}: input of shape {shape} has an empty spatial axis")
    return _windows(shape, pool, strides, value, first)


# A model pools the same shapes on every step: the window geometry is computed once per
# (shape, pool, strides, padding, layout) and kept (read only after construction). Measured:
# ``_check`` 56 us a call when building ``_Windows`` each time, of LeNet's ~0.5 ms of fixed
# per-step cost in predict.
_WINDOWS_CACHE = {}
_WINDOWS_CACHE_SIZE = 256


def _windows(shape, pool, strides, padding, channels_first):
    key = (shape, pool, strides, padding, channels_first)
    windows = _WINDOWS_CACHE.get(key)
    if windows is None:
        if len(_WINDOWS_CACHE) >= _WINDOWS_CACHE_SIZE:
            _WINDOWS_CACHE.clear()
        windows = _WINDOWS_CACHE[key] = _Windows(shape, pool, strides, padding, channels_first)
    return windows


def _check_global(name, x, data_format):
    first = normalize_data_format(data_format) == "channels_first"
    if x.ndim < 3:
        raise ValueError(
            f"{name} expects input of rank 3, 4 or 5 {_layout(None, first)}, "
            f"got shape {tuple(x.shape)}"
        )
    return first


# --- what layers call ---------------------------------------------------------------------


def max_pool(x, pool_size, strides=None, padding="valid", data_format="channels_last") -> Tensor:
    """The maximum of each window, as Keras's ``MaxPoolingND``; see the module docstring.

    A tied maximum sends its gradient to one element, the first in window order (TensorFlow's
    rule). ``'same'`` padding never selects a padded position.
    """
    x = _float_tensor(x)
    return MaxPool(_check("max_pool", x, pool_size, strides, padding, data_format))(x)


def max_pool_of_relu(x, pool_size):
    """``max_pool(x, pool_size)`` (strides = pool, 'valid', channels last) of ``x``, the output
    of a ReLU fused into the op that made it, whose gradient mask this pooling applies
    (``MaxPool(relu_input=True)``): for ``functions.conv.conv_max_pool`` only."""
    x = _float_tensor(x)
    return MaxPool(_check("max_pool", x, pool_size, None, "valid", "channels_last"),
                   relu_input=True)(x)


def avg_pool(x, pool_size, strides=None, padding="valid", data_format="channels_last") -> Tensor:
    """The mean of each window, as Keras's ``AveragePoolingND``; with ``'same'`` padding a
    border window averages only its real inputs (TensorFlow's ``count_include_pad=False``)."""
    x = _float_tensor(x)
    return AvgPool(_check("avg_pool", x, pool_size, strides, padding, data_format))(x)


def stochastic_pool(x, pool_size, strides=None, padding="valid", data_format="channels_last",
                    training=True) -> Tensor:
    """Stochastic pooling (Zeiler & Fergus 2013), for non-negative activations (after a ReLU).

    ``training=True``: each window outputs one of its elements, drawn with probability
    ``a_i / sum(a)`` using ``npconv.backend.rng()``; an all-zero window outputs 0. The gradient
    flows to the sampled element only.

    ``training=False``: the probability-weighted average ``sum(a_i * a_i) / sum(a_i)`` (0 for
    an all-zero window), which is differentiable.

    Negative activations count as zero (never sampled, no weight). ``'same'`` padding adds
    nothing to a window.
    """
    x = _float_tensor(x)
    windows = _check("stochastic_pool", x, pool_size, strides, padding, data_format)
    return StochasticPool(windows, bool(training))(x)


def global_max_pool(x, data_format="channels_last", keepdims=False) -> Tensor:
    """The maximum over all spatial positions, per sample and channel, as Keras's
    ``GlobalMaxPoolingND``; a tied maximum sends its gradient to the first (row-major)."""
    x = _float_tensor(x)
    first = _check_global("global_max_pool", x, data_format)
    return GlobalMaxPool(first, bool(keepdims))(x)


def global_avg_pool(x, data_format="channels_last", keepdims=False) -> Tensor:
    """The mean over all spatial positions, per sample and channel, as Keras's
    ``GlobalAveragePoolingND``."""
    x = _float_tensor(x)
    first = _check_global("global_avg_pool", x, data_format)
    return GlobalAvgPool(first, bool(keepdims))(x)


# --- plain references (for tests) ---------------------------------------------------------


def _reference_views(x, windows, fill):
    """The padded input's strided view at every window offset, as differentiable Tensors."""
    pads = [(0, 0), (0, 0), *windows.pads] if windows.channels_first else [
        (0, 0), *windows.pads, (0, 0)]
    padded = A.pad(x, pads, value=fill)
    views = []
    for offset in itertools.product(*(range(k) for k in windows.pool)):
        spatial = tuple(
            slice(o, o + (m - 1) * s + 1, s)
            for o, m, s in zip(offset, windows.out, windows.strides)
        )
        views.append(padded[windows._index(spatial)])
    return views


def max_pool_reference(x, pool_size, strides=None, padding="valid",
                       data_format="channels_last") -> Tensor:
    """The same max pool from plain array ops: pad with ``-inf``, then a chain of elementwise
    maxima over the K strided views (``maximum`` sends a tie to its first operand, so a tied
    maximum's gradient reaches the first element in window order). Slow; for tests."""
    x = _float_tensor(x)
    windows = _check("max_pool_reference", x, pool_size, strides, padding, data_format)
    views = _reference_views(x, windows, -xp.inf)
    y = views[0]
    for v in views[1:]:
        y = A.maximum(y, v)
    return y


def avg_pool_reference(x, pool_size, strides=None, padding="valid",
                       data_format="channels_last") -> Tensor:
    """The same average pool from plain array ops: the sum of the K strided views of the
    zero-padded input, divided by the same sum computed on a zero-padded array of ones (the
    number of real inputs in each window). Slow; for tests."""
    x = _float_tensor(x)
    windows = _check("avg_pool_reference", x, pool_size, strides, padding, data_format)
    total = None
    for v in _reference_views(x, windows, 0.0):
        total = v if total is None else total + v
    count = None
    ones = Tensor(xp.ones(x.shape, dtype=x.dtype))
    for v in _reference_views(ones, windows, 0.0):
        count = v.data if count is None else count + v.data
    return total / Tensor(count)
