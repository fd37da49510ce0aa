"""Keras activations by name: ``Dense(10, activation='softmax')`` looks them up here.

Each is the differentiable op from ``npconv.functions.activations``. ``softmax`` and ``sigmoid``
also remember their input on the output tensor (``keras_logits``) so cross-entropy can use the
stable logits form, as Keras's TensorFlow backend does.
"""

from __future__ import annotations

from ..functions import activations as A


def softmax(x, axis=-1):
    y = A.softmax(x, axis=axis)
    y.keras_logits = (x, "softmax") if axis in (-1, y.ndim - 1) else None
    return y


def sigmoid(x):
    y = A.sigmoid(x)
    y.keras_logits = (x, "sigmoid")
    return y


def linear(x):
    return x


relu = A.relu
relu6 = A.relu6
tanh = A.tanh
leaky_relu = A.leaky_relu
elu = A.elu
selu = A.selu
gelu = A.gelu
softplus = A.softplus
softsign = A.softsign
silu = swish = A.silu
hard_sigmoid = A.hard_sigmoid
hard_silu = hard_swish = A.hard_silu
exponential = A.exponential
log_softmax = A.log_softmax

_BY_NAME = {
    "softmax": softmax,
    "sigmoid": sigmoid,
    "linear": linear,
    "relu": relu,
    "relu6": relu6,
    "tanh": tanh,
    "leaky_relu": leaky_relu,
    "elu": elu,
    "selu": selu,
    "gelu": gelu,
    "softplus": softplus,
    "softsign": softsign,
    "silu": silu,
    "swish": swish,
    "hard_sigmoid": hard_sigmoid,
    "hard_silu": hard_silu,
    "hard_swish": hard_swish,
    "exponential": exponential,
    "log_softmax": log_softmax,
}


def get(identifier):
    """The activation function for a name, ``None`` (linear) or a callable (returned as is)."""
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        fn = _BY_NAME.get(identifier.lower())
        if fn is None:
            raise ValueError(
                f"Unknown activation {identifier!r}; valid names are {sorted(_BY_NAME)}"
            )
        return fn
    if isinstance(identifier, dict):
        return get(identifier.get("config", {}).get("name", identifier.get("class_name")))
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret activation {identifier!r}")


def serialize(fn) -> str:
    for name, f in _BY_NAME.items():
        if f is fn:
            return name
    return getattr(fn, "__name__", str(fn))
