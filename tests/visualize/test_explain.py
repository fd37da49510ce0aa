"""The numbers behind the explainer page: the arithmetic a click shows equals the layer's output
for every op, Grad-CAM against a hand-worked network and against Keras's recipe, the page file
itself, and ``npconv explain``."""

import json
import pathlib
import re

import numpy as np
import pytest

import npconv
from npconv import layers as L
from npconv.models import Model, Sequential, load_model
from npconv.visualize import arithmetic, explain, grad_cam, saliency
from npconv.visualize.explain import arithmetic_at, page_data, value_of

REFERENCES = pathlib.Path(__file__).resolve().parents[1] / "references"
KERAS_FILES = REFERENCES / "keras_files"


def _randomize(model, seed=0):
    """Weights with non-zero biases and batch-norm statistics, so that every term matters."""
    rng = np.random.default_rng(seed)
    weights = []
    for w in model.get_weights():
        v = rng.normal(0, 0.5, w.shape).astype(np.float32)
        weights.append(np.abs(v) + 0.5 if w.ndim == 1 and np.all(w == 1) else v)
    model.set_weights(weights)
    return model


def sequential_2d():
    """Every 2-D op with strides, 'same' padding, dilation, groups and odd windows."""
    npconv.utils.set_random_seed(0)
    return _randomize(Sequential([
        L.Input((9, 8, 2)),
        L.Conv2D(4, 3, strides=2, padding="same", activation="relu"),
        L.ZeroPadding2D(((1, 0), (0, 2))),
        L.Conv2D(4, (2, 3), dilation_rate=(2, 1), groups=2, activation="tanh"),
        L.BatchNormalization(),
        L.LeakyReLU(0.2),
        L.MaxPooling2D(3, strides=2, padding="same"),
        L.Conv2D(3, 1, padding="same", activation="sigmoid"),
        L.AveragePooling2D(2, strides=1, padding="same"),
        L.Activation("elu"),
        L.ReLU(),
        L.Dropout(0.5),
        L.Flatten(),
        L.Dense(6, activation="relu"),
        L.Dense(3, activation="softmax"),
    ]))


def functional_merges():
    """Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, global pooling,
    Softmax layer, Reshape, a 1-D causal convolution and a 3-D convolution."""
    npconv.utils.set_random_seed(1)
    inp = L.Input((6, 6, 3))
    a = L.Conv2D(2, 3, padding="same", name="a")(inp)
    b = L.Conv2D(2, 3, padding="same", activation="relu", name="b")(inp)
    merged = [L.Add()([a, b]), L.Subtract()([a, b]), L.Multiply()([a, b]),
              L.Average()([a, b]), L.Maximum()([a, b]), L.Minimum()([a, b])]
    cat = L.Concatenate()(merged)
    seq = L.Reshape((36, 12))(cat)
    seq = L.Conv1D(3, 4, padding="causal", dilation_rate=2, activation="relu")(seq)
    seq = L.MaxPooling1D(3)(seq)
    g1 = L.GlobalMaxPooling1D()(seq)
    vol = L.Reshape((3, 6, 2, 12))(cat)
    vol = L.Conv3D(2, (2, 3, 1), activation="softplus")(vol)
    vol = L.AveragePooling3D((1, 2, 2), padding="same")(vol)
    g2 = L.GlobalAveragePooling3D()(vol)
    g3 = L.GlobalAveragePooling2D()(b)
    h = L.Concatenate()([g1, g2, g3])
    logits = L.Dense(4)(h)
    out = L.Softmax()(logits)
    return _randomize(Model(inp, out))


def channels_first_model():
    npconv.utils.set_random_seed(2)
    return _randomize(Sequential([
        L.Input((2, 7, 7)),
        L.Conv2D(3, 3, padding="same", data_format="channels_first", activation="relu"),
        L.MaxPooling2D(2, data_format="channels_first"),
        L.BatchNormalization(axis=1),
        L.Flatten(data_format="channels_first"),
        L.Dense(2, activation="softmax"),
    ]))


def _layer_outputs(model, x):
    """Each layer call's output, computed by the model itself on a probe model (functional)
    or layer by layer (Sequential), independently of the page's trace."""
    from npconv.visualize.feature_maps import layer_outputs

    layers = [layer for layer in model.layers if not isinstance(layer, L.InputLayer)]
    return dict(zip([x.name for x in layers], layer_outputs(model, x, layers)))


def _check_every_element(model, x, y=None):
    """Every output element of every node: the arithmetic's result equals the stored output,
    which equals the model's own output of that layer. Returns the ops checked."""
    data = page_data(model, x, y=y)
    channels_first = arithmetic.model_is_channels_first(model.layers)
    reference = _layer_outputs(model, x[:1])
    ops = set()
    for j, node in enumerate(data["nodes"]):
        op = node["spec"]["op"]
        out = value_of(data, node["output"], 0)
        own = arithmetic.to_channels_last(reference[node["name"]], channels_first)[0]
        np.testing.assert_allclose(out, own.reshape(out.shape), rtol=1e-6, atol=1e-6,
                                   err_msg=node["name"])
        if op == "none":
            continue
        ops.add(op)
        for index in range(out.size):
            a = arithmetic_at(data, 0, j, index)
            assert a["value"] == pytest.approx(float(out.reshape(-1)[index]))
            shown = a.get("activated", a.get("result"))
            assert shown == pytest.approx(a["value"], rel=2e-5, abs=2e-5), (node["name"], index)
            if op == "conv":
                assert a["sum"] == pytest.approx(float(a["products"].sum()), abs=1e-9)
                assert a["z"] == pytest.approx(a["sum"] + a["bias"])
                # the tutorial's convolution: the flipped mask met in mirrored positions
                axes = tuple(range(a["kernel"].ndim - 1))
                mirrored = a["window"].astype(np.float64) * np.flip(a["mask"], axis=axes)
                assert float(mirrored.sum()) == pytest.approx(a["sum"], abs=1e-6)
                assert np.all(a["window"][~a["inside"]] == 0)
            if op == "dense":
                assert a["sum"] == pytest.approx(float(a["top_product"].sum()) + a["rest"])
    return ops


def test_arithmetic_sequential_every_2d_op():
    x = np.random.default_rng(0).normal(size=(2, 9, 8, 2)).astype(np.float32)
    ops = _check_every_element(sequential_2d(), x)
    assert ops == {"conv", "pad", "bn", "act", "max", "avg", "copy", "dense"}


def test_arithmetic_functional_merges_1d_3d_global():
    x = np.random.default_rng(1).normal(size=(1, 6, 6, 3)).astype(np.float32)
    ops = _check_every_element(functional_merges(), x)
    assert ops == {"conv", "merge", "concat", "copy", "max", "gmax", "avg", "gavg", "dense",
                   "softmax"}


def test_arithmetic_channels_first():
    x = np.random.default_rng(2).normal(size=(1, 2, 7, 7)).astype(np.float32)
    ops = _check_every_element(channels_first_model(), x)
    assert {"conv", "max", "bn", "dense"} <= ops


@pytest.mark.parametrize("name", ["tutorial004.keras", "mixed.keras", "two_inputs.keras",
                                  "mixed.h5"])
def test_arithmetic_of_keras_file_imports(name):
    model = load_model(KERAS_FILES / name)
    rng = np.random.default_rng(3)
    shapes = model.built_input_shape
    shapes = shapes if isinstance(shapes, list) else [shapes]
    xs = [rng.random((1, *s[1:]), dtype=np.float32) for s in shapes]
    data = page_data(model, xs if len(xs) > 1 else xs[0])
    np.testing.assert_allclose(data["probabilities"],
                               np.asarray(model.predict(xs if len(xs) > 1 else xs[0],
                                                        verbose=0)).reshape(1, -1),
                               rtol=1e-5, atol=1e-6)
    for j, node in enumerate(data["nodes"]):
        if node["spec"]["op"] == "none":
            continue
        out = value_of(data, node["output"], 0)
        for index in range(out.size):
            a = arithmetic_at(data, 0, j, index)
            shown = a.get("activated", a.get("result"))
            assert shown == pytest.approx(a["value"], rel=2e-5, abs=2e-5), (node["name"], index)


def test_dense_table_lists_the_largest_products():
    spec = {"kernel": np.random.default_rng(4).normal(size=(20, 3)).astype(np.float32),
            "bias": np.array([0.5, -1.0, 2.0], np.float32)}
    x = np.random.default_rng(5).normal(size=20).astype(np.float32)
    t = arithmetic.dense_table(spec, x, top=4)
    products = x[:, None].astype(np.float64) * spec["kernel"]
    for u in range(3):
        largest = np.sort(np.abs(products[:, u]))[::-1][:4]
        np.testing.assert_allclose(np.abs(t["top_product"][0, u]), largest)
        np.testing.assert_array_equal(t["top_input"][0, u], x[t["top_index"][0, u]])
        assert t["sum"][0, u] == pytest.approx(products[:, u].sum())
    np.testing.assert_allclose(t["z"][0], x @ spec["kernel"] + spec["bias"], rtol=1e-5)


def test_conv_window_by_hand():
    """One 'same' 3x3 window at a corner: the padding is zero and the products are the
    window times the kernel, value by value."""
    x = np.arange(16, dtype=np.float32).reshape(4, 4, 1)
    kernel = np.arange(9, dtype=np.float32).reshape(3, 3, 1, 1) / 10
    spec = {"op": "conv", "kernel": kernel, "bias": np.array([1.0], np.float32),
            "strides": [1, 1], "dilation": [1, 1], "pads": [1, 1], "groups": 1,
            "activation": "linear"}
    a = arithmetic.pixel_arithmetic(spec, [x], np.zeros((4, 4, 1), np.float32), 0)
    np.testing.assert_array_equal(a["window"][..., 0], [[0, 0, 0], [0, 0, 1], [0, 4, 5]])
    assert a["sum"] == pytest.approx(0.4 * 0 + 0.5 * 1 + 0.7 * 4 + 0.8 * 5)
    assert a["z"] == pytest.approx(a["sum"] + 1.0)
    np.testing.assert_array_equal(a["mask"][..., 0], kernel[::-1, ::-1, 0, 0])


# Grad-CAM -------------------------------------------------------------------------------

def hand_model():
    """Conv 1x1 (channel 0 = x, channel 1 = -x) - global average - Dense softmax."""
    model = Sequential([L.Input((2, 2, 1)), L.Conv2D(2, 1, use_bias=False),
                        L.GlobalAveragePooling2D(),
                        L.Dense(2, use_bias=False, activation="softmax")])
    model.set_weights([np.array([1.0, -1.0], np.float32).reshape(1, 1, 1, 2),
                       np.array([[0.5, 1.0], [2.0, 0.0]], np.float32)])
    return model


def test_grad_cam_hand_worked():
    """x = [[1, -2], [3, 0]], mean 0.5; logits s0 = 0.5*0.5 + 2*(-0.5) = -0.75, s1 = 0.5, so
    class 1 is predicted. d s_c / d A_k = W[k, c] / 4, so alpha = W[:, c] / 4:
    class 1: alpha = (0.25, 0): relu(0.25 x) = [[0.25, 0], [0.75, 0]] -> / 0.75;
    class 0: alpha = (0.125, 0.5): relu(0.125 x - 0.5 x) = relu(-0.375 x) = [[0, 0.75], [0, 0]].
    Saliency: d s_c / d x = (W[0, c] - W[1, c]) / 4 everywhere: 0.25 (class 1), -0.375 (0)."""
    model, x = hand_model(), np.array([[1, -2], [3, 0]], np.float32).reshape(1, 2, 2, 1)
    np.testing.assert_allclose(grad_cam(model, x, normalize=False)[0], [[0.25, 0], [0.75, 0]])
    np.testing.assert_allclose(grad_cam(model, x)[0], [[1 / 3, 0], [1, 0]], rtol=1e-6)
    np.testing.assert_allclose(grad_cam(model, x, class_index=0)[0], [[0, 1], [0, 0]])
    np.testing.assert_allclose(saliency(model, x, normalize=False)[0], np.full((2, 2), 0.25))
    np.testing.assert_allclose(saliency(model, x, class_index=0, normalize=False)[0],
                               np.full((2, 2), 0.375))
    assert all(w.grad is None for w in model.weights)  # the weights' gradients are untouched


def test_grad_cam_matches_keras_recipe():
    """tests/references/grad_cam.npz: keras-io's make_gradcam_heatmap on the same weights
    (made by tools/keras_references/grad_cam.py)."""
    ref = np.load(REFERENCES / "grad_cam.npz")
    inp = L.Input((12, 12, 3))
    h = L.Conv2D(6, 3, padding="same", activation="relu", name="conv_a")(inp)
    h = L.MaxPooling2D(2)(h)
    h = L.Conv2D(8, 3, activation="relu", name="conv_b")(h)
    out = L.Dense(4, activation="softmax")(L.Flatten()(h))
    model = Model(inp, out)
    model.set_weights([ref[f"weight_{i}"] for i in range(6)])
    np.testing.assert_allclose(model.predict(ref["x"], verbose=0), ref["probabilities"],
                               atol=1e-6)
    np.testing.assert_allclose(grad_cam(model, ref["x"]), ref["heatmap_pred"], atol=1e-5)
    np.testing.assert_allclose(grad_cam(model, ref["x"], class_index=1), ref["heatmap_class1"],
                               atol=1e-5)
    np.testing.assert_allclose(grad_cam(model, ref["x"], layer="conv_b"),
                               grad_cam(model, ref["x"]))


def test_page_grad_cam_is_grad_cam_for_every_class():
    model = load_model(KERAS_FILES / "tutorial004.keras")
    x = np.random.default_rng(6).random((3, 10, 10, 1), dtype=np.float32)
    data = page_data(model, x)
    gc = data["grad_cam"]
    assert gc["layer"] == "conv2d_1" and gc["classes"] == [0, 1, 2]
    for k, c in enumerate(gc["classes"]):
        np.testing.assert_allclose(gc["cams"][:, k] / 255, grad_cam(model, x, class_index=c),
                                   atol=0.5 / 255 + 1e-6)
        np.testing.assert_allclose(gc["saliency"][:, k] / 255, saliency(model, x, class_index=c),
                                   atol=0.5 / 255 + 1e-6)


def test_grad_cam_errors():
    dense_only = Sequential([L.Input((4,)), L.Dense(2, activation="softmax")])
    with pytest.raises(ValueError, match="needs a convolution layer"):
        grad_cam(dense_only, np.zeros((1, 4), np.float32))
    with pytest.raises(ValueError, match="class_index must be in"):
        grad_cam(hand_model(), np.zeros((1, 2, 2, 1), np.float32), class_index=5)
    with pytest.raises(ValueError, match="no layer named 'nope'"):
        grad_cam(hand_model(), np.zeros((1, 2, 2, 1), np.float32), layer="nope")


def test_show_grad_cam_and_saliency_write_pngs(tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib.image

    model = load_model(KERAS_FILES / "tutorial004.keras")
    x = np.random.default_rng(7).random((4, 10, 10, 1), dtype=np.float32)
    from npconv.visualize import show_grad_cam, show_saliency

    fig = show_grad_cam(model, x, y=[0, 1, 2, 0], class_names=["a", "b", "c"],
                        path=tmp_path / "cam.png")
    titles = [ax.get_title() for ax in fig.axes]
    predicted = model.predict(x, verbose=0).argmax(1)
    assert titles[1].startswith(f"Prediction: {'abc'[predicted[1]]} - Actual: b")
    assert len(titles) == 4 and "Grad-CAM at 'conv2d_1'" in fig.get_suptitle()
    assert matplotlib.image.imread(tmp_path / "cam.png").ndim == 3
    show_saliency(model, x, path=tmp_path / "sal.png")
    assert matplotlib.image.imread(tmp_path / "sal.png").shape[1] > 100


# the page --------------------------------------------------------------------------------

def _payload(html):
    match = re.search(r'<script id="npconv-data" type="application/json">(.*?)</script>', html,
                      re.S)
    return json.loads(match.group(1))


def test_page_is_self_contained(tmp_path):
    model = load_model(KERAS_FILES / "two_inputs.keras")
    rng = np.random.default_rng(8)
    path = explain(model, [rng.random((2, 8, 8, 1)), rng.random((2, 5))], tmp_path / "p.html",
                   y=[0, 1], class_names=["no", "yes"])
    html = pathlib.Path(path).read_text()
    assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:)?//", html)
    assert "<script src" not in html and "@import" not in html
    payload = _payload(html)
    assert payload["class_names"] == ["no", "yes"]
    assert [n["name"] for n in payload["nodes"]][-1] == "out"
    assert payload["grad_cam"]["layer"] == "conv"
    assert not list(tmp_path.glob(".*.tmp"))  # written atomically, nothing left behind


def test_large_maps_are_downsampled_for_display_only():
    model = Sequential([L.Input((100, 60, 1)), L.Conv2D(2, 3, padding="same"),
                        L.GlobalMaxPooling2D(), L.Dense(2, activation="softmax")])
    x = np.random.default_rng(9).random((1, 100, 60, 1), dtype=np.float32)
    data = page_data(model, x, max_display=48)
    disp = data["displays"]["call:0"]
    assert disp["factor"] == 3 and disp["maps"].shape == (1, 2, 34, 20)
    exact = value_of(data, "call:0", 0)
    assert exact.shape == (100, 60, 2)  # the exact values stay at full resolution
    a = arithmetic_at(data, 0, 0, (77 * 60 + 41) * 2 + 1)
    assert a["position"] == (77, 41, 1) and a["z"] == pytest.approx(exact[77, 41, 1], abs=1e-5)


def test_aliases_share_one_copy():
    model = load_model(KERAS_FILES / "tutorial004.keras")
    data = page_data(model, np.zeros((1, 10, 10, 1), np.float32))
    by_name = {n["name"]: n["output"] for n in data["nodes"]}
    assert data["values"][by_name["dropout"]] == {"alias": by_name["max_pooling2d"],
                                                 "shape": [3, 3, 4]}
    assert data["values"][by_name["flatten"]]["alias"] == by_name["max_pooling2d"]


# the command ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def digits_model(tmp_path_factory):
    """Tutorial 002's model trained for one epoch on 300 digits, saved; and 100 test digits as
    an .npz data set."""
    from npconv.cli.tutorial_models import mnist_simple

    (x_train, y_train), (x_test, y_test) = npconv.datasets.digits.load_data()
    folder = tmp_path_factory.mktemp("explain")
    data = folder / "small.npz"
    np.savez(data, x_train=x_train[:300], y_train=y_train[:300], x_test=x_test[:100],
             y_test=y_test[:100])
    npconv.utils.set_random_seed(0)
    model = mnist_simple((28, 28, 1), 10)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x_train[:300, ..., None] / 255.0, y_train[:300], epochs=1, verbose=0)
    model.save(folder / "model.keras")
    return folder / "model.keras", data


def test_command_explain_with_dataset_and_files(digits_model, tmp_path, capsys):
    from npconv.cli import main

    model_path, data = digits_model
    np.save(tmp_path / "one.npy", np.zeros((28, 28), np.float32))
    out = tmp_path / "page.html"
    assert main(["explain", str(model_path), str(tmp_path / "one.npy"), "--dataset", str(data),
                 "--count", "6", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "6 test images" in text and f"Wrote {out}" in text
    payload = _payload(out.read_text())
    samples = payload["samples"]
    assert len(samples) == 7 and samples[0]["label"] is None
    model = load_model(model_path)
    (_, _), (x_test, y_test) = npconv.datasets.digits.load_data()
    predicted = model.predict(x_test[:100].astype(np.float32)[..., None] / 255,
                              verbose=0).argmax(1)
    wrong = int((predicted != y_test[:100]).sum())
    assert sum(s["wrong"] for s in samples) == min(3, wrong)
    assert all(s["wrong"] == (s["label"] != s["pred"]) for s in samples[1:])


def test_command_explain_uses_the_recorded_dataset_and_reports_errors(digits_model, tmp_path,
                                                                       capsys):
    from npconv.cli import main

    model_path, _ = digits_model
    assert main(["explain", str(model_path), "--out", str(tmp_path / "p.html")]) == 1
    assert "give IMAGE files" in capsys.readouterr().err
    (tmp_path / "model.keras").write_bytes(model_path.read_bytes())
    (tmp_path / "report.json").write_text('{"dataset": "digits"}')  # as npconv train writes
    assert main(["explain", str(tmp_path / "model.keras"), "--count", "2",
                 "--out", str(tmp_path / "p.html")]) == 0
    assert "the data set the model was trained on: digits" in capsys.readouterr().out
    assert len(_payload((tmp_path / "p.html").read_text())["samples"]) == 2
    assert main(["explain", str(tmp_path / "missing.keras")]) == 1
    assert "no such model file" in capsys.readouterr().err


def test_cifar10_cnn_page_for_8_inputs_is_under_15_mb():
    """The issue's bound: tutorial 001/003's model (1.25 M weights, 32 x 32 x 32 maps) and 8
    inputs. Every layer's exact output is kept, the Dense kernel is not (its top products are)."""
    from npconv.cli.tutorial_models import cifar10_cnn
    from npconv.visualize.explain import render

    npconv.utils.set_random_seed(0)
    model = cifar10_cnn((32, 32, 3), 10)
    x = np.random.default_rng(10).random((8, 32, 32, 3), dtype=np.float32)
    html = render(page_data(model, x, y=np.arange(8)))
    assert 1e6 < len(html.encode()) < 15e6
    assert len(_payload(html)["samples"]) == 8
