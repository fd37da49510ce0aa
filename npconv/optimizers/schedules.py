"""Learning-rate schedules: the learning rate as a function of the optimizer's step.

Pass one as an optimizer's ``learning_rate`` and the optimizer calls it with its iteration
count (the number of ``apply_gradients`` calls so far, starting at 0) before every update::

    lr = schedules.ExponentialDecay(0.1, decay_steps=1000, decay_rate=0.96)
    opt = npconv.optimizers.SGD(learning_rate=lr)

Names, arguments, defaults and formulas are Keras 3's
(``keras.optimizers.schedules``). Each value is computed in float32 scalars in the order Keras
computes it, so an optimizer driven by a schedule follows Keras's trajectory to float32
rounding. A schedule returns a NumPy float32 scalar.

Your own schedule: subclass ``LearningRateSchedule``, implement ``__call__(step)`` and
``get_config()``.
"""

from __future__ import annotations

import math

import numpy as np

from .. import backend

__all__ = [
    "LearningRateSchedule",
    "ExponentialDecay",
    "InverseTimeDecay",
    "PiecewiseConstantDecay",
    "PolynomialDecay",
    "CosineDecay",
    "CosineDecayRestarts",
    "serialize",
    "deserialize",
]


def _f(value):
    """``value`` as a scalar of the default float type (float32)."""
    return np.dtype(backend.floatx()).type(value)


def _step(step):
    """The step as a Python number (accepts ints, NumPy scalars, 0-d arrays and Tensors)."""
    data = getattr(step, "data", step)
    return np.asarray(data).item()


def _check_decay_steps(name, value):
    if value <= 0:
        raise ValueError(f"Argument `{name}` must be > 0. Received: {name}={value}")


class LearningRateSchedule:
    """Base class: a 1-argument callable, step -> learning rate.

    Subclasses implement ``__call__(self, step)`` and ``get_config(self)``; ``from_config``
    rebuilds one from its config (``cls(**config)``).
    """

    def __call__(self, step):
        raise NotImplementedError(
            f"Learning rate schedule '{self.__class__.__name__}' must override "
            "`__call__(self, step)`."
        )

    def get_config(self):
        raise NotImplementedError(
            f"Learning rate schedule '{self.__class__.__name__}' must override "
            "`get_config()` in order to be serializable."
        )

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        try:
            args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        except NotImplementedError:
            args = ""
        return f"{self.__class__.__name__}({args})"


class ExponentialDecay(LearningRateSchedule):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)``.

    With ``staircase=True`` the exponent is ``floor(step / decay_steps)``: the rate drops by
    ``decay_rate`` once every ``decay_steps`` steps instead of a little every step.
    """

    def __init__(
        self,
        initial_learning_rate,
        decay_steps,
        decay_rate,
        staircase=False,
        name="ExponentialDecay",
    ):
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name
        _check_decay_steps("decay_steps", decay_steps)

    def __call__(self, step):
        p = _f(_step(step)) / _f(self.decay_steps)
        if self.staircase:
            p = np.floor(p)
        return _f(self.initial_learning_rate) * np.power(_f(self.decay_rate), p)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


class InverseTimeDecay(LearningRateSchedule):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)``.

    With ``staircase=True``, ``step / decay_steps`` is floored. ``InverseTimeDecay(lr, 1, d)``
    is exactly Keras 2's ``decay=d`` argument (``lr / (1 + d * iterations)``).
    """

    def __init__(
        self,
        initial_learning_rate,
        decay_steps,
        decay_rate,
        staircase=False,
        name="InverseTimeDecay",
    ):
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name
        _check_decay_steps("decay_steps", decay_steps)

    def __call__(self, step):
        p = _f(_step(step)) / _f(self.decay_steps)
        if self.staircase:
            p = np.floor(p)
        return _f(self.initial_learning_rate) / (_f(1) + _f(self.decay_rate) * p)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


class PiecewiseConstantDecay(LearningRateSchedule):
    """A step function: ``values[0]`` while ``step <= boundaries[0]``, ``values[i]`` while
    ``boundaries[i-1] < step <= boundaries[i]``, ``values[-1]`` after ``boundaries[-1]``.

    ``values`` has one more entry than ``boundaries``.
    """

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "The length of boundaries should be 1 less than the length of values. "
                f"Received: boundaries={boundaries} of length {len(boundaries)}, and "
                f"values={values} of length {len(values)}."
            )
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def __call__(self, step):
        step = _step(step)
        for boundary, value in zip(self.boundaries, self.values):
            if step <= boundary:
                return _f(value)
        return _f(self.values[-1])

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """From ``initial_learning_rate`` to ``end_learning_rate`` over ``decay_steps`` steps:
    ``(initial - end) * (1 - min(step, decay_steps) / decay_steps) ** power + end``.

    With ``cycle=True`` the horizon is the first multiple of ``decay_steps`` not below the step,
    so the rate restarts instead of staying at ``end_learning_rate``.
    """

    def __init__(
        self,
        initial_learning_rate,
        decay_steps,
        end_learning_rate=0.0001,
        power=1.0,
        cycle=False,
        name="PolynomialDecay",
    ):
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name
        _check_decay_steps("decay_steps", decay_steps)

    def __call__(self, step):
        initial = _f(self.initial_learning_rate)
        end = _f(self.end_learning_rate)
        t = _f(_step(step))
        horizon = _f(self.decay_steps)
        if self.cycle:
            multiplier = _f(1.0) if t == 0 else np.ceil(t / horizon)
            horizon = horizon * multiplier
        else:
            t = min(t, horizon)
        p = t / horizon
        return (initial - end) * np.power(_f(1) - p, _f(self.power)) + end

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "end_learning_rate": self.end_learning_rate,
            "power": self.power,
            "cycle": self.cycle,
            "name": self.name,
        }


class CosineDecay(LearningRateSchedule):
    """Optional linear warmup, then half a cosine down to ``alpha`` times the start rate.

    Without warmup (``warmup_target=None``): ``initial_learning_rate * ((1 - alpha) *
    0.5 * (1 + cos(pi * min(step, decay_steps) / decay_steps)) + alpha)``.

    With ``warmup_target``: for ``step < warmup_steps`` the rate rises linearly from
    ``initial_learning_rate`` to ``warmup_target``; then the cosine above runs from
    ``warmup_target`` over the next ``decay_steps`` steps (Loshchilov & Hutter's SGDR decay,
    Goyal et al.'s warmup).
    """

    def __init__(
        self,
        initial_learning_rate,
        decay_steps,
        alpha=0.0,
        name="CosineDecay",
        warmup_target=None,
        warmup_steps=0,
    ):
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_steps = warmup_steps
        self.warmup_target = warmup_target
        _check_decay_steps("decay_steps", decay_steps)

    def _decay(self, t, decay_steps, decay_from):
        fraction = t / decay_steps
        cosine = _f(0.5) * (_f(1.0) + np.cos(_f(math.pi) * fraction))
        decayed = _f(1 - self.alpha) * cosine + _f(self.alpha)
        return decay_from * decayed

    def __call__(self, step):
        initial = _f(self.initial_learning_rate)
        decay_steps = _f(self.decay_steps)
        t = _f(_step(step))
        if self.warmup_target is None:
            return self._decay(min(t, decay_steps), decay_steps, initial)
        target = _f(self.warmup_target)
        warmup_steps = _f(self.warmup_steps)
        t = min(t, decay_steps + warmup_steps)
        if t < warmup_steps:
            return (target - initial) * (t / warmup_steps) + initial
        return self._decay(t - warmup_steps, decay_steps, target)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "alpha": self.alpha,
            "name": self.name,
            "warmup_target": self.warmup_target,
            "warmup_steps": self.warmup_steps,
        }


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR): decay from 1 to ``alpha`` (times the rate) over
    ``first_decay_steps``, then restart; each period is ``t_mul`` times longer than the last and
    starts ``m_mul`` times lower."""

    def __init__(
        self,
        initial_learning_rate,
        first_decay_steps,
        t_mul=2.0,
        m_mul=1.0,
        alpha=0.0,
        name="SGDRDecay",
    ):
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = first_decay_steps
        self._t_mul = t_mul
        self._m_mul = m_mul
        self.alpha = alpha
        self.name = name
        _check_decay_steps("first_decay_steps", first_decay_steps)

    def __call__(self, step):
        initial = _f(self.initial_learning_rate)
        alpha = _f(self.alpha)
        t_mul = _f(self._t_mul)
        m_mul = _f(self._m_mul)
        fraction = _f(_step(step)) / _f(self.first_decay_steps)
        one = _f(1.0)
        if t_mul == one:
            i_restart = np.floor(fraction)
            fraction = fraction - i_restart
        else:
            i_restart = np.floor(np.log(one - fraction * (one - t_mul)) / np.log(t_mul))
            sum_r = (one - np.power(t_mul, i_restart)) / (one - t_mul)
            fraction = (fraction - sum_r) / np.power(t_mul, i_restart)
        m_fac = np.power(m_mul, i_restart)
        cosine = _f(0.5) * m_fac * (one + np.cos(_f(math.pi) * fraction))
        decayed = (one - alpha) * cosine + alpha
        return initial * decayed

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "first_decay_steps": self.first_decay_steps,
            "t_mul": self._t_mul,
            "m_mul": self._m_mul,
            "alpha": self.alpha,
            "name": self.name,
        }


_BUILTIN = {
    cls.__name__: cls
    for cls in (
        ExponentialDecay,
        InverseTimeDecay,
        PiecewiseConstantDecay,
        PolynomialDecay,
        CosineDecay,
        CosineDecayRestarts,
    )
}


def _over_steps(call):
    """``call(self, step)`` that also takes an array of steps (a tutorial plots a schedule
    over ``np.linspace(0, 1e5)``), giving the array of rates, as Keras's vectorized ops do."""
    def schedule(self, step):
        data = np.asarray(getattr(step, "data", step))
        if data.ndim == 0:
            return call(self, step)
        rates = [call(self, s) for s in data.ravel()]
        return np.asarray(rates, dtype=backend.floatx()).reshape(data.shape)

    schedule.__name__, schedule.__doc__ = call.__name__, call.__doc__
    return schedule


for _cls in (ExponentialDecay, InverseTimeDecay, PiecewiseConstantDecay, PolynomialDecay,
             CosineDecay, CosineDecayRestarts):
    _cls.__call__ = _over_steps(_cls.__call__)
del _cls


def serialize(learning_rate_schedule):
    """A schedule as Keras 3's serialized dict (``module``, ``class_name``, ``config``)."""
    cls = type(learning_rate_schedule)
    module = "keras.optimizers.schedules" if cls.__name__ in _BUILTIN else cls.__module__
    return {
        "module": module,
        "class_name": cls.__name__,
        "config": learning_rate_schedule.get_config(),
        "registered_name": None if cls.__name__ in _BUILTIN else cls.__name__,
    }


def deserialize(config, custom_objects=None):
    """A schedule from ``serialize``'s dict (Keras 3's, or Keras 2's ``{class_name, config}``).

    Classes not built in are looked up in ``custom_objects`` (name -> class), never imported.
    """
    if isinstance(config, LearningRateSchedule):
        return config
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            f"Could not interpret learning rate schedule config: {config!r}; expected a dict "
            "with 'class_name' and 'config'"
        )
    name = config["class_name"]
    registry = dict(_BUILTIN)
    registry.update(custom_objects or {})
    for key in (name, config.get("registered_name")):
        if key in registry:
            return registry[key].from_config(dict(config.get("config") or {}))
    raise ValueError(
        f"Unknown learning rate schedule {name!r}. Built in: {sorted(_BUILTIN)}; "
        "pass your own class in custom_objects={name: cls}."
    )
