"""Check a backward pass against central finite differences.

``gradcheck(fn, *arrays)`` builds float64 leaves from ``arrays``, runs ``fn`` on them, and
compares the gradient of ``sum(fn(...) * w)`` (``w`` a fixed random array, so every output
element matters with a different weight) with ``(f(x + eps) - f(x - eps)) / (2 eps)`` for
every element of every input. Use float64 inputs: float32 differences are too coarse.
"""

from __future__ import annotations

import numpy as np

from .mode import no_grad
from .tensor import Tensor


def _weighted_sum(out, weights):
    outs = out if isinstance(out, tuple) else (out,)
    return sum(float(np.sum(o.data * w)) for o, w in zip(outs, weights))


def numerical_gradients(fn, arrays, weights, eps=1e-6, wrt=None):
    """Central-difference gradient of ``sum(fn(*arrays) * weights)`` w.r.t. each input."""
    arrays = [np.array(a, dtype=np.float64, order="C") for a in arrays]
    wrt = range(len(arrays)) if wrt is None else wrt
    grads = [None] * len(arrays)
    with no_grad():
        for i in wrt:
            a = arrays[i]
            g = np.zeros_like(a)
            flat, gflat = a.reshape(-1), g.reshape(-1)
            for j in range(flat.size):
                orig = flat[j]
                flat[j] = orig + eps
                plus = _weighted_sum(fn(*[Tensor(x) for x in arrays]), weights)
                flat[j] = orig - eps
                minus = _weighted_sum(fn(*[Tensor(x) for x in arrays]), weights)
                flat[j] = orig
                gflat[j] = (plus - minus) / (2 * eps)
            grads[i] = g
    return grads


def gradcheck(fn, *arrays, eps=1e-6, atol=1e-6, rtol=1e-4, wrt=None, seed=0):
    """Assert that ``fn``'s backward matches finite differences; return the max abs error.

    ``fn`` takes Tensors and returns a Tensor (or a tuple of Tensors). ``wrt`` limits the check
    to some input positions (others are treated as constants). Raises ``AssertionError``
    naming the input and the worst element when they disagree.
    """
    arrays = [np.array(a, dtype=np.float64, order="C") for a in arrays]
    wrt = list(range(len(arrays))) if wrt is None else list(wrt)
    leaves = [Tensor(a.copy(), requires_grad=(i in wrt)) for i, a in enumerate(arrays)]
    out = fn(*leaves)
    outs = out if isinstance(out, tuple) else (out,)
    rng = np.random.default_rng(seed)
    weights = [rng.standard_normal(o.shape) for o in outs]
    total = None
    for o, w in zip(outs, weights):
        term = (o * Tensor(w)).sum()
        total = term if total is None else total + term
    total.backward()
    numeric = numerical_gradients(fn, arrays, weights, eps=eps, wrt=wrt)
    worst = 0.0
    for i in wrt:
        analytic = leaves[i].grad
        if analytic is None:
            analytic = np.zeros_like(arrays[i])
        err = np.abs(analytic - numeric[i])
        bound = atol + rtol * np.abs(numeric[i])
        if np.any(err > bound):
            k = np.unravel_index(np.argmax(err - bound), err.shape)
            raise AssertionError(
                f"gradient of input {i} differs at {k}: backward {analytic[k]!r}, "
                f"finite differences {numeric[i][k]!r} (max abs error {err.max():.3g})"
            )
        worst = max(worst, float(err.max()) if err.size else 0.0)
    return worst
