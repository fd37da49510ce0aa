"""MNIST handwritten digits: ``load_data()`` as ``keras.datasets.mnist.load_data()``.

License: Yann LeCun and Corinna Cortes hold the copyright of MNIST, a derivative work of the
original NIST data sets, made available under the Creative Commons Attribution-Share Alike 3.0
license (https://creativecommons.org/licenses/by-sa/3.0/).
"""

from __future__ import annotations

import os

from ._formats import read_idx_split, read_npz_split
from ._sources import IDX_FILES, REMOTES, Layout, Spec, fetch, idx_alternatives, locate

__all__ = ["load_data"]


def _spec(path="mnist.npz") -> Spec:
    idx = tuple(idx_alternatives(stem) for stem in IDX_FILES)
    npz = Layout("npz", "", ((path,),))
    return Spec(
        "mnist",
        "MNIST",
        layouts=(
            npz,
            Layout("idx", "mnist", idx),
            Layout("idx", os.path.join("MNIST", "raw"), idx),
        ),
        download=npz,
        remotes=(REMOTES["mnist.npz"],),
    )


def read_idx_folder(paths):
    """``((x_train, y_train), (x_test, y_test))`` from the four IDX files, in the order train
    images, train labels, test images, test labels."""
    return read_idx_split(paths[0], paths[1]), read_idx_split(paths[2], paths[3])


def load_data(path="mnist.npz"):
    """Load MNIST: 60,000 training and 10,000 test images of handwritten digits.

    Args:
        path: the file name of ``mnist.npz`` in the search folders and the cache (Keras's
            meaning: relative to the datasets folder). A path with a folder in it (``./m.npz``,
            ``/data/mnist.npz``) is used as is, as Keras 2 did, and downloaded there if missing.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: ``x`` uint8 ``(60000, 28, 28)`` and
        ``(10000, 28, 28)``, pixel values 0..255; ``y`` uint8 ``(60000,)`` and ``(10000,)``,
        digits 0..9.

    Looks for ``mnist.npz`` (or the four original IDX files in a ``mnist/`` or ``MNIST/raw/``
    folder) in ``$NPCONV_DATA``, npconv's cache and Keras's cache, and otherwise downloads
    ``mnist.npz`` from Keras's address, checking its SHA-256 (see ``npconv.datasets``).
    """
    path = os.fspath(path)
    if os.path.dirname(path):
        target = os.path.abspath(os.path.expanduser(path))
        if not os.path.isfile(target):
            fetch(_spec(), REMOTES["mnist.npz"], target, [f"{target} (missing)"], explicit=True)
        return read_npz_split(target)
    found = locate(_spec(path))
    if found.kind == "npz":
        return read_npz_split(found.paths[0])
    return read_idx_folder(found.paths)
