"""npconv: convolutional neural networks from scratch on NumPy, with the Keras API.

The package is layered, each layer importing only those below it:
``backend`` -> ``autograd`` -> ``ops`` -> layers, models and training (see DESIGN.md).
"""

__version__ = "0.1.0"

from . import backend  # noqa: E402
from .autograd import Tensor, no_grad  # noqa: E402

__all__ = ["backend", "Tensor", "no_grad", "__version__"]
