"""Keras 3's public ``keras.ops`` namespace: NumPy-like functions, ``ops.nn`` and ``ops.image``.

``from npconv import ops`` then ``ops.softmax(x)``, ``ops.reshape(x, (-1, 4))``,
``ops.image.resize(images, (64, 64))``: each op has Keras 3's signature, takes npconv Tensors
(and is then differentiable, so it works inside a ``Lambda`` layer or a custom layer's ``call``)
or plain arrays and numbers, and returns an npconv Tensor (``ops.convert_to_numpy`` gives the
array). They are thin over ``npconv.functions``, where the arithmetic and its gradient are
written out. See ``ops.core`` for the conversion rules.

As in Keras, the ``nn`` ops are also available at the top level (``ops.relu``,
``ops.one_hot``, ``ops.conv``); ``ops.tanh`` is the NumPy-like one.

On Keras tensors (from ``keras.Input``) the ops build nodes of a functional model, as in Keras
3 (``ops.symbolic``, ``layers.op_layer``).
"""

from . import core, image, nn, numpy, numpy_extra  # noqa: F401 - the public submodules
from .symbolic import dispatch as _dispatch

# ops on Keras tensors make graph nodes (.symbolic)
for _module in (core, image, nn, numpy, numpy_extra):
    _dispatch(_module)

from .core import *  # noqa: E402, F403
from .nn import *  # noqa: E402, F403
from .numpy import *  # noqa: E402, F403
from .numpy_extra import *  # noqa: E402, F403

__all__ = sorted({*core.__all__, *nn.__all__, *numpy.__all__, *numpy_extra.__all__, "core",
                  "image", "nn", "numpy"})


def __getattr__(name):
    from .._missing import not_provided

    raise not_provided(__name__, name, globals())
