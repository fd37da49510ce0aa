"""Layers that merge a list of tensors: ``Add``, ``Subtract``, ``Multiply``, ``Average``,
``Maximum``, ``Minimum`` (same shapes, elementwise), ``Concatenate`` (along ``axis``) and
``Dot`` (a per-sample dot product), with Keras's lower-case functional helpers
(``add([a, b])`` is ``Add()([a, b])``)."""

from __future__ import annotations

from functools import reduce

from ..functions import array as ops_array
from ..functions import layer_normalization as ops_ln
from ..functions.residual import add_relu
from .base import Layer, format_shape


class Merge(Layer):
    """The merging layers' base (Keras 3's name): called on a list of at least two tensors.
    ``npconv.visualize`` tests for it to pass such a call its list whole."""

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
        self._broadcast_shape(shapes)

    def _broadcast_shape(self, shapes):
        """The elementwise result's shape, as Keras's merge layers find it: inputs of lower
        rank get axes of size 1 after the batch axis (a ``(None, 100)`` latent code times an
        embedding's ``(None, 1, 100)``), then sizes of 1 broadcast; ``None`` stays unknown."""
        rank = max(len(s) for s in shapes)
        out = [None if any(s[0] is None for s in shapes) else shapes[0][0]]
        padded = [(s[0], *(1,) * (rank - len(s)), *s[1:]) for s in shapes]
        for axis in range(1, rank):
            sizes = [s[axis] for s in padded]
            known = {d for d in sizes if d is not None and d != 1}
            if len(known) > 1:
                listed = ", ".join(format_shape(x) for x in shapes)
                raise ValueError(
                    f"{type(self).__name__} '{self.name}' needs inputs of the same shape "
                    f"(or sizes of 1 that broadcast), got {listed}"
                )
            out.append(None if None in sizes else known.pop() if known else 1)
        return tuple(out)

    def compute_output_shape(self, input_shape):
        return self._broadcast_shape([tuple(s) for s in input_shape])

    def call(self, inputs, training=False):
        return reduce(self.merge, _same_rank(inputs))


def _same_rank(inputs):
    """The inputs with axes of size 1 inserted after the batch axis up to the highest rank."""
    rank = max(len(x.shape) for x in inputs)
    return [x if len(x.shape) == rank else
            x.reshape(x.shape[0], *(1,) * (rank - len(x.shape)), *x.shape[1:]) for x in inputs]


class Add(Merge):
    merge = staticmethod(ops_array.add)

    def call_relu(self, inputs, training=None):
        """``relu`` of this layer's sum as one op (``functions.residual.add_relu``), for a
        plain ReLU layer that alone reads it (``models.fusion``: the end of a residual block).
        ``None`` when the inputs differ in shape (broadcasting) or the layer is not plain.
        ``training`` changes nothing (accepted as every ``call_relu`` takes it)."""
        if (type(self) is not Add or self.activity_regularizer is not None
                or not isinstance(inputs, list) or len(inputs) < 2
                or len({tuple(x.shape) for x in inputs}) != 1):
            return None
        self._maybe_build([(None, *x.shape[1:]) for x in inputs])
        self._losses = []
        return add_relu(*inputs)


class Subtract(Merge):
    n_inputs = 2
    merge = staticmethod(ops_array.sub)


class Multiply(Merge):
    merge = staticmethod(ops_array.mul)


class Maximum(Merge):
    merge = staticmethod(ops_array.maximum)


class Minimum(Merge):
    merge = staticmethod(ops_array.minimum)


class Average(Merge):
    def call(self, inputs, training=False):
        return ops_array.div(reduce(ops_array.add, _same_rank(inputs)), float(len(inputs)))


class Concatenate(Merge):
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


class Dot(Merge):
    """The dot product of two inputs along ``axes``, per sample (Keras's ``batch_dot``).

    ``axes``: an int (the same axis of both) or a pair, numbered with the batch axis as 0
    (negative counts from the end). The output keeps the first input's other axes, then the
    second's: ``(batch, n, d)`` . ``(batch, m, d)`` with ``axes=2`` -> ``(batch, n, m)``; two
    vectors ``(batch, d)`` give ``(batch, 1)``. ``normalize=True`` first scales both inputs to
    unit L2 norm along ``axes``, giving the cosine similarity.
    """

    n_inputs = 2

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axes, int):
            axes = (axes, axes)
        axes = tuple(int(a) for a in axes)
        if len(axes) != 2:
            raise ValueError(f"Dot axes must be an int or a pair of ints, got {axes!r}")
        self.axes = axes
        self.normalize = bool(normalize)

    def _resolved(self, shapes):
        axes = tuple(a % len(s) for a, s in zip(self.axes, shapes))
        if 0 in axes:
            raise ValueError(f"Dot '{self.name}' cannot take the dot product over the batch axis")
        return axes

    def _check_shapes(self, shapes):
        a0, a1 = self._resolved(shapes)
        d0, d1 = shapes[0][a0], shapes[1][a1]
        if d0 is not None and d1 is not None and d0 != d1:
            listed = ", ".join(format_shape(x) for x in shapes)
            raise ValueError(
                f"Dot '{self.name}': axis {a0} of the first input ({d0}) and axis {a1} of the "
                f"second ({d1}) must have the same size, got {listed}"
            )

    def compute_output_shape(self, input_shape):
        a0, a1 = self._resolved(input_shape)
        s0, s1 = list(input_shape[0]), list(input_shape[1])
        out = [s0[0], *(d for i, d in enumerate(s0) if i not in (0, a0)),
               *(d for i, d in enumerate(s1) if i not in (0, a1))]
        return tuple(out) if len(out) > 1 else (out[0], 1)

    def call(self, inputs, training=False):
        x, y = inputs
        a0, a1 = self._resolved([x.shape, y.shape])
        if self.normalize:
            x, y = ops_ln.l2_normalize(x, a0), ops_ln.l2_normalize(y, a1)
        # (batch, rest_x..., d) @ (batch, d, rest_y...) as one batched matmul
        rest_x = [i for i in range(1, x.ndim) if i != a0]
        rest_y = [i for i in range(1, y.ndim) if i != a1]
        n, d = x.shape[0], x.shape[a0]
        xm = ops_array.reshape(ops_array.transpose(x, (0, *rest_x, a0)), (n, -1, d))
        ym = ops_array.reshape(ops_array.transpose(y, (0, a1, *rest_y)), (n, d, -1))
        out = ops_array.matmul(xm, ym)
        shape = (n, *(x.shape[i] for i in rest_x), *(y.shape[i] for i in rest_y))
        return ops_array.reshape(out, shape if len(shape) > 1 else (n, 1))

    def get_config(self):
        return {**super().get_config(), "axes": list(self.axes), "normalize": self.normalize}


def add(inputs, **kwargs):
    """``Add(**kwargs)(inputs)``: the elementwise sum of a list of inputs."""
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """``Subtract(**kwargs)(inputs)``: ``inputs[0] - inputs[1]``."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """``Multiply(**kwargs)(inputs)``: the elementwise product of a list of inputs."""
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """``Average(**kwargs)(inputs)``: the elementwise mean of a list of inputs."""
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """``Maximum(**kwargs)(inputs)``: the elementwise maximum of a list of inputs."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """``Minimum(**kwargs)(inputs)``: the elementwise minimum of a list of inputs."""
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    """``Concatenate(axis, **kwargs)(inputs)``: the inputs joined along ``axis``."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes=-1, normalize=False, **kwargs):
    """``Dot(axes, normalize, **kwargs)(inputs)``: the per-sample dot product of two inputs."""
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)
