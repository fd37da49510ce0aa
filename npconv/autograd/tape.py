"""``GradientTape``: TensorFlow's ``tf.GradientTape`` API over npconv's define-by-run graph.

Every Keras 3 custom ``train_step`` (VAE, GAN, distillation) is written as::

    with npconv.GradientTape() as tape:
        y_pred = model(x, training=True)
        loss = loss_fn(y, y_pred)
    grads = tape.gradient(loss, model.trainable_weights)
    optimizer.apply_gradients(zip(grads, model.trainable_weights))

npconv records the graph whenever gradients are enabled, so the tape does not record anything
itself: it turns recording on inside ``with`` (even under ``no_grad()``), marks the tensors
given to ``watch`` as needing gradients, and ``gradient`` walks the graph back from the target.

Unlike ``Tensor.backward()``, ``gradient`` leaves every ``.grad`` untouched: it returns the
gradients, keyed to the sources asked for, and nothing else. That matters in a GAN, where the
generator's loss flows through the discriminator's weights, whose gradients must not leak into
the discriminator's own step.

A tape is used once (``gradient`` then frees the graph's saved activations), unless made with
``persistent=True``, as in TensorFlow.

Gradients are not differentiable here (no second order): a gradient taken while an enclosing
tape records (WGAN-GP's gradient penalty) comes back as a Tensor marked as such, and the
enclosing tape's ``gradient`` refuses a target that depends on it, instead of silently
leaving the penalty's own gradient out.
"""

from __future__ import annotations

import heapq
import threading

from ..backend import xp
from . import mode
from .graph import _copy, _like, _zeros
from .tensor import Tensor


def gradients(targets, sources, output_gradients=None, retain_graph=False):
    """d(sum of ``targets``)/d(each of ``sources``), as arrays (``None`` for a source the
    targets do not depend on). ``targets``, ``sources``: lists of Tensors;
    ``output_gradients``: the gradient flowing into each target (ones when ``None``).

    The walk is ``autograd.graph.backward``'s (highest ``generation`` first, fan-out summed),
    with the gradients kept in a dict instead of the tensors' ``.grad``, and only over the part
    of the graph that leads to a source (``_paths_to``): the distiller's teacher and, in a
    GAN's generator step, the discriminator's weight gradients are never computed.
    """
    paths = _paths_to(targets, sources)
    grads: dict[int, object] = {}
    keep: dict[int, Tensor] = {}  # keeps each keyed tensor alive, so no id is reused
    held: set[int] = set()  # ids of the arrays in grads (each held there, so ids stay unique)
    wanted = {id(s) for s in sources}

    def add(tensor, g):
        key = id(tensor)
        if key in grads:
            old = grads[key]
            held.discard(id(old))
            grads[key] = g = old + g
        else:
            # a backward may hand back its upstream gradient itself: never let two tensors
            # share one array
            if id(g) in held:
                g = _copy(g)
            grads[key] = g
            keep[key] = tensor
        held.add(id(g))

    def drop(key):
        g = grads.pop(key, None)
        if g is not None:
            held.discard(id(g))
        keep.pop(key, None)

    heap, seen, counter = [], set(), 0

    def push(f):
        nonlocal counter
        if id(f) not in seen:
            seen.add(id(f))
            heapq.heappush(heap, (-f.generation, counter, f))
            counter += 1

    for i, y in enumerate(targets):
        g = None if output_gradients is None else output_gradients[i]
        if g is None:
            g = xp.ones_like(y.data) if isinstance(y.data, xp.ndarray) else _like(y.data, 1)
        else:
            g = g.data if isinstance(g, Tensor) else xp.asarray(g, dtype=y.dtype)
            if g.shape != y.shape:
                raise ValueError(
                    f"GradientTape.gradient: output_gradients[{i}] has shape {g.shape}, "
                    f"the target has shape {y.shape}"
                )
        add(y, g)
        if y.creator is not None and id(y.creator) in paths:
            push(y.creator)

    done = []
    while heap:
        f = heapq.heappop(heap)[2]
        flags = paths[id(f)]
        gys = []
        for ref, (shape, dtype) in zip(f.outputs, f.output_meta):
            out = ref()
            g = None if out is None else grads.get(id(out))
            if g is None:
                g = _zeros(f, shape, dtype)
            elif id(out) not in wanted:
                drop(id(out))  # used: intermediate gradients are dropped at once
            gys.append(g)
        recorded, f.needs_grad = f.needs_grad, flags
        f.retained = retain_graph
        try:
            gxs = f.backward(*gys)
        finally:
            f.needs_grad = recorded
        if not isinstance(gxs, tuple):
            gxs = (gxs,)
        for x, gx, need in zip(f.inputs, gxs, flags):
            if not need or gx is None:
                continue
            if gx.shape != x.data.shape:
                raise RuntimeError(
                    f"{type(f).__name__}.backward returned a gradient of shape {gx.shape} "
                    f"for an input of shape {x.shape}"
                )
            add(x, gx)
            if x.creator is not None and id(x.creator) in paths:
                push(x.creator)
        done.append(f)
    if not retain_graph:
        for f in done:
            f.inputs = ()
    return [grads.get(id(s)) for s in sources]


_active = threading.local()  # .tapes: the tapes whose ``with`` block is open on this thread


def _open_tapes():
    tapes = getattr(_active, "tapes", None)
    if tapes is None:
        tapes = _active.tapes = []
    return tapes


class SecondOrderError(NotImplementedError):
    """A loss that depends on a gradient (a gradient penalty) differentiated again."""


def _paths_to(targets, sources):
    """For each function on a path from a source to a target: one flag per input, whether a
    gradient must flow into it (the input is a source or was made by such a function).
    Functions that lead to no source are left out."""
    functions, stack, seen = [], [t.creator for t in targets if t.creator is not None], set()
    while stack:
        f = stack.pop()
        if id(f) in seen:
            continue
        seen.add(id(f))
        functions.append(f)
        for x in f.inputs:
            if getattr(x, "from_gradient", False):
                raise SecondOrderError(
                    "GradientTape.gradient: the target depends on a gradient taken inside this "
                    "tape (a gradient penalty, as WGAN-GP's); npconv does not differentiate "
                    "gradients (second order), so the penalty's own gradient cannot be "
                    "computed. Wrap it in npconv.ops.stop_gradient(...) to use it as a "
                    "constant, or leave the penalty out"
                )
        stack.extend(x.creator for x in f.inputs if x.creator is not None)
    source_ids = {id(s) for s in sources}
    paths: dict[int, tuple] = {}
    for f in sorted(functions, key=lambda f: f.generation):  # inputs' creators come first
        flags = tuple(
            bool(need)
            and (id(x) in source_ids or (x.creator is not None and id(x.creator) in paths))
            for x, need in zip(f.inputs, f.needs_grad)
        )
        if any(flags):
            paths[id(f)] = flags
    return paths


def _flatten(structure, out):
    """The leaves of a nested list/tuple/dict, in order (dict values by sorted key)."""
    if isinstance(structure, dict):
        for key in sorted(structure):
            _flatten(structure[key], out)
    elif isinstance(structure, (list, tuple)):
        for item in structure:
            _flatten(item, out)
    else:
        out.append(structure)
    return out


def _pack(structure, flat):
    """``structure`` with its leaves replaced, in order, by the items of iterator ``flat``."""
    if isinstance(structure, dict):
        return {key: _pack(structure[key], flat) for key in sorted(structure)}
    if isinstance(structure, (list, tuple)):
        items = [_pack(item, flat) for item in structure]
        return items if isinstance(structure, list) else type(structure)(items)
    return next(flat)


class GradientTape:
    """Records operations inside ``with`` so that ``gradient`` can differentiate them.

    ``persistent=False`` (TensorFlow's default): ``gradient`` may be called once, after which
    the graph's saved activations are freed; ``persistent=True`` allows several calls (a GAN
    differentiating two losses of one forward pass). ``watch_accessed_variables=True``:
    trainable ``Variable``s are always watched (they require gradients already); other tensors
    must be passed to ``watch``.
    """

    def __init__(self, persistent=False, watch_accessed_variables=True):
        self.persistent = bool(persistent)
        self.watch_accessed_variables = bool(watch_accessed_variables)
        self._watched: list[Tensor] = []
        self._used = False
        self._previous = None

    def __enter__(self):
        self._previous = mode.is_grad_enabled()
        mode.set_grad_enabled(True)
        _open_tapes().append(self)
        return self

    def __exit__(self, *exc):
        mode.set_grad_enabled(self._previous)
        tapes = _open_tapes()
        if self in tapes:
            tapes.remove(self)
        return False

    def watch(self, tensor):
        """Mark ``tensor`` (a Tensor, or a nested list/tuple/dict of them) as a source of
        gradients. Only operations run after ``watch`` are recorded against it."""
        for t in _flatten(tensor, []):
            if not isinstance(t, Tensor):
                raise TypeError(
                    f"GradientTape.watch expects npconv Tensors, got {type(t).__name__}: wrap "
                    "arrays first with npconv.Tensor(x) (or npconv.ops.convert_to_tensor)"
                )
            t.requires_grad = True
            self._watched.append(t)

    def watched_variables(self):
        return list(self._watched)

    def reset(self):
        """Forget the tensors watched so far (TensorFlow's ``reset``)."""
        self._watched = []

    def stop_recording(self):
        """A context manager in which operations are not recorded."""
        return mode.no_grad()

    def gradient(self, target, sources, output_gradients=None, unconnected_gradients="none"):
        """The gradient of ``target`` (a Tensor, or a list of them: their sum is
        differentiated) with respect to ``sources`` (a Tensor or Variable, or a nested
        list/tuple/dict of them), in the structure of ``sources``.

        A source the target does not depend on gets ``None`` (``unconnected_gradients='zero'``
        gives zeros instead), as in TensorFlow; so does a frozen layer's weight
        (``layer.trainable = False``), since no gradient is recorded for it.
        """
        if self._used and not self.persistent:
            raise RuntimeError(
                "A non-persistent GradientTape can only be used to compute one set of "
                "gradients: create it with GradientTape(persistent=True) to call gradient() "
                "more than once"
            )
        if unconnected_gradients not in ("none", "zero"):
            raise ValueError(
                f"unconnected_gradients must be 'none' or 'zero', got {unconnected_gradients!r}"
            )
        targets = _flatten(target, [])
        for t in targets:
            if not isinstance(t, Tensor):
                raise TypeError(
                    f"GradientTape.gradient: the target must be a Tensor computed inside the "
                    f"tape, got {type(t).__name__}"
                )
        flat_sources = _flatten(sources, [])
        for i, s in enumerate(flat_sources):
            if not isinstance(s, Tensor):
                raise TypeError(
                    f"GradientTape.gradient: source {i} must be a Tensor or Variable, got "
                    f"{type(s).__name__}"
                )
        out_grads = None if output_gradients is None else _flatten(output_gradients, [])
        self._used = True
        grads = gradients(targets, flat_sources, out_grads, retain_graph=self.persistent)
        if unconnected_gradients == "zero":
            grads = [
                xp.zeros_like(s.data) if g is None else g for g, s in zip(grads, flat_sources)
            ]
        if any(t is not self for t in _open_tapes()) and mode.is_grad_enabled():
            grads = [None if g is None else _gradient_tensor(g) for g in grads]
        return _pack(sources, iter(grads))


class _GradientTensor(Tensor):
    """A gradient taken while another tape records: ops record it (it requires a gradient), so
    that tape's ``gradient`` meets it in ``_paths_to`` and knows what it is."""

    __slots__ = ()
    from_gradient = True


def _gradient_tensor(g):
    return _GradientTensor(g, requires_grad=True)


__all__ = ["GradientTape", "SecondOrderError", "gradients"]
