"""The CuPy backend's kernels: the generic entry points, made fast on an NVIDIA GPU.

- GEMMs through ``cupy.matmul`` (cuBLAS), on im2col patches made by a raw kernel; the input
  gradient's col2im is a raw *gather* kernel (deterministic, no atomics, as Chainer's
  ``col2im_gpu``). 1-D convolutions run as 2-D ones of height 1. With CuPy releases that still
  ship cuDNN (``cupy.cuda.cudnn``, removed in CuPy 14), 2-D convolutions go through cuDNN in
  its deterministic algorithms instead (``NPCONV_CUDNN=0`` turns that off).
- Max pooling keeps each window's argmax (int32 window offset), and its backward gathers.
- Dropout masks are drawn with ``cupy.random``, from a generator seeded by npconv's
  (``backend.noise_rng()``), so ``npconv.utils.set_random_seed`` repeats a GPU run too.
- Softmax cross-entropy: one fused raw kernel (max, log-sum-exp, loss and softmax in one pass)
  and one elementwise kernel for its gradient.

Everything else (average pooling, dense, batch normalization, 3-D convolutions, float16) runs
the generic array-API kernels on CuPy arrays. Every function checks that its arrays are CuPy
arrays on one device (a NumPy array in a CuPy op is an error naming both).
"""

from __future__ import annotations

import functools
import math
import os

import cupy
import numpy as np

from .. import generic
from ..selection import array_namespace, check_same_device
from . import sources

BLOCK = 256
MAX_GRID = 1 << 16  # blocks; the grid-stride loops cover the rest

_CTYPES = {np.dtype(np.float32): "float", np.dtype(np.float64): "double"}


def _check(name, *arrays):
    """The arrays must all be CuPy arrays on one device (errors name both sides)."""
    xp = array_namespace(*arrays)
    if getattr(xp, "__name__", "") != "npconv.backend.cupy.xp":
        raise TypeError(f"{name}: the CuPy backend needs CuPy arrays, got "
                        f"{[type(a).__name__ for a in arrays if a is not None]}")
    check_same_device(*arrays, name=name)


@functools.cache
def _raw(source, name, ctype, defines=()):
    head = f"typedef {ctype} T;\n" + "".join(f"#define {k} {v}\n" for k, v in defines)
    return cupy.RawKernel(head + source, name)


def _launch(kernel, total, args):
    grid = max(1, min((total + BLOCK - 1) // BLOCK, MAX_GRID))
    kernel((grid,), (BLOCK,), args)


def _ints(*values):
    return tuple(np.int32(v) for v in values)


def _fast(*arrays):
    """Whether the raw kernels serve these arrays (float32/float64)."""
    return all(a is None or a.dtype in _CTYPES for a in arrays)


# --- convolution ----------------------------------------------------------------------------


def _as_2d(x, kshape, strides, dilation, pads):
    """A 1-D problem as a 2-D one of height 1; 2-D as it is; None for 3-D (generic)."""
    if len(kshape) == 2:
        return x, tuple(kshape), tuple(strides), tuple(dilation), tuple(map(tuple, pads))
    if len(kshape) == 1:
        return (x[:, None], (1, kshape[0]), (1, strides[0]), (1, dilation[0]),
                ((0, 0), tuple(pads[0])))
    return None


def im2col(x, kshape, strides, dilation, pads):
    """``x`` ``(N, H, W, C)`` -> patches ``(N, OH, OW, KH, KW, C)`` (zeros where padded)."""
    n, h, w, c = x.shape
    (kh, kw), (sy, sx), (dy, dx) = kshape, strides, dilation
    (ph, ph2), (pw, pw2) = pads
    oh = (h + ph + ph2 - (kh - 1) * dy - 1) // sy + 1
    ow = (w + pw + pw2 - (kw - 1) * dx - 1) // sx + 1
    x = cupy.ascontiguousarray(x)
    cols = cupy.empty((n, oh, ow, kh, kw, c), dtype=x.dtype)
    kernel = _raw(sources.IM2COL, "im2col_nhwc", _CTYPES[x.dtype])
    _launch(kernel, cols.size, (x, cols, np.int64(cols.size),
                                *_ints(h, w, c, oh, ow, kh, kw, sy, sx, ph, pw, dy, dx)))
    return cols


def col2im(cols, x_shape, strides, dilation, pads):
    """The adjoint of ``im2col``: ``(N, OH, OW, KH, KW, C)`` -> ``(N, H, W, C)``, gathered."""
    n, h, w, c = x_shape
    _, oh, ow, kh, kw, _ = cols.shape
    (sy, sx), (dy, dx) = strides, dilation
    (ph, _), (pw, _) = pads
    cols = cupy.ascontiguousarray(cols)
    img = cupy.empty((n, h, w, c), dtype=cols.dtype)
    kernel = _raw(sources.COL2IM, "col2im_nhwc", _CTYPES[cols.dtype])
    _launch(kernel, img.size, (cols, img, np.int64(img.size),
                               *_ints(h, w, c, oh, ow, kh, kw, sy, sx, ph, pw, dy, dx)))
    return img


def _gemm_forward(cols, kernel, groups):
    """``(N, OH, OW, KH, KW, C)`` patches times Keras's kernel -> ``(N, OH, OW, F)``."""
    n, oh, ow, kh, kw, c = cols.shape
    f, m, k, cg = kernel.shape[-1], n * oh * ow, kh * kw, c // groups
    if groups == 1:
        y = cupy.matmul(cols.reshape(m, k * c), kernel.reshape(k * c, f))
        return y.reshape(n, oh, ow, f)
    a = cols.reshape(m, k, groups, cg).transpose(2, 0, 1, 3).reshape(groups, m, k * cg)
    w = kernel.reshape(k, cg, groups, f // groups).transpose(2, 0, 1, 3)
    y = cupy.matmul(a, w.reshape(groups, k * cg, f // groups))  # (G, M, Fg)
    return y.transpose(1, 0, 2).reshape(n, oh, ow, f)


def conv_forward(x, kernel, bias, strides, dilation, pads, groups=1):
    """See ``generic.conv_forward``; same arguments and result, on CuPy arrays."""
    _check("conv_forward", x, kernel, bias)
    kshape = kernel.shape[:-2]
    lifted = _as_2d(x, kshape, strides, dilation, pads) if _fast(x, kernel, bias) else None
    if lifted is None:
        return generic.conv_forward(x, kernel, bias, strides, dilation, pads, groups)
    x2, k2, s2, d2, p2 = lifted
    w2 = kernel.reshape(*k2, *kernel.shape[-2:])
    if _cudnn() is not None:
        y = _cudnn_forward(x2, w2, bias, s2, d2, p2, groups)
    else:
        y = _gemm_forward(im2col(x2, k2, s2, d2, p2), w2, groups)
        if bias is not None:
            y += bias
    return y.reshape(x.shape[0], *y.shape[1 + (len(kshape) == 1):])


def conv_backward(x, kernel, gy, strides, dilation, pads, groups=1, need_x=True,
                  need_kernel=True, need_bias=True):
    """See ``generic.conv_backward``; same arguments and results, on CuPy arrays."""
    _check("conv_backward", x, kernel, gy)
    kshape = kernel.shape[:-2]
    lifted = _as_2d(x, kshape, strides, dilation, pads) if _fast(x, kernel, gy) else None
    if lifted is None:
        return generic.conv_backward(x, kernel, gy, strides, dilation, pads, groups, need_x,
                                     need_kernel, need_bias)
    x2, k2, s2, d2, p2 = lifted
    w2 = kernel.reshape(*k2, *kernel.shape[-2:])
    gy2 = gy if len(kshape) == 2 else gy[:, None]
    gy2 = cupy.ascontiguousarray(gy2)
    g_bias = gy.sum(axis=tuple(range(gy.ndim - 1))) if need_bias else None
    if _cudnn() is not None:
        gx, gw = _cudnn_backward(x2, w2, gy2, s2, d2, p2, groups, need_x, need_kernel)
    else:
        gx, gw = _gemm_backward(x2, w2, gy2, s2, d2, p2, groups, need_x, need_kernel)
    gx = None if gx is None else gx.reshape(x.shape)
    gw = None if gw is None else gw.reshape(kernel.shape)
    return gx, gw, g_bias


def _gemm_backward(x, kernel, gy, strides, dilation, pads, groups, need_x, need_kernel):
    kh, kw, cg, f = kernel.shape
    n, oh, ow, _ = gy.shape
    m, k, fg = n * oh * ow, kh * kw, f // groups
    g = gy.reshape(m, groups, fg).transpose(1, 0, 2)  # (G, M, Fg)
    gx = gw = None
    if need_kernel:
        cols = im2col(x, (kh, kw), strides, dilation, pads)
        a = cols.reshape(m, k, groups, cg).transpose(2, 0, 1, 3).reshape(groups, m, k * cg)
        gwg = cupy.matmul(a.transpose(0, 2, 1), g)  # (G, K*Cg, Fg)
        gw = gwg.reshape(groups, k, cg, fg).transpose(1, 2, 0, 3).reshape(kh, kw, cg, f)
    if need_x:
        w = kernel.reshape(k, cg, groups, fg).transpose(2, 0, 1, 3).reshape(groups, k * cg, fg)
        gcols = cupy.matmul(g, w.transpose(0, 2, 1))  # (G, M, K*Cg)
        gcols = gcols.reshape(groups, n, oh, ow, k, cg).transpose(1, 2, 3, 4, 0, 5)
        gcols = gcols.reshape(n, oh, ow, kh, kw, groups * cg)
        gx = col2im(gcols, x.shape, strides, dilation, pads)
    return gx, gw


# --- cuDNN (CuPy 13 and earlier) ------------------------------------------------------------


@functools.cache
def _cudnn_module():
    if os.environ.get("NPCONV_CUDNN", "1") == "0":
        return None
    try:
        import cupy.cuda.cudnn  # noqa: F401
        import cupyx.cudnn
    except ImportError:  # CuPy 14 removed cuDNN; the im2col + cuBLAS path serves
        return None
    return cupyx.cudnn


def _cudnn():
    return _cudnn_module()


def _nchw_problem(x, kernel, pads):
    """cuDNN takes symmetric padding: pad x explicitly by the asymmetric part (TensorFlow's
    'same' puts an odd total's extra element at the end)."""
    sym = tuple(min(lo, hi) for lo, hi in pads)
    extra = [(0, 0)] + [(lo - s, hi - s) for (lo, hi), s in zip(pads, sym)] + [(0, 0)]
    if any(e != (0, 0) for e in extra):
        x = cupy.pad(x, extra)
    x = cupy.ascontiguousarray(x.transpose(0, 3, 1, 2))
    w = cupy.ascontiguousarray(kernel.transpose(3, 2, 0, 1))  # (F, Cg, KH, KW)
    return x, w, sym, extra


def _cudnn_forward(x, kernel, bias, strides, dilation, pads, groups):
    xc, w, sym, _ = _nchw_problem(x, kernel, pads)
    n, _, h, wd = xc.shape
    kh, kw = kernel.shape[:2]
    oh = (h + 2 * sym[0] - (kh - 1) * dilation[0] - 1) // strides[0] + 1
    ow = (wd + 2 * sym[1] - (kw - 1) * dilation[1] - 1) // strides[1] + 1
    y = cupy.empty((n, kernel.shape[-1], oh, ow), dtype=x.dtype)
    _cudnn().convolution_forward(xc, w, bias, y, sym, tuple(strides), tuple(dilation), groups,
                                 auto_tune=False, tensor_core="auto")
    return y.transpose(0, 2, 3, 1)


def _cudnn_backward(x, kernel, gy, strides, dilation, pads, groups, need_x, need_kernel):
    xc, w, sym, extra = _nchw_problem(x, kernel, pads)
    g = cupy.ascontiguousarray(gy.transpose(0, 3, 1, 2))
    cudnn = _cudnn()
    gx = gw = None
    if need_kernel:
        gwc = cupy.empty_like(w)
        cudnn.convolution_backward_filter(xc, g, gwc, sym, tuple(strides), tuple(dilation),
                                          groups, deterministic=True, auto_tune=False,
                                          tensor_core="auto")
        gw = gwc.transpose(2, 3, 1, 0)
    if need_x:
        gxc = cupy.empty_like(xc)
        cudnn.convolution_backward_data(w, g, None, gxc, sym, tuple(strides), tuple(dilation),
                                        groups, deterministic=True, auto_tune=False,
                                        tensor_core="auto")
        gx = gxc.transpose(0, 2, 3, 1)
        (_, _), (t, b), (lo, r), _ = extra
        gx = gx[:, t:gx.shape[1] - b, lo:gx.shape[2] - r]
    return gx, gw


# --- pooling --------------------------------------------------------------------------------


def _pool_2d(x_shape, pool, strides, pads):
    if len(pool) == 2:
        return tuple(x_shape), tuple(pool), tuple(strides), tuple(map(tuple, pads))
    if len(pool) == 1:
        n, length, c = x_shape
        return (n, 1, length, c), (1, pool[0]), (1, strides[0]), ((0, 0), tuple(pads[0]))
    return None


def max_pool_forward(x, pool, strides, pads):
    """See ``generic.max_pool_forward``; ``argmax`` is int32 here."""
    _check("max_pool_forward", x)
    lifted = _pool_2d(x.shape, pool, strides, pads) if _fast(x) else None
    if lifted is None:
        return generic.max_pool_forward(x, pool, strides, pads)
    (n, h, w, c), (kh, kw), (sy, sx), ((ph, ph2), (pw, pw2)) = lifted
    oh = (h + ph + ph2 - kh) // sy + 1
    ow = (w + pw + pw2 - kw) // sx + 1
    x = cupy.ascontiguousarray(x)
    y = cupy.empty((n, oh, ow, c), dtype=x.dtype)
    arg = cupy.empty((n, oh, ow, c), dtype=cupy.int32)
    _launch(_raw(sources.MAX_POOL, "max_pool_nhwc", _CTYPES[x.dtype]), y.size,
            (x, y, arg, np.int64(y.size), *_ints(h, w, c, oh, ow, kh, kw, sy, sx, ph, pw)))
    out_shape = (x.shape[0], *(y.shape[1:-1] if len(pool) == 2 else y.shape[2:-1]), c)
    return y.reshape(out_shape), arg.reshape(out_shape)


def max_pool_backward(gy, argmax, x_shape, pool, strides, pads):
    """See ``generic.max_pool_backward``."""
    _check("max_pool_backward", gy, argmax)
    lifted = _pool_2d(x_shape, pool, strides, pads) if _fast(gy) else None
    if lifted is None:
        return generic.max_pool_backward(gy, argmax, x_shape, pool, strides, pads)
    (n, h, w, c), (kh, kw), (sy, sx), ((ph, _), (pw, _)) = lifted
    gy2 = cupy.ascontiguousarray(gy)
    arg = cupy.ascontiguousarray(argmax, dtype=cupy.int32)
    oh, ow = (1, gy.shape[1]) if len(pool) == 1 else gy.shape[1:3]
    gx = cupy.empty((n, h, w, c), dtype=gy.dtype)
    _launch(_raw(sources.MAX_POOL_GRAD, "max_pool_grad_nhwc", _CTYPES[gy.dtype]), gx.size,
            (gy2, arg, gx, np.int64(gx.size), *_ints(h, w, c, oh, ow, kh, kw, sy, sx, ph, pw)))
    return gx.reshape(tuple(x_shape))


avg_pool_forward = generic.avg_pool_forward
avg_pool_backward = generic.avg_pool_backward

# --- dense, batch normalization: cuBLAS / elementwise through the generic kernels ------------

dense_forward = generic.dense_forward
dense_backward = generic.dense_backward
batch_norm_train_forward = generic.batch_norm_train_forward
batch_norm_train_backward = generic.batch_norm_train_backward
batch_norm_inference_forward = generic.batch_norm_inference_forward
batch_norm_inference_backward = generic.batch_norm_inference_backward
one_hot = generic.one_hot

# --- dropout --------------------------------------------------------------------------------

_generators: dict = {}


def _generator(seed):
    """A ``cupy.random`` generator: seeded by ``seed`` (an int: the same mask every call, as a
    Keras integer seed), else one per npconv noise generator, seeded from it, so
    ``set_random_seed`` makes the GPU's masks repeat."""
    if seed is not None:
        return cupy.random.default_rng(int(seed))
    from .. import noise_rng

    host = noise_rng()
    gen = _generators.get(id(host))
    if gen is None or gen[0] is not host:
        _generators.clear()
        gen = (host, cupy.random.default_rng(int(host.integers(1 << 62))))
        _generators[id(host)] = gen
    return gen[1]


@functools.cache
def _mask_kernel():
    return cupy.ElementwiseKernel("T u, T rate, T scale", "T m", "m = u >= rate ? scale : (T)0",
                                  "npconv_dropout_mask")


def dropout_mask(like, shape, rate, seed=None):
    """A mask of ``shape`` on ``like``'s device and dtype: 0 with probability ``rate``, else
    ``1 / (1 - rate)``, drawn on the GPU."""
    _check("dropout_mask", like)
    dtype = like.dtype if like.dtype in _CTYPES else np.dtype(np.float32)
    with like.device:
        u = _generator(seed).random(tuple(shape), dtype=dtype)
        mask = _mask_kernel()(u, dtype.type(rate), dtype.type(1.0 / (1.0 - rate)))
    return mask.astype(like.dtype, copy=False)


def dropout_forward(x, mask):
    _check("dropout_forward", x, mask)
    return x * mask


def dropout_backward(gy, mask):
    _check("dropout_backward", gy, mask)
    return gy * mask


# --- softmax cross-entropy ------------------------------------------------------------------


def _softmax_ce(z, target, sparse):
    rows = math.prod(z.shape[:-1])
    c = z.shape[-1]
    z = cupy.ascontiguousarray(z)
    loss = cupy.empty(z.shape[:-1], dtype=z.dtype)
    p = cupy.empty_like(z)
    kernel = _raw(sources.SOFTMAX_CE, "softmax_ce_rows", _CTYPES[z.dtype],
                  (("SPARSE", int(sparse)),))
    _launch(kernel, rows, (z, target, loss, p, np.int64(rows), np.int32(c)))
    return loss, p


def softmax_cross_entropy_forward(z, t):
    """See ``generic.softmax_cross_entropy_forward``: one fused kernel."""
    _check("softmax_cross_entropy_forward", z, t)
    if not _fast(z) or z.shape[-1] == 0:
        return generic.softmax_cross_entropy_forward(z, t)
    return _softmax_ce(z, cupy.ascontiguousarray(t, dtype=z.dtype), sparse=False)


def sparse_softmax_cross_entropy_forward(z, labels):
    """See ``generic.sparse_softmax_cross_entropy_forward``: one fused kernel."""
    _check("sparse_softmax_cross_entropy_forward", z, labels)
    if not _fast(z) or z.shape[-1] == 0:
        return generic.sparse_softmax_cross_entropy_forward(z, labels)
    return _softmax_ce(z, cupy.ascontiguousarray(labels, dtype=cupy.int32), sparse=True)


@functools.cache
def _ce_grad_kernels():
    dense = cupy.ElementwiseKernel("T p, T t, T ts, T gy", "T g", "g = (p * ts - t) * gy",
                                   "npconv_softmax_ce_grad")
    sparse = cupy.ElementwiseKernel(
        "T p, int32 label, T gy, int32 classes", "T g",
        "g = (p - ((int)(i % classes) == label ? (T)1 : (T)0)) * gy",
        "npconv_sparse_softmax_ce_grad")
    return dense, sparse


def softmax_cross_entropy_backward(p, t, gy):
    """``(p * sum(t) - t) * gy`` in one elementwise kernel."""
    _check("softmax_cross_entropy_backward", p, t, gy)
    dense, _ = _ce_grad_kernels()
    return dense(p, t, t.sum(axis=-1, keepdims=True), gy[..., None])


def sparse_softmax_cross_entropy_backward(p, labels, gy):
    """``(p - one_hot(labels)) * gy`` in one elementwise kernel (``p`` C-contiguous, as the
    forward made it, so ``i % classes`` is the class)."""
    _check("sparse_softmax_cross_entropy_backward", p, labels, gy)
    _, sparse = _ce_grad_kernels()
    p = cupy.ascontiguousarray(p)
    label = labels.astype(cupy.int32, copy=False)[..., None]
    return sparse(p, label, gy[..., None], np.int32(p.shape[-1]))
