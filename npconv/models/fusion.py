"""Conv + max-pool fusion: one model-level pass that ``Sequential`` and functional models share.

A ``Conv*D`` whose output goes only to a ``MaxPooling*D`` whose windows tile it
(``padding='valid'``, ``strides == pool_size``) runs with that pooling as one op,
``functions.conv.conv_max_pool``. In inference (``predict``, ``evaluate``, a call with
``training=False`` and no gradient recorded) each chunk of the convolution's output is pooled
while it is in cache, and the full-size output is never written; in training the two ops run
in turn, the ReLU's gradient mask applied to the pooled gradient (4-8 times smaller) instead of
the convolution's. The numbers are the two layers' bit for bit. Whether a pair qualifies is
asked of the layers' public methods:
``MaxPooling*D.tiling_pool_size()`` and ``Conv*D.call_pooled()`` (which declines a convolution
whose activation or activity regularizer needs the unpooled output).

Chains (``fused_chains``), found in training and inference alike; each runs as one call of
its first layer's public method, which answers ``None`` when the chain does not apply to this
call (then the layers run one by one, as always):

- ``Conv*D -> BatchNormalization [-> ReLU] [-> MaxPooling*D]`` in inference:
  ``Conv*D.call_normalized`` folds the normalization's per-channel scale and shift into the
  convolution's kernel and bias (from the current weights, at each call), the ReLU into the
  convolution's fused ReLU and the pooling into ``conv_max_pool``. The numbers are the layers'
  up to float32 rounding.
- ``Conv*D -> BatchNormalization -> Add (of it and one other value) -> ReLU`` in inference,
  the end of a ResNet block: the same folding, the other value (the shortcut) added to each
  chunk of the convolution's output while in cache (``functions.conv.conv_residual``). It
  needs the shortcut computed already: a block whose projection shortcut comes later in the
  model runs as the shorter chains.
- ``BatchNormalization -> ReLU``: ``BatchNormalization.call_relu``, the ReLU in the
  normalization's output pass and its mask in the normalization's backward.
- ``Add -> ReLU`` (the end of a residual block): ``Add.call_relu``, ``functions.residual``.

"ReLU" is an ``Activation('relu')`` or a ``ReLU()`` layer with its defaults (``plain_relu``).
Every layer of a chain but the last must have its output read by the next layer alone (and not
be a model output), and no call in it may have extra call arguments.

A model is seen here as a list of layer calls in the order they run (``Call``): what each reads
and what it writes, by key. ``Sequential`` is the chain where call i reads call i - 1's output;
a functional model's calls are its graph's nodes.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, NamedTuple

__all__ = ["Call", "Fused", "conv_pool_pairs", "fused_chains", "plain_relu", "run_calls",
           "sequential_calls"]


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


class Fused(NamedTuple):
    """A chain of calls that may run as one: ``indices`` (the calls, in order) and
    ``run(args, training, values)``, which returns the last call's output from the first
    call's ``args`` (and the values computed so far, by key), or ``None`` to decline."""

    indices: tuple
    run: Any


def plain_relu(layer):
    """Whether ``layer`` is ``max(x, 0)`` and nothing else: ``Activation('relu')`` or
    ``ReLU()`` with its defaults, without an activity regularizer."""
    from ..activations import relu
    from ..layers.activation_layers import ReLU
    from ..layers.core import Activation

    if getattr(layer, "activity_regularizer", None) is not None:
        return False
    if type(layer) is Activation:
        return layer.activation is relu
    if type(layer) is ReLU:
        return (layer.max_value is None and layer.negative_slope == 0
                and layer.threshold == 0)
    return False


def fused_chains(calls, outputs=()):
    """``{i: [Fused, ...]}``: the chains (module docstring) that start at call ``i``, longest
    first. Which of them runs is up to each chain's ``run`` at each call (training or
    inference, gradients recorded or not). Depends only on the calls: a model computes it once
    per graph."""
    from ..layers.convolutional import BaseConv
    from ..layers.merging import Add
    from ..layers.normalization import BatchNormalization

    reads = Counter(outputs)
    for call in calls:
        reads.update(call.inputs if isinstance(call.inputs, list) else [call.inputs])
    reader = {}  # output key -> the index of the call that reads it, if exactly one does
    pair_adds = {}  # output key -> (j, other key) for the Add of it and one other value
    for j, call in enumerate(calls):
        if not call.kwargs and not isinstance(call.inputs, list) and reads[call.inputs] == 1:
            reader[call.inputs] = j
        if (type(call.layer) is Add and not call.kwargs and isinstance(call.inputs, list)
                and len(call.inputs) == 2 and call.inputs[0] != call.inputs[1]):
            a, b = call.inputs
            pair_adds[a], pair_adds[b] = (j, b), (j, a)

    def after(i):
        """The call that alone reads call ``i``'s output, or ``None``."""
        if calls[i].kwargs:
            return None
        return reader.get(calls[i].output)

    chains = {}
    for i, call in enumerate(calls):
        layer, found = call.layer, []
        if call.kwargs:
            continue
        nxt = after(i)
        if isinstance(layer, BaseConv) and nxt is not None and isinstance(
                calls[nxt].layer, BatchNormalization):
            chain, bn, relu = [i, nxt], calls[nxt].layer, None
            k = after(nxt)
            if k is not None and plain_relu(calls[k].layer):
                chain.append(k)
                relu = calls[k].layer
            key = calls[chain[-1]].output
            residual = (pair_adds.get(key) if relu is None and reads[key] == 1
                        and not calls[chain[-1]].kwargs else None)
            if residual is not None:
                add, other = residual
                k = after(add)
                if k is not None and plain_relu(calls[k].layer):
                    found.append(Fused((*chain, add, k), _conv_residual_chain(
                        layer, bn, calls[add].layer, calls[k].layer, other)))
            last = after(chain[-1])
            if last is not None and hasattr(calls[last].layer, "tiling_pool_size"):
                found.append(Fused((*chain, last), _conv_chain(layer, bn, relu,
                                                               calls[last].layer)))
            found.append(Fused(tuple(chain), _conv_chain(layer, bn, relu, None)))
        if (isinstance(layer, BatchNormalization) or type(layer) is Add) and (
                nxt is not None and plain_relu(calls[nxt].layer)):
            found.append(Fused((i, nxt), _relu_chain(layer, calls[nxt].layer)))
        if found:
            chains[i] = found
    return chains


def _conv_residual_chain(conv, bn, add, relu_layer, other):
    def run(args, training, values):
        shortcut = values.get(other)
        if (shortcut is None or not plain_relu(relu_layer)
                or add.activity_regularizer is not None):
            return None  # the shortcut is computed later, or a layer changed
        y = conv.call_normalized(args, bn, training=training, relu=True, residual=shortcut)
        if y is not None:
            add._maybe_build([(None, *shortcut.shape[1:])] * 2)
            add._losses = []
        return y

    return run


def _conv_chain(conv, bn, relu_layer, pool):
    def run(args, training, values=None):
        if relu_layer is not None and not plain_relu(relu_layer):
            return None  # changed since the chain was found
        return conv.call_normalized(args, bn, training=training,
                                    relu=relu_layer is not None, pool=pool)

    return run


def _relu_chain(layer, relu_layer):
    def run(args, training, values=None):
        return layer.call_relu(args, training) if plain_relu(relu_layer) else None

    return run


def run_calls(calls, values, call_layer, pairs=None, chains=None, training=None):
    """Run ``calls`` in order on ``values`` (a dict key -> value holding the inputs), each as
    ``call_layer(call, args)`` (``args``: its input, or the list of them), except that a
    pair from ``pairs`` runs as ``conv.call_pooled(x, pool)`` when the convolution accepts it,
    and a chain of ``chains`` (``fused_chains``) as its ``run(args, training)`` when that
    accepts. Returns ``values`` with every call's output added (the output of a call fused
    into a later one: ``None``)."""
    pairs, chains = pairs or {}, chains or {}
    fused = {}  # call index -> its output, computed by an earlier fused call
    for i, call in enumerate(calls):
        keys = call.inputs
        if i in fused:
            values[call.output] = fused.pop(i)
            continue
        args = [values[k] for k in keys] if isinstance(keys, list) else values[keys]
        if i in pairs:
            y = call.layer.call_pooled(args, calls[pairs[i]].layer, training=training)
            if y is not None:
                fused[pairs[i]] = y
                values[call.output] = None
                continue
        for chain in chains.get(i, ()):
            y = chain.run(args, training, values)
            if y is not None:
                fused.update({j: None for j in chain.indices[1:-1]})
                fused[chain.indices[-1]] = y
                values[call.output] = None
                break
        else:
            values[call.output] = call_layer(call, args)
    return values
