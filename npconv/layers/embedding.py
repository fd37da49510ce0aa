"""``Embedding``: turns integer ids into dense vectors, one learned row per id (Keras's layer).

The weight ``embeddings`` is ``(input_dim, output_dim)``; ids of shape ``(batch, ...)`` become
``(batch, ..., output_dim)``. The arithmetic is ``npconv.functions.embedding``.
"""

from __future__ import annotations

import numbers

from ..functions import embedding as ops_embedding
from .base import Layer


def _positive(value, what):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"Embedding {what} must be a positive integer, got {value!r}")
    return int(value)


class Embedding(Layer):
    """Maps each id in ``[0, input_dim)`` to row ``embeddings[id]`` of length ``output_dim``.

    ``embeddings_initializer='uniform'`` is Keras's ``RandomUniform(-0.05, 0.05)``.
    ``mask_zero`` is accepted and kept in the config for Keras compatibility; npconv has no
    masking (its consumers are recurrent layers, which npconv does not have), so id 0 is an
    ordinary row. ``input_length`` (Keras 2) declares the input shape ``(input_length,)`` of a
    first layer, as ``input_shape=(input_length,)`` does; Keras 3 ignores it.
    """

    min_input_rank = 1

    def __init__(
        self,
        input_dim,
        output_dim,
        embeddings_initializer="uniform",
        embeddings_regularizer=None,
        embeddings_constraint=None,
        mask_zero=False,
        input_length=None,
        **kwargs,
    ):
        if input_length is not None and not any(
                k in kwargs for k in ("input_shape", "batch_input_shape", "batch_shape")):
            length = None if input_length is None else int(input_length)
            kwargs["batch_input_shape"] = (kwargs.pop("batch_size", None), length)
        kwargs.pop("lora_rank", None)
        kwargs.pop("lora_alpha", None)
        super().__init__(**kwargs)
        self.input_dim = _positive(input_dim, "input_dim")
        self.output_dim = _positive(output_dim, "output_dim")
        self.embeddings_initializer = embeddings_initializer
        self.embeddings_regularizer = embeddings_regularizer
        self.embeddings_constraint = embeddings_constraint
        self.mask_zero = bool(mask_zero)

    def build(self, input_shape):
        self.embeddings = self.add_weight(
            (self.input_dim, self.output_dim),
            self.embeddings_initializer,
            name="embeddings",
            regularizer=self.embeddings_regularizer,
            constraint=self.embeddings_constraint,
        )

    def call(self, inputs, training=False):
        return ops_embedding.embedding(inputs, self.embeddings)

    def compute_output_shape(self, input_shape):
        return (*tuple(input_shape), self.output_dim)

    def get_config(self):
        from .. import constraints, initializers, regularizers

        def ser(value, module):
            return None if value is None else module.serialize(module.get(value))

        return {
            **super().get_config(),
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(
                initializers.get(self.embeddings_initializer)),
            "embeddings_regularizer": ser(self.embeddings_regularizer, regularizers),
            "embeddings_constraint": ser(self.embeddings_constraint, constraints),
            "mask_zero": self.mask_zero,
        }
