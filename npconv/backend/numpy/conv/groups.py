"""``dense_groups``: a small grouped convolution run as the dense one (``plan.choose_plan``).

Forward: the grouped kernel ``(*k, Cg, G*Fg)`` becomes the dense ``(*k, G*Cg, G*Fg)`` kernel of
the same convolution, block g mapping channel block g to filter block g, zeros elsewhere.
Backward: the dense kernel's gradient is cut back to its diagonal blocks (the gradient of the
zeros is dropped: they are not weights).
"""

from __future__ import annotations

import numpy as np

__all__ = ["block_diagonal", "diagonal_blocks"]


def block_diagonal(kernel, groups):
    """Grouped ``(*k, Cg, G*Fg)`` -> the dense ``(*k, G*Cg, G*Fg)`` kernel."""
    *k, cg, f = kernel.shape
    blocks = kernel.reshape(*k, 1, cg, groups, f // groups)
    eye = np.eye(groups, dtype=kernel.dtype).reshape(groups, 1, groups, 1)
    return (blocks * eye).reshape(*k, groups * cg, f)


def diagonal_blocks(dense, groups):
    """The inverse of ``block_diagonal``: ``(*k, G*Cg, G*Fg)`` -> ``(*k, Cg, G*Fg)``."""
    *k, c, f = dense.shape
    blocks = dense.reshape(*k, groups, c // groups, groups, f // groups)
    diagonal = np.diagonal(blocks, axis1=len(k), axis2=len(k) + 2)  # (*k, Cg, Fg, G)
    return np.moveaxis(diagonal, -1, -2).reshape(*k, c // groups, f)
