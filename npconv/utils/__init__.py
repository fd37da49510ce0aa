"""Utilities with Keras's names. More arrive with the Keras API (``to_categorical``, ...)."""

from __future__ import annotations

import random

from .. import backend

__all__ = ["set_random_seed"]


def set_random_seed(seed: int) -> None:
    """Seed every source of randomness npconv uses, so a run repeats exactly.

    Seeds npconv's backend generator, Python's ``random`` and NumPy's legacy global generator
    (the latter two for user code that shuffles with them, as Keras's function does).
    """
    if not isinstance(seed, (int,)) or isinstance(seed, bool):
        raise ValueError(f"set_random_seed expects an integer seed, got {seed!r}")
    backend.set_seed(seed)
    random.seed(seed)
    backend.xp.random.seed(seed % (2**32))
