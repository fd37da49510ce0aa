"""``Tensor``: an array that remembers the function that made it, so gradients can flow back.

A Tensor holds ``data`` (an array of the backend's namespace, or of the array library it was
given: ``array_api_strict``, CuPy), ``grad`` (an array of the same shape once ``backward()``
has reached it, else ``None``) and ``creator`` (the ``Function`` call that produced it,
``None`` for a leaf). Arithmetic operators dispatch to ``npconv.functions``.
"""

from __future__ import annotations

import numpy as _np

from ..backend import xp


class Tensor:
    """A node of the computation graph.

    ``requires_grad=True`` marks a leaf whose gradient we want (a weight); every tensor computed
    from one while gradients are enabled requires a gradient too.
    """

    __slots__ = (
        "data", "grad", "creator", "requires_grad", "generation", "name", "keras_logits",
        "__weakref__",
    )
    __array_priority__ = 200  # ``ndarray + Tensor`` calls ``Tensor.__radd__``

    def __init__(self, data, requires_grad: bool = False, name: str | None = None):
        if isinstance(data, Tensor):
            data = data.data
        if not isinstance(data, xp.ndarray) and not _other_library(data):
            data = xp.asarray(data)
        self.data = data
        self.grad = None
        self.creator = None
        self.requires_grad = bool(requires_grad)
        self.generation = 0
        self.name = name
        # The pre-softmax/sigmoid tensor when this one is a softmax/sigmoid output, so that
        # cross-entropy can use the stable logits form, as Keras's TensorFlow backend does.
        self.keras_logits = None

    # array-like facts
    @property
    def shape(self):
        return self.data.shape

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def size(self):
        return self.data.size

    @property
    def dtype(self):
        return self.data.dtype

    def __len__(self):
        return len(self.data)

    def __repr__(self):
        body = repr(self.data).replace("\n", "\n" + " " * 7)
        grad = ", requires_grad=True" if self.requires_grad else ""
        return f"Tensor({body}{grad})"

    def numpy(self):
        """The underlying array (not a copy)."""
        return self.data

    def __array__(self, dtype=None, copy=None):
        return self.data if dtype is None else self.data.astype(dtype, copy=False)

    def detach(self) -> Tensor:
        """A new leaf sharing this tensor's data, cut from the graph."""
        return Tensor(self.data)

    def zero_grad(self) -> None:
        self.grad = None

    def backward(self, grad=None, retain_graph: bool = False) -> None:
        """Fill ``.grad`` of every tensor this one depends on (see ``autograd.graph.backward``)."""
        from .graph import backward

        backward(self, grad, retain_graph=retain_graph)

    # operators, defined by npconv.functions (imported lazily: ops sits above autograd)
    def __add__(self, other):
        from ..functions import array

        return array.add(self, other)

    def __radd__(self, other):
        from ..functions import array

        return array.add(other, self)

    def __sub__(self, other):
        from ..functions import array

        return array.sub(self, other)

    def __rsub__(self, other):
        from ..functions import array

        return array.sub(other, self)

    def __mul__(self, other):
        from ..functions import array

        return array.mul(self, other)

    def __rmul__(self, other):
        from ..functions import array

        return array.mul(other, self)

    def __truediv__(self, other):
        from ..functions import array

        return array.div(self, other)

    def __rtruediv__(self, other):
        from ..functions import array

        return array.div(other, self)

    def __neg__(self):
        from ..functions import array

        return array.neg(self)

    def __pow__(self, exponent):
        from ..functions import array

        return array.power(self, exponent)

    def __matmul__(self, other):
        from ..functions import array

        return array.matmul(self, other)

    def __rmatmul__(self, other):
        from ..functions import array

        return array.matmul(other, self)

    def __abs__(self):
        from ..functions import array

        return array.abs(self)

    def __rpow__(self, base):
        from .. import ops

        return ops.power(base, self)

    # comparisons give boolean Tensors (no gradient), as Keras's tensors do; == and != keep
    # Python's identity meaning, so Tensors stay usable as dict keys and in lists
    def __lt__(self, other):
        from .. import ops

        return ops.less(self, other)

    def __le__(self, other):
        from .. import ops

        return ops.less_equal(self, other)

    def __gt__(self, other):
        from .. import ops

        return ops.greater(self, other)

    def __ge__(self, other):
        from .. import ops

        return ops.greater_equal(self, other)

    # integer and boolean arithmetic (no gradient: their results are constants, as NumPy's)
    def __floordiv__(self, other):
        from .. import ops

        return ops.floor_divide(self, other)

    def __rfloordiv__(self, other):
        from .. import ops

        return ops.floor_divide(other, self)

    def __mod__(self, other):
        from .. import ops

        return ops.mod(self, other)

    def __rmod__(self, other):
        from .. import ops

        return ops.mod(other, self)

    def __and__(self, other):
        from .. import ops

        return ops.logical_and(self, other)

    __rand__ = __and__

    def __or__(self, other):
        from .. import ops

        return ops.logical_or(self, other)

    __ror__ = __or__

    def __xor__(self, other):
        from .. import ops

        return ops.logical_xor(self, other)

    __rxor__ = __xor__

    def __invert__(self):
        from .. import ops

        return ops.logical_not(self)

    def __float__(self):
        return float(self.data)

    def __int__(self):
        return int(self.data)

    def __index__(self):
        """An integer Tensor of one element as a list index (``class_names[ops.argmax(p)]``);
        a float one is refused, as NumPy refuses it."""
        if not _np.issubdtype(_np.asarray(self.data).dtype, _np.integer) or self.data.size != 1:
            raise TypeError(
                f"only an integer Tensor of one element can be an index, got dtype "
                f"{self.data.dtype} and shape {tuple(self.data.shape)}"
            )
        return int(self.data)

    def __bool__(self):
        return bool(self.data)

    def __getitem__(self, index):
        from ..functions import array

        return array.getitem(self, index)

    def reshape(self, *shape):
        from ..functions import array

        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return array.reshape(self, shape)

    def transpose(self, *axes):
        from ..functions import array

        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return array.transpose(self, axes or None)

    @property
    def T(self):
        return self.transpose()

    # NumPy's np.sum(t) / np.mean(t) call these with dtype= and out= as well
    def sum(self, axis=None, keepdims=False, dtype=None, out=None):
        from ..functions import array

        return _reduced(array.sum(self, axis=axis, keepdims=keepdims), dtype, out, "sum")

    def mean(self, axis=None, keepdims=False, dtype=None, out=None):
        from ..functions import array

        return _reduced(array.mean(self, axis=axis, keepdims=keepdims), dtype, out, "mean")


def _reduced(result, dtype, out, name):
    if out is not None:
        raise TypeError(f"Tensor.{name}: out= is not supported (Tensors are not written in "
                        "place); use the returned Tensor")
    if dtype is not None and _np.dtype(dtype) != result.dtype:
        from ..functions import numeric

        return numeric.cast(result, _np.dtype(dtype))
    return result


def _other_library(data) -> bool:
    """Whether ``data`` is an array of another array library (``array_api_strict``, CuPy under
    the NumPy backend): kept as it is, so functions run on it with its own kernels
    (``backend.kernels_for``) instead of copying it to NumPy. NumPy arrays and scalars (which
    also carry ``__array_namespace__``) are not: under the CuPy backend they are moved to the
    GPU as before."""
    if isinstance(data, _np.ndarray | _np.generic):
        return False
    return hasattr(data, "__array_namespace__") or type(data).__module__.startswith("cupy")


def as_tensor(x) -> Tensor:
    """``x`` itself if it is a Tensor, else a new leaf wrapping ``asarray(x)`` (no copy)."""
    return x if isinstance(x, Tensor) else Tensor(x)


def as_array(x):
    """The array inside ``x`` (a Tensor or anything ``asarray`` takes)."""
    return x.data if isinstance(x, Tensor) else xp.asarray(x)
