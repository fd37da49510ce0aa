"""Keras 2's ``keras.layers.advanced_activations`` path: ``from npconv.layers.advanced_activations
import LeakyReLU``.

The activation layers live in ``npconv.layers``; this module re-exports them, and any other
name (``PReLU``, ``ThresholdedReLU``) is looked up there when asked for, so that a layer added to
``npconv.layers`` is found here too.
"""

from .activation_layers import ELU, LeakyReLU, ReLU, Softmax  # noqa: F401 - re-exported


def __getattr__(name):
    from .._missing import forward

    return forward(__name__, name)
