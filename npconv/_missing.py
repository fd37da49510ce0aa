"""The error for a Keras name npconv does not have: ``npconv.layers.LSTM``, ``from npconv.losses
import Foo``, ``npconv.applications.VGG16``.

Each public package ends with a module ``__getattr__`` that calls ``not_provided``. Python calls
that hook only for names the module lacks, so the names it has cost nothing. The error says that
npconv does not provide the name and, when one of the package's names is close (``difflib``),
which. It is an ``AttributeError`` (``NotProvidedError``), so ``hasattr`` and ``getattr(m, name,
default)`` keep working; inside ``from package import Name`` it is an ``ImportError``
(``NotProvidedImportError``), because Python replaces any ``AttributeError`` raised there with
its own message, "cannot import name ...", which would drop ours.
"""

from __future__ import annotations

import sys

__all__ = ["NotProvidedError", "NotProvidedImportError", "not_provided"]


class NotProvidedError(AttributeError):
    """A Keras name that npconv does not provide (see the module docstring)."""


class NotProvidedImportError(ImportError):
    """``from npconv.package import Name`` for a Name npconv does not provide."""


def _public(names):
    return [n for n in names if isinstance(n, str) and not n.startswith("_")]


def closest(name: str, candidates) -> str | None:
    """The candidate closest to ``name`` (ignoring case), or ``None`` when none is close."""
    import difflib

    candidates = sorted(set(_public(candidates)))
    by_lower = {}
    for c in candidates:
        by_lower.setdefault(c.lower(), c)
    hit = difflib.get_close_matches(name.lower(), list(by_lower), n=1, cutoff=0.6)
    return by_lower[hit[0]] if hit else None


def message(module: str, name: str, candidates=(), note: str | None = None) -> str:
    """``npconv does not provide npconv.layers.LSTM`` plus the closest name, if any."""
    text = f"npconv does not provide {module}.{name}"
    near = closest(name, candidates)
    if near is not None and near != name:
        text += f"; the closest name it has is {module}.{near}"
    if note:
        text += f". {note}"
    return text


def _in_from_import(depth: int) -> bool:
    """Whether the Python frame ``depth`` levels up is executing ``from ... import``."""
    try:
        frame = sys._getframe(depth + 1)
        import opcode

        return opcode.opname[frame.f_code.co_code[frame.f_lasti]] == "IMPORT_FROM"
    except Exception:  # another interpreter, or no frame: an AttributeError is still right
        return False


def not_provided(module: str, name: str, candidates=(), note: str | None = None, _depth=2):
    """The exception a package's ``__getattr__`` raises for ``name``; call it as
    ``raise not_provided(__name__, name, globals())``.

    Private and dunder names (``__path__``, ``_pytest_fixture``...) get a plain
    ``AttributeError`` at once: tools probe modules for those, and no user means them.
    """
    if name.startswith("_"):
        return AttributeError(f"module {module!r} has no attribute {name!r}")
    text = message(module, name, candidates, note)
    # frames: not_provided <- the package's __getattr__ <- the code that asked (``_depth`` up)
    if _in_from_import(_depth):
        return NotProvidedImportError(text, name=module)
    return NotProvidedError(text)


def forward(module: str, name: str, source: str = "npconv.layers"):
    """For the ``__getattr__`` of a Keras 2 module path (``npconv.layers.advanced_activations``):
    ``source``'s attribute ``name`` when it has one, else the not-provided error naming
    ``module.name``. Looked up at each access, so a name ``source`` gains later is found."""
    import importlib

    if not name.startswith("_"):
        package = importlib.import_module(source)
        if name in vars(package):
            return vars(package)[name]
        candidates = vars(package)
    else:
        candidates = ()
    # frames: not_provided <- forward <- the module's __getattr__ <- the code that asked
    raise not_provided(module, name, candidates, _depth=3)
