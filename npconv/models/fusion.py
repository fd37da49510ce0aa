"""Conv + max-pool fusion: one model-level pass that ``Sequential`` and functional models share.

In inference (``predict``, ``evaluate``, a call with ``training=False`` and no gradient
recorded), a ``Conv*D`` whose output goes only to a ``MaxPooling*D`` whose windows tile it
(``padding='valid'``, ``strides == pool_size``) runs with that pooling as one op,
``functions.conv.conv_max_pool``: each chunk of the convolution's output is pooled while it is
in cache, and the full-size output is never written. The numbers are the two layers' bit for
bit. Whether a pair qualifies is asked of the layers' public methods:
``MaxPooling*D.tiling_pool_size()`` and ``Conv*D.call_pooled()`` (which declines a convolution
whose activation or activity regularizer needs the unpooled output).

A model is seen here as a list of layer calls in the order they run (``Call``): what each reads
and what it writes, by key. ``Sequential`` is the chain where call i reads call i - 1's output;
a functional model's calls are its graph's nodes.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, NamedTuple

__all__ = ["Call", "conv_pool_pairs", "run_calls", "sequential_calls"]


class Call(NamedTuple):
    """One layer call: ``layer`` reads the value under the key ``inputs`` (or, for a layer
    taking a list, the values under a list of keys) and writes ``output``; ``kwargs``: the
    extra call arguments (a call with any is never fused)."""

    layer: Any
    inputs: tuple
    output: Any
    kwargs: dict


def sequential_calls(layers):
    """A ``Sequential`` stack as calls: the input is key ``-1``, layer i writes key ``i``."""
    return [Call(layer, i - 1, i, {}) for i, layer in enumerate(layers)]


def conv_pool_pairs(calls, outputs=()):
    """``{i: j}`` for each conv call ``i`` whose output is read only by the max-pool call ``j``
    (and is not one of the model's ``outputs`` keys), the pool tiling its input."""
    reads = Counter(outputs)
    for call in calls:
        reads.update(call.inputs if isinstance(call.inputs, list) else [call.inputs])
    producer = {call.output: i for i, call in enumerate(calls)}
    pairs = {}
    for j, pool in enumerate(calls):
        tiling = getattr(pool.layer, "tiling_pool_size", None)
        if tiling is None or pool.kwargs or isinstance(pool.inputs, list) or tiling() is None:
            continue
        i = producer.get(pool.inputs)
        if i is None or reads[pool.inputs] != 1:
            continue
        conv = calls[i]
        if hasattr(conv.layer, "call_pooled") and not conv.kwargs:
            pairs[i] = j
    return pairs


def run_calls(calls, values, call_layer, pairs=None):
    """Run ``calls`` in order on ``values`` (a dict key -> value holding the inputs), each as
    ``call_layer(call, args)`` (``args``: its input, or the list of them), except that a
    pair from ``pairs`` runs as ``conv.call_pooled(x, pool)`` when the convolution accepts it.
    Returns ``values`` with every call's output added (a fused conv's output: ``None``)."""
    pairs = pairs or {}
    fused = {}  # pool call index -> its output, computed with the conv
    for i, call in enumerate(calls):
        keys = call.inputs
        args = [values[k] for k in keys] if isinstance(keys, list) else values[keys]
        if i in fused:
            values[call.output] = fused.pop(i)
            continue
        if i in pairs:
            y = call.layer.call_pooled(args, calls[pairs[i]].layer)
            if y is not None:
                fused[pairs[i]] = y
                values[call.output] = None
                continue
        values[call.output] = call_layer(call, args)
    return values
