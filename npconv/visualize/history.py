"""Learning curves: each metric of a training run against the epoch, train beside validation.

What the tutorials draw after ``history = model.fit(...)``: ``history.history['loss']`` and
``history.history['val_loss']`` on one plot, one plot per metric.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ._figure import finish, new_figure


def _history_dict(history) -> dict:
    logs = getattr(history, "history", history)
    if not isinstance(logs, Mapping):
        raise TypeError(
            "plot_history expects a History (the value model.fit returns) or a dict of "
            f"per-epoch lists such as {{'loss': [...], 'val_loss': [...]}}, got {type(history)!r}"
        )
    return dict(logs)


def _default_metrics(logs) -> list[str]:
    """Every logged name without its ``val_`` prefix, in logging order (``loss`` first)."""
    out = []
    for key in logs:
        base = key[4:] if key.startswith("val_") else key
        if base not in out:
            out.append(base)
    return out


def plot_history(history, metrics=None, path=None):
    """Plot learning curves; return the ``Figure`` (also saved to ``path`` if given).

    Args:
        history: a ``History`` (``model.fit``'s return value; its ``.history`` is used) or a
            plain dict ``{'loss': [...], 'accuracy': [...], 'val_loss': [...], ...}`` of one
            value per epoch.
        metrics: names to plot, one subplot each (``'loss'``, ``'accuracy'``, ...; a single
            name is accepted). Each subplot has the training curve and, when logged, the
            ``val_`` curve. Default: every logged metric.
        path: if given, the figure is also written there (format from the extension).

    Epochs are numbered from 1 on the x axis, as Keras's progress output counts them.
    """
    logs = _history_dict(history)
    if not logs:
        raise ValueError("The history is empty: nothing was logged (did fit run any epochs?)")
    if metrics is None:
        metrics = _default_metrics(logs)
    elif isinstance(metrics, str):
        metrics = [metrics]
    metrics = list(metrics)
    if not metrics:
        raise ValueError("metrics is empty: name at least one logged metric to plot")
    for name in metrics:
        if name not in logs and f"val_{name}" not in logs:
            raise ValueError(
                f"Metric '{name}' is not in the history; logged names are {sorted(logs)}"
            )

    cols = min(len(metrics), 3)
    rows = -(-len(metrics) // cols)
    fig = new_figure(4.8 * cols, 3.6 * rows)
    from matplotlib.ticker import MaxNLocator

    for i, name in enumerate(metrics):
        ax = fig.add_subplot(rows, cols, i + 1)
        for key, label, style in ((name, "train", "o-"), (f"val_{name}", "validation", "s--")):
            if key in logs:
                values = np.asarray(logs[key], dtype=np.float64).reshape(-1)
                epochs = np.arange(1, len(values) + 1)
                ax.plot(epochs, values, style, label=label, markersize=3)
        ax.set_title(name)
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(True, alpha=0.3)
        ax.legend()
    return finish(fig, path)
