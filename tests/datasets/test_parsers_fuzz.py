"""Property: whatever bytes the data-set parsers are given — random ones, or valid IDX, ``.npz``
and CIFAR files with bytes flipped, cut, inserted, headers rewritten, members edited behind
valid checksums, hostile pickles — they return arrays or raise ``DatasetFormatError`` (its
subclass ``UnsafePickleError`` for a pickle that asks for anything but arrays), naming the
file; never another exception, never a crash.

Entry points fuzzed (``npconv.datasets._formats``): ``read_idx``/``read_idx_split`` (raw and
gzipped), ``read_npz_split``, ``read_cifar_batch`` and ``read_cifar_archive`` (``.tar.gz``,
``.tar.xz``, ``.tar.bz2``, plain ``.tar``).

Run with ``-s`` to see how many examples ran and how they ended; set
``NPCONV_FUZZ_EXAMPLES`` (default 200 per property) to search harder.

Two bugs these properties found are fixed and pinned by the tests at the end: ``read_idx``
allocated what its header promised before reading (a header claiming terabytes raised
``MemoryError``), and ``read_npz_split`` used a member without the ``.npy`` magic, which
``NpzFile`` returns as ``bytes``, as an array. (A CIFAR batch
pickled at protocol 5 is refused as unsafe — NumPy then pickles arrays through
``numpy._core.numeric._frombuffer`` — which is by design: the real batches are protocol 2.)
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import pickle
import struct
import tarfile
import tempfile
import zipfile
from collections import Counter

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from npconv.datasets._errors import DatasetFormatError, UnsafePickleError
from npconv.datasets._formats import (
    read_cifar_archive,
    read_cifar_batch,
    read_idx,
    read_idx_split,
    read_npz_split,
)

OUTCOMES = Counter()
FOLDER = tempfile.mkdtemp(prefix="npconv-dataset-fuzz-")
SETTINGS = settings(
    max_examples=int(os.environ.get("NPCONV_FUZZ_EXAMPLES", "200")),
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,  # the package's autouse env fixture; no state kept
        HealthCheck.filter_too_much,
    ],
)
TOP = "cifar-10-batches-py"
MEMBERS = ("data_batch_1", "test_batch")


@pytest.fixture(scope="module", autouse=True)
def report():
    yield
    total = sum(OUTCOMES.values())
    print(
        f"\ndataset-parser fuzz: {total} examples; "
        + ", ".join(f"{k}: {v}" for k, v in sorted(OUTCOMES.items()))
    )


# ------------------------------------------------------------------------------ valid seeds
RNG = np.random.default_rng(0)
IMAGES = RNG.integers(0, 256, (5, 28, 28), dtype=np.uint8)
LABELS = RNG.integers(0, 10, 5).astype(np.uint8)


def idx_bytes(array, code=0x08):
    head = struct.pack(">BBBB", 0, 0, code, array.ndim) + struct.pack(
        f">{array.ndim}I", *array.shape
    )
    return head + array.astype(">u1").tobytes()


def npz_bytes(compressed=False, **arrays):
    buf = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buf, **arrays)
    return buf.getvalue()


def cifar_dict(n=3, key=b"labels"):
    return {
        b"batch_label": b"training batch 1 of 5",
        key: [int(v) for v in RNG.integers(0, 10, n)],
        b"data": RNG.integers(0, 256, (n, 3072), dtype=np.uint8),
        b"filenames": [b"img_%d.png" % i for i in range(n)],
    }


def tar_bytes(members, mode="w:gz"):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


IDX_IMAGES = idx_bytes(IMAGES)
IDX_LABELS = idx_bytes(LABELS)
NPZ_ARRAYS = {"x_train": IMAGES, "y_train": LABELS, "x_test": IMAGES[:2], "y_test": LABELS[:2]}
NPZ = npz_bytes(**NPZ_ARRAYS)
NPZ_COMPRESSED = npz_bytes(compressed=True, **NPZ_ARRAYS)
PICKLES = [pickle.dumps(cifar_dict(), protocol=p) for p in (2, 4)]
BATCH = PICKLES[0]
ARCHIVE_PLAIN = tar_bytes({f"{TOP}/{m}": BATCH for m in MEMBERS}, mode="w")
ARCHIVES = {
    mode: tar_bytes({f"{TOP}/{m}": BATCH for m in MEMBERS}, mode=mode)
    for mode in ("w:gz", "w:xz", "w:bz2", "w")
}
COMPRESS = {"w:gz": gzip.compress, "w:xz": lzma.compress, "w:bz2": bz2.compress, "w": bytes}


# ------------------------------------------------------------------------------- strategies
@st.composite
def mutated(draw, valid, header=16):
    """``valid`` with 1-6 edits: bytes overwritten (often in the first ``header`` bytes),
    inserted, deleted, a range duplicated, or the end cut off."""
    data = bytearray(valid)
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["set", "set", "insert", "delete", "duplicate", "cut"]))
        size = max(len(data), 1)
        near_head = st.integers(0, min(header, size) - 1)
        pos = draw(st.one_of(near_head, st.integers(0, size - 1)))
        if op == "set":
            chunk = draw(st.binary(min_size=1, max_size=8))
            data[pos : pos + len(chunk)] = chunk
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=16))
        elif op == "delete":
            del data[pos : pos + draw(st.integers(1, 16))]
        elif op == "duplicate":
            data[pos:pos] = data[pos : pos + draw(st.integers(1, 64))]
        else:
            del data[pos:]
    return bytes(data)


def write(content, suffix=""):
    fd, path = tempfile.mkstemp(dir=FOLDER, suffix=suffix)
    with os.fdopen(fd, "wb") as f:
        f.write(content)
    return path


def attempt(parser, kind, call, *contents, expect=DatasetFormatError):
    """Write ``contents`` to files and run ``call(*paths)``: it returns, or raises ``expect``
    naming one of the files. Counts the outcome."""
    paths = [write(c) for c in contents]
    try:
        call(*paths)
        OUTCOMES[f"{parser} {kind} read"] += 1
    except expect as e:
        assert any(p in str(e) for p in paths), f"{e!r} names none of {paths}"
        OUTCOMES[f"{parser} {kind} refused"] += 1
    finally:
        for p in paths:
            os.unlink(p)


# ------------------------------------------------------------------------------------- IDX
def read_images(path):
    out = read_idx(path, (28, 28))
    assert out.dtype == np.uint8 and out.shape[1:] == (28, 28)


@SETTINGS
@given(st.binary(max_size=2048))
def test_idx_random_bytes(content):
    attempt("idx", "random", read_images, content)
    attempt("idx", "random-gz", read_images, gzip.compress(content))


@SETTINGS
@given(st.sampled_from([IDX_IMAGES, gzip.compress(IDX_IMAGES)]).flatmap(mutated))
def test_idx_mutated_file(content):
    attempt("idx", "mutated", read_images, content)


@SETTINGS
@given(mutated(IDX_IMAGES), mutated(IDX_LABELS, header=12), st.booleans())
def test_idx_split_mutated_inside_gzip(images, labels, gz):
    """Edits under a valid gzip layer reach the IDX parser itself (not just gzip's CRC)."""
    pack = gzip.compress if gz else bytes
    attempt(
        "idx",
        "split-gz-inner" if gz else "split",
        lambda a, b: read_idx_split(a, b),
        pack(images),
        pack(labels),
    )


# ------------------------------------------------------------------------------------- npz
@SETTINGS
@given(st.binary(max_size=2048))
def test_npz_random_bytes(content):
    attempt("npz", "random", read_npz_split, content)


@SETTINGS
@given(st.sampled_from([NPZ, NPZ_COMPRESSED]).flatmap(lambda v: mutated(v, header=64)))
def test_npz_mutated_file(content):
    attempt("npz", "mutated", read_npz_split, content)


def _npy(array):
    buf = io.BytesIO()
    np.lib.format.write_array(buf, array, allow_pickle=True)
    return buf.getvalue()


NPY_MEMBERS = {f"{k}.npy": _npy(v) for k, v in NPZ_ARRAYS.items()}


@SETTINGS
@given(
    st.sampled_from(sorted(NPY_MEMBERS)).flatmap(
        lambda name: st.tuples(st.just(name), mutated(NPY_MEMBERS[name], header=128))
    ),
    st.booleans(),
)
def test_npz_member_mutated_behind_valid_checksums(edit, deflate):
    """A valid zip whose one ``.npy`` member (header or data) was edited before zipping."""
    name, member = edit
    buf = io.BytesIO()
    method = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
    with zipfile.ZipFile(buf, "w", compression=method) as zf:
        for other, data in NPY_MEMBERS.items():
            zf.writestr(other, member if other == name else data)
    attempt("npz", "member-edited", read_npz_split, buf.getvalue())


ODD_ARRAYS = st.sampled_from(
    [
        np.zeros((2, 28, 28), np.float32),
        np.zeros((2, 28), np.uint8),
        np.zeros((2, 28, 28, 1), np.uint8),
        np.array([1.5, 2.5]),
        np.array([-1, 3]),
        np.array([10, 200], np.uint8),
        np.array(["a", "b"]),
        np.array([{}, None], dtype=object),
        np.zeros((), np.uint8),
        np.zeros((0, 28, 28), np.uint8),
        np.zeros(3, np.uint8),
        np.zeros(2, np.complex64),
    ]
)


@SETTINGS
@given(st.dictionaries(st.sampled_from(sorted(NPZ_ARRAYS) + ["other"]), ODD_ARRAYS))
def test_npz_wrong_keys_dtypes_shapes(replacements):
    arrays = dict(NPZ_ARRAYS)
    arrays.update(replacements)
    attempt("npz", "odd-arrays", read_npz_split, npz_bytes(**arrays))


# ---------------------------------------------------------------------------------- CIFAR
def read_batch(path):
    with open(path, "rb") as f:
        x, y = read_cifar_batch(f, path)
    assert x.dtype == np.uint8 and x.shape[1:] == (3, 32, 32) and y.shape == (x.shape[0],)


@SETTINGS
@given(st.binary(max_size=2048))
def test_cifar_batch_random_bytes(content):
    attempt("cifar-batch", "random", read_batch, content)


@SETTINGS
@given(st.sampled_from(PICKLES).flatmap(lambda v: mutated(v, header=64)))
def test_cifar_batch_mutated_pickle(content):
    attempt("cifar-batch", "mutated", read_batch, content)


LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True),
    st.binary(max_size=16),
    st.text(max_size=8),
    st.sampled_from(
        [
            np.zeros((2, 3072), np.uint8),
            np.zeros((2, 3072), np.int16),
            np.zeros((2, 3, 32, 32), np.uint8),
            np.zeros((0, 3072), np.uint8),
            np.array([1, 2]),
            np.array([11, -1]),
            np.array([1.5, 2.0]),
        ]
    ),
)
VALUES = st.recursive(
    LEAVES,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(st.one_of(st.binary(max_size=8), st.text(max_size=8)), inner, max_size=4),
    ),
    max_leaves=12,
)


@SETTINGS
@given(
    st.dictionaries(
        st.sampled_from([b"data", b"labels", "data", "labels", b"fine_labels", b"x"]),
        VALUES,
        max_size=4,
    )
    | VALUES,
    st.sampled_from([2, 4, 5]),
)
def test_cifar_batch_odd_content(obj, protocol):
    """Well-formed pickles of the wrong things: other types, shapes, dtypes, label values."""
    attempt("cifar-batch", "odd-content", read_batch, pickle.dumps(obj, protocol=protocol))


HOSTILE = [
    ("os", "system"),
    ("posix", "system"),
    ("builtins", "eval"),
    ("builtins", "exec"),
    ("builtins", "open"),
    ("subprocess", "Popen"),
    ("numpy", "load"),
    ("numpy.testing._private.utils", "runstring"),
    ("_codecs", "decode"),
    ("builtins", "getattr"),
    ("shutil", "rmtree"),
]


def _placeholder(*args):
    """Stands in for a hostile global while pickling; its name is then replaced."""
    raise AssertionError("a hostile pickle ran")


class _Call:
    def __init__(self, arg):
        self.arg = arg

    def __reduce__(self):
        return (_placeholder, (self.arg,))


def hostile_pickle(module, name, protocol, nested, marker):
    """A pickle calling ``module.name('touch <marker>')``, alone or as a value inside an
    otherwise valid batch dict."""
    obj = _Call(f"touch {marker}")
    if nested:
        obj = {**cifar_dict(), b"labels": obj}
    data = pickle.dumps(obj, protocol=protocol)
    placeholder = f"{_placeholder.__module__}\n_placeholder\n".encode()
    assert placeholder in data
    return data.replace(placeholder, f"{module}\n{name}\n".encode())


@SETTINGS
@given(st.sampled_from(HOSTILE), st.sampled_from([0, 1, 2, 3]), st.booleans())
def test_cifar_batch_hostile_pickle_refused_before_running(target, protocol, nested):
    """A pickle asking for any global outside the allow-list raises ``UnsafePickleError``
    naming the file, and the global is never called (the marker file is never made)."""
    marker = os.path.join(FOLDER, "pwned")
    payload = hostile_pickle(*target, protocol, nested, marker)
    attempt("cifar-batch", "hostile", read_batch, payload, expect=UnsafePickleError)
    assert not os.path.exists(marker)


@SETTINGS
@given(st.sampled_from(HOSTILE))
def test_cifar_hostile_global_is_unsafe_pickle_error(target):
    module, name = target
    payload = b"\x80\x02c" + f"{module}\n{name}\n".encode() + b")R."
    path = write(payload)
    try:
        with pytest.raises(UnsafePickleError, match=f"{module}.{name}"), open(path, "rb") as f:
            read_cifar_batch(f, path)
        OUTCOMES["cifar-batch hostile-global refused"] += 1
    finally:
        os.unlink(path)


def read_archive(path):
    out = read_cifar_archive(path, TOP, MEMBERS)
    assert sorted(out) == sorted(MEMBERS)


@SETTINGS
@given(st.sampled_from(sorted(ARCHIVES)).flatmap(lambda m: mutated(ARCHIVES[m], header=32)))
def test_cifar_archive_mutated(content):
    attempt("cifar-archive", "mutated", read_archive, content)


@SETTINGS
@given(st.sampled_from(sorted(ARCHIVES)), mutated(ARCHIVE_PLAIN, header=512))
def test_cifar_archive_mutated_inside_compression(mode, inner):
    """Edits to the tar itself (headers, names, sizes, member data) under a valid
    compression layer, so they reach tarfile and the unpickler."""
    attempt("cifar-archive", "inner-" + mode, read_archive, COMPRESS[mode](inner))


@SETTINGS
@given(st.binary(max_size=2048))
def test_cifar_archive_random_bytes(content):
    attempt("cifar-archive", "random", read_archive, content)


# ------------------------------------------------------------------------------ the seeds
def test_valid_seeds_are_read():
    """The unmutated files parse, so the properties start from real formats."""
    for content in (IDX_IMAGES, gzip.compress(IDX_IMAGES)):
        path = write(content)
        np.testing.assert_array_equal(read_idx(path, (28, 28)), IMAGES)
        os.unlink(path)
    for content in (NPZ, NPZ_COMPRESSED):
        path = write(content)
        (x, y), _ = read_npz_split(path)
        np.testing.assert_array_equal(x, IMAGES)
        os.unlink(path)
    for content in PICKLES:
        path = write(content)
        read_batch(path)
        os.unlink(path)
    for content in ARCHIVES.values():
        path = write(content)
        read_archive(path)
        os.unlink(path)


def test_idx_header_promising_terabytes():
    content = struct.pack(">BBBB", 0, 0, 0x08, 3) + struct.pack(">3I", 2**32 - 1, 28, 28)
    path = write(content + bytes(100))
    try:
        with pytest.raises(DatasetFormatError, match="truncated"):
            read_idx(path, (28, 28))
    finally:
        os.unlink(path)


def test_npz_member_without_npy_magic():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in NPY_MEMBERS.items():
            zf.writestr(name, b"\x00" + data[1:] if name == "x_train.npy" else data)
    path = write(buf.getvalue())
    try:
        with pytest.raises(DatasetFormatError, match="x_train"):
            read_npz_split(path)
    finally:
        os.unlink(path)
