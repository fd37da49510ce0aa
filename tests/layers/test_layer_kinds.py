"""The named bases and methods other packages (the ONNX exporter, ``npconv.visualize``) ask of
layers instead of importing their private classes: ``BasePooling``/``BaseGlobalPooling`` with
``pool_mode``, ``BaseZeroPadding.pad_width()``, the ``Merge`` base, and ``training_context``
(which ``npconv.models`` runs a functional model in)."""

import numpy as np

from npconv import layers
from npconv.layers.convolutional import BaseZeroPadding
from npconv.layers.merging import Merge
from npconv.layers.pooling import BaseGlobalPooling, BasePooling


def test_pool_mode_names_each_kind_in_every_rank():
    for rank in (1, 2, 3):
        for kind, mode in (("MaxPooling", "max"), ("AveragePooling", "average"),
                           ("StochasticPooling", "stochastic")):
            layer = getattr(layers, f"{kind}{rank}D")()
            assert isinstance(layer, BasePooling) and not isinstance(layer, BaseGlobalPooling)
            assert layer.pool_mode == mode
        for kind, mode in (("GlobalMaxPooling", "max"), ("GlobalAveragePooling", "average")):
            layer = getattr(layers, f"{kind}{rank}D")()
            assert isinstance(layer, BaseGlobalPooling) and not isinstance(layer, BasePooling)
            assert layer.pool_mode == mode
    assert layers.MaxPool2D is layers.MaxPooling2D  # Keras's short names, the same classes


def test_pad_width_covers_every_axis_in_the_layout():
    last = layers.ZeroPadding2D(((1, 2), (3, 4)))
    first = layers.ZeroPadding2D(((1, 2), (3, 4)), data_format="channels_first")
    assert isinstance(last, BaseZeroPadding)
    assert last.pad_width() == ((0, 0), (1, 2), (3, 4), (0, 0))
    assert first.pad_width() == ((0, 0), (0, 0), (1, 2), (3, 4))
    x = np.ones((1, 2, 2, 1), np.float32)
    y = last(x)
    y = np.asarray(getattr(y, "data", y))
    np.testing.assert_array_equal(y, np.pad(x, last.pad_width()))


def test_merging_layers_share_the_merge_base():
    for name in ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate",
                 "Dot"):
        assert issubclass(getattr(layers, name), Merge), name
    assert not issubclass(layers.Dense, Merge)


def test_training_context_sets_the_flag_nested_calls_read_and_restores_it():
    from npconv.layers.base import current_training, training_context

    assert current_training() is None
    with training_context(True):
        assert current_training() is True
        with training_context(False):
            assert current_training() is False
        assert current_training() is True
    assert current_training() is None
