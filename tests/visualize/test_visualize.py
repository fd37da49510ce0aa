"""npconv.visualize: the content of each plot, the files written, and the errors.

Figures are checked for what they show (titles, colours, the image data drawn, curve values),
not just that a figure exists. Realistic images come from the bundled real MNIST digits.
"""

import os
import subprocess
import sys

import numpy as np
import pytest

import npconv
from npconv import layers
from npconv.visualize import (
    confusion_matrix,
    plot_confusion_matrix,
    plot_history,
    show_feature_maps,
    show_filters,
    show_predictions,
)

matplotlib = pytest.importorskip("matplotlib")
from matplotlib.colors import to_rgba  # noqa: E402
from matplotlib.image import imread  # noqa: E402

RED = to_rgba("red")
BLACK = to_rgba("black")


@pytest.fixture(scope="module")
def digits():
    (_, _), (x, y) = npconv.datasets.digits.load_data()
    return x[:40], y[:40]


def drawn(ax):
    """The array an axes' (only) image shows."""
    assert len(ax.images) == 1
    return np.asarray(ax.images[0].get_array())


# --------------------------------------------------------------------------- import contract


def test_import_does_not_load_matplotlib():
    code = (
        "import sys, npconv, npconv.visualize\n"
        "assert npconv.visualize.plot_history\n"
        "print('matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_missing_matplotlib_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r'pip install "npconv\[plot\]"'):
        plot_history({"loss": [1.0, 0.5]})
    with pytest.raises(ImportError, match="matplotlib"):
        show_predictions(np.zeros((2, 4, 4)), [0, 1], [0, 1])
    # the confusion matrix itself is NumPy only
    assert confusion_matrix([0, 1], [1, 1]).tolist() == [[0, 1], [0, 1]]


# --------------------------------------------------------------------------- confusion matrix


def test_confusion_matrix_hand_made_case():
    y_true = [0, 0, 1, 2, 2, 2]
    y_pred = [0, 1, 1, 2, 0, 2]
    expected = [[1, 1, 0], [0, 1, 0], [1, 0, 2]]
    cm = confusion_matrix(y_true, y_pred)
    assert cm.dtype.kind == "i" and cm.tolist() == expected
    one_hot = np.eye(3)[y_true]
    probs = np.eye(3)[y_pred] * 0.8 + 0.05
    assert confusion_matrix(one_hot, probs).tolist() == expected
    assert confusion_matrix(np.array(y_true)[:, None], y_pred).tolist() == expected
    padded = confusion_matrix(y_true, y_pred, num_classes=4)
    assert padded.shape == (4, 4) and padded[:3, :3].tolist() == expected and padded[3].sum() == 0
    # a one-hot input fixes the number of classes even when the last class never occurs
    assert confusion_matrix(np.eye(5)[[0, 1]], [0, 1]).shape == (5, 5)


def test_confusion_matrix_errors():
    with pytest.raises(ValueError, match="y_true has 3, y_pred has 2"):
        confusion_matrix([0, 1, 2], [0, 1])
    with pytest.raises(ValueError, match="num_classes=2"):
        confusion_matrix([0, 2], [0, 1], num_classes=2)
    with pytest.raises(ValueError, match="negative"):
        confusion_matrix([0, -1], [0, 1])
    with pytest.raises(ValueError, match="whole numbers"):
        confusion_matrix([0.5, 1.0], [0, 1])


def test_plot_confusion_matrix_content():
    y_true = [0, 0, 1, 2, 2, 2]
    y_pred = [0, 1, 1, 2, 0, 2]
    names = ["cat", "dog", "ship"]
    fig = plot_confusion_matrix(y_true, y_pred, class_names=names)
    ax = fig.axes[0]
    assert drawn(ax).tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]
    assert [t.get_text() for t in ax.texts] == ["1", "1", "0", "0", "1", "0", "1", "0", "2"]
    assert [t.get_text() for t in ax.get_xticklabels()] == names
    assert [t.get_text() for t in ax.get_yticklabels()] == names
    assert "accuracy 0.667 (4/6)" in ax.get_title()
    assert ax.get_xlabel() == "Predicted label" and ax.get_ylabel() == "True label"

    fig = plot_confusion_matrix(y_true, y_pred, normalize=True)
    values = drawn(fig.axes[0])
    np.testing.assert_allclose(values.sum(axis=1), 1.0)
    np.testing.assert_allclose(values[2], [1 / 3, 0, 2 / 3])
    assert fig.axes[0].texts[-1].get_text() == "0.67"


# --------------------------------------------------------------------------- history


def test_plot_history_from_fit_history_and_dict():
    from npconv.callbacks import History

    h = History()
    logs = [
        {"loss": 1.0, "accuracy": 0.5, "val_loss": 1.2, "val_accuracy": 0.4},
        {"loss": 0.6, "accuracy": 0.7, "val_loss": 0.9, "val_accuracy": 0.6},
        {"loss": 0.4, "accuracy": 0.8, "val_loss": 0.8, "val_accuracy": 0.7},
    ]
    h.on_train_begin()
    for epoch, log in enumerate(logs):
        h.on_epoch_end(epoch, log)
    fig = plot_history(h)
    assert [ax.get_title() for ax in fig.axes] == ["loss", "accuracy"]
    loss = fig.axes[0]
    train, val = loss.get_lines()
    assert train.get_label() == "train" and val.get_label() == "validation"
    assert list(train.get_xdata()) == [1, 2, 3]
    assert list(train.get_ydata()) == [1.0, 0.6, 0.4]
    assert list(val.get_ydata()) == [1.2, 0.9, 0.8]
    assert loss.get_xlabel() == "epoch"

    fig = plot_history({"loss": [3.0, 2.0], "accuracy": [0.1, 0.2]}, metrics="accuracy")
    assert len(fig.axes) == 1 and len(fig.axes[0].get_lines()) == 1
    assert list(fig.axes[0].get_lines()[0].get_ydata()) == [0.1, 0.2]


def test_plot_history_errors():
    with pytest.raises(ValueError, match="'val_acc' is not in the history"):
        plot_history({"loss": [1.0]}, metrics=["val_acc"])
    with pytest.raises(ValueError, match="empty"):
        plot_history({})
    with pytest.raises(TypeError, match="History"):
        plot_history([1.0, 2.0])


# --------------------------------------------------------------------------- predictions


def test_show_predictions_titles_and_colours(digits):
    x, y = digits
    pred = y.copy()
    pred[[1, 5]] = (y[[1, 5]] + 1) % 10
    probs = np.eye(10)[pred] * 0.9 + 0.01  # probability rows, as model.predict gives
    fig = show_predictions(x, y, probs, n=8, cols=4)
    assert len(fig.axes) == 8
    for i, ax in enumerate(fig.axes):
        assert ax.get_title() == f"Prediction: {pred[i]} - Actual: {y[i]}"
        wrong = i in (1, 5)
        assert to_rgba(ax.title.get_color()) == (RED if wrong else BLACK)
        np.testing.assert_array_equal(drawn(ax), x[i])
    assert fig.axes[0].get_subplotspec().get_gridspec().get_geometry() == (2, 4)


def test_show_predictions_class_names_one_hot_and_channel_axis(digits):
    x, y = digits
    names = [f"digit-{d}" for d in range(10)]
    fig = show_predictions(x[:, :, :, None] / 255.0, np.eye(10)[y], y, class_names=names, n=3)
    assert len(fig.axes) == 3
    assert fig.axes[2].get_title() == f"Prediction: digit-{y[2]} - Actual: digit-{y[2]}"
    np.testing.assert_allclose(drawn(fig.axes[0]), x[0] / 255.0)
    # n larger than the data: every image once
    assert len(show_predictions(x[:5], y[:5], y[:5], n=16).axes) == 5


def test_show_predictions_rgb():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(3, 6, 5, 3)).astype(np.uint8)
    fig = show_predictions(images, [0, 1, 2], [0, 1, 1], class_names=["a", "b", "c"])
    np.testing.assert_array_equal(drawn(fig.axes[2]), images[2])
    assert fig.axes[2].get_title() == "Prediction: b - Actual: c"


def test_show_predictions_errors(digits):
    x, y = digits
    with pytest.raises(ValueError, match="images has 40, y_true has 40, y_pred has 39"):
        show_predictions(x, y, y[:-1])
    with pytest.raises(ValueError, match=r"\(N, H, W\), \(N, H, W, 1\) or \(N, H, W, 3\)"):
        show_predictions(x.reshape(40, -1), y, y)
    with pytest.raises(ValueError, match="class_names has 3 entries"):
        show_predictions(x, y, y, class_names=["a", "b", "c"])


# --------------------------------------------------------------------------- models


def small_model(functional=False):
    """conv(2 filters, 3x3, relu) -> maxpool 2 -> conv(3 filters, 3x3) -> flatten -> dense."""
    rng = np.random.default_rng(1)
    k1 = rng.normal(size=(3, 3, 1, 2)).astype(np.float32)
    b1 = np.array([0.1, -0.2], np.float32)
    k2 = rng.normal(size=(3, 3, 2, 3)).astype(np.float32)
    b2 = np.array([0.0, 0.3, -0.1], np.float32)
    stack = [
        layers.Conv2D(2, 3, activation="relu", name="c1"),
        layers.MaxPooling2D(2, name="pool"),
        layers.Conv2D(3, 3, name="c2"),
        layers.Flatten(name="flat"),
        layers.Dense(4, name="dense"),
    ]
    if functional:
        inp = npconv.Input((12, 12, 1))
        x = inp
        for layer in stack:
            x = layer(x)
        model = npconv.Model(inp, x)
    else:
        model = npconv.Sequential([npconv.Input((12, 12, 1)), *stack])
    dense = model.get_layer("dense")
    model.get_layer("c1").set_weights([k1, b1])
    model.get_layer("c2").set_weights([k2, b2])
    dense.set_weights([np.zeros((27, 4), np.float32), np.zeros(4, np.float32)])
    return model, (k1, b1, k2, b2)


def correlate(x, kernel, bias):
    """Reference 'valid' 2-D cross-correlation (Keras's Conv2D) of x (H, W, C)."""
    from numpy.lib.stride_tricks import sliding_window_view

    kh, kw = kernel.shape[:2]
    win = sliding_window_view(x, (kh, kw), axis=(0, 1))  # (H', W', C, kh, kw)
    return np.einsum("ijcab,abcf->ijf", win, kernel) + bias


def reference_maps(image, weights):
    k1, b1, k2, b2 = weights
    a1 = np.maximum(correlate(image, k1, b1), 0)
    pooled = a1.reshape(5, 2, 5, 2, 2).max(axis=(1, 3))
    a2 = correlate(pooled, k2, b2)
    return a1, pooled, a2


@pytest.fixture(scope="module")
def image(digits):
    x, _ = digits
    return (x[0, 8:20, 8:20, None] / 255.0).astype(np.float32)  # a 12x12 crop of a real digit


def block_images(fig):
    return [[drawn(ax) for ax in sub.axes] for sub in fig.subfigs]


@pytest.mark.parametrize("functional", [False, True], ids=["sequential", "functional"])
def test_feature_maps_equal_the_activations(image, functional):
    model, weights = small_model(functional)
    a1, _, a2 = reference_maps(image[..., 0:1], weights)
    fig = show_feature_maps(model, image)
    assert [sub._suptitle.get_text() for sub in fig.subfigs] == [
        "c1  (1, 10, 10, 2): 2 of 2 maps",
        "c2  (1, 3, 3, 3): 3 of 3 maps",
    ]
    (m1, m2) = block_images(fig)
    assert len(m1) == 2 and len(m2) == 3
    for k in range(2):
        np.testing.assert_allclose(m1[k], a1[:, :, k], rtol=1e-5, atol=1e-5)
    for k in range(3):
        np.testing.assert_allclose(m2[k], a2[:, :, k], rtol=1e-5, atol=1e-5)
    # the model itself is unchanged and still predicts
    assert model.predict(image[None], verbose=0).shape == (1, 4)


def test_feature_maps_chosen_layers_max_maps_and_image_forms(image):
    model, weights = small_model()
    _, pooled, _ = reference_maps(image, weights)
    fig = show_feature_maps(model, image[None, ..., 0], layers=["pool", 0], max_maps=1)
    m1, mp = block_images(fig)  # shown in model order, whatever order they were asked in
    assert len(m1) == 1 and len(mp) == 1
    np.testing.assert_allclose(mp[0], pooled[:, :, 0], rtol=1e-5, atol=1e-5)
    assert fig.subfigs[1]._suptitle.get_text() == "pool  (1, 5, 5, 2): 1 of 2 maps"
    # (H, W) for a one-channel model works too
    fig = show_feature_maps(model, image[..., 0], layers="c2")
    assert len(fig.subfigs) == 1 and len(fig.subfigs[0].axes) == 3


def test_feature_maps_of_a_subclassed_model(image):
    class Net(npconv.Model):
        def __init__(self):
            super().__init__()
            self.conv = layers.Conv2D(2, 3, activation="relu", name="sub_conv")
            self.flat = layers.Flatten()

        def call(self, x, training=False):
            return self.flat(self.conv(x))

    net = Net()
    net(image[None])
    k1 = np.arange(18, dtype=np.float32).reshape(3, 3, 1, 2) / 18 - 0.5
    net.conv.set_weights([k1, np.zeros(2, np.float32)])
    fig = show_feature_maps(net, image)
    (maps,) = block_images(fig)
    expected = np.maximum(correlate(image, k1, np.zeros(2)), 0)
    np.testing.assert_allclose(maps[1], expected[:, :, 1], rtol=1e-5, atol=1e-5)
    assert "call" not in vars(net.conv)  # the recording wrapper is gone


def test_feature_maps_channels_first():
    model = npconv.Sequential(
        [layers.Conv2D(2, 3, data_format="channels_first", input_shape=(1, 6, 6))]
    )
    kernel = np.stack([np.eye(3), -np.eye(3)], axis=-1)[:, :, None, :].astype(np.float32)
    model.layers[0].set_weights([kernel, np.zeros(2, np.float32)])
    img = np.arange(36, dtype=np.float32).reshape(6, 6)
    (maps,) = block_images(show_feature_maps(model, img))
    expected = correlate(img[..., None], kernel, np.zeros(2))
    np.testing.assert_allclose(maps[0], expected[:, :, 0])
    np.testing.assert_allclose(maps[1], expected[:, :, 1])


def test_feature_maps_errors(image):
    dense_only = npconv.Sequential([layers.Flatten(input_shape=(12, 12, 1)), layers.Dense(2)])
    with pytest.raises(ValueError, match="expected at least one Conv2D layer"):
        show_feature_maps(dense_only, image)
    model, _ = small_model()
    with pytest.raises(ValueError, match="'dense' outputs shape"):
        show_feature_maps(model, image, layers=["dense"])
    with pytest.raises(ValueError, match="No layer named 'nope'"):
        show_feature_maps(model, image, layers=["nope"])
    with pytest.raises(ValueError, match=r"input \(None, 12, 12, 1\)"):
        show_feature_maps(model, np.zeros((2, 3, 12, 12, 1)))


# --------------------------------------------------------------------------- filters


def normalized(w):
    return (w - w.min()) / (w.max() - w.min())


def test_show_filters_draws_normalized_kernels():
    model, (k1, _, k2, _) = small_model()
    fig = show_filters(model)  # the first Conv2D
    assert len(fig.axes) == 2
    for f, ax in enumerate(fig.axes):
        np.testing.assert_allclose(drawn(ax), normalized(k1[:, :, 0, f]), rtol=1e-6)
        assert ax.get_title() == str(f)
    assert fig._suptitle.get_text() == "c1: 2 of 2 filters, 3x3, grey"

    fig = show_filters(model, layer="c2", max_filters=2)  # in-channel 0 of 2
    assert len(fig.axes) == 2
    np.testing.assert_allclose(drawn(fig.axes[1]), normalized(k2[:, :, 0, 1]), rtol=1e-6)
    assert "2 of 3 filters" in fig._suptitle.get_text()
    # the layer itself, or its kernel array, gives the same picture
    same = show_filters(model.get_layer("c1"))
    np.testing.assert_allclose(drawn(same.axes[1]), drawn(show_filters(k1).axes[1]))


def test_show_filters_rgb_and_constant():
    kernel = np.random.default_rng(2).normal(size=(5, 4, 3, 7)).astype(np.float32)
    kernel[..., 6] = 0.25
    fig = show_filters(kernel, max_filters=64)
    assert len(fig.axes) == 7
    rgb = drawn(fig.axes[3])
    assert rgb.shape == (5, 4, 3)
    np.testing.assert_allclose(rgb, normalized(kernel[:, :, :, 3]), rtol=1e-6)
    np.testing.assert_allclose(drawn(fig.axes[6]), 0.5)  # a constant filter is mid-grey


def test_show_filters_errors():
    dense_only = npconv.Sequential([layers.Flatten(input_shape=(4, 4, 1)), layers.Dense(2)])
    with pytest.raises(ValueError, match="expected a Conv2D layer in model"):
        show_filters(dense_only)
    conv1d = npconv.Sequential([layers.Conv1D(2, 3, input_shape=(10, 1))])
    with pytest.raises(ValueError, match=r"\(kh, kw, in_channels, filters\)"):
        show_filters(conv1d, layer=0)
    with pytest.raises(ValueError, match="not built"):
        show_filters(layers.Conv2D(2, 3))


# --------------------------------------------------------------------------- files


def test_png_files_written_atomically(tmp_path, digits):
    x, y = digits
    folder = tmp_path / "new" / "plots"
    path = folder / "pred.png"
    fig = show_predictions(x[:4], y[:4], y[:4], cols=2, path=path)
    assert fig.get_size_inches().tolist() == pytest.approx([4.0, 4.7])
    pixels = imread(path)
    assert pixels.shape == (470, 400, 4)
    assert os.listdir(folder) == ["pred.png"]  # no temporary file left behind

    history = {"loss": [1.0, 0.5], "val_loss": [1.1, 0.7]}
    for name, make in [
        ("history.png", lambda p: plot_history(history, path=p)),
        ("cm.png", lambda p: plot_confusion_matrix([0, 1, 1], [0, 1, 0], path=p)),
        ("filters.png", lambda p: show_filters(small_model()[0], path=p)),
    ]:
        make(str(folder / name))
        w, h = (make(None).get_size_inches() * 100).round().astype(int)
        assert imread(folder / name).shape == (h, w, 4)
    assert sorted(os.listdir(folder)) == ["cm.png", "filters.png", "history.png", "pred.png"]


def test_unknown_extension_is_refused(tmp_path):
    with pytest.raises(ValueError, match=r"'\.xyz'"):
        plot_history({"loss": [1.0]}, path=tmp_path / "curves.xyz")
    assert not list(tmp_path.iterdir())
