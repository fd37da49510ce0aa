"""Idioms of public Keras programs (Deep Learning with Python's notebooks, keras.io) that npconv
got wrong, each against what Keras 3 does."""

import numpy as np
import pytest

import npconv
from npconv import layers, ops


def test_metrics_functions_are_the_differentiable_losses():
    """DLwP's first-edition VAE writes its reconstruction term with
    keras.metrics.binary_crossentropy; a no-grad version trained it at 0.693 for ever."""
    w = npconv.Variable(np.array([0.3, -0.2, 0.1], "float32"))
    y = np.array([[1.0, 0.0, 0.0]], "float32")
    for name in ("binary_crossentropy", "categorical_crossentropy", "mean_squared_error",
                 "mean_absolute_error", "kl_divergence", "mse"):
        with npconv.GradientTape() as tape:
            value = ops.mean(getattr(npconv.metrics, name)(y, ops.softmax(w[None])))
        (g,) = tape.gradient(value, [w])
        assert g is not None and np.abs(g).max() > 0, name
        expected = ops.mean(getattr(npconv.losses, name)(y, ops.softmax(w[None])))
        np.testing.assert_allclose(np.asarray(value), np.asarray(expected), rtol=1e-6)
    # the metric classes still report plain numbers
    metric = npconv.metrics.BinaryCrossentropy()
    metric.update_state(y, np.array([[0.9, 0.2, 0.1]], "float32"))
    assert isinstance(float(metric.result()), float)


def test_compile_without_a_loss_keeps_the_models_own():
    """DLwP's diffusion model sets self.loss in __init__ and reads it in compute_loss."""

    class Denoiser(npconv.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(3)
            self.loss = npconv.losses.MeanAbsoluteError()

        def call(self, x):
            return self.dense(x)

        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, **kwargs):
            return self.loss(y, y_pred)

    model = Denoiser()
    model.compile(optimizer="adam")
    assert isinstance(model.loss, npconv.losses.MeanAbsoluteError)
    x = np.random.default_rng(0).random((16, 3)).astype("float32")
    history = model.fit(x, x, epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    model.compile(optimizer="adam", loss="mse")
    assert model.loss == "mse"
    model.compile(optimizer="adam")  # a compile's loss is replaced by the next compile's
    assert model.loss is None


def test_binary_crossentropy_takes_noisy_labels_but_not_class_ids():
    npconv.utils.set_random_seed(0)
    model = npconv.Sequential([npconv.Input((3,)), layers.Dense(1, activation="sigmoid")])
    model.compile("rmsprop", "binary_crossentropy")
    noisy = np.r_[np.ones((4, 1)), np.zeros((4, 1))] + 0.05 * np.linspace(0, 1, 8)[:, None]
    assert np.isfinite(model.train_on_batch(np.ones((8, 3)), noisy))  # a GAN's label noise
    with pytest.raises(ValueError, match="class ids"):
        model.train_on_batch(np.ones((8, 3)), np.arange(8)[:, None] % 3)


def test_numpy_integers_as_filters():
    conv = layers.Conv2D(np.int64(4), np.int64(3))
    assert conv.filters == 4 and type(conv.filters) is int


def test_a_model_made_with_a_list_of_one_input_takes_an_array():
    """Grad-CAM's Model(model.inputs, [layer.output, model.output]) called on images."""
    inputs = npconv.Input((6, 6, 2))
    conv = layers.Conv2D(3, 3)(inputs)
    model = npconv.Model([inputs], [conv, layers.Flatten()(conv)])
    x = np.random.default_rng(0).random((2, 6, 6, 2)).astype("float32")
    maps, flat = model(x)
    assert maps.shape == (2, 4, 4, 3) and flat.shape == (2, 48)
    one = model(x[:1])[0]  # a batch of one is not taken for a list of inputs either
    assert one.shape == (1, 4, 4, 3)


def test_ops_refuse_none():
    """A gradient that did not flow is None: ops.normalize(None) answered NaN, and a filter
    visualization loop turned all its images to NaN silently."""
    with pytest.raises(TypeError, match="got None"):
        ops.normalize(None)


def test_a_custom_metric_with_keras_variables():
    """DLwP's RMSE metric (add_weight + assign_add) and keras.io's (add_variable)."""

    class RootMeanSquaredError(npconv.metrics.Metric):
        def __init__(self, name="rmse", **kwargs):
            super().__init__(name=name, **kwargs)
            self.mse_sum = self.add_weight(name="mse_sum", initializer="zeros")
            self.total_samples = self.add_variable(shape=(), initializer="zeros",
                                                   name="total_samples")

        def update_state(self, y_true, y_pred, sample_weight=None):
            mse = ops.sum(ops.square(y_true - y_pred))
            self.mse_sum.assign_add(mse)
            self.total_samples.assign_add(ops.shape(y_pred)[0])

        def result(self):
            return ops.sqrt(self.mse_sum / ops.cast(self.total_samples, "float32"))

        def reset_state(self):
            self.mse_sum.assign(0.0)
            self.total_samples.assign(0)

    metric = RootMeanSquaredError()
    metric.update_state(np.ones((4, 2), "float32"), np.zeros((4, 2), "float32"))
    np.testing.assert_allclose(float(np.asarray(metric.result())), np.sqrt(8 / 4))
    assert [v.name for v in metric.variables] == ["mse_sum", "total_samples"]
    npconv.utils.set_random_seed(0)
    model = npconv.Sequential([npconv.Input((2,)), layers.Dense(2)])
    model.compile("adam", "mse", metrics=[RootMeanSquaredError()])
    x = np.random.default_rng(0).random((16, 2)).astype("float32")
    history = model.fit(x, x, epochs=1, batch_size=8, verbose=0)
    logs = model.evaluate(x, x, verbose=0, return_dict=True)
    np.testing.assert_allclose(logs["rmse"], np.sqrt(logs["loss"] * 2), rtol=1e-5)
    assert "rmse" in history.history
    counter = npconv.metrics.Mean()
    counter.update_state([1.0, 3.0])
    total = counter.variables[0]
    counter.reset_state()
    assert float(total) == 0.0 and type(total + 1) is np.float64  # arithmetic gives numbers


def test_a_nested_model_passes_on_the_callers_more_specific_shape():
    """DLwP chapter 8: a convolutional base built for any image size, called on 32x32 inputs,
    then Flatten and Dense, which need the sizes."""
    npconv.utils.set_random_seed(0)
    base_in = npconv.Input((None, None, 3))
    base = npconv.Model(base_in, layers.MaxPooling2D()(layers.Conv2D(4, 3)(base_in)))
    inputs = npconv.Input((8, 8, 3))
    features = base(inputs)
    assert features.shape == (None, 3, 3, 4)
    model = npconv.Model(inputs, layers.Dense(2)(layers.Flatten()(features)))
    assert model.count_params() == (27 * 4 + 4) + (36 * 2 + 2)
    x = np.random.default_rng(0).random((2, 8, 8, 3)).astype("float32")
    assert model.predict(x, verbose=0).shape == (2, 2)
    assert base(npconv.Input((None, None, 3))).shape == (None, None, None, 4)


def test_keras_2_symbolic_idioms_say_what_to_do_instead():
    inputs = npconv.Input((4,))
    outputs = layers.Dense(4)(inputs)
    model = npconv.Model(inputs, outputs)
    with pytest.raises(NotImplementedError, match="symbolic loss.*call"):
        model.add_loss(npconv.backend.mean(outputs))  # DLwP first edition's VAE
    with pytest.raises(TypeError, match="GradientTape"):
        npconv.backend.gradients(npconv.backend.mean(outputs), inputs)

    class Penalized(layers.Layer):
        def call(self, x):
            self.add_loss(ops.mean(x), inputs=x)  # Keras 2's inputs= is taken
            return x

    layer = Penalized()
    layer(np.ones((2, 3), "float32"))
    assert len(layer.losses) == 1


def test_tf_function_and_an_untrainable_model():
    @npconv.function
    def step(x):
        return x + 1

    assert step(1) == 2 and npconv.function(jit_compile=True)(step) is step
    npconv.utils.set_random_seed(0)
    model = npconv.Sequential([npconv.Input((2,)), layers.Dense(1)])
    model.compile("sgd", "mse")
    model.trainable = False  # a GAN's discriminator frozen after compile
    with pytest.warns(UserWarning, match="does not have any trainable weights"):
        model.train_on_batch(np.ones((2, 2)), np.ones((2, 1)))


def test_a_model_from_an_inner_tensor():
    """DLwP's Grad-CAM: the classifier head as a model from the last convolution's output."""
    npconv.utils.set_random_seed(0)
    inputs = npconv.Input((8, 8, 3))
    conv = layers.Conv2D(4, 3, name="last_conv")(inputs)
    pooled = layers.GlobalAveragePooling2D()(conv)
    outputs = layers.Dense(2, name="head")(pooled)
    model = npconv.Model(inputs, outputs)
    head = npconv.Model(conv, outputs)
    assert head.inputs[0].shape == (None, 6, 6, 4)
    assert [layer.name for layer in head.layers][1:] == [model.layers[2].name, "head"]
    x = np.random.default_rng(0).random((2, 8, 8, 3)).astype("float32")
    features = npconv.Model(inputs, conv).predict(x, verbose=0)
    np.testing.assert_allclose(head.predict(features, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-5)
    assert model.get_layer("last_conv").output is conv  # the original call is still the one
    with npconv.GradientTape() as tape:
        f = npconv.ops.convert_to_tensor(features)
        tape.watch(f)
        score = npconv.ops.sum(head(f)[:, 0])
    assert tape.gradient(score, f).shape == features.shape


def test_a_subclassed_model_reads_a_dict_of_inputs():
    """DLwP chapter 7's multi-input subclassed model: call(inputs) reads inputs['title'] ..."""

    class TwoInputs(npconv.Model):
        def __init__(self):
            super().__init__()
            self.join = layers.Concatenate()
            self.out = layers.Dense(1)

        def call(self, inputs):
            return self.out(self.join([inputs["title"], inputs["body"]]))

    npconv.utils.set_random_seed(0)
    model = TwoInputs()
    rng = np.random.default_rng(0)
    data = {"title": rng.random((16, 3)).astype("float32"),
            "body": rng.random((16, 4)).astype("float32")}
    assert model({k: v[:2] for k, v in data.items()}).shape == (2, 1)
    target = data["title"].sum(1, keepdims=True) - data["body"].sum(1, keepdims=True)
    model.compile(npconv.optimizers.Adam(0.05), "mse")
    history = model.fit(data, target, epochs=20, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < 0.2 * history.history["loss"][0]
    assert model.predict(data, verbose=0).shape == (16, 1)
    np.testing.assert_allclose(model.evaluate(data, target, verbose=0),
                               history.history["loss"][-1], rtol=0.5)


def test_any_size_models_keep_unknown_sizes_unknown():
    """keras.io's "any image size" models: Input((None, None, 3)) through layers that find
    their shape by tracing (Rescaling, BatchNormalization, ReLU, custom layers) and ops."""
    inputs = npconv.Input((None, None, 3))
    x = layers.Rescaling(1.0 / 255)(inputs)
    x = layers.BatchNormalization()(layers.ReLU()(x))
    assert x.shape == (None, None, None, 3)
    up = ops.depth_to_space(layers.Conv2D(12, 3, padding="same")(x), 2)
    assert up.shape == (None, None, None, 3)  # the channels stay known

    class Halve(layers.Layer):
        def call(self, t):
            return t[:, ::2, ::2, :1]

    assert Halve()(up).shape == (None, None, None, 1)
    model = npconv.Model(inputs, layers.Conv2D(1, 3, padding="same")(up))
    model.compile("adam", "mse")
    rng = np.random.default_rng(0)
    model.fit(rng.random((4, 16, 16, 3)), rng.random((4, 32, 32, 1)), epochs=1, verbose=0)
    base = npconv.applications.ResNet50V2(include_top=False, weights=None)
    assert base.output_shape == (None, None, None, 2048)
    assert base.predict(np.zeros((1, 64, 64, 3)), verbose=0).shape == (1, 2, 2, 2048)


def test_validation_in_fit_calls_the_test_callbacks():
    seen = []

    class Record(npconv.callbacks.Callback):
        def on_test_begin(self, logs=None):
            seen.append("begin")

        def on_test_batch_end(self, batch, logs=None):
            seen.append(("batch", batch))

        def on_test_end(self, logs=None):
            seen.append(("end", sorted(logs)))

    npconv.utils.set_random_seed(0)
    model = npconv.Sequential([npconv.Input((2,)), layers.Dense(1)])
    model.compile("sgd", "mse")
    x = np.ones((8, 2), "float32")
    model.fit(x, x[:, :1], validation_data=(x, x[:, :1]), batch_size=4, epochs=1, verbose=0,
              callbacks=[Record()])
    assert seen == ["begin", ("batch", 0), ("batch", 1), ("end", ["loss"])]


def test_top_k_metrics_take_k_first_and_layers_take_tensors_by_keyword():
    metric = npconv.metrics.SparseTopKCategoricalAccuracy(3, name="top3")
    assert metric.name == "top3" and metric.k == 3
    metric.update_state([0, 0], [[0.1, 0.5, 0.2, 0.05], [0.1, 0.2, 0.3, 0.4]])
    assert float(metric.result()) == 0.5  # the label ranks third, then last
    assert npconv.metrics.TopKCategoricalAccuracy(2).k == 2

    class Attend(layers.Layer):
        def call(self, query, value):
            scores = ops.softmax(ops.matmul(query, ops.transpose(value, (0, 2, 1))))
            return ops.matmul(scores, value)

    q, v = np.ones((2, 3, 4), "float32"), np.ones((2, 5, 4), "float32")
    assert Attend()(query=q, value=v).shape == (2, 3, 4)
    assert Attend()(q, value=v).shape == (2, 3, 4)
    out = Attend()(query=npconv.Input((3, 4)), value=npconv.Input((5, 4)))
    assert out.shape == (None, 3, 4)


def test_tensorflow_tutorial_idioms(capsys):
    steps = np.linspace(0, 100_000, 5)
    schedule = npconv.optimizers.schedules.InverseTimeDecay(0.001, 20_000, 1)
    rates = schedule(steps)
    assert rates.shape == (5,)
    np.testing.assert_allclose(rates, 0.001 / (1 + steps / 20_000), rtol=1e-6)
    assert np.ndim(schedule(10)) == 0
    names = ["cat", "dog"]
    assert names[ops.argmax(ops.convert_to_tensor([0.2, 0.8]))] == "dog"
    with pytest.raises(TypeError, match="integer Tensor"):
        names[ops.convert_to_tensor(1.0)]
    t = ops.convert_to_tensor(np.array([1.0, 3.0]))
    assert float(np.mean(t)) == 2.0 and float(np.sum(t)) == 4.0
    inner = npconv.Sequential([layers.RandomFlip("horizontal", input_shape=(8, 8, 3))])
    model = npconv.Sequential([inner, layers.Conv2D(4, 3)])
    assert model.built and model.count_params() == 112
    model.compile("sgd", "mse")
    capsys.readouterr()
    model.evaluate(np.ones((4, 8, 8, 3)), np.ones((4, 6, 6, 4)), verbose=2)
    line = capsys.readouterr().out.strip().splitlines()
    assert len(line) == 1 and line[0].startswith("1/1 - ") and " - loss: " in line[0]


def test_float64_inputs_run_in_the_models_float32():
    """x_train / 255.0 is float64: a custom loop calling model(x) computed (and differentiated)
    in float64; Keras casts a model's inputs to its Input's dtype."""
    npconv.utils.set_random_seed(0)
    seq = npconv.Sequential([layers.Flatten(input_shape=(4, 4)), layers.Dense(3)])
    inputs = npconv.Input((4, 4))
    func = npconv.Model(inputs, layers.Dense(2)(layers.Flatten()(inputs)))
    x = np.random.default_rng(0).random((2, 4, 4))
    for model in (seq, func):
        with npconv.GradientTape() as tape:
            loss = ops.mean(model(x, training=True) ** 2)
        assert np.asarray(model(x)).dtype == np.float32
        assert all(np.asarray(g).dtype == np.float32
                   for g in tape.gradient(loss, model.trainable_variables))
    ids = npconv.Input((3,), dtype="int32")
    embed = npconv.Model(ids, layers.Embedding(5, 2)(ids))
    assert embed(np.array([[1, 2, 3]])).shape == (1, 3, 2)  # integers are left alone


def test_keras_io_round_three(tmp_path):
    """mixup's Beta weights, cutmix's integer arithmetic, zero_dce's load_weights."""
    g = npconv.random.gamma((4,), alpha=0.2, seed=1)
    b = npconv.random.beta((500,), 2.0, 5.0, seed=2)
    assert g.shape == (4,) and np.all(np.asarray(g) > 0)
    assert abs(float(np.mean(np.asarray(b))) - 2 / 7) < 0.03
    counts = np.asarray(npconv.random.binomial((1000,), 10, 0.3, seed=3))
    assert abs(counts.mean() - 3.0) < 0.2
    ids = np.asarray(npconv.random.categorical(np.log([[0.01, 0.99], [0.99, 0.01]]), 50, seed=4))
    assert ids.shape == (2, 50) and ids[0].mean() > 0.8 and ids[1].mean() < 0.2
    t = ops.convert_to_tensor(np.array([7, 8]))
    np.testing.assert_array_equal(np.asarray(t // 3), [2, 2])
    np.testing.assert_array_equal(np.asarray(t % 3), [1, 2])
    flags = ops.convert_to_tensor(np.array([True, False]))
    np.testing.assert_array_equal(np.asarray(~flags | (flags & False)), [False, True])
    npconv.utils.set_random_seed(0)
    model = npconv.Sequential([npconv.Input((2,)), layers.Dense(1)])
    model.save(tmp_path / "m.keras")
    model.load_weights(tmp_path / "m.keras", skip_mismatch=False)
    with pytest.raises(NotImplementedError, match="every weight or none"):
        model.load_weights(tmp_path / "m.keras", skip_mismatch=True)


def test_nested_model_outputs(tmp_path):
    """keras.io's involution: Model(x, [layer.output for ...]) where each output is a pair."""
    npconv.utils.set_random_seed(0)
    inputs = npconv.Input((4,))
    a, b = layers.Dense(2)(inputs), layers.Dense(3)(inputs)
    model = npconv.Model(inputs, [[a, b], a])
    x = np.random.default_rng(0).random((5, 4)).astype("float32")
    (pa, pb), pa2 = model.predict(x, verbose=0)
    assert pa.shape == (5, 2) and pb.shape == (5, 3)
    np.testing.assert_array_equal(pa, pa2)
    (ca, cb), _ = model(x)
    np.testing.assert_allclose(np.asarray(cb), pb, rtol=1e-6)
    assert [[t.shape for t in model.output[0]], model.output[1].shape] == [
        [(None, 2), (None, 3)], (None, 2)]
    model.save(tmp_path / "m.keras")
    (la, lb), la2 = npconv.models.load_model(tmp_path / "m.keras").predict(x, verbose=0)
    np.testing.assert_allclose(lb, pb, rtol=1e-6)
