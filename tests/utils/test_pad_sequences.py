"""pad_sequences (npconv.utils and Keras 2's npconv.preprocessing.sequence) against
hand-computed cases: Keras's padding, truncation, dtypes, string rules and errors."""

from __future__ import annotations

import numpy as np
import pytest

from npconv.preprocessing import sequence
from npconv.utils import pad_sequences

SEQS = [[1], [2, 3], [4, 5, 6]]


def test_same_function_at_both_paths():
    assert sequence.pad_sequences is pad_sequences


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({}, [[0, 0, 1], [0, 2, 3], [4, 5, 6]]),
        ({"value": -1}, [[-1, -1, 1], [-1, 2, 3], [4, 5, 6]]),
        ({"padding": "post"}, [[1, 0, 0], [2, 3, 0], [4, 5, 6]]),
        ({"maxlen": 2}, [[0, 1], [2, 3], [5, 6]]),
        ({"maxlen": 2, "truncating": "post"}, [[0, 1], [2, 3], [4, 5]]),
        ({"maxlen": 4, "padding": "post", "value": 9}, [[1, 9, 9, 9], [2, 3, 9, 9],
                                                         [4, 5, 6, 9]]),  # fmt: skip
    ],
)
def test_hand_computed(kwargs, expected):
    out = pad_sequences(SEQS, **kwargs)
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out, expected)


def test_float_dtype_empty_and_arrays():
    out = pad_sequences([np.array([0.5, 1.5]), [], (2.5,)], dtype="float32", value=0.25)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [[0.5, 1.5], [0.25, 0.25], [0.25, 2.5]])
    # the default int32 cuts floats as NumPy's cast does
    np.testing.assert_array_equal(pad_sequences([[1.7, 2.2]]), [[1, 2]])


def test_items_with_a_shape():
    out = pad_sequences([[[1, 2]], [[3, 4], [5, 6]]], padding="post")
    assert out.shape == (2, 2, 2)
    np.testing.assert_array_equal(out[0], [[1, 2], [0, 0]])
    with pytest.raises(ValueError, match=r"position 1 .* expected shape \(2,\)"):
        pad_sequences([[[1, 2]], [[3, 4, 5]]])


def test_strings():
    out = pad_sequences([["a"], ["b", "c"]], dtype=object, value="<pad>")
    assert out.tolist() == [["<pad>", "a"], ["b", "c"]]
    out = pad_sequences([["ab"], ["c", "d"]], dtype="<U3", value="-")
    assert out.dtype == np.dtype("<U3") and out.tolist() == [["-", "ab"], ["c", "d"]]
    with pytest.raises(ValueError, match="dtype=object"):
        pad_sequences([["a"]], value="x")


def test_errors():
    with pytest.raises(ValueError, match="must be iterable"):
        pad_sequences(iter([[1]]))
    with pytest.raises(ValueError, match="non-iterable: 5"):
        pad_sequences([[1], 5])
    with pytest.raises(ValueError, match="Padding type|padding type"):
        pad_sequences(SEQS, padding="middle")
    with pytest.raises(ValueError, match="runcating type"):
        pad_sequences(SEQS, maxlen=2, truncating="middle")
