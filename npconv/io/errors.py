"""``ModelFileError``: the one error a broken or hostile model file raises.

Everything that can be wrong with a file — not a zip, truncated, a bad checksum, a missing or
malformed member, a pickle where an array should be, sizes that do not add up, weights that do
not fit the model — is reported as this ``ValueError`` subclass, with the file's path and the
problem named, so callers (the ``npconv`` CLI, a training script) can catch one type.
"""

from __future__ import annotations

import os


class ModelFileError(ValueError):
    """A model or weights file that npconv refuses to load; ``path`` and ``problem`` say why."""

    max_problem = 2000  # a hostile file can make any string huge; an error stays readable

    def __init__(self, path, problem: str):
        self.path = os.fspath(path) if path is not None else None
        if len(problem) > self.max_problem:
            problem = problem[: self.max_problem] + " [...]"
        self.problem = problem
        super().__init__(f"Cannot load '{self.path}': {problem}")


def staged(path, what, step):
    """Run ``step()`` (rebuilding, compiling or restoring from a file's contents); whatever a
    hostile file provokes in it is the file's fault: a ``ModelFileError`` naming ``what``, and
    a config nested deep enough to exhaust Python's recursion says so."""
    try:
        return step()
    except ModelFileError:
        raise
    except RecursionError as e:
        raise ModelFileError(path, f"{what}: nested too deeply") from e
    except Exception as e:
        raise ModelFileError(path, f"{what}: {e}") from e
