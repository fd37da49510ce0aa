"""What every plot shares: importing matplotlib lazily, making a figure, saving it atomically.

matplotlib is an optional extra (``pip install "npconv[plot]"``), so it is imported here, when a
plot is asked for, never when ``npconv`` or ``npconv.visualize`` is imported. Figures are made
from ``matplotlib.figure.Figure`` with an Agg canvas attached, not through ``pyplot``: no GUI
backend is chosen, no global state changes, nothing is kept in pyplot's list of open figures,
and it works the same on a headless server, in CI and in a notebook (which displays the returned
``Figure``).
"""

from __future__ import annotations

import os
import tempfile

INSTALL_HINT = 'pip install "npconv[plot]"'


def require_matplotlib():
    """Import and return ``matplotlib``, or raise an ``ImportError`` that says how to get it."""
    try:
        import matplotlib
        import matplotlib.figure  # noqa: F401
        from matplotlib.backends import backend_agg  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            "npconv.visualize needs matplotlib, which is not installed. Install the plotting "
            f"extra with: {INSTALL_HINT}  (or: pip install matplotlib)"
        ) from exc
    return matplotlib


def new_figure(width: float, height: float):
    """A ``Figure`` of ``width`` x ``height`` inches, constrained layout, on an Agg canvas."""
    require_matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def finish(fig, path=None, dpi: int = 100):
    """Save ``fig`` to ``path`` when one is given; return ``fig`` (every plot's last line)."""
    if path is not None:
        save_figure(fig, path, dpi=dpi)
    return fig


def save_figure(fig, path, dpi: int = 100) -> str:
    """Write ``fig`` to ``path`` atomically; the format comes from the extension (PNG if none).

    The parent folder is created. The image is written to a temporary file in the same folder
    and renamed over ``path`` (``os.replace``), so a reader never sees half a file and a failed
    save leaves any earlier file untouched. Returns the absolute path written.
    """
    target = os.path.abspath(os.fspath(path))
    folder = os.path.dirname(target)
    fmt = os.path.splitext(target)[1][1:].lower() or "png"
    supported = fig.canvas.get_supported_filetypes()
    if fmt not in supported:
        raise ValueError(
            f"Cannot save a figure as '.{fmt}' ({target}); use one of "
            f"{', '.join('.' + k for k in sorted(supported))}"
        )
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            fig.savefig(f, format=fmt, dpi=dpi)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target
