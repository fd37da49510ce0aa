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
from . import _on_device

__all__ = [
    "categorical_crossentropy",
    "sparse_categorical_crossentropy",
    "binary_crossentropy",
    "mean_squared_error",
    "mean_absolute_error",
    "huber",
    "kl_divergence",
    "poisson",
    "log_cosh",
    "hinge",
    "squared_hinge",
    "categorical_hinge",
    "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error",
    "cosine_similarity",
    "binary_focal_crossentropy",
    "categorical_focal_crossentropy",
    "dice",
    "tversky",
    "categorical_generalized_cross_entropy",
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
    if _on_device.other_library(logits):  # CuPy, array API: the backend's fused kernel
        return _on_device.softmax_cross_entropy(logits, y_true, axis)
    z = _pred(logits)
    t = _true(y_true, z.dtype)
    _same_shape("softmax_cross_entropy", t, z)
    return SoftmaxCrossEntropy(t, _axis(axis, z.ndim, "softmax_cross_entropy"))(z)


def sparse_softmax_cross_entropy(logits, labels, axis=-1):
    """Fused softmax + cross-entropy with integer labels (``logits.shape`` without ``axis``).
    Backward: ``(softmax(logits) - one_hot(labels)) * upstream``."""
    if _on_device.other_library(logits):
        return _on_device.sparse_softmax_cross_entropy(logits, labels, axis)
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
    if from_logits and _on_device.other_library(y_pred):
        return _on_device.softmax_cross_entropy(y_pred, y_true, axis, label_smoothing)
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
    if from_logits and _on_device.other_library(y_pred):
        return _on_device.sparse_softmax_cross_entropy(y_pred, y_true, axis)
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

    #: ``"mean"`` over ``axis`` (most losses) or ``"sum"`` (``kl_divergence``)
    reduce = "mean"

    def __init__(self, y_true, work, axis=-1):
        self.t, self.work, self.axis = y_true, work, axis

    def forward(self, p):
        self.in_shape = p.shape
        pv = p.reshape(self.work)
        self.n = pv.shape[self.axis] if self.reduce == "mean" else 1
        out = self.term(pv).sum(axis=self.axis)
        if self.n != 1:
            out /= self.n
        return out

    def backward(self, gy):
        g = self.dterm()
        g *= _expand(gy, self.axis)
        if self.n != 1:
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



# --------------------------------------------------------------------------------------------
# Keras 3's other losses. Element-wise ones reuse ``_Elementwise``; ``y_true`` is a constant, so
# what Keras clips or converts in ``y_true`` is done once, before the op.


class KLDivergence(_Elementwise):
    """``sum(t * log(t / p))`` with ``t``, ``p`` clipped to ``[eps, 1]``."""

    reduce = "sum"

    def term(self, p):
        lo = xp.asarray(epsilon(), dtype=p.dtype)
        pc = xp.clip(p, lo, 1)
        out = self.t / pc
        xp.log(out, out=out)
        out *= self.t
        if self.needs_grad[0]:
            self.p, self.pc = p, pc
        return out

    def dterm(self):
        lo = xp.asarray(epsilon(), dtype=self.p.dtype)
        g = -self.t / self.pc
        g *= (self.p >= lo) & (self.p <= 1)
        return g


class Poisson(_Elementwise):
    """``p - t * log(p + eps)``."""

    def term(self, p):
        pe = p + xp.asarray(epsilon(), dtype=p.dtype)
        if self.needs_grad[0]:
            self.pe = pe
        return p - self.t * xp.log(pe)

    def dterm(self):
        return 1 - self.t / self.pe


class LogCosh(_Elementwise):
    """``log(cosh(e))`` with ``e = p - t``, as Keras writes it: ``e + softplus(-2 e) - log 2``
    (no overflow for large ``|e|``). Its derivative is ``tanh(e)``."""

    def term(self, p):
        e = p - self.t
        m = -2 * e
        # softplus(m) = max(m, 0) + log1p(exp(-|m|))
        out = xp.log1p(xp.exp(-xp.abs(m)))
        out += xp.maximum(m, 0)
        out += e
        out -= xp.asarray(math.log(2.0), dtype=p.dtype)
        if self.needs_grad[0]:
            self.e = e
        return out

    def dterm(self):
        return xp.tanh(self.e)


class Hinge(_Elementwise):
    """``max(1 - t p, 0)`` with ``t`` in {-1, 1}."""

    def term(self, p):
        m = 1 - self.t * p
        if self.needs_grad[0]:
            self.active = m >= 0  # TensorFlow's maximum sends a tie's gradient to its first input
        return xp.maximum(m, 0)

    def dterm(self):
        return -self.t * self.active


class SquaredHinge(_Elementwise):
    """``max(1 - t p, 0) ** 2`` with ``t`` in {-1, 1}."""

    def term(self, p):
        m = xp.maximum(1 - self.t * p, 0)
        if self.needs_grad[0]:
            self.m = m
        return m * m

    def dterm(self):
        return -2 * self.m * self.t


class MeanAbsolutePercentageError(_Elementwise):
    """``100 |t - p| / max(|t|, eps)``."""

    def __init__(self, y_true, work):
        super().__init__(y_true, work)
        self.scale = 100 / xp.maximum(xp.abs(y_true), xp.asarray(epsilon(), y_true.dtype))

    def term(self, p):
        d = self.t - p
        if self.needs_grad[0]:
            self.d = d
        return xp.abs(d) * self.scale

    def dterm(self):
        return -xp.sign(self.d) * self.scale


class MeanSquaredLogarithmicError(_Elementwise):
    """``(log(max(p, eps) + 1) - log(max(t, eps) + 1)) ** 2``."""

    def __init__(self, y_true, work):
        eps = xp.asarray(epsilon(), y_true.dtype)
        super().__init__(xp.log(xp.maximum(y_true, eps) + 1), work)

    def term(self, p):
        eps = xp.asarray(epsilon(), p.dtype)
        q = xp.maximum(p, eps) + 1
        d = xp.log(q) - self.t
        if self.needs_grad[0]:
            self.q, self.d, self.kept = q, d, p >= eps
        return d * d

    def dterm(self):
        return 2 * self.d / self.q * self.kept


class BinaryFocalCrossentropy(_Elementwise):
    """``w (1 - p_t) ** gamma * bce(t, p)``: ``bce`` the clipped binary cross-entropy,
    ``p_t = t p + (1 - t)(1 - p)`` (of the unclipped ``p``, as Keras) and ``w = t alpha +
    (1 - t)(1 - alpha)`` under class balancing, else 1."""

    def __init__(self, y_true, work, axis, gamma, weight):
        super().__init__(y_true, work, axis)
        self.gamma, self.weight = float(gamma), weight

    def term(self, p):
        t, gamma = self.t, self.gamma
        lo, hi = _eps_bounds(p.dtype)
        pc = xp.clip(p, lo, hi)
        bce = -(t * xp.log(pc) + (1 - t) * xp.log(1 - pc))
        base = 1 - (t * p + (1 - t) * (1 - p))
        focal = base**gamma
        out = focal * bce
        if self.weight is not None:
            out *= self.weight
        if self.needs_grad[0]:
            self.p, self.pc, self.bce, self.base, self.focal = p, pc, bce, base, focal
        return out

    def dterm(self):
        t, p, pc, gamma = self.t, self.p, self.pc, self.gamma
        lo, hi = _eps_bounds(p.dtype)
        dbce = (1 - t) / (1 - pc) - t / pc
        dbce *= (p >= lo) & (p <= hi)
        # d(base)/dp = 1 - 2t
        dfocal = _power_slope(self.base, gamma) * (1 - 2 * t)
        g = dfocal * self.bce + self.focal * dbce
        if self.weight is not None:
            g *= self.weight
        return g


def _power_slope(base, gamma):
    """``gamma * base ** (gamma - 1)``, taken as 0 where ``base`` is 0 (the one-sided slope for
    ``gamma > 1``; a subgradient choice below that, where the slope is unbounded)."""
    if gamma == 0:
        return xp.zeros_like(base)
    safe = xp.where(base > 0, base, 1)
    at_zero = 1.0 if gamma == 1 else 0.0
    return xp.where(base > 0, gamma * safe ** (gamma - 1), at_zero).astype(base.dtype, copy=False)


class CosineSimilarity(Function):
    """``-sum(normalize(t) * normalize(p), axis)`` where ``normalize(x) = x /
    sqrt(max(sum(x ** 2, axis), eps ** 2))`` (Keras's ``ops.normalize``)."""

    def __init__(self, t_unit, axis):
        self.tn, self.axis = t_unit, axis

    def forward(self, p):
        axis = self.axis
        ss = (p * p).sum(axis=axis, keepdims=True)
        floor = xp.asarray(epsilon() ** 2, dtype=p.dtype)
        inv = 1 / xp.sqrt(xp.maximum(ss, floor))
        pn = p * inv
        if self.needs_grad[0]:
            self.pn, self.inv, self.free = pn, inv, ss >= floor
        return -(self.tn * pn).sum(axis=axis)

    def backward(self, gy):
        axis, tn, pn = self.axis, self.tn, self.pn
        # d(-tn . p r)/dp = -r (tn - (tn . pn) pn) while the norm is not floored, else -r tn
        proj = (tn * pn).sum(axis=axis, keepdims=True) * self.free
        g = -(tn - proj * pn) * self.inv
        g *= _expand(gy, axis)
        return g


def _unit(x, axis):
    floor = xp.asarray(epsilon() ** 2, dtype=x.dtype)
    return x / xp.sqrt(xp.maximum((x * x).sum(axis=axis, keepdims=True), floor))


class CategoricalHinge(Function):
    """``max(max((1 - t) p) - sum(t p) + 1, 0)`` over the last axis."""

    def __init__(self, y_true):
        self.t = y_true

    def forward(self, p):
        t = self.t
        pos = (t * p).sum(axis=-1)
        other = (1 - t) * p
        neg = other.max(axis=-1)
        m = neg - pos + 1
        if self.needs_grad[0]:
            # TensorFlow's reduce_max shares the gradient among tied maxima
            at_max = other == neg[..., None]
            self.share = at_max / at_max.sum(axis=-1, keepdims=True)
            self.active = m >= 0
        return xp.maximum(m, 0).astype(p.dtype, copy=False)

    def backward(self, gy):
        t = self.t
        g = self.share * (1 - t) - t
        g *= (gy * self.active)[..., None]
        return g.astype(t.dtype, copy=False)


class CategoricalFocalCrossentropy(Function):
    """``sum(-alpha t (1 - q) ** gamma log q, axis)`` with ``q = clip(p / sum(p), eps,
    1 - eps)``; input: probabilities (the same renormalization and clip as
    ``CategoricalCrossentropy``)."""

    def __init__(self, y_true, axis, alpha, gamma):
        self.t, self.axis, self.alpha, self.gamma = y_true, axis, alpha, float(gamma)

    def forward(self, p):
        t, axis, gamma = self.t, self.axis, self.gamma
        lo, hi = _eps_bounds(p.dtype)
        s = p.sum(axis=axis, keepdims=True)
        q = p / s
        qc = xp.clip(q, lo, hi)
        log_q = xp.log(qc)
        mod = (1 - qc) ** gamma
        loss = -(self.alpha * t * mod * log_q).sum(axis=axis)
        if self.needs_grad[0]:
            self.s, self.q, self.qc, self.log_q, self.mod = s, q, qc, log_q, mod
        return loss.astype(p.dtype, copy=False)

    def backward(self, gy):
        axis, q, qc, gamma = self.axis, self.q, self.qc, self.gamma
        lo, hi = _eps_bounds(q.dtype)
        # d/dq of -alpha t (1 - q) ** gamma log q, then through the clip ...
        gq = _power_slope(1 - qc, gamma) * self.log_q - self.mod / qc
        gq *= self.alpha * self.t
        gq *= (q >= lo) & (q <= hi)
        gq *= _expand(gy, axis)
        # ... and the renormalization q = p / s
        gp = gq - (gq * q).sum(axis=axis, keepdims=True)
        gp /= self.s
        return gp.astype(q.dtype, copy=False)


def kl_divergence(y_true, y_pred):
    """Keras's ``kl_divergence``: ``sum(t * log(t / p), axis=-1)`` with both clipped to
    ``[eps, 1]`` (``eps = backend.epsilon()``); no gradient where ``p`` was clipped."""
    p = _pred(y_pred)
    t = _true(y_true, p.dtype)
    work, t = _work_shape("kl_divergence", t, p.shape)
    t = xp.clip(t, xp.asarray(epsilon(), dtype=p.dtype), 1)
    return KLDivergence(t, work)(p)


def poisson(y_true, y_pred):
    """Keras's ``poisson``: ``mean(p - t * log(p + eps), axis=-1)``."""
    return _elementwise(Poisson, "poisson", y_true, y_pred)


def log_cosh(y_true, y_pred):
    """Keras's ``log_cosh``: ``mean(log(cosh(p - t)), axis=-1)``; gradient ``tanh(p - t) / n``."""
    return _elementwise(LogCosh, "log_cosh", y_true, y_pred)


def _hinge_labels(t):
    """Keras's ``convert_binary_labels_to_hinge``: labels that are all 0 or 1 become -1 or 1."""
    if xp.all((t == 0) | (t == 1)):
        return 2 * t - 1
    return t


def hinge(y_true, y_pred):
    """Keras's ``hinge``: ``mean(max(1 - t p, 0), axis=-1)``, 0/1 labels read as -1/1."""
    p = _pred(y_pred)
    work, t = _work_shape("hinge", _true(y_true, p.dtype), p.shape)
    return Hinge(_hinge_labels(t), work)(p)


def squared_hinge(y_true, y_pred):
    """Keras's ``squared_hinge``: ``mean(max(1 - t p, 0) ** 2, axis=-1)``, 0/1 labels read as
    -1/1."""
    p = _pred(y_pred)
    work, t = _work_shape("squared_hinge", _true(y_true, p.dtype), p.shape)
    return SquaredHinge(_hinge_labels(t), work)(p)


def categorical_hinge(y_true, y_pred):
    """Keras's ``categorical_hinge``: ``max(neg - pos + 1, 0)`` with ``pos = sum(t p)`` and
    ``neg = max((1 - t) p)`` over the last axis."""
    p = _pred(y_pred)
    t = _true(y_true, p.dtype)
    _same_shape("categorical_hinge", t, p)
    return CategoricalHinge(t)(p)


def mean_absolute_percentage_error(y_true, y_pred):
    """Keras's ``mean_absolute_percentage_error``: ``100 * mean(|t - p| / max(|t|, eps),
    axis=-1)``."""
    return _elementwise(
        MeanAbsolutePercentageError, "mean_absolute_percentage_error", y_true, y_pred
    )


def mean_squared_logarithmic_error(y_true, y_pred):
    """Keras's ``mean_squared_logarithmic_error``: ``mean((log(max(p, eps) + 1) -
    log(max(t, eps) + 1)) ** 2, axis=-1)``."""
    return _elementwise(
        MeanSquaredLogarithmicError, "mean_squared_logarithmic_error", y_true, y_pred
    )


def cosine_similarity(y_true, y_pred, axis=-1):
    """Keras's ``cosine_similarity`` loss: ``-sum(l2_normalize(t) * l2_normalize(p), axis)``,
    from -1 (same direction) to 1; 0 when either is a zero vector."""
    name = "cosine_similarity"
    p = _pred(y_pred)
    t = _true(y_true, p.dtype)
    _same_shape(name, t, p)
    axis = _axis(axis, p.ndim, name)
    return CosineSimilarity(_unit(t, axis), axis)(p)


def binary_focal_crossentropy(
    y_true,
    y_pred,
    apply_class_balancing=False,
    alpha=0.25,
    gamma=2.0,
    from_logits=False,
    label_smoothing=0.0,
    axis=-1,
):
    """Keras's ``binary_focal_crossentropy`` (Lin et al. 2018): the binary cross-entropy of each
    element scaled by ``(1 - p_t) ** gamma`` (and by ``alpha`` / ``1 - alpha`` for targets 1 / 0
    when ``apply_class_balancing``), averaged over ``axis``. With ``from_logits=True`` the
    sigmoid is applied first, as Keras does."""
    name = "binary_focal_crossentropy"
    p = _pred(y_pred)
    t = _true(y_true, p.dtype)
    work, t = _work_shape(name, t, p.shape)
    axis = _axis(axis, len(work), name)
    if label_smoothing:
        s = float(label_smoothing)
        t = t * (1.0 - s) + 0.5 * s
    if from_logits:
        from .activations import sigmoid

        p = sigmoid(p)
    weight = t * alpha + (1 - t) * (1 - alpha) if apply_class_balancing else None
    return BinaryFocalCrossentropy(t, work, axis, gamma, weight)(p)


def categorical_focal_crossentropy(
    y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1
):
    """Keras's ``categorical_focal_crossentropy``: ``sum(-alpha t (1 - q) ** gamma log q,
    axis)`` of the renormalized, clipped probabilities ``q`` (softmax of the logits first when
    ``from_logits``). ``alpha`` is a number or one weight per class."""
    name = "categorical_focal_crossentropy"
    p = _pred(y_pred)
    t = _true(y_true, p.dtype)
    _same_shape(name, t, p)
    axis = _axis(axis, p.ndim, name)
    if label_smoothing:
        s = float(label_smoothing)
        t = t * (1.0 - s) + s / p.shape[axis]
    if from_logits:
        from .activations import softmax

        p = softmax(p, axis=axis)
    a = xp.asarray(alpha, dtype=p.dtype)
    if a.ndim == 1:  # one weight per class, along ``axis``
        a = a.reshape([-1 if i == axis else 1 for i in range(p.ndim)])
    return CategoricalFocalCrossentropy(t, axis, a, gamma)(p)


def dice(y_true, y_pred, axis=None):
    """Keras's ``dice`` loss: ``1 - 2 sum(t p) / (sum(t) + sum(p) + eps)`` over ``axis`` (all
    axes by default, giving one number). Composed from differentiable array ops."""
    from . import array

    p = _pred(y_pred)
    t = _true(y_true, p.dtype)
    _same_shape("dice", t, p)
    axis = _sum_axis(axis)
    inter = array.sum(array.mul(p, t), axis=axis)
    denom = array.add(array.sum(p, axis=axis), t.sum(axis=axis) + epsilon())
    return array.sub(1.0, array.div(array.mul(inter, 2.0), denom))


def tversky(y_true, y_pred, alpha=0.5, beta=0.5, axis=None):
    """Keras's ``tversky`` loss: ``1 - TP / (TP + alpha FP + beta FN + eps)`` with soft counts
    ``TP = sum(p t)``, ``FP = sum(p (1 - t))``, ``FN = sum((1 - p) t)`` over ``axis``."""
    from . import array

    p = _pred(y_pred)
    t = _true(y_true, p.dtype)
    _same_shape("tversky", t, p)
    axis = _sum_axis(axis)
    tp = array.sum(array.mul(p, t), axis=axis)
    fp = array.sub(array.sum(p, axis=axis), tp)  # sum(p (1 - t)) = sum(p) - TP
    fn = array.sub(t.sum(axis=axis), tp)  # sum((1 - p) t) = sum(t) - TP
    denom = array.add(array.add(tp, array.mul(fp, alpha)), array.mul(fn, beta))
    return array.sub(1.0, array.div(tp, array.add(denom, epsilon())))


def categorical_generalized_cross_entropy(y_true, y_pred, q):
    """Keras's ``categorical_generalized_cross_entropy`` (Zhang & Sabuncu, 2018), robust to
    noisy labels: ``(1 - p ** q) / q`` where ``p`` is the probability ``y_pred`` gives the
    integer label ``y_true`` (last axis); ``q -> 0`` is cross-entropy, ``q = 1`` MAE-like."""
    from . import array

    name = "categorical_generalized_cross_entropy"
    p = _pred(y_pred)
    lab = _labels(name, y_true, p.shape, p.ndim - 1)
    onehot = (lab[..., None] == xp.arange(p.shape[-1])).astype(p.dtype)
    picked = array.sum(array.mul(p, onehot), axis=-1)
    return array.div(array.sub(1.0, array.power(picked, float(q))), float(q))


def _sum_axis(axis):
    if axis is None or isinstance(axis, int):
        return axis
    return tuple(int(a) for a in axis)


mse = mean_squared_error
mae = mean_absolute_error
kld = kl_divergence
mape = mean_absolute_percentage_error
msle = mean_squared_logarithmic_error
