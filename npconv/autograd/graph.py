"""Reverse-mode differentiation over the graph of ``Function`` calls.

``backward(y)`` visits the functions that produced ``y`` from the last to the first (highest
``generation`` first, so a function runs only after every path through its outputs has
delivered its gradient) and adds each input's gradient into ``input.grad``: a tensor used twice
(fan-out) receives the sum of both contributions.
"""

from __future__ import annotations

import heapq

import numpy as np

from ..backend import xp
from ..backend.selection import array_namespace
from .tensor import Tensor


def backward(y: Tensor, grad=None, retain_graph: bool = False) -> None:
    """Accumulate d(y)/d(t) into ``t.grad`` for every tensor ``t`` that ``y`` depends on.

    ``grad`` is the gradient flowing into ``y`` (ones when ``y`` is a scalar loss). With
    ``retain_graph=False`` the intermediate tensors' gradients are dropped once used, and the
    graph is released so its saved activations can be freed.
    """
    if grad is None:
        if y.data.size != 1:
            raise ValueError(
                f"backward() without a gradient needs a scalar, got shape {y.shape}; "
                "pass grad= of that shape"
            )
        grad = xp.ones_like(y.data) if isinstance(y.data, xp.ndarray) else _like(y.data, 1)
    else:
        if isinstance(grad, Tensor):
            grad = grad.data
        elif isinstance(y.data, xp.ndarray):
            grad = xp.asarray(grad, dtype=y.dtype)
        elif type(grad) is not type(y.data):  # y of another library: grad moved beside it
            grad = array_namespace(y.data).asarray(grad, dtype=y.dtype, device=y.data.device)
        if grad.shape != y.shape:
            raise ValueError(f"backward(): grad has shape {grad.shape}, expected {y.shape}")
    # a walk's gradients replace those an earlier walk left on the graph's own tensors (kept
    # with retain_graph=True): only leaves (weights, inputs) accumulate over walks, as in PyTorch
    y.grad = grad if y.grad is None or y.creator is not None else y.grad + grad
    if y.creator is None:
        return

    heap, seen, counter = [], set(), 0
    reached = set()  # ids of the tensors that got a gradient in this walk

    def push(f):
        nonlocal counter
        if id(f) not in seen:
            seen.add(id(f))
            heapq.heappush(heap, (-f.generation, counter, f))
            counter += 1

    push(y.creator)
    done = []
    while heap:
        _, _, f = heapq.heappop(heap)
        gys = []
        for ref, (shape, dtype) in zip(f.outputs, f.output_meta):
            out = ref()
            g = None if out is None else out.grad
            gys.append(_zeros(f, shape, dtype) if g is None else g)
        f.retained = retain_graph
        gxs = f.backward(*gys)
        if not isinstance(gxs, tuple):
            gxs = (gxs,)
        for x, gx, need in zip(f.inputs, gxs, f.needs_grad):
            if not need or gx is None:
                continue
            if gx.shape != x.shape:
                raise RuntimeError(
                    f"{type(f).__name__}.backward returned a gradient of shape {gx.shape} "
                    f"for an input of shape {x.shape}"
                )
            if x.grad is None or (x.creator is not None and id(x) not in reached):
                # a backward may return its upstream gradient itself (Add does): copy it once
                # when it lands on a leaf, so no two leaves share one array
                x.grad = _copy(gx) if x.creator is None and any(gx is g for g in gys) else gx
            else:
                x.grad = x.grad + gx
            reached.add(id(x))
            if x.creator is not None:
                push(x.creator)
        if not retain_graph:
            for ref in f.outputs:
                out = ref()
                if out is not None and out is not y:
                    out.grad = None
            done.append(f)
    # Released only now: an input dropped earlier could be freed before its creator runs.
    for f in done:
        f.inputs = ()


# --- arrays of other libraries (array_api_strict, CuPy): made in their namespace and device ---


def _like(a, value):
    """An array of ``a``'s shape, dtype, namespace and device, filled with ``value``."""
    return array_namespace(a).full(a.shape, value, dtype=a.dtype, device=a.device)


def _zeros(f, shape, dtype):
    """Zeros for an output of ``f`` that nothing used, in the library and on the device of
    ``f``'s inputs."""
    a = next((t.data for t in f.inputs if not isinstance(t.data, xp.ndarray | np.ndarray)),
             None)
    if a is None:
        return xp.zeros(shape, dtype=dtype)
    return array_namespace(a).zeros(shape, dtype=dtype, device=a.device)


def _copy(a):
    return a.copy() if hasattr(a, "copy") else array_namespace(a).asarray(a, copy=True)
