"""Keras's automatic object names: ``Conv2D()`` is ``conv2d``, the next ``conv2d_1``, ...

Shared by the layers (and metrics) and the optimizers, which each count their names apart, as
before; it lives here, below both, because optimizers do not import layers.
"""

from __future__ import annotations

import re


def to_snake_case(name: str) -> str:
    """``'MaxPooling2D'`` -> ``'max_pooling2d'``, as Keras names layers."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


class UniqueNames:
    """One namespace of automatic names: calling it with ``base`` gives ``base`` the first time,
    then ``base_1``, ``base_2``, ... (Keras's ``auto_name``); ``reset()`` starts again."""

    def __init__(self):
        self._counts: dict[str, int] = {}

    def __call__(self, base: str) -> str:
        count = self._counts.get(base, 0)
        self._counts[base] = count + 1
        return base if count == 0 else f"{base}_{count}"

    def reset(self) -> None:
        self._counts.clear()
