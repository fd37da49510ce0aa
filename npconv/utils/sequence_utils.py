"""``pad_sequences``: Keras's ``keras.utils.pad_sequences`` (Keras 3) and
``keras.preprocessing.sequence.pad_sequences`` (Keras 2)."""

from __future__ import annotations

import numpy as np

__all__ = ["pad_sequences"]


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre",
                  value=0.0):  # fmt: skip
    """Pad (or cut) sequences to one length: a list of ``num_samples`` sequences becomes an
    array ``(num_samples, maxlen, *sample_shape)``.

    Args:
        sequences: a sized collection of sequences (lists or arrays of ints, or of equally
            shaped items; ``sample_shape`` is the shape of the items of the first non-empty one).
        maxlen: the length of every row; None: the longest sequence's length.
        dtype: the output dtype (``'int32'``); ``object`` or a string dtype for strings.
        padding: ``'pre'`` (pad at the start, the default) or ``'post'``.
        truncating: ``'pre'`` (drop the start of longer sequences, the default) or ``'post'``.
        value: the padding value (``0.0``); a string needs ``dtype=object`` or a string dtype.

    Raises ``ValueError`` as Keras does: ``sequences`` without a length, an item that is not a
    sequence, a string ``value`` with a numeric dtype, an item of another shape, an unknown
    ``padding``/``truncating``.

    >>> pad_sequences([[1], [2, 3], [4, 5, 6]], maxlen=2)
    array([[0, 1],
           [2, 3],
           [5, 6]], dtype=int32)
    """
    if not hasattr(sequences, "__len__"):
        raise ValueError("pad_sequences: `sequences` must be iterable.")
    num_samples = len(sequences)
    lengths = []
    sample_shape = ()
    found_shape = False
    for x in sequences:
        try:
            lengths.append(len(x))
        except TypeError as e:
            raise ValueError(
                f"pad_sequences: `sequences` must be a list of iterables. Found non-iterable: {x}"
            ) from e
        if not found_shape and len(x):
            sample_shape = np.asarray(x).shape[1:]
            found_shape = True
    if maxlen is None:
        maxlen = np.max(lengths)  # as Keras: an empty `sequences` raises here
    is_dtype_str = np.issubdtype(dtype, np.str_) or np.issubdtype(dtype, np.bytes_)
    if isinstance(value, str) and dtype is not object and not is_dtype_str:
        raise ValueError(
            f"pad_sequences: `dtype` {dtype} is not compatible with `value`'s type: "
            f"{type(value)}\nYou should set `dtype=object` for variable length strings."
        )
    x = np.full((num_samples, maxlen) + sample_shape, value, dtype=dtype)
    for idx, s in enumerate(sequences):
        if not len(s):
            continue
        if truncating == "pre":
            trunc = s[-maxlen:]
        elif truncating == "post":
            trunc = s[:maxlen]
        else:
            raise ValueError(
                f'pad_sequences: truncating type "{truncating}" not understood (expected '
                "'pre' or 'post')"
            )
        trunc = np.asarray(trunc, dtype=dtype)
        if trunc.shape[1:] != sample_shape:
            raise ValueError(
                f"pad_sequences: shape of sample {trunc.shape[1:]} of sequence at position {idx} "
                f"is different from expected shape {sample_shape}"
            )
        if padding == "post":
            x[idx, : len(trunc)] = trunc
        elif padding == "pre":
            x[idx, -len(trunc) :] = trunc
        else:
            raise ValueError(
                f'pad_sequences: padding type "{padding}" not understood (expected \'pre\' or '
                "'post')"
            )
    return x
