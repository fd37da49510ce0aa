"""Keras 2's ``keras.layers.merge`` path: ``from npconv.layers.merge import concatenate``.

Re-exports the merging layers and their functional helpers from ``npconv.layers``; a name not
imported here (``Dot``, ``multiply``, ...) is looked up there when asked for.
"""

from .merging import (  # noqa: F401 - re-exported
    Add,
    Average,
    Concatenate,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    concatenate,
)


def __getattr__(name):
    from .._missing import forward

    return forward(__name__, name)
