"""imdb and reuters: Keras's file formats (object arrays of lists, pickled inside the .npz,
written here with NumPy's own np.savez), read without trusting pickle; load_data's
preprocessing against hand-computed results; downloads verified by SHA-256 (and MD5 for the word
indices, as Keras publishes them); hostile files refused before anything runs."""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import zipfile

import numpy as np
import pytest

from npconv.datasets import (
    ChecksumError,
    DatasetFormatError,
    DatasetNotFoundError,
    UnsafePickleError,
    _sources,
    imdb,
    reuters,
)
from npconv.datasets._sources import Remote


def ragged(seqs):
    out = np.empty(len(seqs), dtype=object)
    out[:] = [list(s) for s in seqs]
    return out


TRAIN = [[1, 2, 3], [4, 5], [6, 7, 8, 9]]
TEST = [[10], [2, 11]]


def write_imdb(folder, name="imdb.npz"):
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, name)
    # labels name the sequences, so the tests can follow them through the shuffle
    np.savez(path, x_train=ragged(TRAIN), y_train=np.array([0, 1, 2]),
             x_test=ragged(TEST), y_test=np.array([3, 4]))  # fmt: skip
    return path


def by_label(split):
    x, y = split
    return {int(label): list(seq) for seq, label in zip(x, y)}


@pytest.fixture
def imdb_home(tmp_path, monkeypatch):
    folder = tmp_path / "data"
    write_imdb(str(folder))
    monkeypatch.setenv("NPCONV_DATA", str(folder))
    return folder


def test_imdb_defaults_shuffle_shift_and_oov(imdb_home):
    (x_train, y_train), (x_test, y_test) = imdb.load_data()
    assert x_train.dtype == object and x_train.shape == (3,) and y_train.dtype == np.int64
    # start_char 1, index_from 3; num_words None -> max index (14) and 14 itself becomes oov 2
    assert by_label((x_train, y_train)) == {0: [1, 4, 5, 6], 1: [1, 7, 8], 2: [1, 9, 10, 11, 12]}
    assert by_label((x_test, y_test)) == {3: [1, 13], 4: [1, 5, 2]}
    rng = np.random.RandomState(113)  # Keras's order: one generator, train then test
    for labels, n in ((y_train, 3), (y_test, 2)):
        order = np.arange(n)
        rng.shuffle(order)
        np.testing.assert_array_equal(labels, order + (0 if n == 3 else 3))
    assert all(type(w) is int for seq in x_train for w in seq)


def test_imdb_num_words_skip_top(imdb_home):
    (x_train, y_train), (x_test, y_test) = imdb.load_data(num_words=10, skip_top=2)
    # kept: 2 <= w < 10; the start char 1 is below skip_top, so it becomes oov too (as in Keras)
    assert by_label((x_train, y_train)) == {0: [2, 4, 5, 6], 1: [2, 7, 8], 2: [2, 9, 2, 2, 2]}
    assert by_label((x_test, y_test)) == {3: [2, 2], 4: [2, 5, 2]}


def test_imdb_maxlen_keeps_strictly_shorter(imdb_home):
    (x_train, y_train), (x_test, y_test) = imdb.load_data(maxlen=4)
    assert by_label((x_train, y_train)) == {1: [1, 7, 8]}
    assert by_label((x_test, y_test)) == {3: [1, 13], 4: [1, 5, 2]}
    with pytest.raises(ValueError, match="maxlen=2"):
        imdb.load_data(maxlen=2)


def test_imdb_no_start_no_oov_index_from_0(imdb_home):
    kw = dict(start_char=None, oov_char=None, index_from=0, num_words=5, seed=7)
    (x_train, y_train), (x_test, y_test) = imdb.load_data(**kw)
    assert by_label((x_train, y_train)) == {0: [1, 2, 3], 1: [4], 2: []}
    assert by_label((x_test, y_test)) == {3: [], 4: [2]}


def test_reuters_split_and_preprocessing(tmp_path, monkeypatch):
    folder = tmp_path / "data"
    folder.mkdir()
    seqs = [[1], [2, 3], [4, 5, 6], [7], [8, 9]]
    np.savez(folder / "reuters.npz", x=ragged(seqs), y=np.arange(5))
    monkeypatch.setenv("NPCONV_DATA", str(folder))
    (x_train, y_train), (x_test, y_test) = reuters.load_data(num_words=11)
    assert len(x_train) == 4 and len(x_test) == 1  # int(5 * 0.8)
    got = {**by_label((x_train, y_train)), **by_label((x_test, y_test))}
    assert got == {0: [1, 4], 1: [1, 5, 6], 2: [1, 7, 8, 9], 3: [1, 10], 4: [1, 2, 2]}
    order = np.arange(5)
    np.random.RandomState(113).shuffle(order)
    np.testing.assert_array_equal(np.concatenate([y_train, y_test]), order)
    # maxlen=3 keeps the two newswires of 2 indices; int(2 * 0.6) = 1 of them trains. Equal
    # lengths make np.array(..., dtype=object) 2-D, in Keras as here
    (x_train, y_train), (x_test, y_test) = reuters.load_data(test_split=0.4, maxlen=3)
    assert x_train.shape == (1, 2) and x_test.shape == (1, 2)
    assert {int(y_train[0]): list(x_train[0]), int(y_test[0]): list(x_test[0])} == {
        0: [1, 4], 3: [1, 2]}  # fmt: skip  (num_words = max kept index 10, so 10 -> oov)
    assert len(reuters.get_label_names()) == 46


def test_word_index(tmp_path, monkeypatch):
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "imdb_word_index.json").write_text(json.dumps({"the": 1, "and": 2}))
    (folder / "reuters_word_index.json").write_text("[1, 2]")
    monkeypatch.setenv("NPCONV_DATA", str(folder))
    assert imdb.get_word_index() == {"the": 1, "and": 2}
    with pytest.raises(DatasetFormatError, match="word -> integer"):
        reuters.get_word_index()


def test_download_imdb_and_word_index(tmp_path, monkeypatch, http_server, clean_env):
    body = open(write_imdb(str(tmp_path / "served")), "rb").read()
    words = json.dumps({"film": 1}).encode()
    http_server.routes["imdb.npz"] = (body, "ok")
    http_server.routes["imdb_word_index.json"] = (words, "ok")
    monkeypatch.setitem(_sources.REMOTES, "imdb.npz",
                        Remote("imdb.npz", _sources.GOOGLE, hashlib.sha256(body).hexdigest()))
    monkeypatch.setitem(_sources.REMOTES, "imdb_word_index.json",
                        Remote("imdb_word_index.json", _sources.GOOGLE,
                               hashlib.md5(words).hexdigest(), algorithm="md5"))  # fmt: skip
    (x_train, _), _ = imdb.load_data()
    assert len(x_train) == 3
    assert imdb.get_word_index() == {"film": 1}
    cache = os.path.join(str(clean_env), ".npconv", "datasets")
    assert sorted(os.listdir(cache)) == ["imdb.npz", "imdb_word_index.json"]
    imdb.load_data()
    assert http_server.requests == ["/imdb.npz", "/imdb_word_index.json"]


def test_published_hashes_refuse_other_bytes(http_server, clean_env):
    http_server.routes["reuters_word_index.json"] = (b'{"x": 1}', "ok")
    with pytest.raises(ChecksumError, match="MD5 .* does not match the published "
                       "4d44cc38712099c9e383dc6e5f11a921"):  # fmt: skip
        reuters.get_word_index()
    assert _sources.REMOTES["imdb.npz"].url.endswith("/imdb.npz")
    assert _sources.REMOTES["reuters.npz"].sha256.startswith("d6586e69")
    assert not os.path.exists(os.path.join(str(clean_env), ".npconv", "datasets",
                                           "reuters_word_index.json"))  # fmt: skip


def test_offline_not_found(monkeypatch):
    monkeypatch.setenv("NPCONV_OFFLINE", "1")
    with pytest.raises(DatasetNotFoundError, match="imdb.npz"):
        imdb.load_data()


# ---------------------------------------------------------------------------- hostile files


def npz_with_member(path, name, payload, shape=(1,), descr="|O"):
    """An .npz whose member ``name`` has an object-array header followed by ``payload``."""
    head = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        head, {"descr": descr, "fortran_order": False, "shape": shape}
    )
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(name + ".npy", head.getvalue() + payload)
        buf = io.BytesIO()
        np.save(buf, np.array([0]))
        z.writestr("y.npy", buf.getvalue())
    return path


class Boom:
    def __reduce__(self):
        return (os.system, ("echo pwned > /dev/null",))


def test_hostile_pickle_refused(tmp_path):
    path = npz_with_member(tmp_path / "reuters.npz", "x", pickle.dumps([Boom()]))
    with pytest.raises(UnsafePickleError, match="system"):
        reuters.load_data(path=str(path))


@pytest.mark.parametrize("items", [[{"a": 1}], [[1.5]], [[-1]], [[[1]]], [[True]], ["ab"]])
def test_wrong_contents_refused(tmp_path, items):
    array = np.empty(len(items), dtype=object)
    array[:] = items
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=True)
    data = buf.getvalue()
    head = len(data) - len(data.split(b"\n", 1)[1])
    path = npz_with_member(tmp_path / "r.npz", "x", data[head:])
    with pytest.raises(DatasetFormatError, match="list of word indices"):
        reuters.load_data(path=str(path))


def test_forged_shapes_refused(tmp_path):
    # _reconstruct with a huge shape would allocate before any data is checked
    import numpy.core.multiarray  # noqa: F401  - the NumPy 1 spelling that old files name

    class Forged:
        def __reduce__(self):
            return (np.ndarray((0,), np.uint8).__reduce__()[0],
                    (np.ndarray, (10**12,), b"b"))  # fmt: skip

    path = npz_with_member(tmp_path / "r.npz", "x", pickle.dumps(Forged()))
    with pytest.raises(DatasetFormatError, match="_reconstruct"):
        reuters.load_data(path=str(path))
    good = np.empty(2, dtype=object)
    good[:] = [[1], [2]]
    buf = io.BytesIO()
    np.save(buf, good, allow_pickle=True)
    data = buf.getvalue()
    body = data.split(b"\n", 1)[1]
    path = npz_with_member(tmp_path / "s.npz", "x", body, shape=(3,))  # header says 3
    with pytest.raises(DatasetFormatError, match=r"object array \(3,\)"):
        reuters.load_data(path=str(path))


def test_not_a_zip_and_missing_keys(tmp_path):
    bad = tmp_path / "imdb.npz"
    bad.write_bytes(b"not a zip at all")
    with pytest.raises(DatasetFormatError, match="not a readable .npz"):
        imdb.load_data(path=str(bad))
    np.savez(tmp_path / "other.npz", x=np.arange(3))
    with pytest.raises(DatasetFormatError, match="lacks x_train"):
        imdb.load_data(path=str(tmp_path / "other.npz"))
