"""What Keras 3's ``imdb.load_data`` and ``reuters.load_data`` return for small files in their
real format, for tests/datasets/test_datasets_text_keras.py.

Random reviews/newswires (word ranks 1..299, lengths 1..30) are saved with NumPy's ``np.savez``
as object arrays of lists, as Keras's ``imdb.npz``/``reuters.npz`` are; Keras's loaders read them
(``get_file`` pointed at the files) under several argument sets; the inputs, the arguments and
Keras's outputs go to tests/references/text_datasets.json. Run with TensorFlow's Keras:

    CUDA_VISIBLE_DEVICES= TF_CPP_MIN_LOG_LEVEL=3 /tmp/refenv/bin/python \\
        tools/keras_references/text_datasets.py
"""

from __future__ import annotations

import json
import os
import pathlib
import tempfile

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

OUT = pathlib.Path(__file__).resolve().parents[2] / "tests" / "references" / "text_datasets.json"

IMDB_CASES = [
    {},
    {"num_words": 100, "skip_top": 5},
    {"maxlen": 15},
    {"start_char": None, "oov_char": None, "index_from": 0, "num_words": 50, "seed": 7},
    {"oov_char": None, "skip_top": 40, "maxlen": 25},
]
REUTERS_CASES = [
    {},
    {"num_words": 100, "test_split": 0.3},
    {"maxlen": 10, "seed": 1, "start_char": None},
]


def sequences(rng, n):
    return [[int(w) for w in rng.integers(1, 300, rng.integers(1, 30))] for _ in range(n)]


def ragged(seqs):
    out = np.empty(len(seqs), dtype=object)
    out[:] = seqs
    return out


def outputs(result):
    return [[[list(map(int, s)) for s in x], [int(v) for v in y]] for x, y in result]


def main():
    import keras.src.datasets.imdb as imdb
    import keras.src.datasets.reuters as reuters

    rng = np.random.default_rng(0)
    inputs = {
        "imdb": {"x_train": sequences(rng, 30), "y_train": [int(v) for v in rng.integers(0, 2, 30)],
                 "x_test": sequences(rng, 20), "y_test": [int(v) for v in rng.integers(0, 2, 20)]},
        "reuters": {"x": sequences(rng, 40), "y": [int(v) for v in rng.integers(0, 46, 40)]},
    }  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        paths = {}
        for name, arrays in inputs.items():
            paths[name] = os.path.join(tmp, f"{name}.npz")
            np.savez(paths[name], **{k: ragged(v) if k.startswith("x") else np.array(v)
                                     for k, v in arrays.items()})  # fmt: skip
        imdb.get_file = lambda *a, **k: paths["imdb"]
        reuters.get_file = lambda *a, **k: paths["reuters"]
        results = {
            "inputs": inputs,
            "imdb": [{"kwargs": c, "result": outputs(imdb.load_data(**c))} for c in IMDB_CASES],
            "reuters": [{"kwargs": c, "result": outputs(reuters.load_data(**c))}
                        for c in REUTERS_CASES],
        }
    OUT.write_text(json.dumps(results, separators=(",", ":")) + "\n")
    print("wrote", OUT, OUT.stat().st_size, "bytes")


if __name__ == "__main__":
    main()
