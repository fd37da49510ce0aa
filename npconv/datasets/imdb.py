"""IMDB movie reviews labelled by sentiment: ``load_data()`` and ``get_word_index()`` as
``keras.datasets.imdb``.

25,000 training and 25,000 test reviews, each a list of word indices (words ranked by frequency
in the training set: index 1 is the most frequent word of ``get_word_index()``), labels 1
(positive) or 0 (negative). Files: Keras's ``imdb.npz`` and ``imdb_word_index.json``, looked for
and downloaded as described in ``npconv.datasets``; the ``.npz``, whose sequences are pickled
object arrays, is read through an unpickler that admits only NumPy arrays and plain lists of
ints.

Source: Andrew L. Maas et al., "Learning Word Vectors for Sentiment Analysis", ACL 2011
(https://ai.stanford.edu/~amaas/data/sentiment/).
"""

from __future__ import annotations

import numpy as np

from . import _sequences as seq
from ._textdata import find

__all__ = ["load_data", "get_word_index"]


def load_data(path="imdb.npz", num_words=None, skip_top=0, maxlen=None, seed=113,
              start_char=1, oov_char=2, index_from=3, **kwargs):  # fmt: skip
    """Load IMDB: ``(x_train, y_train), (x_test, y_test)``, exactly as Keras 3 does.

    Args:
        path: file name of ``imdb.npz`` in the search folders (a path with a folder in it is
            used as is).
        num_words: keep the ``num_words`` most frequent words (indices below ``num_words``,
            counted after ``index_from`` is added); rarer words become ``oov_char``. None or 0:
            keep all.
        skip_top: indices below ``skip_top`` become ``oov_char`` too.
        maxlen: keep only the reviews strictly shorter than ``maxlen`` (counting ``start_char``),
            as Keras does; None: keep all.
        seed: the seed of ``np.random.RandomState`` that shuffles each split (train, then test,
            from the same generator).
        start_char: index put at the start of every review (None: none).
        oov_char: index of out-of-vocabulary words (None: such words are dropped).
        index_from: added to every word index of the file (indices below it are reserved:
            0 padding, 1 start, 2 out-of-vocabulary).
        **kwargs: accepted and ignored, as Keras ignores them.

    Returns:
        ``x_train``, ``x_test``: 1-D ``object`` arrays of lists of ints; ``y_train``,
        ``y_test``: the labels (int64 in Keras's file).
    """
    arrays = seq.read_sequence_npz(
        find("imdb", "IMDB", path, "imdb.npz"), ("x_train", "y_train", "x_test", "y_test")
    )
    rng = np.random.RandomState(seed)
    x_train, labels_train = seq.shuffle(rng, arrays["x_train"], arrays["y_train"])
    x_test, labels_test = seq.shuffle(rng, arrays["x_test"], arrays["y_test"])
    x_train = seq.shift(x_train, start_char, index_from)
    x_test = seq.shift(x_test, start_char, index_from)
    if maxlen:
        x_train, labels_train = seq.remove_long_seq(maxlen, x_train, labels_train)
        x_test, labels_test = seq.remove_long_seq(maxlen, x_test, labels_test)
        if not x_train or not x_test:
            raise ValueError(
                f"imdb.load_data: after keeping the sequences shorter than maxlen={maxlen}, no "
                "sequence was kept. Increase maxlen."
            )
    xs = seq.prepare(x_train + x_test, num_words, skip_top, oov_char)
    labels = np.concatenate([np.asarray(labels_train), np.asarray(labels_test)])
    idx = len(x_train)
    return (
        (np.array(xs[:idx], dtype="object"), labels[:idx]),
        (np.array(xs[idx:], dtype="object"), labels[idx:]),
    )


def get_word_index(path="imdb_word_index.json"):
    """``{word: index}`` for IMDB (index 1 the most frequent word). The indices in
    ``load_data``'s sequences are these plus ``index_from`` (3 by default)."""
    return seq.read_word_index(find("imdb", "IMDB word index", path, "imdb_word_index.json"))
