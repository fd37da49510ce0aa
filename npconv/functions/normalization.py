"""Batch-normalization arithmetic (Ioffe & Szegedy 2015) as Keras 3 computes it.

Training (``batch_norm_train``): statistics over every axis but ``axis`` (the channels), the
*biased* batch variance (divide by the count, not count - 1, as ``keras.ops.moments``), then

    y = (x - mean) / sqrt(var + epsilon) * gamma + beta

as one fused op whose backward is the closed form for ``x``, ``gamma`` and ``beta``:

    x_hat = (x - mean) / sqrt(var + epsilon)
    d_beta = sum(g),  d_gamma = sum(g * x_hat)
    d_x = gamma / sqrt(var + epsilon) * (g - d_beta / N - x_hat * d_gamma / N)

(sums over the reduced axes, N their size). ``gamma`` / ``beta`` may be ``None`` (the layer's
``scale=False`` / ``center=False``). The batch mean and variance are returned as plain arrays of
shape ``(channels,)``: the moving averages are the layer's business — Keras updates them as
``moving = moving * momentum + batch_stat * (1 - momentum)`` with ``momentum=0.99``, using this
same biased variance.

Synchronized (``sync=``, Keras 3's ``BatchNormalization(synchronized=True)``): under data
parallelism the statistics are those of the global batch. ``sync`` sums arrays over the ranks
(``npconv.distribution.DataParallel``); the forward sums ``[sum(x), count]`` then
``sum((x - mean)^2)``, the backward ``share * [d_beta, d_gamma]``, where ``share = n_local / N``
is the weight the trainer gives this rank's loss. Each rank's gradient for ``x`` is then the
one of its own (unscaled) loss, as without synchronization:

    d_x = gamma / sqrt(var + epsilon) * (g - D_beta / n_local - x_hat * D_gamma / n_local)

with ``D`` the summed, share-weighted sums; with one rank this is the formula above.

Inference (``batch_norm_inference``): the same affine map with the moving statistics, folded
into one per-channel scale and shift (``y = x * scale + shift``, as ``tf.nn.batch_normalization``
computes it); gradients flow to ``x``, ``gamma`` and ``beta`` (a frozen layer still backprops).
``inference_scale_shift`` gives that scale and shift, for folding them into the convolution
before the layer (``models.fusion``).

Both take ``activation='relu'`` for a ReLU layer that follows: ``relu(y)`` in the same op, its
backward masking the gradient by ``y > 0`` as the ReLU's own does.
"""

from __future__ import annotations

from ..autograd import Function, Tensor, as_tensor
from ..backend import xp
from ..backend.numpy import batch_norm as bn_kernels
from . import _on_device

__all__ = ["batch_norm_train", "batch_norm_inference", "inference_scale_shift", "BatchNormTrain",
           "BatchNormInference"]


def _channel_axis(axis, ndim, name):
    if not -ndim <= int(axis) < ndim:
        raise ValueError(f"{name}: axis {axis} is out of range for an input of rank {ndim}")
    return int(axis) % ndim


def _check_param(name, what, value, n):
    if value is not None and tuple(value.shape) != (n,):
        raise ValueError(f"{name}: {what} must have shape ({n},), got {tuple(value.shape)}")


class _ChannelOp(Function):
    """Shared bookkeeping: which of gamma / beta are inputs, and per-channel broadcasting."""

    def __init__(self, axis, epsilon, has_gamma, has_beta):
        self.axis, self.epsilon = axis, float(epsilon)
        self.has_gamma, self.has_beta = has_gamma, has_beta

    def _setup(self, x, params):
        params = list(params)
        gamma = params.pop(0) if self.has_gamma else None
        beta = params.pop(0) if self.has_beta else None
        self.reduce = tuple(i for i in range(x.ndim) if i != self.axis)
        self.bshape = tuple(n if i == self.axis else 1 for i, n in enumerate(x.shape))
        return gamma, beta

    def _param_grads(self, g_gamma, g_beta):
        out, needs, i = [], self.needs_grad, 1
        if self.has_gamma:
            out.append(g_gamma() if needs[i] else None)
            i += 1
        if self.has_beta:
            out.append(g_beta() if needs[i] else None)
        return out


class BatchNormTrain(_ChannelOp):
    """Normalize by the batch's own statistics; ``self.mean`` / ``self.var`` keep them.

    ``activation='relu'``: ``relu`` of the result in the same pass (for a ReLU layer that
    follows; its backward masks the upstream gradient by ``y > 0``, as the ReLU's own does).
    NumPy arrays without ``sync`` run the one-pass kernels of ``backend.numpy.batch_norm``
    (``_forward_one_pass``); other arrays, and synchronized statistics, the two-pass
    arithmetic below."""

    def __init__(self, axis, epsilon, has_gamma, has_beta, sync=None, activation=None):
        super().__init__(axis, epsilon, has_gamma, has_beta)
        self.sync = sync
        self.relu = activation == "relu"
        self.one_pass = False

    def _moments(self, x):
        """``(mean, x - mean, var)``, of this batch or, synchronized, of the global one."""
        red = self.reduce
        if self.sync is None:
            mean = x.mean(axis=red, keepdims=True)
            xc = x - mean
            return mean, xc, xp.square(xc).mean(axis=red, keepdims=True)  # biased, two-pass
        n_local = x.size // x.shape[self.axis]
        # a rank whose share of the batch is empty runs on a stand-in sample of weight 0
        # (npconv.distribution.replicas): it must not count in the statistics
        counted = 0.0 if getattr(self.sync, "share", None) == 0 else 1.0
        sums = self.sync.allreduce_sum(counted * xp.append(
            x.sum(axis=red, dtype=xp.float64), float(n_local)))
        total = max(sums[-1], 1.0)
        self.n_local, self.share = n_local, counted * n_local / total
        mean = (sums[:-1] / total).astype(x.dtype).reshape(self.bshape)
        xc = x - mean
        var = self.sync.allreduce_sum(
            counted * xp.square(xc).sum(axis=red, dtype=xp.float64)) / total
        return mean, xc, var.astype(x.dtype).reshape(self.bshape)

    def forward(self, x, *params):
        if type(x) is not _on_device.ndarray:  # CuPy, array API: the backend's kernels
            return _on_device.batch_norm_train_forward(self, x, params)
        gamma, beta = self._setup(x, params)
        if self.sync is None and bn_kernels.applies(x):
            return self._forward_one_pass(x, gamma, beta)
        bshape = self.bshape
        mean, xc, var = self._moments(x)
        inv = var + self.epsilon
        xp.sqrt(inv, out=inv)
        xp.reciprocal(inv, out=inv)
        xc *= inv  # x_hat, in place
        self.mean, self.var = mean.reshape(-1), var.reshape(-1)
        if any(self.needs_grad):
            self.x_hat, self.inv = xc, inv
            self.gamma = None if gamma is None else gamma.reshape(bshape)
        y = xc * gamma.reshape(bshape) if gamma is not None else xc.copy()
        if beta is not None:
            y += beta.reshape(bshape)
        if self.relu:
            xp.maximum(y, 0, out=y)
            self.y = y if any(self.needs_grad) else None
        return y

    def backward(self, gy):
        if type(gy) is not _on_device.ndarray:
            return _on_device.batch_norm_train_backward(self, gy)
        if self.one_pass:
            return self._backward_one_pass(gy)
        if self.relu:
            gy = gy * (self.y > 0)
        red, x_hat = self.reduce, self.x_hat
        n = x_hat.size // self.inv.size
        d_beta = gy.sum(axis=red, keepdims=True)
        d_gamma = (gy * x_hat).sum(axis=red, keepdims=True)
        sum_beta, sum_gamma = d_beta, d_gamma
        if self.sync is not None:
            both = self.sync.allreduce_sum(self.share * xp.concatenate(
                [d_beta.reshape(-1), d_gamma.reshape(-1)]))
            both = both.astype(gy.dtype).reshape(2, *d_beta.shape)
            sum_beta, sum_gamma = both[0], both[1]
            n = max(self.n_local, 1)
        gx = None
        if self.needs_grad[0]:
            gx = x_hat * (sum_gamma / n)
            xp.subtract(gy, gx, out=gx)
            gx -= sum_beta / n
            scale = self.inv if self.gamma is None else self.inv * self.gamma
            gx *= scale
        return (
            gx,
            *self._param_grads(lambda: d_gamma.reshape(-1), lambda: d_beta.reshape(-1)),
        )

    # --- the one-pass kernels (NumPy arrays, no sync) -------------------------------------

    def _forward_one_pass(self, x, gamma, beta):
        self.one_pass = True
        x3 = bn_kernels.channel_view(x, self.axis)
        y3, mean, var, inv = bn_kernels.train_forward(x3, gamma, beta, self.epsilon,
                                                      relu=self.relu)
        self.mean, self.var = mean.astype(x.dtype), var.astype(x.dtype)
        if any(self.needs_grad):
            self.x3, self.mean64, self.inv, self.gamma = x3, mean, inv, gamma
            self.y3 = y3 if self.relu else None
        return y3.reshape(x.shape)

    def _backward_one_pass(self, gy):
        gy3 = bn_kernels.channel_view(gy, self.axis)
        gx3, d_gamma, d_beta = bn_kernels.train_backward(
            self.x3, self.y3, gy3, self.mean64, self.inv, self.gamma, self.needs_grad[0],
            relu=self.relu)
        dtype = gy.dtype
        return (
            None if gx3 is None else gx3.reshape(gy.shape),
            *self._param_grads(lambda: d_gamma.astype(dtype), lambda: d_beta.astype(dtype)),
        )


class BatchNormInference(_ChannelOp):
    """``x * scale + shift`` with ``scale = gamma / sqrt(var + eps)``, ``shift = beta - mean *
    scale`` (moving statistics are constants held by the op)."""

    def __init__(self, axis, epsilon, has_gamma, has_beta, mean, var, activation=None):
        super().__init__(axis, epsilon, has_gamma, has_beta)
        self.moving_mean, self.moving_var = mean, var
        self.relu = activation == "relu"

    def forward(self, x, *params):
        if type(x) is not _on_device.ndarray:
            return _on_device.batch_norm_inference_forward(self, x, params)
        gamma, beta = self._setup(x, params)
        bshape, dtype = self.bshape, x.dtype
        inv = xp.asarray(self.moving_var, dtype=dtype) + self.epsilon
        xp.sqrt(inv, out=inv)
        xp.reciprocal(inv, out=inv)
        mean = xp.asarray(self.moving_mean, dtype=dtype)
        scale = inv if gamma is None else inv * gamma
        shift = -mean * scale
        if beta is not None:
            shift += beta
        y = x * scale.reshape(bshape)
        y += shift.reshape(bshape)
        if self.relu:
            xp.maximum(y, 0, out=y)
        if any(self.needs_grad):
            self.x, self.inv, self.mean_b, self.scale = x, inv, mean, scale
            self.y = y if self.relu else None
        return y

    def backward(self, gy):
        if type(gy) is not _on_device.ndarray:
            return _on_device.batch_norm_inference_backward(self, gy)
        red, bshape = self.reduce, self.bshape
        if self.relu:
            gy = gy * (self.y > 0)
        gx = gy * self.scale.reshape(bshape) if self.needs_grad[0] else None

        def g_gamma():
            x_hat = self.x - self.mean_b.reshape(bshape)
            x_hat *= self.inv.reshape(bshape)
            x_hat *= gy
            return x_hat.sum(axis=red)

        return (gx, *self._param_grads(g_gamma, lambda: gy.sum(axis=red)))


def _check_activation(name, activation):
    if activation not in (None, "relu"):
        raise ValueError(f"{name}: activation must be None or 'relu', got {activation!r}")


def _params(gamma, beta):
    return [as_tensor(p) for p in (gamma, beta) if p is not None]


def batch_norm_train(x, gamma, beta, axis=-1, epsilon=1e-3, sync=None, activation=None):
    """Batch normalization in training mode: returns ``(y, batch_mean, batch_var)``, ``y`` a
    Tensor, the statistics plain arrays of shape ``(channels,)`` (biased variance).
    ``sync``: an object whose ``allreduce_sum`` sums over ranks, for global statistics;
    ``activation='relu'``: ``y`` is ``relu`` of the normalized values, in the same op."""
    x = as_tensor(x)
    name = "batch_norm_train"
    axis = _channel_axis(axis, x.ndim, name)
    n = x.shape[axis]
    _check_param(name, "gamma", gamma, n)
    _check_param(name, "beta", beta, n)
    if x.size // max(n, 1) < 1 and sync is None:
        raise ValueError(f"{name}: cannot take batch statistics of an empty input {x.shape}")
    _check_activation(name, activation)
    fn = BatchNormTrain(axis, epsilon, gamma is not None, beta is not None, sync=sync,
                        activation=activation)
    y = fn(x, *_params(gamma, beta))
    return y, fn.mean, fn.var


def batch_norm_inference(x, gamma, beta, moving_mean, moving_variance, epsilon=1e-3, axis=-1,
                         activation=None):
    """Batch normalization with fixed (moving) statistics; returns a Tensor
    (``activation='relu'``: its ``relu``, in the same op)."""
    x = as_tensor(x)
    # the moving statistics stay in x's library: NumPy's asarray would copy a CuPy array off
    # the GPU (or fail)
    on_host = not _on_device.other_library(x)
    name = "batch_norm_inference"
    axis = _channel_axis(axis, x.ndim, name)
    n = x.shape[axis]
    mean, var = (v.data if isinstance(v, Tensor) else xp.asarray(v) if on_host else v
                 for v in (moving_mean, moving_variance))
    for what, value in (("gamma", gamma), ("beta", beta), ("moving_mean", mean),
                        ("moving_variance", var)):
        _check_param(name, what, value, n)
    _check_activation(name, activation)
    fn = BatchNormInference(axis, epsilon, gamma is not None, beta is not None, mean, var,
                            activation)
    return fn(x, *_params(gamma, beta))


def inference_scale_shift(gamma, beta, moving_mean, moving_variance, epsilon=1e-3):
    """The inference map as ``y = x * scale + shift`` per channel, in float64:
    ``scale = gamma / sqrt(var + epsilon)``, ``shift = beta - mean * scale`` (``gamma`` /
    ``beta`` may be ``None``). Arrays or Tensors of shape ``(channels,)``."""
    def array(v):
        return None if v is None else xp.asarray(v.data if isinstance(v, Tensor) else v,
                                                 dtype=xp.float64)

    gamma, beta, mean, var = (array(v) for v in (gamma, beta, moving_mean, moving_variance))
    scale = 1.0 / xp.sqrt(var + epsilon)
    if gamma is not None:
        scale *= gamma
    shift = -mean * scale
    if beta is not None:
        shift += beta
    return scale, shift
