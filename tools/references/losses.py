"""PyTorch references for ``npconv.functions.losses``: per-sample values and gradients w.r.t.
``y_pred`` (or the logits) for a random upstream gradient.

Every case stores, under ``<case>/``: ``fn`` (the npconv function) and ``kwargs`` (JSON),
``y_true`` (float targets or int64 labels), ``y_pred``, ``gy`` (upstream, one per sample),
``loss`` and ``grad``.

Keras clips probabilities to ``[eps, 1 - eps]`` (``eps = 1e-7``); PyTorch does not (its
``binary_cross_entropy`` clamps the *log* at -100 instead), so on probabilities Keras's formula
is written in torch ops with an explicit ``clamp`` (whose gradient, like TensorFlow's
``clip_by_value``, is zero outside the interval), and the inputs include probabilities of 0,
1e-12, 1e-9 and 1 - 1e-9 so that the clip matters. From logits, torch's stable
``cross_entropy`` / ``binary_cross_entropy_with_logits`` are Keras's formulas (TensorFlow's
``softmax_cross_entropy_with_logits`` / ``sigmoid_cross_entropy_with_logits``), label smoothing
included (torch's ``label_smoothing`` is Keras's ``y (1 - s) + s / C``).
"""

from __future__ import annotations

import json

import numpy as np

EPS = 1e-7


def _probs(torch, shape, dim=-1, tiny=True):
    """Unnormalized probabilities (rows sum to 0.5..2) with some near-zero entries."""
    p = torch.softmax(torch.randn(*shape) * 2, dim=dim)
    p = p * (torch.rand(*[1 if i == (dim % len(shape)) else n for i, n in enumerate(shape)])
             * 1.5 + 0.5)
    if tiny:
        flat = p.view(-1)
        flat[0], flat[3], flat[7] = 1e-12, 1e-9, 0.0
    return p


def _one_hot(torch, labels, n, dim=-1):
    t = torch.nn.functional.one_hot(labels, n).to(torch.float64)
    return t.movedim(-1, dim)


def _keras_cce(torch, t, p, dim=-1):
    q = p / p.sum(dim=dim, keepdim=True)
    return -(t * torch.log(torch.clamp(q, EPS, 1 - EPS))).sum(dim=dim)


def _keras_bce(torch, t, p):
    pc = torch.clamp(p, EPS, 1 - EPS)
    return -(t * torch.log(pc) + (1 - t) * torch.log(1 - pc)).mean(dim=-1)


def make(torch):
    F = torch.nn.functional
    out = {}

    def case(name, fn, kwargs, y_true, y_pred, loss_of):
        y_pred = y_pred.detach().clone().requires_grad_(True)
        loss = loss_of(y_pred)
        gy = torch.randn(*loss.shape)
        loss.backward(gy)
        out[f"{name}/fn"] = np.asarray(fn)
        out[f"{name}/kwargs"] = np.asarray(json.dumps(kwargs))
        out[f"{name}/y_true"] = y_true.numpy()
        out[f"{name}/y_pred"] = y_pred.detach().numpy()
        out[f"{name}/gy"] = gy.numpy()
        out[f"{name}/loss"] = loss.detach().numpy()
        out[f"{name}/grad"] = y_pred.grad.numpy()

    n, c = 6, 5
    labels = torch.randint(0, c, (n,))
    labels[:3] = torch.tensor([0, 0, 1])  # the first rows' true classes hit the tiny entries
    onehot = _one_hot(torch, labels, c)
    soft = torch.softmax(torch.randn(n, c), dim=-1)
    unnormalized = torch.rand(n, c) * 0.7  # targets that do not sum to 1

    # categorical cross-entropy on probabilities: renormalize, clip, log
    p = _probs(torch, (n, c))
    p[4] = torch.tensor([1 - 1e-9, 1e-10, 1e-10, 1e-10, 0.0])  # clipped at 1 - eps
    case("cce_probs_onehot", "categorical_crossentropy", {}, onehot, p,
         lambda v: _keras_cce(torch, onehot, v))
    case("cce_probs_soft", "categorical_crossentropy", {}, soft, p,
         lambda v: _keras_cce(torch, soft, v))
    smooth = onehot * 0.9 + 0.1 / c
    case("cce_probs_label_smoothing", "categorical_crossentropy", {"label_smoothing": 0.1},
         onehot, p, lambda v: _keras_cce(torch, smooth, v))
    p3 = _probs(torch, (3, 4, 2), dim=1)
    t3 = _one_hot(torch, torch.randint(0, 4, (3, 2)), 4, dim=1)
    case("cce_probs_axis1", "categorical_crossentropy", {"axis": 1}, t3, p3,
         lambda v: _keras_cce(torch, t3, v, dim=1))

    # from logits: torch's cross_entropy with probability targets (class axis 1)
    z = torch.randn(n, c) * 3
    z[0, 0] = 40.0  # large logits stay finite
    case("cce_logits_onehot", "categorical_crossentropy", {"from_logits": True}, onehot, z,
         lambda v: F.cross_entropy(v, onehot, reduction="none"))
    case("cce_logits_label_smoothing", "categorical_crossentropy",
         {"from_logits": True, "label_smoothing": 0.2}, onehot, z,
         lambda v: F.cross_entropy(v, onehot, reduction="none", label_smoothing=0.2))
    case("softmax_cross_entropy_unnormalized_targets", "softmax_cross_entropy", {},
         unnormalized, z, lambda v: F.cross_entropy(v, unnormalized, reduction="none"))
    z3 = torch.randn(3, 4, 2) * 2
    case("cce_logits_axis1", "categorical_crossentropy", {"from_logits": True, "axis": 1}, t3,
         z3, lambda v: F.cross_entropy(v, t3, reduction="none"))

    # sparse
    case("scce_logits", "sparse_categorical_crossentropy", {"from_logits": True}, labels, z,
         lambda v: F.cross_entropy(v, labels, reduction="none"))
    case("sparse_softmax_cross_entropy", "sparse_softmax_cross_entropy", {}, labels, z,
         lambda v: F.cross_entropy(v, labels, reduction="none"))
    labels3 = torch.randint(0, 4, (3, 2))
    case("scce_logits_axis1", "sparse_categorical_crossentropy",
         {"from_logits": True, "axis": 1}, labels3, z3,
         lambda v: F.cross_entropy(v, labels3, reduction="none"))

    def keras_scce(v):
        q = v / v.sum(dim=-1, keepdim=True)
        logq = torch.log(torch.clamp(q, EPS, 1 - EPS))
        return F.nll_loss(logq, labels, reduction="none")

    case("scce_probs", "sparse_categorical_crossentropy", {}, labels, p, keras_scce)

    # binary cross-entropy: mean over the last axis
    pb = torch.rand(4, 6)
    pb[0, :4] = torch.tensor([0.0, 1e-12, 1.0, 1 - 1e-9])
    tb = (torch.rand(4, 6) > 0.5).to(torch.float64)
    tb[0, :4] = torch.tensor([1.0, 1.0, 0.0, 0.0])  # the clipped entries are the wrong ones
    case("bce_probs", "binary_crossentropy", {}, tb, pb, lambda v: _keras_bce(torch, tb, v))
    case("bce_probs_label_smoothing", "binary_crossentropy", {"label_smoothing": 0.2}, tb, pb,
         lambda v: _keras_bce(torch, tb * 0.8 + 0.1, v))
    zb = torch.randn(4, 6) * 3
    zb[0, :2] = torch.tensor([35.0, -35.0])
    case("bce_logits", "binary_crossentropy", {"from_logits": True}, tb, zb,
         lambda v: F.binary_cross_entropy_with_logits(v, tb, reduction="none").mean(dim=-1))
    case("bce_logits_label_smoothing", "binary_crossentropy",
         {"from_logits": True, "label_smoothing": 0.1}, tb, zb,
         lambda v: F.binary_cross_entropy_with_logits(v, tb * 0.9 + 0.05,
                                                      reduction="none").mean(dim=-1))
    t1 = (torch.rand(7) > 0.5).to(torch.float64)  # Keras: y_true (n,) meets y_pred (n, 1)
    p1 = torch.rand(7, 1) * 0.9 + 0.05
    case("bce_rank1_labels", "binary_crossentropy", {}, t1, p1,
         lambda v: _keras_bce(torch, t1[:, None], v))

    # regression: mean over the last axis of a rank-3 input
    yt = torch.randn(3, 4, 5)
    yp = torch.randn(3, 4, 5)
    case("mse", "mean_squared_error", {}, yt, yp,
         lambda v: F.mse_loss(v, yt, reduction="none").mean(dim=-1))
    case("mae", "mean_absolute_error", {}, yt, yp,
         lambda v: F.l1_loss(v, yt, reduction="none").mean(dim=-1))
    case("huber", "huber", {}, yt, yp,
         lambda v: F.huber_loss(v, yt, reduction="none", delta=1.0).mean(dim=-1))
    case("huber_delta", "huber", {"delta": 0.5}, yt, yp,
         lambda v: F.huber_loss(v, yt, reduction="none", delta=0.5).mean(dim=-1))
    return out
