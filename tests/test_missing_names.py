"""Names npconv does not have raise a clear error (npconv._missing): an AttributeError, so
hasattr works, or inside ``from ... import`` an ImportError that keeps the message, naming the
closest name npconv has; and the Keras 2 module paths resolve to npconv's layers."""

import importlib

import pytest

import npconv
from npconv._missing import NotProvidedError, NotProvidedImportError


@pytest.mark.parametrize(
    "module, name, closest",
    [
        ("npconv.layers", "Conv2d", "Conv2D"),
        ("npconv.layers", "MaxPoling2D", "MaxPooling2D"),
        ("npconv.layers", "SomethingNotBuilt", None),
        ("npconv.optimizers", "Adamm", "Adam"),
        ("npconv.losses", "KLDivergance", "KLDivergence"),
        ("npconv.metrics", "Precison", "Precision"),
        ("npconv.callbacks", "EarlyStoping", "EarlyStopping"),
        ("npconv.models", "clone_modle", "clone_model"),
        ("npconv", "Sequentail", "Sequential"),
    ],
)
def test_missing_attribute(module, name, closest):
    mod = importlib.import_module(module)
    assert not hasattr(mod, name)
    assert getattr(mod, name, "default") == "default"
    with pytest.raises(NotProvidedError) as info:
        getattr(mod, name)
    message = str(info.value)
    assert message.startswith(f"npconv does not provide {module}.{name}")
    if closest:
        assert message.endswith(f"the closest name it has is {module}.{closest}")
    else:
        assert "closest" not in message
    assert isinstance(info.value, AttributeError)


def test_missing_name_in_from_import_keeps_the_message():
    with pytest.raises(ImportError, match=r"npconv does not provide npconv\.layers\.MaxPoling2D; "
                       r"the closest name it has is npconv\.layers\.MaxPooling2D") as info:
        from npconv.layers import MaxPoling2D  # noqa: F401
    assert isinstance(info.value, NotProvidedImportError)


def test_applications_npconv_lacks_say_they_are_not_provided():
    with pytest.raises(ImportError, match="npconv.applications.MobileNetV2.* npconv builds "
                                          "VGG16/19 and ResNet50/101/152 .and V2. only"):
        from npconv.applications import MobileNetV2  # noqa: F401


def test_ops_missing_name():
    with pytest.raises(AttributeError, match="npconv does not provide npconv.ops.no_such_op"):
        npconv.ops.no_such_op  # noqa: B018


def test_private_names_are_plain_attribute_errors():
    with pytest.raises(AttributeError) as info:
        npconv.layers.__wrapped__  # noqa: B018
    assert not isinstance(info.value, NotProvidedError)


def test_keras2_layer_paths():
    from npconv.layers.advanced_activations import ELU, LeakyReLU, ReLU, Softmax
    from npconv.layers.convolutional import Convolution2D, MaxPooling2D
    from npconv.layers.core import Activation, Dense, Dropout, Flatten
    from npconv.layers.merge import Concatenate, add, concatenate
    from npconv.layers.normalization import BatchNormalization
    from npconv.layers.pooling import GlobalAveragePooling2D

    layers = npconv.layers
    assert (ELU, LeakyReLU, ReLU, Softmax) == (layers.ELU, layers.LeakyReLU, layers.ReLU,
                                               layers.Softmax)
    assert Convolution2D is layers.Conv2D and MaxPooling2D is layers.MaxPooling2D
    assert (Activation, Dense, Dropout, Flatten) == (layers.Activation, layers.Dense,
                                                     layers.Dropout, layers.Flatten)
    assert (Concatenate, add, concatenate) == (layers.Concatenate, layers.add, layers.concatenate)
    assert BatchNormalization is layers.BatchNormalization
    assert GlobalAveragePooling2D is layers.GlobalAveragePooling2D
    # attribute access without importing the submodule first
    assert npconv.layers.advanced_activations.LeakyReLU is layers.LeakyReLU


def test_keras2_paths_find_layers_added_later(monkeypatch):
    """A layer added to npconv.layers (by a later module) is found through the old paths."""

    class PReLU(npconv.layers.Layer):
        pass

    monkeypatch.setattr(npconv.layers, "PReLU", PReLU, raising=False)
    from npconv.layers.advanced_activations import PReLU as found

    assert found is PReLU
    assert npconv.layers.core.PReLU is PReLU


def test_keras2_path_missing_name():
    with pytest.raises(ImportError, match="npconv does not provide "
                       "npconv.layers.advanced_activations.Swish"):
        from npconv.layers.advanced_activations import Swish  # noqa: F401


def test_keras_2_and_3_saving_paths():
    """keras.models.save_model, keras.saving.*, keras.optimizers.legacy.* exist and work."""
    import numpy as np

    import npconv
    from npconv import layers as L

    model = npconv.Sequential([L.Input((3,)), L.Dense(2)])
    model.compile(optimizer=npconv.optimizers.legacy.Adam(lr=0.01), loss="mse")
    assert np.isclose(float(model.optimizer.learning_rate), 0.01)  # float32, as Keras

    @npconv.saving.register_keras_serializable(package="demo")
    def double(x):
        return x * 2

    assert npconv.saving.get_custom_objects()["demo>double"] is double
    import tempfile

    path = tempfile.mkdtemp() + "/m.keras"
    npconv.models.save_model(model, path)
    again = npconv.saving.load_model(path)
    x = np.ones((1, 3), "float32")
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0))
