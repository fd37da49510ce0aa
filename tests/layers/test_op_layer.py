"""``npconv.ops`` and arithmetic on Keras tensors build nodes of a functional model, as in
Keras 3 (``x += residual``, ``ops.concatenate([a, b])``, ``x[:, :2]``)."""

import numpy as np
import pytest

import npconv
from npconv import layers, ops


def _residual_model(with_ops):
    npconv.utils.set_random_seed(0)
    inputs = npconv.Input((6, 6, 3))
    x = layers.Conv2D(4, 3, padding="same", activation="relu")(inputs)
    y = layers.Conv2D(4, 3, padding="same")(x)
    if with_ops:
        y += x  # Keras 3 idiom
        y = ops.relu(y) * 0.5
        pooled = ops.mean(y, axis=[1, 2])
    else:
        y = layers.ReLU()(layers.Add()([y, x]))
        y = layers.Rescaling(0.5)(y)
        pooled = layers.GlobalAveragePooling2D()(y)
    return npconv.Model(inputs, layers.Dense(3, activation="softmax")(pooled))


def _data():
    rng = np.random.default_rng(0)
    return (rng.random((16, 6, 6, 3)).astype("float32"),
            np.eye(3, dtype="float32")[rng.integers(0, 3, 16)])


def test_ops_on_keras_tensors_train_like_the_same_layers():
    x, y = _data()
    models = [_residual_model(True), _residual_model(False)]
    for m in models:
        m.compile(optimizer="adam", loss="categorical_crossentropy")
    np.testing.assert_allclose(models[0].predict(x, verbose=0), models[1].predict(x, verbose=0),
                               rtol=1e-6)
    losses = []
    for m in models:
        npconv.utils.set_random_seed(1)  # the same shuffles
        losses.append(m.fit(x, y, batch_size=8, epochs=3, verbose=0).history["loss"])
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-5)
    assert losses[0][-1] < losses[0][0]
    for a, b in zip(models[0].get_weights(), models[1].get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_shapes_lists_keywords_indexing_and_reductions():
    inputs = npconv.Input((4,))
    a = layers.Dense(4)(inputs)
    assert (a + a).shape == (None, 4) and (2 * a).shape == (None, 4) and (-a).shape == (None, 4)
    assert (1.0 - a / 2).shape == (None, 4)
    assert a[:, :2].shape == (None, 2)
    joined = ops.concatenate([a, a[:, 1:]], axis=-1)
    assert joined.shape == (None, 7)
    assert ops.mean(joined, axis=-1).shape == (None,)
    assert ops.sum(joined).shape == ()  # over the batch too
    model = npconv.Model(inputs, [joined, ops.mean(joined, axis=-1)])
    x = np.random.default_rng(1).random((5, 4)).astype("float32")
    out, mean = model.predict(x, verbose=0)
    kernel, bias = model.layers[1].get_weights()
    dense = x @ kernel + bias
    np.testing.assert_allclose(out, np.concatenate([dense, dense[:, 1:]], -1), rtol=1e-5)
    np.testing.assert_allclose(mean, out.mean(-1), rtol=1e-5)
    assert model.layers[-1].dtype == "float32"
    ids = npconv.Input((3,), dtype="int32")
    assert ops.one_hot(ids, 5).shape == (None, 3, 5)


def test_eager_ops_are_unchanged():
    out = ops.add(np.ones(3, "float32"), 2.0)
    assert isinstance(out, npconv.Tensor)
    np.testing.assert_array_equal(np.asarray(out), [3, 3, 3])


def test_a_model_with_op_nodes_saves_and_loads(tmp_path):
    inputs = npconv.Input((8, 8, 3))
    a = layers.Conv2D(4, 3, padding="same")(inputs)
    pooled = ops.mean(ops.concatenate([a, 2 * a], axis=-1), axis=[1, 2])
    model = npconv.Model(inputs, [pooled, ops.image.resize(a, (4, 4))])
    x = np.random.default_rng(2).random((3, 8, 8, 3)).astype("float32")
    model.save(tmp_path / "m.keras")
    again = npconv.models.load_model(tmp_path / "m.keras")
    for u, v in zip(model.predict(x, verbose=0), again.predict(x, verbose=0)):
        np.testing.assert_allclose(u, v, rtol=1e-6)
    # indexing, array constants and tuples travel too (VGG's preprocess_input in a model:
    # x[..., ::-1] - mean)
    mean = np.array([103.939, 116.779, 123.68], "float32")
    pre = npconv.applications.vgg16.preprocess_input(inputs)
    sliced = npconv.Model(inputs, [a[:, :2, ..., ::-1], pre, ops.sum(a, axis=(1, 2))])
    sliced.save(tmp_path / "s.keras")
    again = npconv.models.load_model(tmp_path / "s.keras")
    for u, v in zip(sliced.predict(x, verbose=0), again.predict(x, verbose=0)):
        np.testing.assert_allclose(u, v, rtol=1e-6)
    np.testing.assert_allclose(again.predict(x, verbose=0)[1], x[..., ::-1] - mean, rtol=1e-6)
    # the op named in a file must be one of npconv's ops
    config = again.layers[-1].get_config()
    config["op"] = "os.system"
    with pytest.raises(ValueError, match="npconv has no op 'os.system'"):
        type(again.layers[-1]).from_config(config)
