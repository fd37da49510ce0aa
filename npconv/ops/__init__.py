"""Keras 3's public ``keras.ops`` namespace: NumPy-like functions, ``ops.nn`` and ``ops.image``.

Each op takes npconv Tensors (and is then differentiable) or plain arrays and numbers, with
Keras's signature. They are thin over ``npconv.functions``, where the arithmetic and its
gradient are written out.
"""


def __getattr__(name):
    from .._missing import not_provided

    raise not_provided(__name__, name, globals())
