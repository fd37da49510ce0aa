"""keras.applications' VGG16/VGG19: Keras's layer names and parameter counts, Keras's 'caffe'
preprocessing, and ImageNet weights read from Keras's cache (or a clear error offline)."""

import hashlib

import numpy as np
import pytest

import npconv
from npconv.applications import VGG16, VGG19, vgg
from npconv.applications.vgg16 import preprocess_input


def test_architectures_match_keras():
    # keras.applications.VGG16(weights=None).count_params() and friends, Keras 3.15
    assert VGG16(weights=None).count_params() == 138_357_544
    assert VGG19(weights=None).count_params() == 143_667_240
    top = VGG16(weights=None, include_top=False, input_shape=(32, 32, 3), pooling="avg")
    assert top.count_params() == 14_714_688 and top.output_shape == (None, 512)
    assert [layer.name for layer in top.layers][1:4] == ["block1_conv1", "block1_conv2",
                                                         "block1_pool"]


def test_preprocess_input_is_keras_caffe_mode():
    x = np.array([[[[10.0, 20.0, 30.0]]]])
    np.testing.assert_allclose(preprocess_input(x)[0, 0, 0],
                               [30 - 103.939, 20 - 116.779, 10 - 123.68], rtol=1e-6)
    first = preprocess_input(np.array([[[[10.0]], [[20.0]], [[30.0]]]]),
                             data_format="channels_first")
    np.testing.assert_allclose(first[0, :, 0, 0], [30 - 103.939, 20 - 116.779, 10 - 123.68],
                               rtol=1e-6)


def test_imagenet_weights_from_keras_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setenv("NPCONV_OFFLINE", "1")
    with pytest.raises(OSError, match="vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"):
        VGG16(include_top=False, input_shape=(32, 32, 3))
    pytest.importorskip("h5py")
    npconv.utils.set_random_seed(3)
    saved = VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
    name = vgg.WEIGHTS[16, False][0]
    (tmp_path / "models").mkdir()
    saved.save_weights(tmp_path / "models" / name)
    md5 = hashlib.md5((tmp_path / "models" / name).read_bytes()).hexdigest()  # noqa: S324
    monkeypatch.setitem(vgg.WEIGHTS, (16, False), (name, md5))
    loaded = VGG16(include_top=False, input_shape=(32, 32, 3))
    x = np.random.default_rng(0).random((2, 32, 32, 3)).astype("float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), saved.predict(x, verbose=0),
                               rtol=1e-5)
