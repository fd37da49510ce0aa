"""Layers that merge a list of tensors: ``Add``, ``Subtract``, ``Multiply``, ``Average``,
``Maximum``, ``Minimum`` (same shapes, elementwise) and ``Concatenate`` (along ``axis``)."""

from __future__ import annotations

from functools import reduce

from ..functions import array as ops_array
from .base import Layer, format_shape


class _Merge(Layer):
    n_inputs = None

    def _check(self, shapes):
        if not isinstance(shapes, list) or len(shapes) < 2:
            raise ValueError(
                f"{type(self).__name__} '{self.name}' expects a list of at least 2 inputs, "
                f"got {shapes!r}"
            )
        if self.n_inputs is not None and len(shapes) != self.n_inputs:
            raise ValueError(
                f"{type(self).__name__} '{self.name}' expects exactly {self.n_inputs} inputs, "
                f"got {len(shapes)}"
            )

    def _maybe_build(self, input_shape):
        self._check(input_shape)
        self._check_shapes(input_shape)
        super()._maybe_build(input_shape)

    def _checks_built_shape(self):
        return False

    def _check_shapes(self, shapes):
        first = shapes[0]
        for s in shapes[1:]:
            if len(s) != len(first) or any(
                a is not None and b is not None and a != b and 1 not in (a, b)
                for a, b in zip(first[1:], s[1:])
            ):
                listed = ", ".join(format_shape(x) for x in shapes)
                raise ValueError(
                    f"{type(self).__name__} '{self.name}' needs inputs of the same shape, "
                    f"got {listed}"
                )

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0])

    def call(self, inputs, training=False):
        return reduce(self.merge, inputs)


class Add(_Merge):
    merge = staticmethod(ops_array.add)


class Subtract(_Merge):
    n_inputs = 2
    merge = staticmethod(ops_array.sub)


class Multiply(_Merge):
    merge = staticmethod(ops_array.mul)


class Maximum(_Merge):
    merge = staticmethod(ops_array.maximum)


class Minimum(_Merge):
    merge = staticmethod(ops_array.minimum)


class Average(_Merge):
    def call(self, inputs, training=False):
        return ops_array.div(reduce(ops_array.add, inputs), float(len(inputs)))


class Concatenate(_Merge):
    """Joins inputs along ``axis`` (default the last); other axes must match."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = int(axis)

    def _check_shapes(self, shapes):
        rank = len(shapes[0])
        axis = self.axis % rank
        for s in shapes[1:]:
            if len(s) != rank or any(
                i != axis and a is not None and b is not None and a != b
                for i, (a, b) in enumerate(zip(shapes[0], s))
            ):
                listed = ", ".join(format_shape(x) for x in shapes)
                raise ValueError(
                    f"Concatenate '{self.name}' needs inputs matching except on axis "
                    f"{self.axis}, got {listed}"
                )

    def compute_output_shape(self, input_shape):
        axis = self.axis % len(input_shape[0])
        out = list(input_shape[0])
        sizes = [s[axis] for s in input_shape]
        out[axis] = None if any(d is None for d in sizes) else sum(sizes)
        return tuple(out)

    def call(self, inputs, training=False):
        return ops_array.concatenate(list(inputs), axis=self.axis)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


def add(inputs, **kwargs):
    return Add(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    return Concatenate(axis=axis, **kwargs)(inputs)
