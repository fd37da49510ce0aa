"""The fast paths made for the bench zoo's models (embedding, pooling, activations), each held to
the plain reference beside it."""

import numpy as np

from npconv.functions import embedding as E

rng = np.random.default_rng(7)


def test_embedding_table_gradient_matches_add_at_with_many_repeats():
    # a few very frequent ids (many rounds), ids used once, and ids never used
    ids = np.concatenate([rng.integers(0, 3, 40), rng.integers(0, 50, 60)])
    ids = rng.permutation(ids).reshape(4, 25)
    gy = rng.standard_normal((4, 25, 5)).astype(np.float32)
    got = E.table_gradient(ids, gy, (60, 5))
    np.testing.assert_array_equal(got, E.table_gradient_reference(ids, gy, (60, 5)))
    assert got.dtype == np.float32
    assert np.all(got[50:] == 0)
    distinct = np.arange(12).reshape(3, 4)  # every id once: the one-round path
    gy = rng.standard_normal((3, 4, 2))
    np.testing.assert_array_equal(E.table_gradient(distinct, gy, (15, 2)),
                                  E.table_gradient_reference(distinct, gy, (15, 2)))
    empty = np.zeros((0, 3), np.int64)
    assert not E.table_gradient(empty, np.zeros((0, 3, 2)), (4, 2)).any()
