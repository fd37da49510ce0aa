"""Fashion-MNIST (Zalando's article images): ``load_data()`` as
``keras.datasets.fashion_mnist.load_data()``.

Classes: 0 T-shirt/top, 1 Trouser, 2 Pullover, 3 Dress, 4 Coat, 5 Sandal, 6 Shirt, 7 Sneaker,
8 Bag, 9 Ankle boot.

License: the copyright for Fashion-MNIST is held by Zalando SE; it is released under the MIT
license (https://github.com/zalandoresearch/fashion-mnist/blob/master/LICENSE).
"""

from __future__ import annotations

import os

from . import _sources
from ._sources import IDX_FILES, REMOTES, Layout, Spec, idx_alternatives, locate
from .mnist import read_idx_folder

__all__ = ["load_data", "CLASS_NAMES"]

CLASS_NAMES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip


def _spec() -> Spec:
    idx = tuple(idx_alternatives(stem) for stem in IDX_FILES)
    gz = tuple((f"{stem}.gz",) for stem in IDX_FILES)
    debian = ("Debian package dataset-fashion-mnist", _sources.DEBIAN_FASHION_MNIST)
    return Spec(
        "fashion_mnist",
        "Fashion-MNIST",
        layouts=(
            Layout("idx", "fashion-mnist", idx),
            Layout("idx", os.path.join("FashionMNIST", "raw"), idx),
        ),
        download=Layout("idx", "fashion-mnist", gz),
        remotes=tuple(REMOTES[f"{stem}.gz"] for stem in IDX_FILES),
        system=((*debian, Layout("idx", "", idx)),),
        hint="On Debian or Ubuntu: apt-get install dataset-fashion-mnist "
        f"(it puts the four files in {_sources.DEBIAN_FASHION_MNIST}).",
    )


def load_data():
    """Load Fashion-MNIST: 60,000 training and 10,000 test 28x28 grayscale images of 10 kinds
    of clothing, a drop-in replacement for MNIST.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: ``x`` uint8 ``(60000, 28, 28)`` and
        ``(10000, 28, 28)``; ``y`` uint8 ``(60000,)`` and ``(10000,)``, classes 0..9
        (``CLASS_NAMES``).

    Looks for the four IDX files (``train-images-idx3-ubyte.gz`` ..., gzipped or not) in a
    ``fashion-mnist/`` (Keras's layout) or ``FashionMNIST/raw/`` folder of ``$NPCONV_DATA``,
    npconv's cache and Keras's cache, then in ``/usr/share/datasets/fashion-mnist`` (Debian's
    ``dataset-fashion-mnist``), and otherwise downloads them from Keras's address, checking
    their SHA-256 (see ``npconv.datasets``).
    """
    return read_idx_folder(locate(_spec()).paths)
