"""npconv._naming: Keras's automatic names, shared by layers and optimizers."""

import npconv
from npconv._naming import UniqueNames, to_snake_case


def test_snake_case_as_keras_names_classes():
    assert to_snake_case("MaxPooling2D") == "max_pooling2d"
    assert to_snake_case("Conv2DTranspose") == "conv2d_transpose"
    assert to_snake_case("SGD") == "sgd"
    assert to_snake_case("BatchNormalization") == "batch_normalization"


def test_unique_names_count_per_base_and_reset():
    names = UniqueNames()
    assert [names("dense"), names("dense"), names("conv2d"), names("dense")] == [
        "dense", "dense_1", "conv2d", "dense_2"]
    names.reset()
    assert names("dense") == "dense"


def test_layers_and_optimizers_count_their_names_apart():
    npconv.backend.clear_session()
    layer = npconv.layers.Dense(2, name=None)
    first, second = npconv.optimizers.SGD(), npconv.optimizers.SGD()
    assert layer.name == "dense"
    assert second.name.startswith("sgd") and second.name != first.name
    npconv.backend.clear_session()  # resets the layers' names only, as before
    assert npconv.layers.Dense(2).name == "dense"
