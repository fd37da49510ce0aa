"""im2col and col2im in the Python array API standard: slicing, stacking, concatenation.

Shapes (channels last, ``r`` spatial axes, ``K = prod(window)`` offsets in row-major order):

- ``windows(x, window, strides, dilation, pads, fill)``: ``x`` ``(N, *spatial, C)`` ->
  ``(N, *out, K, C)``, entry ``[n, i, k, c] = padded_x[n, i * strides + offset_k * dilation, c]``.
- ``add_windows(cols, spatial, window, strides, dilation, pads)``: the adjoint, ``(N, *out, K,
  C)`` -> ``(N, *spatial, C)``, each window's values added back where they were read from.

No ``as_strided``, no ``out=``, no in-place writes (the standard promises none of them on every
library): padding is a concatenation of constant blocks, each offset's view is one strided
slice, and col2im places each offset's slab into the padded grid by interleaving ``stride - 1``
zero rows (stack + reshape) and padding the ends, then sums the ``K`` placed slabs. So the
backward is deterministic and adds in a fixed order on every device.
"""

from __future__ import annotations

import itertools

from ..selection import array_namespace


def offsets(window):
    """The window's offsets in row-major order (the order of the ``K`` axis)."""
    return list(itertools.product(*(range(k) for k in window)))


def out_shape(spatial, window, strides, dilation, pads):
    """Output length per spatial axis of a window op on the padded input."""
    return tuple(
        (n + lo + hi - ((k - 1) * d + 1)) // s + 1
        for n, k, s, d, (lo, hi) in zip(spatial, window, strides, dilation, pads)
    )


def pad(x, pads, fill=0.0):
    """``x`` ``(N, *spatial, C)`` with ``pads[i] = (before, after)`` entries of ``fill`` around
    spatial axis ``i``, built by concatenation."""
    xp = array_namespace(x)
    for axis, (lo, hi) in enumerate(pads, start=1):
        parts = []
        for width in (lo, hi):
            shape = list(x.shape)
            shape[axis] = width
            parts.append(xp.full(tuple(shape), fill, dtype=x.dtype, device=x.device)
                         if width else None)
        if parts[0] is None and parts[1] is None:
            continue
        x = xp.concat([p for p in (parts[0], x, parts[1]) if p is not None], axis=axis)
    return x


def windows(x, window, strides, dilation, pads, fill=0.0):
    """im2col: every window of the (``fill``-)padded ``x``, stacked on a new axis ``-2``."""
    xp = array_namespace(x)
    out = out_shape(x.shape[1:-1], window, strides, dilation, pads)
    padded = pad(x, pads, fill)
    views = []
    for offset in offsets(window):
        index = tuple(
            slice(o * d, o * d + (m - 1) * s + 1, s)
            for o, d, m, s in zip(offset, dilation, out, strides)
        )
        views.append(padded[(slice(None), *index, slice(None))])
    return xp.stack(views, axis=-2)


def _spread(a, axis, stride):
    """Insert ``stride - 1`` zeros after every entry along ``axis`` (dropping the trailing
    ones): the placement of a strided slice's values in the full grid."""
    if stride == 1:
        return a
    xp = array_namespace(a)
    n = a.shape[axis]
    zeros = xp.zeros(a.shape, dtype=a.dtype, device=a.device)
    stacked = xp.stack([a] + [zeros] * (stride - 1), axis=axis + 1)
    shape = a.shape[:axis] + (n * stride,) + a.shape[axis + 1:]
    full = xp.reshape(stacked, shape)
    index = [slice(None)] * a.ndim
    index[axis] = slice(0, (n - 1) * stride + 1)
    return full[tuple(index)]


def add_windows(cols, spatial, window, strides, dilation, pads):
    """col2im: the sum, at each input position, of the ``cols`` entries read from it."""
    out = cols.shape[1:-2]
    padded = [n + lo + hi for n, (lo, hi) in zip(spatial, pads)]
    total = None
    for k, offset in enumerate(offsets(window)):
        slab = cols[..., k, :]  # (N, *out, C)
        placement = []
        for axis, (o, d, m, s, p) in enumerate(zip(offset, dilation, out, strides, padded),
                                               start=1):
            slab = _spread(slab, axis, s)
            start = o * d
            placement.append((start, p - start - ((m - 1) * s + 1)))
        slab = pad(slab, placement)
        total = slab if total is None else total + slab
    index = tuple(slice(lo, lo + n) for n, (lo, _) in zip(spatial, pads))
    return total[(slice(None), *index, slice(None))]
