"""PyTorch references for ``npconv.functions.activations`` and ``npconv.functions.normalization``.

Every case stores, under ``<case>/``: ``fn`` (the npconv function's name) and ``kwargs`` (JSON),
the input ``x``, a random upstream gradient ``gy``, the output ``y`` and the input gradient
``gx``. Batch-normalization cases (``bn_*``) also store ``gamma``, ``beta`` and their gradients
``ggamma``, ``gbeta``, the batch ``mean`` and biased ``var`` (training) or the ``moving_mean``,
``moving_variance`` (inference), and ``axis``, ``epsilon``.

Where Keras's formula is not a ``torch.nn.functional`` call it is written in torch ops here:

- ``relu`` with Keras's ``negative_slope`` / ``max_value`` / ``threshold`` (no torch equivalent):
  ``clamp(x * (x > t), 0, max) - slope * relu(t - x)``.
- ``hard_sigmoid`` / ``hard_silu``: Keras 3's ``relu6(x + 3) / 6`` is torch's ``hardsigmoid``
  (and ``x *`` it is ``hardswish``); Keras 2's ``0.2 x + 0.5`` would not be. But torch's
  ``hardsigmoid`` backward multiplies by ``1/6`` rounded to float32 even for float64 tensors (a
  3e-8 relative error), so ``hard_sigmoid`` is written as ``relu6(x + 3) / 6`` here.
- ``leaky_relu``: torch's default slope is 0.01, Keras's 0.2; passed explicitly.
- ``softplus``: torch switches to ``x`` above ``threshold=20`` (an error of ``log1p(exp(-20))``
  ~ 2e-9); the inputs here stay far below, and Keras's ``logaddexp(x, 0)`` is exact.
- ``gelu``: torch's ``approximate='tanh'`` is Keras's ``approximate=True`` formula.
"""

from __future__ import annotations

import json

import numpy as np


def _keras_relu(torch, slope, max_value, threshold):
    def f(x):
        pos = x * (x > threshold).to(x.dtype)
        if max_value is not None:
            pos = torch.clamp(pos, 0.0, max_value)
        return pos - slope * torch.relu(threshold - x)

    return f


def _cases(torch):
    F = torch.nn.functional
    # name: (torch function, npconv function name, npconv kwargs, input scale)
    return {
        "relu": (torch.relu, "relu", {}, 3.0),
        "relu_slope_max_threshold": (
            _keras_relu(torch, 0.1, 4.0, 0.5),
            "relu",
            {"negative_slope": 0.1, "max_value": 4.0, "threshold": 0.5},
            3.0,
        ),
        "relu_negative_threshold": (
            _keras_relu(torch, 0.0, None, -1.0), "relu", {"threshold": -1.0}, 3.0
        ),
        "relu_max_value": (_keras_relu(torch, 0.0, 2.5, 0.0), "relu", {"max_value": 2.5}, 3.0),
        "relu_negative_slope": (
            lambda x: F.leaky_relu(x, 0.3), "relu", {"negative_slope": 0.3}, 3.0
        ),
        "relu6": (F.relu6, "relu6", {}, 5.0),
        "leaky_relu": (lambda x: F.leaky_relu(x, 0.2), "leaky_relu", {}, 3.0),
        "sigmoid": (torch.sigmoid, "sigmoid", {}, 3.0),
        "sigmoid_large_inputs": (torch.sigmoid, "sigmoid", {}, 30.0),
        "tanh": (torch.tanh, "tanh", {}, 2.0),
        "softmax_last": (lambda x: F.softmax(x, dim=-1), "softmax", {}, 3.0),
        "softmax_axis0": (lambda x: F.softmax(x, dim=0), "softmax", {"axis": 0}, 3.0),
        "softmax_axis1": (lambda x: F.softmax(x, dim=1), "softmax", {"axis": 1}, 3.0),
        "softmax_large_inputs": (lambda x: F.softmax(x, dim=-1), "softmax", {}, 300.0),
        "log_softmax_last": (lambda x: F.log_softmax(x, dim=-1), "log_softmax", {}, 3.0),
        "log_softmax_axis1": (
            lambda x: F.log_softmax(x, dim=1), "log_softmax", {"axis": 1}, 3.0
        ),
        "elu": (F.elu, "elu", {}, 3.0),
        "elu_alpha": (lambda x: F.elu(x, alpha=0.5), "elu", {"alpha": 0.5}, 3.0),
        "selu": (F.selu, "selu", {}, 3.0),
        "gelu_exact": (lambda x: F.gelu(x, approximate="none"), "gelu", {}, 3.0),
        "gelu_tanh": (
            lambda x: F.gelu(x, approximate="tanh"), "gelu", {"approximate": True}, 3.0
        ),
        "softplus": (F.softplus, "softplus", {}, 5.0),
        "softsign": (F.softsign, "softsign", {}, 3.0),
        "silu": (F.silu, "silu", {}, 3.0),
        "swish": (F.silu, "swish", {}, 3.0),
        "hard_sigmoid": (lambda x: F.relu6(x + 3) / 6, "hard_sigmoid", {}, 4.0),
        "hard_silu": (F.hardswish, "hard_silu", {}, 4.0),
        "exponential": (torch.exp, "exponential", {}, 2.0),
    }


def _batch_norm_cases(torch, out):
    F = torch.nn.functional
    # name: (x shape, axis, affine, training)
    cases = {
        "bn_train_axis1_4d": ((4, 3, 3, 4), 1, True, True),
        "bn_train_last_4d": ((4, 3, 4, 3), -1, True, True),
        "bn_train_last_2d": ((8, 5), -1, True, True),
        "bn_train_no_affine": ((6, 4), -1, False, True),
        "bn_inference_axis1_4d": ((3, 4, 2, 3), 1, True, False),
        "bn_inference_last_3d": ((3, 5, 4), -1, True, False),
    }
    eps = 1e-3
    for name, (shape, axis, affine, training) in cases.items():
        x = (torch.randn(*shape) * 2 + 0.5).requires_grad_(True)
        c = shape[axis]
        gamma = torch.randn(c).requires_grad_(True) if affine else None
        beta = torch.randn(c).requires_grad_(True) if affine else None
        # torch normalizes axis 1: move the channels there and back
        perm = list(range(len(shape)))
        perm.insert(1, perm.pop(axis % len(shape)))
        inverse = list(np.argsort(perm))
        xt = x.permute(*perm)
        moving_mean = torch.randn(c) * 0.3 if not training else None
        moving_var = torch.rand(c) + 0.5 if not training else None
        yt = F.batch_norm(xt, moving_mean, moving_var, gamma, beta, training=training, eps=eps)
        y = yt.permute(*inverse)
        gy = torch.randn(*y.shape)
        y.backward(gy)
        reduce = tuple(i for i in range(len(shape)) if i != axis % len(shape))
        arrays = {
            "fn": "batch_norm_train" if training else "batch_norm_inference",
            "kwargs": json.dumps({"axis": axis, "epsilon": eps}),
            "x": x,
            "gy": gy,
            "y": y,
            "gx": x.grad,
        }
        if affine:
            arrays.update(gamma=gamma, beta=beta, ggamma=gamma.grad, gbeta=beta.grad)
        if training:
            arrays["mean"] = x.mean(dim=reduce)
            arrays["var"] = x.var(dim=reduce, unbiased=False)
        else:
            arrays["moving_mean"], arrays["moving_variance"] = moving_mean, moving_var
        for k, v in arrays.items():
            out[f"{name}/{k}"] = v.detach().numpy() if hasattr(v, "detach") else np.asarray(v)


def make(torch):
    out = {}
    for name, (fn, npconv_name, kwargs, scale) in _cases(torch).items():
        x = (torch.randn(2, 3, 4) * scale).requires_grad_(True)
        if npconv_name == "softplus":
            assert float(x.detach().abs().max()) < 20, "stay below torch's softplus threshold"
        y = fn(x)
        gy = torch.randn(*y.shape)
        y.backward(gy)
        out[f"{name}/fn"] = np.asarray(npconv_name)
        out[f"{name}/kwargs"] = np.asarray(json.dumps(kwargs))
        out[f"{name}/x"] = x.detach().numpy()
        out[f"{name}/gy"] = gy.numpy()
        out[f"{name}/y"] = y.detach().numpy()
        out[f"{name}/gx"] = x.grad.numpy()
    _batch_norm_cases(torch, out)
    return out
