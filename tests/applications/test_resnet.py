"""keras.applications' ResNet50/101/152 and their V2: Keras's parameter counts and layer names
(so Keras-saved weights load by name), 'caffe' (v1) and 'tf' (V2) preprocessing, ImageNet
weights read from Keras's cache (or a clear error offline), and a net that trains."""

import hashlib

import numpy as np
import pytest

import npconv
from npconv.applications import ResNet50, ResNet50V2, ResNet101, ResNet152V2, resnet
from npconv.applications.resnet_v2 import preprocess_input as preprocess_v2

# keras.applications.X(weights=None).count_params(), and with include_top=False,
# input_shape=(32, 32, 3), pooling="avg": Keras 3.15.1 (TensorFlow 2.21)
KERAS_PARAMS = {
    "ResNet50": (25_636_712, 23_587_712),
    "ResNet50V2": (25_613_800, 23_564_800),
    "ResNet101": (44_707_176, 42_658_176),
    "ResNet152V2": (60_380_648, 58_331_648),
}


@pytest.mark.parametrize("build", [ResNet50, ResNet50V2, ResNet101, ResNet152V2],
                         ids=lambda b: b.__name__)
def test_architectures_match_keras(build):
    full, headless = KERAS_PARAMS[build.__name__]
    assert build(weights=None).count_params() == full
    top = build(weights=None, include_top=False, input_shape=(32, 32, 3), pooling="avg")
    assert top.count_params() == headless and top.output_shape == (None, 2048)


def test_keras_layer_names():
    names = {layer.name for layer in ResNet50(weights=None).layers}
    assert {"conv1_pad", "conv1_conv", "conv1_bn", "conv1_relu", "pool1_pool",
            "conv2_block1_0_conv", "conv2_block1_3_bn", "conv2_block1_add", "conv2_block1_out",
            "conv5_block3_out", "avg_pool", "predictions"} <= names
    names = {layer.name for layer in ResNet50V2(weights=None).layers}
    assert {"conv2_block1_preact_bn", "conv2_block1_2_pad", "conv4_block6_out", "post_bn",
            "post_relu", "predictions"} <= names
    assert "conv1_bn" not in names


def test_preprocessing():
    x = np.array([[[[0.0, 127.5, 255.0]]]])
    np.testing.assert_allclose(preprocess_v2(x)[0, 0, 0], [-1.0, 0.0, 1.0])
    assert preprocess_v2(np.zeros((1, 2, 2, 3), np.uint8)).dtype == np.float32
    np.testing.assert_allclose(resnet.preprocess_input(x)[0, 0, 0],
                               [255 - 103.939, 127.5 - 116.779, 0 - 123.68], rtol=1e-6)
    assert npconv.applications.resnet50.preprocess_input is resnet.preprocess_input


def test_imagenet_weights_from_keras_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setenv("NPCONV_OFFLINE", "1")
    with pytest.raises(OSError, match="resnet50v2_weights_tf_dim_ordering_tf_kernels_notop.h5"):
        ResNet50V2(include_top=False, input_shape=(32, 32, 3))
    pytest.importorskip("h5py")
    npconv.utils.set_random_seed(3)
    saved = ResNet50V2(weights=None, include_top=False, input_shape=(32, 32, 3))
    name = "resnet50v2_weights_tf_dim_ordering_tf_kernels_notop.h5"
    (tmp_path / "models").mkdir()
    saved.save_weights(tmp_path / "models" / name)
    md5 = hashlib.md5((tmp_path / "models" / name).read_bytes()).hexdigest()  # noqa: S324
    monkeypatch.setitem(resnet.WEIGHTS_HASHES, "resnet50v2", ("-", md5))
    loaded = ResNet50V2(include_top=False, input_shape=(32, 32, 3))
    x = np.random.default_rng(0).random((2, 32, 32, 3)).astype("float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), saved.predict(x, verbose=0),
                               rtol=1e-4, atol=1e-5)


def test_a_headless_resnet_fits():
    """keras.io's supervised contrastive learning: ResNet50V2(weights=None, include_top=False,
    pooling='avg') as the encoder under a new head."""
    npconv.utils.set_random_seed(0)
    encoder = ResNet50V2(include_top=False, weights=None, input_shape=(32, 32, 3),
                         pooling="avg")
    inputs = npconv.Input((32, 32, 3))
    outputs = npconv.layers.Dense(2, activation="softmax")(encoder(inputs))
    model = npconv.Model(inputs, outputs)
    model.compile(optimizer=npconv.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    x = rng.random((8, 32, 32, 3)).astype("float32")
    y = (x[:, :16].mean(axis=(1, 2, 3)) > x[:, 16:].mean(axis=(1, 2, 3))).astype("int32")
    history = model.fit(x, y, batch_size=8, epochs=3, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    assert history.history["loss"][-1] < history.history["loss"][0]
