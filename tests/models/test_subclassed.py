"""Subclassed models (layers made in ``__init__``, used in ``call``) train with ``fit`` and
round-trip through ``save``/``load_model`` with ``custom_objects``.

Their output shape comes from running them (``trace_output_shape``), never from a default
that echoes the input shape: that default once made ``fit`` refuse correct labels with
"the model's output has shape (None, 8, 8, 1)".
"""

import numpy as np
import pytest

import npconv
from npconv import layers


@pytest.fixture(scope="module")
def digits():
    (x, y), _ = npconv.datasets.digits.load_data()
    x = x[:600, ::2, ::2, None].astype("float32") / 255  # 14x14, quick
    return x, y[:600]


class SmallCNN(npconv.Model):
    def __init__(self, classes=10, **kwargs):
        super().__init__(**kwargs)
        self.classes = classes
        self.conv = layers.Conv2D(8, 3, activation="relu")
        self.pool = layers.MaxPooling2D()
        self.flatten = layers.Flatten()
        self.out = layers.Dense(classes, activation="softmax")

    def call(self, x):
        return self.out(self.flatten(self.pool(self.conv(x))))

    def get_config(self):
        return {**super().get_config(), "classes": self.classes}


class Wrapper(npconv.Model):
    """A subclassed model around a Sequential, with a residual-free head of its own."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.body = npconv.Sequential(
            [layers.Conv2D(8, 3, activation="relu"), layers.MaxPooling2D(), layers.Flatten()]
        )
        self.head = layers.Dense(10, activation="softmax")

    def call(self, x, training=False):
        return self.head(self.body(x, training=training))


class Scale(layers.Layer):
    """A custom layer whose weight is made in ``build`` and whose output shape is not its
    input's: ``x * w`` a matrix product (no compute_output_shape given)."""

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], 16), initializer="glorot_uniform",
                                 name="w")

    def call(self, x):
        return x @ self.w


class WithCustomLayer(npconv.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.flatten = layers.Flatten()
        self.scale = Scale()
        self.out = layers.Dense(10, activation="softmax")

    def call(self, x):
        return self.out(npconv.functions.activations.relu(self.scale(self.flatten(x))))


def _train_save_load(model, digits, tmp_path, custom_objects, epochs=3):
    x, y = digits
    npconv.utils.set_random_seed(0)
    model.compile(npconv.optimizers.Adam(0.005), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, y, epochs=epochs, batch_size=32, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.6 * losses[0], losses
    assert history.history["accuracy"][-1] > 0.6
    assert model.built_output_shape == (None, 10)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = npconv.models.load_model(path, custom_objects=custom_objects)
    assert type(loaded) is type(model)
    np.testing.assert_allclose(loaded.predict(x[:50], verbose=0), model.predict(x[:50], verbose=0),
                               rtol=1e-6, atol=1e-7)
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    # the loaded model trains on: its compile settings and optimizer state came back
    loaded.fit(x, y, epochs=1, batch_size=32, verbose=0)
    return model, loaded


def test_subclassed_cnn_trains_saves_and_loads(digits, tmp_path):
    model, loaded = _train_save_load(SmallCNN(), digits, tmp_path, {"SmallCNN": SmallCNN})
    assert [type(layer).__name__ for layer in model.layers] == [
        "Conv2D", "MaxPooling2D", "Flatten", "Dense"]
    assert loaded.classes == 10


def test_subclassed_model_wrapping_a_sequential(digits, tmp_path):
    model, _ = _train_save_load(Wrapper(), digits, tmp_path, {"Wrapper": Wrapper})
    assert len(model.trainable_weights) == 4  # conv kernel/bias, dense kernel/bias


def test_custom_layer_with_weights_made_in_build(digits, tmp_path):
    model, _ = _train_save_load(WithCustomLayer(), digits, tmp_path,
                                {"WithCustomLayer": WithCustomLayer, "Scale": Scale})
    assert model.scale.built_output_shape == (None, 16)  # traced, not the input's (None, 196)
    assert model.scale.w.shape == (196, 16)


def test_loading_a_subclassed_model_without_its_class_says_how(digits, tmp_path):
    model = SmallCNN()
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(*digits, epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    with pytest.raises(Exception, match="custom_objects"):
        npconv.models.load_model(tmp_path / "m.keras")


def test_wrong_labels_still_refused_with_the_real_output_shape(digits):
    x, y = digits
    model = SmallCNN(classes=3)
    model.compile("adam", "sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match=r"ids must be in \[0, 3\)"):
        model.fit(x, y, epochs=1, verbose=0)


def test_build_traces_the_output_shape_and_layers_made_in_call_order():
    model = SmallCNN()
    model.build((None, 14, 14, 1))
    assert model.built_output_shape == (None, 10)
    assert model.compute_output_shape((None, 14, 14, 1)) == (None, 10)
    assert model.count_params() == 8 * 9 + 8 + 6 * 6 * 8 * 10 + 10


def test_symbolic_call_of_a_layer_without_compute_output_shape():
    inputs = npconv.Input(shape=(6,))
    out = Scale()(inputs)
    assert tuple(out.shape) == (None, 16)
    model = npconv.Model(inputs, layers.Dense(2)(out))
    assert model.predict(np.ones((3, 6), "float32"), verbose=0).shape == (3, 2)
