"""Reuters newswires labelled by topic: ``load_data()``, ``get_word_index()`` and
``get_label_names()`` as ``keras.datasets.reuters``.

11,228 newswires over 46 topics, each a list of word indices (ranked by frequency). Files:
Keras's ``reuters.npz`` and ``reuters_word_index.json``, looked for and downloaded as described
in ``npconv.datasets``; the ``.npz`` is read through an unpickler that admits only NumPy arrays
and plain lists of ints.

Source: the Reuters-21578 collection (David D. Lewis), as preprocessed for Keras.
"""

from __future__ import annotations

import numpy as np

from . import _sequences as seq
from ._textdata import find

__all__ = ["load_data", "get_word_index", "get_label_names"]


def load_data(path="reuters.npz", num_words=None, skip_top=0, maxlen=None, test_split=0.2,
              seed=113, start_char=1, oov_char=2, index_from=3, **kwargs):  # fmt: skip
    """Load Reuters: ``(x_train, y_train), (x_test, y_test)``, exactly as Keras 3 does.

    The newswires are shuffled with ``np.random.RandomState(seed)``, ``start_char`` and
    ``index_from`` applied, those not strictly shorter than ``maxlen`` dropped, words outside
    ``[skip_top, num_words)`` replaced by ``oov_char`` (dropped when it is None), and the first
    ``int(n * (1 - test_split))`` newswires become the training split. Arguments as in
    ``npconv.datasets.imdb.load_data``; ``**kwargs`` is accepted and ignored.

    Returns:
        ``x_train``, ``x_test``: 1-D ``object`` arrays of lists of ints; ``y_train``,
        ``y_test``: integer topic labels 0..45.
    """
    arrays = seq.read_sequence_npz(find("reuters", "Reuters", path, "reuters.npz"), ("x", "y"))
    rng = np.random.RandomState(seed)
    xs, labels = seq.shuffle(rng, arrays["x"], arrays["y"])
    xs = seq.shift(xs, start_char, index_from)
    if maxlen:
        xs, labels = seq.remove_long_seq(maxlen, xs, labels)
    xs = seq.prepare(xs, num_words, skip_top, oov_char)
    idx = int(len(xs) * (1 - test_split))
    return (
        (np.array(xs[:idx], dtype="object"), np.array(labels[:idx])),
        (np.array(xs[idx:], dtype="object"), np.array(labels[idx:])),
    )


def get_word_index(path="reuters_word_index.json"):
    """``{word: index}`` for Reuters (index 1 the most frequent word, ``'the'``). The indices
    in ``load_data``'s sequences are these plus ``index_from`` (3 by default)."""
    return seq.read_word_index(
        find("reuters", "Reuters word index", path, "reuters_word_index.json")
    )


def get_label_names():
    """The 46 topic names, in label order (Keras's list)."""
    return LABEL_NAMES


LABEL_NAMES = (
    "cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing", "money-supply",
    "coffee", "sugar", "trade", "reserves", "ship", "cotton", "carcass", "crude", "nat-gas",
    "cpi", "money-fx", "interest", "gnp", "meal-feed", "alum", "oilseed", "gold", "tin",
    "strategic-metal", "livestock", "retail", "ipi", "iron-steel", "rubber", "heat", "jobs",
    "lei", "bop", "zinc", "orange", "pet-chem", "dlr", "gas", "silver", "wpi", "hog", "lead",
)  # fmt: skip
