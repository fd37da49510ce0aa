"""imdb.load_data and reuters.load_data against what Keras 3.15's loaders returned for the same
files and arguments (tests/references/text_datasets.json, made by
tools/keras_references/text_datasets.py): the same sequences, in the same order, with the same
labels and split."""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest

from npconv.datasets import imdb, reuters

REF = json.loads((pathlib.Path(__file__).resolve().parents[1] / "references"
                  / "text_datasets.json").read_text())  # fmt: skip


def ragged(seqs):
    out = np.empty(len(seqs), dtype=object)
    out[:] = seqs
    return out


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("text")
    paths = {}
    for name, arrays in REF["inputs"].items():
        paths[name] = str(folder / f"{name}.npz")
        np.savez(paths[name], **{k: ragged(v) if k.startswith("x") else np.array(v)
                                 for k, v in arrays.items()})  # fmt: skip
    return paths


def as_lists(result):
    return [[[list(s) for s in x], [int(v) for v in y]] for x, y in result]


@pytest.mark.parametrize("case", range(len(REF["imdb"])))
def test_imdb_as_keras(files, case):
    ref = REF["imdb"][case]
    assert as_lists(imdb.load_data(path=files["imdb"], **ref["kwargs"])) == ref["result"]


@pytest.mark.parametrize("case", range(len(REF["reuters"])))
def test_reuters_as_keras(files, case):
    ref = REF["reuters"][case]
    assert as_lists(reuters.load_data(path=files["reuters"], **ref["kwargs"])) == ref["result"]
