"""A layer set as another layer's attribute is its sublayer, as in Keras: its weights are the
outer layer's (counted, trained, saved, frozen with it) and so are its losses. Keras 3 code is
full of such layers (residual blocks, keras.io's PixelCNN), which trained nothing before."""

import numpy as np

import npconv
from npconv import layers


class Block(layers.Layer):
    def __init__(self, filters, **kwargs):
        super().__init__(**kwargs)
        self.filters = filters
        self.convs = [layers.Conv2D(filters, 3, padding="same", activation="relu"),
                      layers.Conv2D(filters, 1, kernel_regularizer="l2")]
        self.norm = layers.BatchNormalization()

    def call(self, inputs, training=False):
        x = self.convs[1](self.convs[0](inputs))
        self.add_loss(npconv.ops.mean(npconv.ops.square(x)) * 0.0 + 1.0)
        return self.norm(x, training=training) + inputs

    def get_config(self):
        return {**super().get_config(), "filters": self.filters}


class Outer(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.block = Block(3)
        self.scale = self.add_weight(shape=(), initializer="ones", name="scale")

    def call(self, inputs, training=False):
        return self.block(inputs, training=training) * self.scale


def _model():
    npconv.utils.set_random_seed(0)
    inputs = npconv.Input((6, 6, 3))
    x = Outer()(inputs)
    outputs = layers.Dense(2)(layers.GlobalAveragePooling2D()(x))
    return npconv.Model(inputs, outputs)


def test_sublayer_weights_are_counted_and_ordered():
    model = _model()
    outer = model.layers[1]
    # own scale, then the block's two convolutions (kernel, bias each) and its batch norm
    assert [tuple(w.shape) for w in outer.weights][:5] == [(), (3, 3, 3, 3), (3,), (1, 1, 3, 3),
                                                           (3,)]
    assert len(outer.trainable_weights) == 7 and len(outer.non_trainable_weights) == 2
    expected = 1 + (81 + 3) + (9 + 3) + 4 * 3 + (3 * 2 + 2)
    assert model.count_params() == expected


def test_sublayers_train_and_their_losses_count_once():
    model = _model()
    model.compile("adam", "mse")
    x = np.random.default_rng(0).random((8, 6, 6, 3)).astype("float32")
    y = np.random.default_rng(1).random((8, 2)).astype("float32")
    before = [w.copy() for w in model.get_weights()]
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    changed = [not np.array_equal(a, b) for a, b in zip(before, model.get_weights())]
    assert all(changed[:7]), changed  # every trainable weight of the custom layer moved
    model(x, training=True)
    # the l2 penalty of the inner 1x1 kernel and the block's add_loss of 1.0, once each
    assert len(model.losses) == 2
    assert any(abs(float(np.asarray(t)) - 1.0) < 1e-6 for t in model.losses)


def test_freezing_the_outer_layer_freezes_its_sublayers():
    model = _model()
    outer = model.layers[1]
    outer.trainable = False
    assert outer.trainable_weights == [] and len(outer.non_trainable_weights) == 9
    assert len(model.trainable_weights) == 2  # the Dense


def test_a_model_with_nested_custom_layers_saves_and_loads(tmp_path):
    model = _model()
    x = np.random.default_rng(2).random((4, 6, 6, 3)).astype("float32")
    model.save(tmp_path / "m.keras")
    again = npconv.models.load_model(tmp_path / "m.keras",
                                     custom_objects={"Outer": Outer, "Block": Block})
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)
