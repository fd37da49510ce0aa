"""Classic image convolution, as the tutorials teach it, and the named masks they apply.

The tutorials explain convolution on images before any network: flip a small mask (filter,
kernel) horizontally and vertically, slide it over the image, multiply and add under it; blur,
sharpen, edge detection and noise reduction are all done that way. This package is that lesson
as a small library (NumPy only, vectorised):

- ``convolve(image, mask, mode='same', boundary='fill', fillvalue=0)``: true convolution (the
  mask flipped), equal to ``scipy.signal.convolve2d``;
  ``correlate(...)``: the same without the flip, what CNN layers compute (``correlate2d``).
- ``mask(name, size=3, sigma=None)`` and ``MASKS``: box and Gaussian blur, sharpen, emboss,
  Sobel, Prewitt and Laplacian masks with their textbook values.
- ``sobel(image)``, ``prewitt(image)``: edge strength (gradient magnitude).
- ``median_filter(image, size=3)``: salt-and-pepper noise removal.
- ``pad(image, rows, cols, boundary)``: the border rules (``fill``, ``wrap``, ``symm``,
  ``reflect``, ``edge``).

Images are ``(H, W)`` grey or ``(H, W, C)`` colour (the 2-D mask is applied to each channel);
uint8 images give float64 results. ``examples/convolution_lesson.py`` walks through it.
"""

from .boundary import pad
from .convolution import convolve, correlate
from .edges import prewitt, sobel
from .masks import MASKS, mask
from .median import median_filter

__all__ = [
    "MASKS",
    "convolve",
    "correlate",
    "mask",
    "median_filter",
    "pad",
    "prewitt",
    "sobel",
]


def __getattr__(name):
    from .._missing import not_provided

    raise not_provided(__name__, name, __all__, note=(
        "npconv.image is the tutorials' image convolution; Keras 3's image ops are "
        "npconv.ops.image (resize, ...), and TensorFlow's tf.image is not provided"))
