"""Progress display for ``fit``/``evaluate``/``predict`` (Keras's ``Progbar``).

On a terminal the bar redraws in place (``\\r``); with no terminal (a log file, CI, a
notebook pipe) it prints one line when the work is done instead of thousands of redraws — the
behaviour Keras users have long asked for. ``verbose=2`` prints one line per epoch.
"""

from __future__ import annotations

import sys
import time

import numpy as np


def _is_terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def format_value(value) -> str:
    # an array-valued metric (per class) is shown by its mean, as Keras's bar shows it
    value = float(np.mean(value))
    return f"{value:.4f}" if abs(value) >= 1e-3 or value == 0 else f"{value:.4e}"


def format_duration(seconds: float) -> str:
    if seconds >= 3600:
        return f"{int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}:{int(seconds % 60):02d}"
    if seconds >= 60:
        return f"{int(seconds // 60)}:{int(seconds % 60):02d}"
    if seconds >= 1:
        return f"{seconds:.0f}s"
    return f"{seconds * 1000:.0f}ms"


class Progbar:
    """``Progbar(target)``; ``update(current, values)`` as work advances."""

    def __init__(self, target, width=30, verbose=1, interval=0.05, stream=None, unit="step"):
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit = unit
        self.stream = stream or sys.stdout
        self.dynamic = _is_terminal(self.stream)
        self.start = time.perf_counter()
        self.last_draw = 0.0
        self.values = {}
        self.finished = False

    def update(self, current, values=None, finalize=None):
        self.values.update(dict(values or {}))
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        if self.verbose == 2 and finalize and not self.finished:
            # Keras's verbose=2: one line when the work is done, no bar
            self.stream.write(self._line(current, time.perf_counter() - self.start, True,
                                         summary=True) + "\n")
            self.stream.flush()
            self.finished = True
            return
        if self.verbose != 1 or self.finished:
            return
        now = time.perf_counter()
        if not finalize and (not self.dynamic or now - self.last_draw < self.interval):
            return
        self.last_draw = now
        line = self._line(current, now - self.start, finalize)
        if self.dynamic:
            self.stream.write("\r" + line + ("\n" if finalize else ""))
        elif finalize:
            self.stream.write(line + "\n")
        self.stream.flush()
        self.finished = finalize

    def _line(self, current, elapsed, finalize, summary=False):
        if summary:
            per = elapsed / max(current, 1)
            metrics = "".join(f" - {k}: {format_value(v)}" for k, v in self.values.items())
            total = f"/{self.target}" if self.target else ""
            return (f"{current}{total} - {format_duration(elapsed)} - "
                    f"{format_duration(per)}/{self.unit}{metrics}")
        if self.target:
            digits = len(str(self.target))
            done = int(self.width * current / self.target)
            bar = "━" * done + ("━" if done < self.width and finalize else "")
            bar = f"{bar:<{self.width}}" if self.dynamic else ""
            head = f"{current:>{digits}}/{self.target} {bar}".rstrip()
        else:
            head = f"{current}"
        per = elapsed / max(current, 1)
        if finalize:
            timing = f"{format_duration(elapsed)} {format_duration(per)}/{self.unit}"
        else:
            eta = per * (self.target - current) if self.target else 0.0
            timing = f"{format_duration(eta)} ETA" if self.target else format_duration(elapsed)
        metrics = "".join(f" - {k}: {format_value(v)}" for k, v in self.values.items())
        return f"{head} {timing}{metrics}"
