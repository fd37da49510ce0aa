"""Data sets with Keras's loaders: ``mnist``, ``fashion_mnist``, ``cifar10``, ``cifar100``,
``imdb``, ``reuters`` and ``digits``, a sample of 5,000 real MNIST digits bundled with npconv
(no download needed).

``npconv.datasets.mnist.load_data()`` returns exactly what Keras's does (dtypes, shapes).
Files are looked for, in order, in:

1. ``$NPCONV_DATA`` (a folder, or several separated by ``os.pathsep``);
2. npconv's cache: ``$NPCONV_HOME/datasets``, default ``~/.npconv/datasets``;
3. Keras's cache: ``$KERAS_HOME/datasets``, default ``~/.keras/datasets``;
4. system packages: ``/usr/share/datasets/fashion-mnist`` (``apt-get install
   dataset-fashion-mnist`` on Debian/Ubuntu);
5. the canonical address (Keras's), or ``$NPCONV_DATASETS_URL`` (a mirror folder holding the
   same file names, as an ``http(s)://`` or ``file://`` URL). Downloads show progress, are
   checked against the published SHA-256, are written atomically (temporary file, then
   rename) and cached in npconv's cache.
   ``NPCONV_OFFLINE=1`` turns downloads off.

Layouts accepted in each folder (the first found wins):

=================  =========================================================================
mnist              ``mnist.npz``; or the four IDX files in ``mnist/`` or ``MNIST/raw/``
fashion_mnist      the four IDX files in ``fashion-mnist/`` or ``FashionMNIST/raw/``
cifar10            ``cifar-10-batches-py/``; or ``cifar-10-python.tar.gz`` (read in place)
cifar100           ``cifar-100-python/``; or ``cifar-100-python.tar.gz`` (read in place)
imdb, reuters      ``imdb.npz``, ``imdb_word_index.json``; ``reuters.npz``,
                   ``reuters_word_index.json`` (Keras's files)
=================  =========================================================================

IDX files may be gzipped or not (``train-images-idx3-ubyte.gz`` or ``train-images-idx3-ubyte``).
Every file is checked as it is read (magic numbers, dimensions, counts, labels in range); a bad
one raises :class:`DatasetFormatError` naming it. CIFAR's pickled batches are read through a
restricted unpickler that rebuilds NumPy arrays and plain containers only
(:class:`UnsafePickleError` otherwise). Nothing found and no download possible:
:class:`DatasetNotFoundError` (a ``FileNotFoundError``) listing where it looked and how to supply
the files.

``describe()`` reports, per data set, where it was found or what will happen.
"""

from __future__ import annotations

import importlib

from ._errors import (
    ChecksumError,
    DatasetFormatError,
    DatasetNotFoundError,
    DownloadError,
    UnsafePickleError,
)

_SUBMODULES = ("mnist", "fashion_mnist", "cifar10", "cifar100", "digits", "imdb", "reuters")

__all__ = [
    *_SUBMODULES,
    "describe",
    "cache_dir",
    "DatasetNotFoundError",
    "DatasetFormatError",
    "UnsafePickleError",
    "DownloadError",
    "ChecksumError",
]


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_SUBMODULES))


def cache_dir() -> str:
    """Where downloads are cached: ``$NPCONV_HOME/datasets`` or ``~/.npconv/datasets``."""
    from ._sources import npconv_cache_dir

    return npconv_cache_dir()


def describe():
    """Where each data set is, without reading or downloading anything.

    Returns a list of ``DatasetStatus`` (``name``, ``title``, ``available``, ``source``,
    ``location``, ``detail``, ``searched``, ``urls``), one per data set, in the order digits,
    mnist, fashion_mnist, cifar10, cifar100, imdb, reuters (their ``.npz`` files); ``str()`` of
    each is a one-line summary.
    """
    from . import cifar10, cifar100, digits, fashion_mnist, mnist
    from ._sources import DatasetStatus, status_of

    ref = digits.data_path()
    bundled = ref.is_file()
    statuses = [
        DatasetStatus(
            "digits",
            "digits (bundled MNIST sample)",
            bundled,
            "bundled" if bundled else None,
            str(ref) if bundled else None,
            "5,000 MNIST digits shipped with npconv" if bundled else "missing; reinstall npconv",
            (str(ref),),
        )
    ]
    for module in (mnist, fashion_mnist, cifar10, cifar100):
        statuses.append(status_of(module._spec()))
    from ._textdata import spec

    for name, title in (("imdb", "IMDB"), ("reuters", "Reuters")):
        statuses.append(status_of(spec(name, title, f"{name}.npz", f"{name}.npz")))
    return statuses
