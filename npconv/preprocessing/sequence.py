"""Keras 2's ``keras.preprocessing.sequence``: ``pad_sequences`` (Keras 3 has it as
``keras.utils.pad_sequences``; the same function)."""

from ..utils.sequence_utils import pad_sequences

__all__ = ["pad_sequences"]
