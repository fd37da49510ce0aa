"""Property: whatever is done to a valid model file — bytes flipped, bytes cut off, members
edited behind valid checksums — ``load_model`` either loads it or raises ``ModelFileError``;
never another exception, never a crash.

Run with ``-s`` to see how many examples ran and how they ended; set
``NPCONV_FUZZ_EXAMPLES`` (default 300 per property) to search harder.
"""

import copy
import io
import json
import os
import tempfile
import zipfile
from collections import Counter

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from npconv import layers as L
from npconv.io import ModelFileError
from npconv.models import Model, load_model

OUTCOMES = Counter()
FOLDER = tempfile.mkdtemp(prefix="npconv-fuzz-")


def _valid_file():
    a, b = L.Input((4,), name="a"), L.Input((4,), name="b")
    shared = L.Dense(3, name="shared")
    merged = L.Concatenate()([shared(a), shared(b)])
    out = L.Dense(2, activation="softmax")(L.BatchNormalization()(merged))
    model = Model([a, b], out)
    model.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
    x = [np.ones((2, 4), "float32"), np.zeros((2, 4), "float32")]
    model.train_on_batch(x, np.eye(2, dtype="float32"))
    path = os.path.join(FOLDER, "valid.keras")
    model.save(path)
    with open(path, "rb") as f:
        return f.read()


VALID = _valid_file()
with zipfile.ZipFile(io.BytesIO(VALID)) as _zf:
    MEMBERS = {name: _zf.read(name) for name in _zf.namelist()}
CENTRAL = VALID.rfind(b"PK\x01\x02", 0, VALID.find(b"PK\x05\x06"))  # last directory entry
SETTINGS = settings(
    max_examples=int(os.environ.get("NPCONV_FUZZ_EXAMPLES", "300")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module", autouse=True)
def report():
    yield
    total = sum(OUTCOMES.values())
    print(
        f"\nmodel-file fuzz: {total} examples; "
        + ", ".join(f"{k}: {v}" for k, v in sorted(OUTCOMES.items()))
    )


def attempt(kind, content):
    fd, path = tempfile.mkstemp(dir=FOLDER, suffix=".keras")
    with os.fdopen(fd, "wb") as f:
        f.write(content)
    try:
        load_model(path)
        OUTCOMES[f"{kind} loaded"] += 1
    except ModelFileError as e:
        assert path in str(e)
        OUTCOMES[f"{kind} refused"] += 1
    finally:
        os.unlink(path)


positions = st.one_of(
    st.integers(0, len(VALID) - 1),
    st.integers(VALID.find(b"PK\x01\x02"), len(VALID) - 1),  # the zip directory
    st.integers(max(0, CENTRAL - 200), len(VALID) - 1),
)


@SETTINGS
@given(st.lists(st.tuples(positions, st.integers(0, 255)), min_size=1, max_size=8))
def test_flipped_bytes(flips):
    content = bytearray(VALID)
    for pos, value in flips:
        content[pos] = value
    attempt("flipped", bytes(content))


@SETTINGS
@given(st.integers(0, len(VALID) - 1))
def test_truncated(cut):
    attempt("truncated", VALID[:cut])


@SETTINGS
@given(
    st.sampled_from(sorted(MEMBERS)),
    st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=4),
    st.integers(0, 2),
)
def test_members_edited_behind_valid_checksums(name, flips, cut):
    data = bytearray(MEMBERS[name])
    for pos, value in flips:
        data[pos % len(data)] = value
    if cut:
        data = data[: len(data) - cut]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for member, content in MEMBERS.items():
            zf.writestr(member, bytes(data) if member == name else content)
    attempt("edited", buffer.getvalue())


def _paths(obj, prefix=()):
    """Every position in a JSON tree, as a tuple of keys and indices."""
    yield prefix
    items = (
        obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(obj, list) else ()
    )
    for key, value in items:
        yield from _paths(value, (*prefix, key))


JSON_MEMBERS = {n: json.loads(MEMBERS[n]) for n in ("config.json", "weights.json", "metadata.json")}
JSON_PATHS = [(n, p) for n, tree in JSON_MEMBERS.items() for p in _paths(tree) if p]
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(["Dense", "Sequential", "Functional", "relu", "os.system", "function"]),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


@SETTINGS
@given(st.sampled_from(JSON_PATHS), json_values)
def test_json_values_replaced(where, value):
    name, path = where
    tree = copy.deepcopy(JSON_MEMBERS[name])
    node = tree
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for member, content in MEMBERS.items():
            zf.writestr(member, json.dumps(tree) if member == name else content)
    attempt("json-edited", buffer.getvalue())
