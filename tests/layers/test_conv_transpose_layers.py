"""Conv*Transpose, DepthwiseConv*D and SeparableConv*D against real Keras 3.15, and their
configs, summaries and model files.

References: tests/references/keras_conv_transpose.npz and keras_files/conv_family.{keras,h5},
written by tools/keras_references/conv_transpose.py (same weights and inputs -> Keras's
predict output; a model of all these layer kinds as Keras itself saves it).
"""

import json
import pathlib

import numpy as np
import pytest

import npconv
from npconv import layers

REF = np.load(pathlib.Path(__file__).parents[1] / "references" / "keras_conv_transpose.npz")
CASES = sorted({k.split("/")[0] for k in REF.files if k.endswith("/spec")})


def _spec(name):
    return json.loads(str(REF[f"{name}/spec"]))


def _model(name):
    spec = _spec(name)
    layer = getattr(layers, spec["class_name"])(**spec["config"])
    model = npconv.Sequential([npconv.Input(tuple(spec["input_shape"])), layer])
    model.set_weights([REF[f"{name}/w{i}"] for i in range(len(model.get_weights()))])
    return model


@pytest.mark.parametrize("name", CASES)
def test_layer_matches_keras(name):
    model = _model(name)
    y = model.predict(REF[f"{name}/x"], verbose=0)
    expected = REF[f"{name}/y"]
    assert y.shape == expected.shape
    assert model.layers[-1].compute_output_shape((None, *REF[f"{name}/x"].shape[1:])) == (
        None, *expected.shape[1:])
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, expected, atol=1e-4, rtol=1e-4)


def test_references_cover_what_the_issue_asks():
    specs = [_spec(name) for name in CASES]
    kinds = {s["class_name"] for s in specs}
    assert kinds == {"Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose", "DepthwiseConv1D",
                     "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D"}
    transposed = [s["config"] for s in specs if s["class_name"].endswith("Transpose")]

    def values(key, default):
        out = set()
        for c in transposed:
            v = c.get(key, default)
            out.update(v if isinstance(v, (list, tuple)) else [v])
        return out

    assert {1, 2, 3} <= values("strides", 1)
    assert {"valid", "same"} <= values("padding", "valid")
    assert {0, 1, 2} <= values("output_padding", None)
    assert 2 in values("dilation_rate", 1)
    for rank in (1, 2, 3):
        assert any(s["config"].get("data_format") == "channels_first"
                   for s in specs if s["class_name"] == f"Conv{rank}DTranspose")


@pytest.mark.parametrize("cls, kwargs", [
    ("Conv2DTranspose", {"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same",
                         "output_padding": 1, "activation": "relu",
                         "kernel_regularizer": "l2", "bias_constraint": "non_neg"}),
    ("Conv1DTranspose", {"filters": 2, "kernel_size": 4, "dilation_rate": 2, "use_bias": False,
                         "data_format": "channels_first"}),
    ("Conv3DTranspose", {"filters": 2, "kernel_size": 2, "strides": (1, 2, 2)}),
    ("DepthwiseConv2D", {"kernel_size": 3, "depth_multiplier": 2, "padding": "same",
                         "depthwise_regularizer": "l1", "bias_initializer": "ones"}),
    ("DepthwiseConv1D", {"kernel_size": 3, "strides": 2}),
    ("SeparableConv2D", {"filters": 4, "kernel_size": 3, "depth_multiplier": 2,
                         "pointwise_initializer": "he_normal", "pointwise_constraint": "max_norm"}),
    ("SeparableConv1D", {"filters": 4, "kernel_size": 3, "padding": "same"}),
])
def test_get_config_round_trip(cls, kwargs):
    layer = getattr(layers, cls)(**kwargs)
    config = layer.get_config()
    again = getattr(layers, cls).from_config(config)
    assert again.get_config() == config
    for key, value in kwargs.items():
        if isinstance(value, (int, str)) and not key.endswith(
                ("_regularizer", "_constraint", "_initializer")):
            got = config[key]
            assert got == value or got == (value,) * layer.rank, key


def test_keras_aliases_and_positional_order():
    assert layers.Convolution2DTranspose is layers.Conv2DTranspose
    assert layers.Convolution1DTranspose is layers.Conv1DTranspose
    assert layers.Convolution3DTranspose is layers.Conv3DTranspose
    assert layers.SeparableConvolution2D is layers.SeparableConv2D
    assert layers.SeparableConvolution1D is layers.SeparableConv1D
    # Keras 2's names and module path (keras.layers.convolutional held all of these)
    assert layers.Deconvolution2D is layers.Deconv2D is layers.Conv2DTranspose
    assert layers.Deconvolution3D is layers.Deconv3D is layers.Conv3DTranspose
    from npconv.layers.convolutional import Conv2DTranspose, DepthwiseConv2D, SeparableConv2D

    assert (Conv2DTranspose, DepthwiseConv2D, SeparableConv2D) == (
        layers.Conv2DTranspose, layers.DepthwiseConv2D, layers.SeparableConv2D)
    with pytest.raises(ImportError, match="UpSampling7D"):
        from npconv.layers.convolutional import UpSampling7D  # noqa: F401
    # Keras's positional orders differ between these classes
    assert layers.Conv3DTranspose(2, 3, 1, "same", "channels_first").data_format == (
        "channels_first")
    assert layers.Conv2DTranspose(2, 3, 2, "same", 1).output_padding == (1, 1)
    assert layers.DepthwiseConv2D(3, 1, "valid", 4).depth_multiplier == 4
    assert layers.SeparableConv2D(8, 3, 1, "valid", None, 1, 2).depth_multiplier == 2


def test_weight_layouts_are_keras():
    x = np.zeros((1, 6, 6, 3), np.float32)
    t = layers.Conv2DTranspose(5, (3, 2))
    t(x)
    assert [w.shape for w in t.get_weights()] == [(3, 2, 5, 3), (5,)]
    d = layers.DepthwiseConv2D(3, depth_multiplier=2)
    d(x)
    assert [w.shape for w in d.get_weights()] == [(3, 3, 3, 2), (6,)]
    s = layers.SeparableConv2D(4, 3, depth_multiplier=2)
    s(x)
    assert [w.shape for w in s.get_weights()] == [(3, 3, 3, 2), (1, 1, 6, 4), (4,)]
    assert [v.path for v in s.weights] == ["depthwise_kernel", "pointwise_kernel", "bias"]


@pytest.mark.parametrize("make, message", [
    (lambda: layers.Conv2DTranspose(2, 3, strides=2, output_padding=2), "strictly less than"),
    (lambda: layers.Conv2DTranspose(2, 3, output_padding=1), "strictly less than"),
    (lambda: layers.Conv1DTranspose(2, 3, strides=2, dilation_rate=2), "dilation_rate"),
    (lambda: layers.Conv2DTranspose(2, 3, padding="causal"), "'valid' or 'same'"),
    (lambda: layers.Conv2DTranspose(0, 3), "filters"),
    (lambda: layers.DepthwiseConv2D(3, depth_multiplier=0), "depth_multiplier"),
    (lambda: layers.SeparableConv1D(2, 3, output_padding=1), "output_padding"),
])
def test_bad_arguments_are_named(make, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make()


def test_wrong_input_rank_names_the_layer():
    layer = layers.Conv2DTranspose(2, 3, name="up")
    with pytest.raises(ValueError, match=r"Conv2DTranspose 'up' expects input of rank 4"):
        layer(np.zeros((2, 5, 5), np.float32))


def test_summary_and_model_file_round_trip(tmp_path):
    model = npconv.Sequential([
        npconv.Input((8, 8, 2)),
        layers.SeparableConv2D(4, 3, padding="same", depth_multiplier=2, activation="relu"),
        layers.DepthwiseConv2D(3, strides=2, padding="same"),
        layers.Conv2DTranspose(3, 3, strides=2, padding="same", output_padding=1),
        layers.Conv2DTranspose(1, 2, data_format="channels_last"),
    ])
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    for line in ("separable_conv2d", "depthwise_conv2d", "conv2d_transpose"):
        assert line in text
    assert "(None, 9, 9, 1)" in text
    # params: 2*9*2 + 4*4 + 4 | 4*9 + 4 | 9*3*4 + 3 | 4*3 + 1
    assert model.count_params() == 56 + 40 + 111 + 13
    x = np.random.default_rng(0).standard_normal((3, 8, 8, 2)).astype(np.float32)
    expected = model.predict(x, verbose=0)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = npconv.models.load_model(path)
    assert [type(layer).__name__ for layer in loaded.layers] == [
        "SeparableConv2D", "DepthwiseConv2D", "Conv2DTranspose", "Conv2DTranspose"]
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), expected)


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_loads_the_model_file_keras_wrote(suffix):
    pytest.importorskip("h5py")
    path = pathlib.Path(__file__).parents[1] / "references" / "keras_files" / (
        "conv_family" + suffix)
    model = npconv.models.load_model(path)
    assert {type(layer).__name__ for layer in model.layers} >= {
        "SeparableConv2D", "DepthwiseConv2D", "Conv2DTranspose", "SeparableConv1D",
        "DepthwiseConv1D", "Conv1DTranspose"}
    y = model.predict(REF["file/x"], verbose=0)
    np.testing.assert_allclose(y, REF["file/y"], atol=1e-4, rtol=1e-4)
