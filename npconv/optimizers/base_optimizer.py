"""The ``Optimizer`` base class: everything every optimizer does around its update rule.

One call of ``apply_gradients([(grad, variable), ...])`` (or ``apply(grads, variables)``) does,
in Keras 3's order (``keras/src/optimizers/base_optimizer.py``, TensorFlow backend):

1. build: the first time a variable is seen, create its slots (momentum, velocity, ...);
2. drop pairs whose gradient is ``None`` (with a warning, as Keras);
3. divide by ``loss_scale_factor`` if set;
4. with ``gradient_accumulation_steps=n``: add the gradient to an accumulator, and only every
   n-th call go on, with the mean of the accumulated gradients;
5. clip: ``clipnorm`` (each gradient to that L2 norm), else ``global_clipnorm`` (all gradients
   together), else ``clipvalue`` (elementwise);
6. decoupled weight decay: ``variable -= variable * weight_decay * learning_rate``;
7. the optimizer's own ``update_step`` for each variable;
8. with ``use_ema``: update the moving averages (and every ``ema_overwrite_frequency`` steps
   copy them into the variables);
9. apply each variable's ``constraint``;
10. ``iterations += 1``.

Everything is computed in the variable's dtype (float32 stays float32) with in-place NumPy
operations on ``variable.data``, so the model's arrays are updated where they are and no
float64 temporaries are made.
"""

from __future__ import annotations

import difflib
import inspect
import numbers
import re
import warnings

from .. import backend
from .._naming import UniqueNames, to_snake_case
from ..autograd import Tensor, Variable
from ..backend import xp
from . import schedules as _schedules
from .slices import FusedVariables, VariableSlice, current_slice, update_in_slices

__all__ = ["Optimizer", "ScalarVariable"]

_OPTIMIZER_NAMES = UniqueNames()  # counted apart from the layers' names

# Keys that Keras 2 (2.11+) optimizer configs carry and that mean nothing here.
_LEGACY_CONFIG_KEYS = ("jit_compile", "is_legacy_optimizer")


def _value(x):
    return x.data if isinstance(x, Tensor) else x



# Variables with at least this many elements are updated in slices on npconv's threads
# (optimizers.slices): below it, handing slices to threads costs more than it saves.
PARALLEL_MIN_SIZE = 1 << 16

# Variables with at most this many elements are updated together, fused into one array
# (optimizers.slices.FusedVariables), by the built-in elementwise optimizers: copying them in
# and out costs less than an update_step call each. Measured with Adam on one thread: a ResNet-20's
# 82 variables (70 fused) 1.9 -> 1.4 ms a step; 60 variables of 16-2,304 elements 0.59 -> 0.39 ms
# (RMSprop 0.45 -> 0.24, Nadam 0.96 -> 0.41); SGD's two to four calls a variable gain nothing.
FUSE_MAX_SIZE = 1 << 12


class ScalarVariable(Variable):
    """A 0-d ``Variable`` that also reads as a plain number.

    Used for the optimizer's ``iterations`` counter and its float ``learning_rate``, as Keras
    holds them in scalar Variables: ``float(opt.learning_rate)``, ``int(opt.iterations)``,
    ``opt.learning_rate * 0.1``, ``f"{opt.learning_rate:.4g}"`` and comparisons all work on the
    value, while ``opt.learning_rate.assign(0.01)`` changes it in place.
    """

    __slots__ = ()

    def item(self):
        return self.data.item()

    def __float__(self):
        return float(self.data)

    def __int__(self):
        return int(self.data)

    def __index__(self):
        if self.data.dtype.kind not in "iu":
            raise TypeError(f"Variable '{self.name}' holds a {self.data.dtype}, not an integer")
        return int(self.data)

    def __bool__(self):
        return bool(self.data)

    def __format__(self, spec):
        return format(self.data.item(), spec)

    def __hash__(self):
        return id(self)

    # comparisons and arithmetic act on the value (a NumPy scalar comes back)
    def __eq__(self, other):
        return bool(self.data[()] == _value(other))

    def __ne__(self, other):
        return bool(self.data[()] != _value(other))

    def __lt__(self, other):
        return bool(self.data[()] < _value(other))

    def __le__(self, other):
        return bool(self.data[()] <= _value(other))

    def __gt__(self, other):
        return bool(self.data[()] > _value(other))

    def __ge__(self, other):
        return bool(self.data[()] >= _value(other))

    def __add__(self, other):
        return self.data[()] + _value(other)

    def __radd__(self, other):
        return _value(other) + self.data[()]

    def __sub__(self, other):
        return self.data[()] - _value(other)

    def __rsub__(self, other):
        return _value(other) - self.data[()]

    def __mul__(self, other):
        return self.data[()] * _value(other)

    def __rmul__(self, other):
        return _value(other) * self.data[()]

    def __truediv__(self, other):
        return self.data[()] / _value(other)

    def __rtruediv__(self, other):
        return _value(other) / self.data[()]

    def __floordiv__(self, other):
        return self.data[()] // _value(other)

    def __mod__(self, other):
        return self.data[()] % _value(other)

    def __pow__(self, other):
        return self.data[()] ** _value(other)

    def __neg__(self):
        return -self.data[()]

    def __repr__(self):
        return f"<Variable '{self.path}' shape=() dtype={self.data.dtype} value={self.data}>"


def _across_ranks(grads):
    """Under data parallelism (``npconv.distribution``), the gradients summed over the ranks,
    each rank's weighted by its share of the batch (or equally, outside ``fit``); else as
    they are. Every rank applies the same update, so the weights stay identical."""
    from ..distribution.replicas import active

    dist = active()
    if dist is None:
        return grads
    share = dist.share if dist.share is not None else 1.0 / dist.size
    return dist.allreduce_gradients(grads, share)


def _is_schedule(value) -> bool:
    return isinstance(value, _schedules.LearningRateSchedule) or (
        callable(value) and not isinstance(value, Tensor)
    )


def _wants_step(fn) -> bool:
    """Whether a learning-rate callable needs the step (Keras calls plain callables with no
    arguments; a callable with one required positional parameter gets the step)."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return False
    required = [
        p
        for p in signature.parameters.values()
        if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    return len(required) >= 1


def _as_float(value, what):
    value = _value(value)
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, xp.ndarray, xp.generic)):
        raise ValueError(
            f"Argument `{what}` should be a float, or an instance of LearningRateSchedule, or "
            f"a callable returning the learning rate. Received instead: {what}={value!r}"
        )
    array = xp.asarray(value)
    if array.shape != () or array.dtype.kind not in "iuf":
        raise ValueError(f"Argument `{what}` should be a scalar number, got {value!r}")
    return float(array)


class Optimizer:
    """Base class of npconv's optimizers (Keras 3's ``keras.optimizers.Optimizer``).

    Arguments shared by every optimizer (names and defaults are Keras 3's):

    - ``learning_rate``: a float, a ``schedules.LearningRateSchedule`` (called with the step),
      or a callable returning the rate (called with no arguments, as Keras; or with the step if
      it takes one positional argument).
    - ``weight_decay``: decoupled weight decay, ``variable -= variable * weight_decay * lr``
      before each update (Loshchilov & Hutter); ``None`` for none.
    - ``clipnorm`` / ``global_clipnorm`` / ``clipvalue``: clip each gradient to this L2 norm /
      all gradients together to this global norm / each element to ``[-v, v]`` (at most one).
    - ``use_ema``, ``ema_momentum=0.99``, ``ema_overwrite_frequency``: keep an exponential
      moving average of the weights (``avg = m * avg + (1 - m) * w``); copy it into the weights
      every ``ema_overwrite_frequency`` steps, or at ``finalize_variable_values``.
    - ``loss_scale_factor``: gradients are divided by it (``scale_loss`` multiplies the loss).
    - ``gradient_accumulation_steps``: update only every n-th call, with the mean gradient of
      the last n calls.
    - ``name``: ``'sgd'``, ``'adam_1'``, ... when not given.

    Keras 2 spellings, accepted because the tutorials use them:

    - ``lr=``: the same as ``learning_rate=`` (and ``optimizer.lr`` reads and sets it).
    - ``decay=``: Keras 2's inverse-time decay; each step uses
      ``learning_rate / (1 + decay * iterations)``. Keras 3 ignores ``decay`` with a warning
      (its equivalent is ``schedules.InverseTimeDecay(lr, 1, decay)``); npconv keeps Keras 2's
      meaning so that ``SGD(momentum=0.5, decay=0.0004)`` trains as it did. As in Keras 2,
      ``optimizer.learning_rate`` reads and sets the undecayed base rate, so callbacks that
      lower it compose with ``decay``.

    Unknown keyword arguments raise ``TypeError`` naming them and listing the valid ones.
    Keras 3 refuses an ``int`` learning rate; npconv accepts it as a float.

    State (``variables``): ``[iterations, learning_rate (a float one only), slots...]`` in
    Keras's order: EMA averages, then gradient accumulators, then the optimizer's slots, group
    by group, interleaved per variable in build order (Adam: ``m0, v0, m1, v1, ...``).
    ``get_weights()``/``set_weights()`` and ``save_own_variables()``/``load_own_variables()``
    move that state as arrays; to restore, build on the same variables in the same order first.

    One deviation from Keras: a variable not seen at build time gets its slots when it first
    comes (Keras raises "Unknown variable"), so layers unfrozen later and variables whose first
    gradient was ``None`` just work. Their slots go to the end of ``variables``.

    Subclassing: implement ``_slot_groups()`` (the slots each variable gets) and
    ``update_step(gradient, variable, learning_rate)`` (update ``variable.data`` and the slots,
    read with ``self._slot(variable, name)``, in place), and extend ``get_config()``.
    """

    def __init__(
        self,
        learning_rate,
        weight_decay=None,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
        use_ema=False,
        ema_momentum=0.99,
        ema_overwrite_frequency=None,
        loss_scale_factor=None,
        gradient_accumulation_steps=None,
        name=None,
        **kwargs,
    ):
        if "lr" in kwargs:  # Keras 2's spelling
            learning_rate = kwargs.pop("lr")
        decay = kwargs.pop("decay", None)
        if kwargs:
            raise TypeError(self._unknown_arguments_message(kwargs))

        if name is None:
            name = _OPTIMIZER_NAMES(to_snake_case(type(self).__name__))
        self.name = name
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.global_clipnorm = global_clipnorm
        self.clipvalue = clipvalue
        self.use_ema = use_ema
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self.decay = 0.0 if decay is None else _as_float(decay, "decay")
        if self.decay < 0:
            raise ValueError(f"Argument `decay` must be >= 0. Received: decay={decay}")

        if gradient_accumulation_steps and not gradient_accumulation_steps >= 2:
            raise ValueError(
                "`gradient_accumulation_steps` must be an integer >= 2. "
                f"Received: gradient_accumulation_steps={gradient_accumulation_steps}"
            )
        if use_ema:
            if ema_momentum > 1 or ema_momentum < 0:
                raise ValueError(
                    f"`ema_momentum` must be in the range [0, 1]. Received: "
                    f"ema_momentum={ema_momentum}"
                )
            if ema_overwrite_frequency and (
                not isinstance(ema_overwrite_frequency, int) or ema_overwrite_frequency < 1
            ):
                raise ValueError(
                    "`ema_overwrite_frequency` must be an integer >= 1 or None. Received: "
                    f"ema_overwrite_frequency={ema_overwrite_frequency}"
                )
        if sum(a is not None for a in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError(
                "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. "
                f"Received: clipnorm={clipnorm}, clipvalue={clipvalue}, "
                f"global_clipnorm={global_clipnorm}"
            )

        self.built = False
        self._variables: list[Variable] = []
        self._trainable_variables: list[Variable] = []
        self._index: dict[int, int] = {}
        self._slots: list[dict[str, Variable]] = []
        self._buffers: dict = {}
        self._exclude_from_weight_decay = set()
        self._exclude_from_weight_decay_pattern = None

        self._iterations = ScalarVariable(0, name="iteration", dtype="int64", trainable=False)
        self._iterations.path = f"{self.name}/iteration"
        self._variables.append(self._iterations)
        if _is_schedule(learning_rate):
            self._learning_rate = learning_rate
            self._lr_wants_step = not isinstance(
                learning_rate, _schedules.LearningRateSchedule
            ) and _wants_step(learning_rate)
        else:
            value = _as_float(learning_rate, "learning_rate")
            self._learning_rate = ScalarVariable(
                value, name="learning_rate", dtype=backend.floatx(), trainable=False
            )
            self._learning_rate.path = f"{self.name}/learning_rate"
            self._variables.append(self._learning_rate)

    # ------------------------------------------------------------------ arguments
    @classmethod
    def _valid_arguments(cls):
        names = []
        for klass in (cls, Optimizer):
            for p in inspect.signature(klass.__init__).parameters.values():
                if p.name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
                    if p.name not in names:
                        names.append(p.name)
        return names + ["lr", "decay"]

    def _unknown_arguments_message(self, kwargs):
        valid = self._valid_arguments()
        unknown = sorted(kwargs)
        hints = []
        for arg in unknown:
            close = difflib.get_close_matches(arg, valid, n=1)
            if close:
                hints.append(f"'{arg}' (did you mean '{close[0]}'?)")
            else:
                hints.append(f"'{arg}'")
        plural = "s" if len(unknown) > 1 else ""
        return (
            f"{type(self).__name__} got unexpected keyword argument{plural} "
            f"{', '.join(hints)}. Valid arguments: {', '.join(valid)}"
        )

    # ------------------------------------------------------------------ counters and rates
    @property
    def iterations(self):
        """How many times ``apply`` has run (an int64 scalar Variable; with gradient
        accumulation, the number of actual updates, as Keras)."""
        if self.gradient_accumulation_steps:
            return xp.int64(int(self._iterations) // self.gradient_accumulation_steps)
        return self._iterations

    def _step(self) -> int:
        """``iterations`` as an int (update count under gradient accumulation)."""
        count = int(self._iterations.data)
        if self.gradient_accumulation_steps:
            return count // self.gradient_accumulation_steps
        return count

    @property
    def learning_rate(self):
        """The base learning rate: the float one's scalar Variable, or the schedule's value at
        the current step. (Keras 2's ``decay`` is applied on top of this at each step.)"""
        if isinstance(self._learning_rate, ScalarVariable):
            return self._learning_rate
        return self._scheduled_rate()

    @learning_rate.setter
    def learning_rate(self, value):
        if _is_schedule(value):
            if isinstance(self._learning_rate, ScalarVariable):
                # by identity: ScalarVariable's == compares values
                self._variables = [v for v in self._variables if v is not self._learning_rate]
            self._learning_rate = value
            self._lr_wants_step = not isinstance(
                value, _schedules.LearningRateSchedule
            ) and _wants_step(value)
            return
        if not isinstance(self._learning_rate, ScalarVariable):
            raise TypeError(
                "This optimizer was created with a `LearningRateSchedule` (or callable) as its "
                "`learning_rate` constructor argument, hence its learning rate is not settable. "
                "If you need the learning rate to be settable, you should instantiate the "
                "optimizer with a float `learning_rate` argument."
            )
        self._learning_rate.assign(_as_float(value, "learning_rate"))

    # Keras 2's name for it
    lr = learning_rate

    @property
    def learning_rate_schedule(self):
        """The schedule (or callable) the rate comes from, else None: the learning-rate
        callbacks refuse to set a scheduled rate, as Keras 3 does. npconv's own name."""
        return None if isinstance(self._learning_rate, ScalarVariable) else self._learning_rate

    def _scheduled_rate(self):
        rate = self._learning_rate
        if isinstance(rate, _schedules.LearningRateSchedule) or self._lr_wants_step:
            value = rate(int(self._iterations.data))
        else:
            value = rate()
        return xp.asarray(_value(value), dtype=backend.floatx())[()]

    def _current_learning_rate(self):
        """The rate this step uses: the base rate with Keras 2's ``decay`` applied, as a scalar
        of the default float type."""
        if isinstance(self._learning_rate, ScalarVariable):
            lr = self._learning_rate.data[()]
        else:
            lr = self._scheduled_rate()
        if self.decay:
            t = lr.dtype.type(int(self._iterations.data))
            lr = lr / (lr.dtype.type(1) + lr.dtype.type(self.decay) * t)
        return lr

    # ------------------------------------------------------------------ slots
    def _slot_groups(self):
        """The slots each variable gets, as Keras creates them: a list of groups, each a list of
        ``(name, initial_value)``; within a group the slots are interleaved per variable."""
        return []

    def _build_extra(self, variables):
        """Optimizer-wide state made once, at the first build (Nadam's running product)."""

    def add_variable(self, shape, initializer="zeros", dtype=None, name=None):
        """A new tracked, non-trainable state Variable (Keras's ``add_variable``)."""
        dtype = dtype or backend.floatx()
        if callable(initializer):
            value = initializer(tuple(shape), dtype=dtype)
        elif initializer == "zeros":
            value = xp.zeros(shape, dtype=dtype)
        elif initializer == "ones":
            value = xp.ones(shape, dtype=dtype)
        else:
            value = xp.full(shape, initializer, dtype=dtype)
        variable = Variable(value, name=name, trainable=False, dtype=dtype)
        variable.path = f"{self.name}/{name}"
        self._variables.append(variable)
        return variable

    def add_variable_from_reference(self, reference_variable, name=None, initializer="zeros"):
        """A state Variable shaped and typed like ``reference_variable``, named
        ``{reference_path}_{name}`` (``dense_kernel_momentum``) as Keras names them."""
        name = name or "var"
        ref = getattr(reference_variable, "path", None) or reference_variable.name or "variable"
        return self.add_variable(
            reference_variable.shape,
            initializer=initializer,
            dtype=reference_variable.dtype,
            name=f"{str(ref).replace('/', '_').replace(':', '_')}_{name}",
        )

    def build(self, variables):
        """Create the slots of the variables not seen before (Keras's ``build(var_list)``).

        Called by ``apply`` on first use; call it yourself before ``set_weights`` to restore a
        saved state.
        """
        new = []
        for v in variables:
            if id(v) not in self._index:
                self._index[id(v)] = len(self._trainable_variables)
                self._trainable_variables.append(v)
                self._slots.append({})
                new.append(v)
        if not new:
            self.built = True
            return
        groups = []
        if self.use_ema:
            groups.append([("average", "zeros")])
        if self.gradient_accumulation_steps:
            groups.append([("gradient_accumulator", "zeros")])
        groups.extend(self._slot_groups())
        for group in groups:
            for v in new:
                slots = self._slots[self._index[id(v)]]
                for slot_name, initial in group:
                    slots[slot_name] = self.add_variable_from_reference(v, slot_name, initial)
        if not self.built:
            self._build_extra(new)
        self.built = True

    def _slot(self, variable, name):
        """The array of ``variable``'s slot ``name`` (updated in place)."""
        if type(variable) is FusedVariables:  # small variables updated as one
            return variable.slot(self, name)
        if type(variable) is VariableSlice:  # a sliced update (optimizers.slices)
            return variable.part(self._slots[self._index[id(variable.variable)]][name].data)
        return self._slots[self._index[id(variable)]][name].data

    def _get_variable_index(self, variable):
        return self._index[id(variable)]

    def _buffer(self, like, k=0):
        """Scratch array ``k`` shaped and typed like ``like`` (reused across steps)."""
        piece = current_slice()
        if piece is not None and like is piece.data:
            # a sliced update (optimizers.slices): its part of the whole variable's buffer
            return piece.part(self._buffer(piece.variable.data, k))
        key = (like.shape, like.dtype.str, k)
        buf = self._buffers.get(key)
        if buf is None:
            buf = self._buffers[key] = xp.empty_like(like)
        return buf

    @property
    def variables(self):
        """The optimizer's state Variables, in Keras's order (see the class docstring)."""
        return list(self._variables)

    @property
    def built_variables(self):
        """The variables ``build`` made slots for, in slot order: ``npconv.io`` saves their
        places among the model's weights, so that loading builds the optimizer on the same
        ones. npconv's own name."""
        return list(self._trainable_variables)

    # ------------------------------------------------------------------ applying gradients
    def apply_gradients(self, grads_and_vars):
        """Update each variable from its gradient: ``[(grad, variable), ...]``; a ``None``
        gradient skips its variable. Returns ``iterations``."""
        pairs = list(grads_and_vars)
        if pairs:
            grads, variables = zip(*pairs)
            self.apply(grads, variables)
        return self._iterations

    def apply(self, grads, trainable_variables=None):
        """Update ``trainable_variables`` (or, when omitted, the variables the optimizer was
        built with, in that order) from ``grads``."""
        grads = list(grads)
        if not grads:
            return
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    "When passing `grads` without `variables`, the optimizer must already be "
                    "built on a list of variables. Call `optimizer.build(trainable_variables)` "
                    "first."
                )
            variables = list(self._trainable_variables)
        else:
            variables = list(trainable_variables)
        if len(grads) != len(variables):
            raise ValueError(
                f"Optimizer '{self.name}' got {len(grads)} gradients for {len(variables)} "
                "variables; they must match one to one"
            )
        for i, v in enumerate(variables):
            if not isinstance(getattr(v, "data", None), xp.ndarray):
                raise TypeError(
                    f"Optimizer '{self.name}' updates npconv Variables in place; variable {i} "
                    f"is a {type(v).__name__}"
                )
        self.build(variables)

        kept_grads, kept_vars, missing = [], [], []
        for g, v in zip(grads, variables):
            if g is None:
                missing.append(v.path or v.name)
            else:
                kept_grads.append(self._as_gradient(g, v))
                kept_vars.append(v)
        if not kept_vars:
            raise ValueError(
                f"No gradients provided for any variable: {[v.name for v in variables]}"
            )
        if missing:
            warnings.warn(
                f"Gradients do not exist for variables {missing} when minimizing the loss. If "
                "using `model.compile()`, did you forget to provide a `loss` argument?",
                stacklevel=2,
            )
        if self.loss_scale_factor is not None:
            kept_grads = [g / g.dtype.type(self.loss_scale_factor) for g in kept_grads]
        kept_grads = _across_ranks(kept_grads)

        self._apply_steps(kept_grads, kept_vars)

        for v in kept_vars:
            if v.constraint is not None:
                v.data[...] = _value(v.constraint(v.data))
        self._iterations.data += 1

    def _as_gradient(self, grad, variable):
        grad = xp.asarray(_value(grad))
        if grad.dtype != variable.data.dtype:
            grad = grad.astype(variable.data.dtype)
        if grad.shape != variable.data.shape:
            raise ValueError(
                f"Optimizer '{self.name}': the gradient of variable '{variable.name}' has shape "
                f"{grad.shape}, the variable has shape {variable.data.shape}"
            )
        return grad

    def _apply_steps(self, grads, variables):
        steps = self.gradient_accumulation_steps
        if steps:
            accumulators = [self._slot(v, "gradient_accumulator") for v in variables]
            if (int(self._iterations.data) + 1) % steps == 0:
                for g, acc in zip(grads, accumulators):
                    acc += g
                    acc /= acc.dtype.type(steps)
                self._update(list(accumulators), variables)
                for acc in accumulators:
                    acc.fill(0)
            else:
                for g, acc in zip(grads, accumulators):
                    acc += g
        else:
            self._update(grads, variables)
        if self.use_ema:
            self._update_moving_averages()

    def _update(self, grads, variables):
        grads = self._clip_gradients(grads)
        self._apply_weight_decay(variables)
        self._update_steps(grads, variables, self._current_learning_rate())

    def _update_steps(self, grads, variables, learning_rate):
        if self._fuses_small_variables():
            grads, variables = self._update_fused(grads, variables, learning_rate)
        for g, v in zip(grads, variables):
            lr = v.data.dtype.type(learning_rate)
            w = v.data
            if (
                self._elementwise_update
                and w.size >= PARALLEL_MIN_SIZE
                and w.flags.c_contiguous
                and g.flags.c_contiguous
            ):
                self._update_in_pieces(g.reshape(-1), v, lr)
            else:
                self.update_step(g, v, lr)

    def _fuses_small_variables(self):
        """Whether small variables are updated together: for the built-in elementwise
        optimizers only (a subclass's own ``update_step`` may read a variable's shape)."""
        method = type(self).update_step
        return self._elementwise_update and self._fuse_small and method.__module__.startswith(
            __name__.rpartition(".")[0] + ".")

    # False where update_step is as cheap as copying the variables in and out (SGD)
    _fuse_small = True

    def _update_fused(self, grads, variables, learning_rate):
        """Update the variables of at most ``FUSE_MAX_SIZE`` elements together, one fused
        ``update_step`` per dtype; return the gradients and variables left to update."""
        groups, rest_g, rest_v = {}, [], []
        for g, v in zip(grads, variables):
            if v.data.size <= FUSE_MAX_SIZE:
                groups.setdefault(v.data.dtype, []).append((g, v))
            else:
                rest_g.append(g)
                rest_v.append(v)
        for dtype, pairs in groups.items():
            if len(pairs) == 1:
                rest_g.append(pairs[0][0])
                rest_v.append(pairs[0][1])
                continue
            fused = FusedVariables([v for _, v in pairs])
            g = xp.concatenate([g.reshape(-1) for g, _ in pairs])
            self.update_step(g, fused, dtype.type(learning_rate))
            fused.scatter()
        return rest_g, rest_v

    def _update_in_pieces(self, g, variable, learning_rate):
        """``update_step`` on slices of a large variable, on npconv's threads, for optimizers
        whose update is elementwise (``_elementwise_update``; the contract:
        ``optimizers.slices``): each slice sees the same arithmetic as the whole, so the result
        is the same."""
        for k in range(4):
            self._buffer(variable.data, k)  # made before the threads share them
        update_in_slices(self.update_step, g, variable, learning_rate, PARALLEL_MIN_SIZE // 2)

    # True for optimizers whose update_step is elementwise in variable.data, its slots
    # (self._slot) and buffers (self._buffer): large variables are then updated in slices on
    # npconv's threads, update_step receiving a VariableSlice (see optimizers.slices)
    _elementwise_update = False

    def update_step(self, gradient, variable, learning_rate):
        """Update ``variable.data`` (and this optimizer's slots) in place from ``gradient``
        (same shape and dtype) with ``learning_rate`` (a scalar of the variable's dtype)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ clipping
    def _clip_gradients(self, grads):
        if self.clipnorm and self.clipnorm > 0:
            return [self._clip_by_norm(g) for g in grads]
        if self.global_clipnorm and self.global_clipnorm > 0:
            return self._clip_by_global_norm(grads)
        if self.clipvalue and self.clipvalue > 0:
            out = []
            for g in grads:
                c = g.dtype.type(self.clipvalue)
                out.append(xp.clip(g, -c, c))
            return out
        return grads

    def _clip_by_norm(self, g):
        # tf.clip_by_norm: g * clipnorm / max(||g||, clipnorm)
        dt = g.dtype.type
        l2sum = xp.sum(xp.square(g))
        l2norm = xp.sqrt(l2sum) if l2sum > 0 else l2sum
        clip = dt(self.clipnorm)
        return (g * clip) / max(l2norm, clip)

    def _clip_by_global_norm(self, grads):
        dt = grads[0].dtype.type
        squared = xp.sum(xp.stack([xp.sum(xp.square(g)) for g in grads]))
        norm = xp.sqrt(squared)
        clip = dt(self.global_clipnorm)
        with xp.errstate(divide="ignore", invalid="ignore", over="ignore"):
            # Keras: clip * min(1 / norm, 1 / clip), made NaN when the norm is not finite
            scale = clip * xp.minimum(dt(1.0) / norm, dt(1.0 / self.global_clipnorm))
            scale = scale + (norm - norm)
        return [g * g.dtype.type(scale) for g in grads]

    # ------------------------------------------------------------------ weight decay
    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Exempt variables from ``weight_decay``: those in ``var_list``, and those whose name
        contains any of the strings in ``var_names`` (e.g. ``['bias']``). Call before the
        first update."""
        if self.built:
            raise ValueError(
                "`exclude_from_weight_decay()` can only be configured before the optimizer is "
                "built."
            )
        self._exclude_from_weight_decay = {id(v) for v in var_list or []}
        self._exclude_from_weight_decay_pattern = (
            re.compile("|".join(set(var_names))) if var_names else None
        )

    def _use_weight_decay(self, variable) -> bool:
        if id(variable) in self._exclude_from_weight_decay:
            return False
        pattern = self._exclude_from_weight_decay_pattern
        if pattern is not None and re.search(pattern, str(variable.name)) is not None:
            return False
        return True

    def _apply_weight_decay(self, variables):
        if self.weight_decay is None:
            return
        lr = self._current_learning_rate()
        for v in variables:
            if self._use_weight_decay(v):
                w = v.data
                dt = w.dtype.type
                tmp = self._buffer(w)
                xp.multiply(w, dt(self.weight_decay), out=tmp)
                tmp *= dt(lr)
                w -= tmp

    # ------------------------------------------------------------------ moving averages
    def _update_moving_averages(self):
        step = self._step()
        for v, slots in zip(self._trainable_variables, self._slots):
            average = slots["average"].data
            dt = average.dtype.type
            momentum = dt(1.0 if step != 0 else 0.0) * dt(self.ema_momentum)
            average *= momentum
            tmp = self._buffer(average)
            xp.multiply(v.data, dt(1) - momentum, out=tmp)
            average += tmp
        freq = self.ema_overwrite_frequency
        if freq and (step + 1) % freq == 0:
            for v, slots in zip(self._trainable_variables, self._slots):
                v.data[...] = slots["average"].data

    def finalize_variable_values(self, var_list):
        """With ``use_ema``, copy the moving averages into the variables (``fit`` does this
        after the last epoch)."""
        if not self.use_ema:
            return
        for v in var_list:
            index = self._index.get(id(v))
            if index is not None:
                v.data[...] = self._slots[index]["average"].data

    def scale_loss(self, loss):
        """The loss multiplied by ``loss_scale_factor`` (unchanged when it is ``None``)."""
        if self.loss_scale_factor is not None:
            return loss * self.loss_scale_factor
        return loss

    # ------------------------------------------------------------------ state
    def get_weights(self):
        """Copies of the state arrays, in ``variables`` order."""
        return [v.data.copy() for v in self._variables]

    def set_weights(self, weights):
        """Restore the state from ``get_weights()``'s list (build the optimizer first)."""
        if not self.built:
            raise ValueError(
                "You are calling `set_weights()` on an optimizer that has not yet been built. "
                "Please call `optimizer.build(trainable_variables)` to create the optimizer "
                "weights before calling `set_weights()`."
            )
        weights = list(weights)
        if len(weights) != len(self._variables):
            raise ValueError(
                f"Optimizer '{self.name}' has {len(self._variables)} state variables, got "
                f"{len(weights)} arrays"
            )
        for variable, weight in zip(self._variables, weights):
            weight = xp.asarray(_value(weight))
            if variable.shape != weight.shape:
                raise ValueError(
                    f"Optimizer variable '{variable.path}' has shape {variable.shape}, not "
                    f"compatible with provided weight shape {weight.shape}."
                )
        for variable, weight in zip(self._variables, weights):
            variable.assign(weight)

    def save_own_variables(self, store):
        """Write the state into ``store`` (a dict-like): ``store['0'], store['1'], ...``, as
        Keras does in ``.keras`` files."""
        for i, variable in enumerate(self._variables):
            store[str(i)] = variable.data.copy()

    def load_own_variables(self, store):
        """Read the state written by ``save_own_variables`` (build the optimizer first); like
        Keras, warn and skip when the number of variables differs."""
        if len(store.keys()) != len(self._variables):
            msg = (
                f"Skipping variable loading for optimizer '{self.name}', because it has "
                f"{len(self._variables)} variables whereas the saved optimizer has "
                f"{len(store.keys())} variables. "
            )
            if not self.built:
                msg += "This is likely because the optimizer has not been called/built yet."
            warnings.warn(msg, stacklevel=2)
            return
        for i, variable in enumerate(self._variables):
            variable.assign(store[str(i)])

    # ------------------------------------------------------------------ config
    def get_config(self):
        """The constructor arguments as a JSON-able dict (Keras 3's keys; ``decay`` only when
        set). ``from_config`` rebuilds the optimizer from it, without state."""
        rate = self._learning_rate
        if isinstance(rate, ScalarVariable):
            learning_rate = float(rate.data)
        elif isinstance(rate, _schedules.LearningRateSchedule):
            learning_rate = _schedules.serialize(rate)
        else:
            name = getattr(rate, "__name__", type(rate).__name__)
            learning_rate = {
                "module": getattr(rate, "__module__", None),
                "class_name": "function",
                "config": name,
                "registered_name": name,
            }
        config = {
            "name": self.name,
            "learning_rate": learning_rate,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
        }
        if self.decay:
            config["decay"] = self.decay
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """An optimizer of this class from ``get_config()``'s dict (Keras 3's or Keras 2's)."""
        config = dict(config)
        for key in _LEGACY_CONFIG_KEYS:
            config.pop(key, None)
        rate = config.get("learning_rate")
        if isinstance(rate, dict):
            if rate.get("class_name") == "function":
                name = rate.get("registered_name") or rate.get("config")
                if not custom_objects or name not in custom_objects:
                    raise ValueError(
                        f"The learning rate is the function {name!r}; pass it in "
                        f"custom_objects={{{name!r}: fn}} (functions are never imported from "
                        "a config)"
                    )
                config["learning_rate"] = custom_objects[name]
            else:
                config["learning_rate"] = _schedules.deserialize(rate, custom_objects)
        return cls(**config)

    def __repr__(self):
        rate = self._learning_rate
        rate = str(rate.data) if isinstance(rate, ScalarVariable) else repr(rate)
        return f"<{type(self).__name__} name='{self.name}' learning_rate={rate}>"
