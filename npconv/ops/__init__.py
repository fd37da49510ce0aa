"""Differentiable operations on Tensors: where all of npconv's arithmetic lives.

Each module holds one family, every op as a ``Function`` with its forward and backward side by
side and a lower-case function that layers call. Import the module you need
(``from npconv.ops import conv``); this package does not import them all, so that
``import npconv`` stays fast.
"""
