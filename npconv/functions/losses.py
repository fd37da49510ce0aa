"""Loss functions with gradients: one fused ``Function`` per loss, Keras 3's formulas.

Every loss returns one value per sample — reduced over the class / last axis like Keras's loss
*functions* (``keras.losses.categorical_crossentropy``), never over the batch: the ``Loss``
objects and the training loop do that. The gradient flows to ``y_pred`` (or the logits);
``y_true`` is a constant held by the op, never part of the graph. Results keep ``y_pred``'s
float dtype.

Formulas (Keras 3, ``keras/src/losses/losses.py`` and ``keras/src/backend/numpy/nn.py``):

- ``categorical_crossentropy`` on probabilities renormalizes ``y_pred /= sum(y_pred, axis)``,
  clips it to ``[eps, 1 - eps]`` (``eps = backend.epsilon() = 1e-7``) and returns
  ``-sum(y_true * log(y_pred), axis)``. The clip's gradient is zero outside the interval, as
  TensorFlow's ``clip_by_value``. ``label_smoothing`` ``s`` replaces ``y_true`` by
  ``y_true * (1 - s) + s / num_classes`` (Keras counts classes on the last axis; we count them
  on ``axis``, the same for the default ``axis=-1``).
- With ``from_logits=True`` it is the fused ``softmax_cross_entropy``: log-sum-exp forward and
  backward ``(softmax(z) * sum(y_true) - y_true) * upstream`` — ``softmax(z) - y_true`` for
  targets that sum to 1 (TensorFlow's kernel always uses ``softmax - y``, which is the gradient
  only for such targets; ours is the exact one for any target).
- ``sparse_categorical_crossentropy`` is the same with integer labels (shape ``y_pred.shape``
  without the class axis; a trailing axis of size 1 is squeezed, as Keras does). On
  probabilities we follow Keras's NumPy/JAX backends (renormalize, then clip);
  Keras's TensorFlow backend clips first and renormalizes after, which differs only for
  unnormalized or clipped inputs.
- ``binary_crossentropy`` on probabilities clips ``y_pred`` to ``[eps, 1 - eps]`` and averages
  ``-(y log p + (1 - y) log(1 - p))`` over ``axis``; ``label_smoothing`` ``s`` squeezes targets
  toward 0.5: ``y (1 - s) + 0.5 s``. From logits it uses the stable
  ``max(z, 0) - z y + log1p(exp(-|z|))`` (TensorFlow's ``sigmoid_cross_entropy_with_logits``;
  Keras's NumPy backend instead clips ``sigmoid(z)``, which only matters for |z| > 16).
- ``mean_squared_error``, ``mean_absolute_error``, ``huber`` (``0.5 e^2`` for ``|e| <= delta``,
  else ``delta |e| - 0.5 delta^2``, with ``e = y_pred - y_true``) average over the last axis.
  As Keras's loss wrapper does, ``y_true`` of shape ``(n,)`` meets ``y_pred`` of shape
  ``(n, 1)`` (and ranks that differ by one trailing axis of size 1 are reconciled).

A mismatch of shapes raises ``ValueError`` naming both.
"""

from __future__ import annotations

import math

from ..autograd import Function, Tensor, as_tensor
from ..backend import epsilon, floatx, xp

__all__ = [
    "categorical_crossentropy",
    "sparse_categorical_crossentropy",
    "binary_crossentropy",
    "mean_squared_error",
    "mean_absolute_error",
    "huber",
    "softmax_cross_entropy",
    "sparse_softmax_cross_entropy",
    "sigmoid_binary_crossentropy",
]


# --------------------------------------------------------------------------------------------
# argument handling


def _pred(y_pred):
    """``y_pred`` as a Tensor of a float dtype (integers are cast to ``floatx()``)."""
    t = as_tensor(y_pred)
    if not xp.issubdtype(t.dtype, xp.floating):
        t = Tensor(t.data.astype(floatx()))
    if t.ndim < 1:
        raise ValueError(f"y_pred must have rank >= 1, got a scalar of shape {t.shape}")
    return t


def _true(y_true, dtype):
    data = y_true.data if isinstance(y_true, Tensor) else xp.asarray(y_true)
    return data.astype(dtype, copy=False)


def _same_shape(name, t, p):
    if t.shape != p.shape:
        raise ValueError(
            f"{name}: y_true and y_pred must have the same shape, got y_true of shape "
            f"{t.shape} and y_pred of shape {p.shape}"
        )


def _work_shape(name, t, p_shape):
    """Keras's ``squeeze_or_expand_to_same_rank``: when the ranks differ by one trailing axis
    of size 1, ``(n,)`` against ``(n, 1)`` is computed in ``(n, 1)`` and any higher rank drops
    that axis. Returns the shape both are computed in and ``y_true`` reshaped to it."""
    p_shape, ts = tuple(p_shape), tuple(t.shape)
    if len(ts) == len(p_shape) + 1 and ts[-1] == 1:
        p_w, t_w = ((*p_shape, 1), ts) if len(p_shape) == 1 else (p_shape, ts[:-1])
    elif len(p_shape) == len(ts) + 1 and p_shape[-1] == 1:
        p_w, t_w = (p_shape, (*ts, 1)) if len(ts) == 1 else (p_shape[:-1], ts)
    else:
        p_w, t_w = p_shape, ts
    if p_w != t_w:
        raise ValueError(
            f"{name}: y_true and y_pred must have the same shape, got y_true of shape "
            f"{ts} and y_pred of shape {p_shape}"
        )
    return p_w, t.reshape(p_w)


def _axis(axis, ndim, name):
    if isinstance(axis, bool) or not hasattr(axis, "__index__"):
        raise ValueError(f"{name}: axis must be an int, got {axis!r}")
    axis = int(axis)
    if not -ndim <= axis < ndim:
        raise ValueError(f"{name}: axis {axis} is out of range for y_pred of rank {ndim}")
    return axis % ndim


def _eps_bounds(dtype):
    eps = epsilon()
    return xp.asarray(eps, dtype=dtype), xp.asarray(1.0 - eps, dtype=dtype)


def _labels(name, labels, p_shape, axis):
    """Integer labels of shape ``p_shape`` without ``axis``, checked against the class count."""
    lab = labels.data if isinstance(labels, Tensor) else xp.asarray(labels)
    given = lab.shape
    want = tuple(n for i, n in enumerate(p_shape) if i != axis)
    if lab.ndim == len(p_shape) and lab.shape[-1] == 1:
        lab = lab.reshape(lab.shape[:-1])
    if tuple(lab.shape) != want:
        raise ValueError(
            f"{name}: integer labels must have shape {want} (y_pred's shape {tuple(p_shape)} "
            f"without the class axis {axis}), got y_true of shape {given}"
        )
    if not xp.issubdtype(lab.dtype, xp.integer):
        lab = lab.astype(xp.int64)
    n = p_shape[axis]
    if lab.size and (lab.min() < 0 or lab.max() >= n):
        bad = lab.min() if lab.min() < 0 else lab.max()
        raise ValueError(f"{name}: label {int(bad)} is out of range for {n} classes [0, {n})")
    return lab


def _expand(gy, axis):
    return xp.expand_dims(gy, axis)


# --------------------------------------------------------------------------------------------
# categorical


class CategoricalCrossentropy(Function):
    """``-sum(y_true * log(clip(p / sum(p), eps, 1 - eps)), axis)``; input: probabilities."""

    def __init__(self, y_true, axis):
        self.t, self.axis = y_true, axis

    def forward(self, p):
        t, axis = self.t, self.axis
        lo, hi = _eps_bounds(p.dtype)
        s = p.sum(axis=axis, keepdims=True)
        q = p / s
        qc = xp.clip(q, lo, hi)
        loss = xp.log(qc)
        loss *= t
        loss = -loss.sum(axis=axis)
        if self.needs_grad[0]:
            self.s, self.q, self.qc = s, q, qc
        return loss

    def backward(self, gy):
        t, axis, q, qc = self.t, self.axis, self.q, self.qc
        lo, hi = _eps_bounds(q.dtype)
        # through the log and the clip...
        gq = -t / qc
        gq *= (q >= lo) & (q <= hi)
        gq *= _expand(gy, axis)
        # ... and the renormalization q = p / s: dq_i/dp_j = (delta_ij - q_i) / s
        gp = gq - (gq * q).sum(axis=axis, keepdims=True)
        gp /= self.s
        return gp


class SoftmaxCrossEntropy(Function):
    """``-sum(y_true * log_softmax(z), axis)`` by log-sum-exp; input: logits."""

    def __init__(self, y_true, axis):
        self.t, self.axis = y_true, axis

    def forward(self, z):
        t, axis = self.t, self.axis
        zs = z - z.max(axis=axis, keepdims=True)
        e = xp.exp(zs)
        s = e.sum(axis=axis, keepdims=True)
        # loss = sum(t * (lse - zs)) with lse = log(sum(exp(zs)))
        xp.subtract(xp.log(s), zs, out=zs)
        zs *= t
        loss = zs.sum(axis=axis)
        if self.needs_grad[0]:
            e /= s
            self.p = e
        return loss

    def backward(self, gy):
        t, axis = self.t, self.axis
        g = self.p * t.sum(axis=axis, keepdims=True)
        g -= t
        g *= _expand(gy, axis)
        return g


class SparseSoftmaxCrossEntropy(Function):
    """``log(sum(exp(z))) - z[label]`` along the last axis; input: logits."""

    def __init__(self, labels):
        self.labels = labels[..., None]

    def forward(self, z):
        zs = z - z.max(axis=-1, keepdims=True)
        e = xp.exp(zs)
        s = e.sum(axis=-1, keepdims=True)
        picked = xp.take_along_axis(zs, self.labels, axis=-1)
        loss = (xp.log(s) - picked)[..., 0]
        if self.needs_grad[0]:
            e /= s
            self.p = e
        return loss

    def backward(self, gy):
        g = gy[..., None]
        gz = self.p * g
        at = xp.take_along_axis(gz, self.labels, axis=-1)
        at -= g
        xp.put_along_axis(gz, self.labels, at, axis=-1)
        return gz


class SparseCategoricalCrossentropy(Function):
    """``-log(clip(p[label] / sum(p), eps, 1 - eps))`` along the last axis; input:
    probabilities."""

    def __init__(self, labels):
        self.labels = labels[..., None]

    def forward(self, p):
        lo, hi = _eps_bounds(p.dtype)
        s = p.sum(axis=-1, keepdims=True)
        ql = xp.take_along_axis(p, self.labels, axis=-1)
        ql /= s
        qc = xp.clip(ql, lo, hi)
        loss = -xp.log(qc)[..., 0]
        if self.needs_grad[0]:
            self.p, self.s, self.ql, self.qc = p, s, ql, qc
        return loss

    def backward(self, gy):
        lo, hi = _eps_bounds(self.ql.dtype)
        ql, s = self.ql, self.s
        # gradient w.r.t. q at the label only, then through q = p / s
        c = -gy[..., None] / self.qc
        c *= (ql >= lo) & (ql <= hi)
        c /= s
        gp = xp.empty_like(self.p)
        gp[...] = -c * ql
        at = xp.take_along_axis(gp, self.labels, axis=-1)
        at += c
        xp.put_along_axis(gp, self.labels, at, axis=-1)
        return gp


def softmax_cross_entropy(logits, y_true, axis=-1):
    """Fused softmax + categorical cross-entropy per sample; ``y_true`` one-hot or soft targets
    of ``logits``'s shape. Backward: ``(softmax(logits) - y_true) * upstream`` (scaled by
    ``sum(y_true)`` for targets that do not sum to 1)."""
    z = _pred(logits)
    t = _true(y_true, z.dtype)
    _same_shape("softmax_cross_entropy", t, z)
    return SoftmaxCrossEntropy(t, _axis(axis, z.ndim, "softmax_cross_entropy"))(z)


def sparse_softmax_cross_entropy(logits, labels, axis=-1):
    """Fused softmax + cross-entropy with integer labels (``logits.shape`` without ``axis``).
    Backward: ``(softmax(logits) - one_hot(labels)) * upstream``."""
    z = _pred(logits)
    axis = _axis(axis, z.ndim, "sparse_softmax_cross_entropy")
    lab = _labels("sparse_softmax_cross_entropy", labels, z.shape, axis)
    if axis != z.ndim - 1:
        from . import array

        moved = array.transpose(z, _to_last(z.ndim, axis))
        return SparseSoftmaxCrossEntropy(lab)(moved)
    return SparseSoftmaxCrossEntropy(lab)(z)


def _to_last(ndim, axis):
    return tuple(i for i in range(ndim) if i != axis) + (axis,)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Keras's ``categorical_crossentropy``: one value per sample (``y_pred.shape`` without
    ``axis``). See the module docstring for the exact formula and its clipping."""
    name = "categorical_crossentropy"
    p = _pred(y_pred)
    t = _true(y_true, p.dtype)
    _same_shape(name, t, p)
    axis = _axis(axis, p.ndim, name)
    if label_smoothing:
        s = float(label_smoothing)
        t = t * (1.0 - s) + s / p.shape[axis]
    if from_logits:
        return SoftmaxCrossEntropy(t, axis)(p)
    return CategoricalCrossentropy(t, axis)(p)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, axis=-1):
    """Keras's ``sparse_categorical_crossentropy``: integer labels ``y_true`` of
    ``y_pred.shape`` without ``axis`` (or with a trailing axis of size 1)."""
    name = "sparse_categorical_crossentropy"
    p = _pred(y_pred)
    axis = _axis(axis, p.ndim, name)
    lab = _labels(name, y_true, p.shape, axis)
    if axis != p.ndim - 1:
        from . import array

        p = array.transpose(p, _to_last(p.ndim, axis))
    if from_logits:
        return SparseSoftmaxCrossEntropy(lab)(p)
    return SparseCategoricalCrossentropy(lab)(p)


# --------------------------------------------------------------------------------------------
# binary and regression losses: element-wise, then a mean over the last axis


class _Elementwise(Function):
    """Base of the losses that are a mean over ``axis`` of an element-wise term. ``y_pred`` is
    viewed in ``work`` shape (see ``_work_shape``); its gradient goes back to its own shape."""

    def __init__(self, y_true, work, axis=-1):
        self.t, self.work, self.axis = y_true, work, axis

    def forward(self, p):
        self.in_shape = p.shape
        pv = p.reshape(self.work)
        self.n = pv.shape[self.axis]
        return self.term(pv).mean(axis=self.axis)

    def backward(self, gy):
        g = self.dterm()
        g *= _expand(gy, self.axis)
        g *= 1.0 / self.n
        return g.reshape(self.in_shape)


class BinaryCrossentropy(_Elementwise):
    def term(self, p):
        t = self.t
        lo, hi = _eps_bounds(p.dtype)
        pc = xp.clip(p, lo, hi)
        out = xp.log(pc)
        out *= t
        rest = xp.log(1 - pc)  # as Keras writes it (not log1p(-pc))
        rest *= 1 - t
        out += rest
        xp.negative(out, out=out)
        if self.needs_grad[0]:
            self.p, self.pc = p, pc
        return out

    def dterm(self):
        t, p, pc = self.t, self.p, self.pc
        lo, hi = _eps_bounds(p.dtype)
        g = (1 - t) / (1 - pc)
        g -= t / pc
        g *= (p >= lo) & (p <= hi)
        return g


class SigmoidBinaryCrossentropy(_Elementwise):
    def term(self, z):
        t = self.t
        out = xp.abs(z)
        xp.negative(out, out=out)
        xp.exp(out, out=out)
        xp.log1p(out, out=out)
        out += xp.maximum(z, 0)
        out -= z * t
        if self.needs_grad[0]:
            self.z = z
        return out

    def dterm(self):
        from .activations import _sigmoid

        g = _sigmoid(self.z)
        g -= self.t
        return g


class MeanSquaredError(_Elementwise):
    def term(self, p):
        d = p - self.t
        if self.needs_grad[0]:
            self.d = d
        return d * d

    def dterm(self):
        return 2 * self.d


class MeanAbsoluteError(_Elementwise):
    def term(self, p):
        d = p - self.t
        if self.needs_grad[0]:
            self.d = d
        return xp.abs(d)

    def dterm(self):
        return xp.sign(self.d)


class Huber(_Elementwise):
    def __init__(self, y_true, work, delta):
        super().__init__(y_true, work)
        self.delta = float(delta)

    def term(self, p):
        delta = self.delta
        e = p - self.t
        a = xp.abs(e)
        quad = a <= delta
        out = xp.where(quad, 0.5 * e * e, delta * a - 0.5 * delta * delta)
        if self.needs_grad[0]:
            self.e, self.quad = e, quad
        return out.astype(p.dtype, copy=False)

    def dterm(self):
        e = self.e
        return xp.where(self.quad, e, self.delta * xp.sign(e)).astype(e.dtype, copy=False)


def _elementwise(cls, name, y_true, y_pred, *args, **kwargs):
    p = _pred(y_pred)
    t = _true(y_true, p.dtype)
    work, t = _work_shape(name, t, p.shape)
    return cls(t, work, *args, **kwargs)(p)


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Keras's ``binary_crossentropy``: the mean over ``axis`` of the element-wise binary
    cross-entropy, with ``y_pred`` clipped to ``[eps, 1 - eps]`` (probabilities) or the stable
    logits form."""
    name = "binary_crossentropy"
    p = _pred(y_pred)
    t = _true(y_true, p.dtype)
    work, t = _work_shape(name, t, p.shape)
    axis = _axis(axis, len(work), name)
    if label_smoothing:
        s = float(label_smoothing)
        t = t * (1.0 - s) + 0.5 * s
    cls = SigmoidBinaryCrossentropy if from_logits else BinaryCrossentropy
    return cls(t, work, axis)(p)


def sigmoid_binary_crossentropy(logits, y_true, axis=-1):
    """Fused sigmoid + binary cross-entropy (mean over ``axis``); backward
    ``(sigmoid(z) - y) / n * upstream``."""
    return binary_crossentropy(y_true, logits, from_logits=True, axis=axis)


def mean_squared_error(y_true, y_pred):
    """``mean((y_true - y_pred) ** 2, axis=-1)``."""
    return _elementwise(MeanSquaredError, "mean_squared_error", y_true, y_pred)


def mean_absolute_error(y_true, y_pred):
    """``mean(abs(y_true - y_pred), axis=-1)``; the gradient at a zero error is 0."""
    return _elementwise(MeanAbsoluteError, "mean_absolute_error", y_true, y_pred)


def huber(y_true, y_pred, delta=1.0):
    """Keras's Huber loss, averaged over the last axis."""
    if not delta > 0 or not math.isfinite(delta):
        raise ValueError(f"huber: delta must be a positive number, got {delta!r}")
    return _elementwise(Huber, "huber", y_true, y_pred, delta)


mse = mean_squared_error
mae = mean_absolute_error
