"""Differentiable functions on Tensors: where all of npconv's arithmetic is explained.

Each module holds one family, every function as a ``Function`` with its forward and backward side
by side (as Chainer's ``functions/`` and DeZero's ``functions.py``) and a lower-case function that
layers call. Import the module you need (``from npconv.functions import conv``); this package does
not import them all, so that ``import npconv`` stays fast.

These know nothing of Keras. Keras 3's public ``keras.ops`` namespace is ``npconv.ops``, a thin
layer over these.
"""
