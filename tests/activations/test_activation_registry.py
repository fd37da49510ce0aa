"""npconv.activations: the Keras-name registry the layers look activations up in
(``Dense(10, activation='relu')``)."""

import numpy as np
import pytest

from npconv import activations
from npconv.autograd import Tensor
from npconv.functions import activations as A

NAMES = ("relu", "relu6", "sigmoid", "tanh", "softmax", "log_softmax", "leaky_relu", "elu",
         "selu", "gelu", "softplus", "softsign", "silu", "swish", "hard_sigmoid", "hard_silu",
         "hard_swish", "exponential", "linear")


def test_get_by_name():
    for name in NAMES:
        assert callable(activations.get(name))
    assert activations.get("ReLU") is activations.relu is A.relu
    assert activations.get("swish") is activations.silu is A.silu
    x = Tensor(np.ones(3))
    assert activations.get(None)(x) is x and activations.get("linear")(x) is x
    custom = lambda t: t  # noqa: E731
    assert activations.get(custom) is custom
    # a Keras config entry names the function too
    assert activations.get({"class_name": "function", "config": {"name": "tanh"}}) is A.tanh


def test_get_returns_the_function_that_computes():
    x = Tensor(np.array([-2.0, 0.5, 3.0], dtype=np.float32))
    np.testing.assert_allclose(activations.get("relu")(x).data, [0.0, 0.5, 3.0])
    sig = 1 / (1 + np.exp([2.0, -0.5, -3.0]))
    np.testing.assert_allclose(activations.get("sigmoid")(x).data, sig, rtol=1e-6)
    e = np.exp([-2.0, 0.5, 3.0])
    np.testing.assert_allclose(activations.get("softmax")(x).data, e / e.sum(), rtol=1e-6)


def test_serialize_round_trips_every_name():
    for name in NAMES:
        fn = activations.get(name)
        assert activations.get(activations.serialize(fn)) is fn


def test_get_unknown_name_lists_valid_names():
    with pytest.raises(ValueError, match="Unknown activation 'rleu'") as info:
        activations.get("rleu")
    for name in ("relu", "softmax", "hard_swish", "gelu", "linear"):
        assert name in str(info.value)
    with pytest.raises(ValueError, match="Could not interpret"):
        activations.get(3)
