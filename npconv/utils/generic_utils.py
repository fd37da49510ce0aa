"""Keras 2's ``keras.utils.generic_utils`` path: ``Progbar``, ``to_list``, the custom-object
registry (``get_custom_objects``, ``CustomObjectScope`` / ``custom_object_scope``).

Keras 3 exports the same from ``keras.utils``; so does ``npconv.utils``.
"""

from __future__ import annotations

from ..io.custom_objects import get_custom_objects
from ..training.progbar import Progbar as _TrainingProgbar

__all__ = [
    "Progbar",
    "to_list",
    "get_custom_objects",
    "CustomObjectScope",
    "custom_object_scope",
]


class Progbar(_TrainingProgbar):
    """Keras's progress bar for one's own loops: ``Progbar(target)``, then
    ``update(current, values)`` or ``add(n, values)`` as work advances.

    ``values`` is a list of ``(name, value)`` pairs. As in Keras, a value is shown as its
    average over the steps so far, weighted by the steps each update covered, except for names
    in ``stateful_metrics``, shown as given. ``target=None`` when the total is unknown;
    ``verbose``: 0 silent, 1 a bar, 2 one line at the end; ``unit_name`` names a step in the
    timing (``'12ms/step'``). On a terminal the bar redraws in place; with no terminal (a log
    file, CI) only the final line is printed. ``stream`` (npconv's addition) is where it writes,
    ``sys.stdout`` by default.
    """

    def __init__(
        self,
        target,
        width=30,
        verbose=1,
        interval=0.05,
        stateful_metrics=None,
        unit_name="step",
        stream=None,
    ):
        super().__init__(
            target, width=width, verbose=verbose, interval=interval, stream=stream, unit=unit_name
        )
        self.unit_name = unit_name
        self.stateful_metrics = set(stateful_metrics or ())
        self._sums = {}
        self._seen_so_far = 0
        if verbose == 2:  # one line at the end, without the bar
            self.verbose, self.dynamic = 1, False

    def update(self, current, values=None, finalize=None):
        """Show progress at step ``current`` with ``values`` (``[(name, value), ...]``)."""
        shown = {}
        for name, value in values or []:
            value = float(getattr(value, "data", value))
            if name in self.stateful_metrics:
                self._sums[name] = [value, 1.0]
            else:
                steps = max(current - self._seen_so_far, 1)
                total, count = self._sums.get(name, [0.0, 0.0])
                self._sums[name] = [total + value * steps, count + steps]
        for name, (total, count) in self._sums.items():
            shown[name] = total / count
        self._seen_so_far = current
        super().update(current, shown, finalize=finalize)

    def add(self, n, values=None):
        """Advance by ``n`` steps."""
        self.update(self._seen_so_far + n, values)


def to_list(x):
    """``x`` as a list: a list stays itself, a tuple becomes a list, anything else ``[x]``."""
    if isinstance(x, list):
        return x
    if isinstance(x, tuple):
        return list(x)
    return [x]


class CustomObjectScope:
    """``with CustomObjectScope({"swish": swish}):`` — the objects are registered (see
    ``get_custom_objects``) inside the block only, as in Keras."""

    def __init__(self, *objects):
        self.objects = objects
        self._saved = None

    def __enter__(self):
        registry = get_custom_objects()
        self._saved = dict(registry)
        for objects in self.objects:
            registry.update(objects or {})
        return self

    def __exit__(self, *exc):
        registry = get_custom_objects()
        registry.clear()
        registry.update(self._saved)
        return False


custom_object_scope = CustomObjectScope
