"""npconv: convolutional neural networks from scratch on NumPy, with the Keras API.

The package is layered, each layer importing only those below it:
``backend`` -> ``autograd`` -> ``functions`` -> ``ops`` -> layers, models and training
(see DESIGN.md).

Subpackages load on first use (``npconv.layers``, ``npconv.optimizers``, ...), so that
``import npconv`` stays fast.
"""

import importlib

__version__ = "0.1.0"

from . import backend  # noqa: E402
from .autograd import Tensor, Variable, no_grad  # noqa: E402

_SUBMODULES = {
    "activations",
    "applications",
    "autograd",
    "callbacks",
    "config",
    "constraints",
    "datasets",
    "distribution",
    "functions",
    "image",
    "initializers",
    "io",
    "layers",
    "losses",
    "metrics",
    "models",
    "ops",
    "optimizers",
    "preprocessing",
    "random",
    "regularizers",
    "saving",
    "training",
    "utils",
    "visualize",
}
_LAZY = {
    "Sequential": ("models", "Sequential"),
    "Model": ("models", "Model"),
    "Input": ("layers", "Input"),
    "Layer": ("layers", "Layer"),
    "GradientTape": ("autograd", "GradientTape"),
}


def function(func=None, **kwargs):
    """TensorFlow's ``tf.function`` (``@tf.function`` on a custom training step, with
    ``tensorflow`` renamed): npconv runs eagerly, so the function comes back unchanged."""
    if func is None:
        return lambda f: f
    return func


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _LAZY:
        module, attr = _LAZY[name]
        return getattr(importlib.import_module(f"{__name__}.{module}"), attr)
    from ._missing import not_provided

    raise not_provided(__name__, name, __dir__())


def __dir__():
    return sorted(set(globals()) | _SUBMODULES | set(_LAZY))


__all__ = ["backend", "Tensor", "Variable", "no_grad", "function", "__version__", *sorted(_LAZY)]
