"""What ``fit``/``evaluate``/``predict`` do differently under a data-parallel distribution.

The trainer calls these at a handful of points and nowhere else (``active()`` is None for one
process, and then nothing here runs):

- ``start(model)``, once training begins (after callbacks such as ``BackupAndRestore`` have
  restored a backup): rank 0's weights, optimizer state and generator state (hence the data
  order) are copied to every rank.
- ``run_step(model, data, step)``, for every batch: the rank runs ``step`` (the model's
  ``train_step``, ``test_step``) on its share of the global batch; the optimizer sums the
  share-weighted gradients across ranks (``Optimizer.apply``); the metrics' states (sums and
  counts) are summed, so the logs every callback sees are the global ones. A rank whose share
  is empty (a batch smaller than the number of ranks) runs the step on one sample with weight
  0 in the allreduce, its metrics and non-trainable state put back afterwards.
- ``predict_step(model, data, step)``: each rank predicts its share, the outputs are gathered in
  input order on every rank.
- ``end_epoch(model)``: non-trainable state (BatchNormalization's moving statistics, which each
  rank estimates from its own shares unless ``synchronized=True``) copied from rank 0, so
  every rank saves the same model.
- ``agree_to_stop(flag)``: one rank's Ctrl-C or a callback's decision stops every rank at the
  same step.
"""

from __future__ import annotations

import contextlib
import threading

import numpy as np

from .. import backend
from .data_parallel import distribution

_local = threading.local()  # .depth > 0 inside local(): this rank works alone


def active():
    """The distribution when it spans several ranks (and ``local()`` is not in force), else
    None."""
    dist = distribution()
    if dist is None or dist.size == 1 or getattr(_local, "depth", 0):
        return None
    return dist


@contextlib.contextmanager
def local():
    """Within ``with``: ``fit``/``evaluate``/``predict`` on this rank alone, no collectives
    (for work only rank 0 does, such as drawing pictures of the trained model)."""
    _local.depth = getattr(_local, "depth", 0) + 1
    try:
        yield
    finally:
        _local.depth -= 1


def start(model):
    dist = active()
    rng = backend.rng()
    rng.bit_generator.state = dist.broadcast_object(rng.bit_generator.state)
    arrays = [w.data for w in model.weights]
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and getattr(optimizer, "built", False):
        arrays += [v.data for v in optimizer.variables]
    dist.broadcast_arrays(arrays)


def end_epoch(model):
    dist = active()
    dist.broadcast_arrays([w.data for w in model.non_trainable_weights])


def agree_to_stop(flag) -> bool:
    dist = active()
    return dist.any(flag) if dist is not None else bool(flag)


# --- one batch --------------------------------------------------------------------------------


def _take(x, index):
    if x is None:
        return None
    if isinstance(x, dict):
        return {k: _take(v, index) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(_take(v, index) for v in x)
    return x[index]


def _shard(dist, data):
    """This rank's share of the batch ``data``, its weight ``n_r / n``, and whether it is
    empty (then the share holds the batch's first sample, weighted 0)."""
    from ..training.adapters import batch_length, pack_x_y_sample_weight, unpack_x_y_sample_weight

    x, y, sw = unpack_x_y_sample_weight(data)
    n = batch_length(x)
    part = dist.shard(n)
    count = part.stop - part.start
    if count == 0:
        part = slice(0, 1)
    local = pack_x_y_sample_weight(_take(x, part), _take(y, part), _take(sw, part))
    return local, count / n, count == 0


def _leaf_metrics(metrics):
    out = []
    for m in metrics:
        inner = getattr(m, "metrics", None)
        if isinstance(inner, list) and not getattr(m, "variables", None):
            out += _leaf_metrics(inner)
        else:
            out.append(m)
    return out


def _metric_arrays(model):
    return [v for m in _leaf_metrics(model.metrics) for v in getattr(m, "variables", [])]


def run_step(model, data, step, pythonify):
    """Run ``step`` on this rank's share of ``data``; return the global logs. ``pythonify``
    is the trainer's turning of a step's logs into Python floats."""
    dist = active()
    local, share, empty = _shard(dist, data)
    saved = _state(model) if empty else None
    dist.share = share
    try:
        logs = pythonify(step(local))
    finally:
        dist.share = None
    if saved is not None:  # the stand-in sample leaves no trace: metrics and moving statistics
        for a in _state_arrays(model):
            before = saved.get(id(a))
            a[...] = 0 if before is None else before  # (a metric made by this step starts at 0)
    return global_logs(model, logs, pythonify)


def _state_arrays(model):
    return _metric_arrays(model) + [w.data for w in model.non_trainable_weights]


def _state(model):
    return {id(a): a.copy() for a in _state_arrays(model)}


def global_logs(model, logs, pythonify):
    """``logs`` with every metric's value computed from the states summed over the ranks, and
    any other value averaged over them; ``pythonify`` turns the metrics' results into logs."""
    dist = active()
    arrays = _metric_arrays(model)
    local = [a.copy() for a in arrays]
    if arrays:
        total = dist.allreduce_sum(np.concatenate([a.reshape(-1) for a in arrays]))
        at = 0
        for a in arrays:
            a[...] = total[at:at + a.size].reshape(a.shape)
            at += a.size
    try:
        merged = pythonify(model.get_metrics_result()) if model.metrics else {}
    finally:
        for a, b in zip(arrays, local):
            a[...] = b
    others = sorted(k for k, v in logs.items() if k not in merged and np.ndim(v) == 0)
    if others:
        means = dist.allreduce_sum(np.array([float(logs[k]) for k in others])) / dist.size
        merged.update({k: float(v) for k, v in zip(others, means)})
    return {k: merged.get(k, v) for k, v in logs.items()}


def predict_step(model, data, step):
    """Each rank's outputs for its share of ``data``, gathered in input order."""
    dist = active()
    local, _, empty = _shard(dist, data)
    outs = step(local)
    several = isinstance(outs, list)
    outs = outs if several else [outs]
    if empty:
        outs = [o[:0] for o in outs]
    gathered = [dist.gather(o) for o in outs]
    return gathered if several else gathered[0]
