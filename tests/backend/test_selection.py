"""Choosing a backend (set_backend, NPCONV_BACKEND, KERAS_BACKEND), the namespace of an array,
and to_numpy: what model.save and get_weights return whatever the backend."""

import importlib.util
import subprocess
import sys

import numpy as np
import pytest

import npconv
from npconv import backend as B
from npconv.backend import selection as S

xps = pytest.importorskip("array_api_strict", reason="pip install array-api-strict (test extra)")
HAS_CUPY = importlib.util.find_spec("cupy") is not None


@pytest.fixture
def restore_backend():
    before = B.backend()
    yield
    B.set_backend(before)


def test_default_backend_from_environment():
    assert S.default_backend({}) == "numpy"
    assert S.default_backend({"NPCONV_BACKEND": "Generic"}) == "generic"
    assert S.default_backend({"KERAS_BACKEND": "numpy"}) == "numpy"
    assert S.default_backend({"KERAS_BACKEND": "generic"}) == "generic"
    # Keras's own backends are not ours: ignored, not an error
    assert S.default_backend({"KERAS_BACKEND": "tensorflow"}) == "numpy"
    # ours wins over Keras's
    assert S.default_backend({"KERAS_BACKEND": "numpy", "NPCONV_BACKEND": "generic"}) == "generic"
    with pytest.raises(ValueError, match="NPCONV_BACKEND must be one of .*'cupy'.*got 'cuda'"):
        S.default_backend({"NPCONV_BACKEND": "cuda"})


def test_backend_chosen_at_import_from_the_environment():
    code = "import npconv.backend as b; print(b.backend(), b.kernels().NAME, b.xp.__name__)"
    env = {"NPCONV_BACKEND": "generic", "PATH": ""}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True, cwd=str(_root()))
    assert out.stdout.split() == ["generic", "generic", "numpy"]


def _root():
    import pathlib

    return pathlib.Path(npconv.__file__).resolve().parents[1]


def test_set_backend(restore_backend):
    assert B.set_backend("GENERIC") == "generic"
    assert B.backend() == "generic" and B.kernels().NAME == "generic"
    assert B.xp is np  # the generic kernels take their namespace from their inputs
    B.set_backend("numpy")
    assert B.backend() == "numpy"
    with pytest.raises(ValueError, match="set_backend: backend must be one of .*got 'jax'"):
        B.set_backend("jax")
    assert B.backend() == "numpy"


@pytest.mark.skipif(HAS_CUPY, reason="CuPy is installed: the missing-CuPy message cannot show")
def test_cupy_without_cupy_names_the_install(restore_backend):
    with pytest.raises(ImportError, match="pip install cupy-cuda12x"):
        B.set_backend("cupy")
    assert B.backend() != "cupy"
    with pytest.raises(ImportError, match="pip install cupy-cuda12x"):
        B.kernels("cupy")


def test_array_namespace():
    a = np.ones(3)
    s = xps.ones(3)
    assert S.array_namespace(a, None, 2.0) is np
    assert S.array_namespace(s, 1) is xps
    with pytest.raises(TypeError, match=r"array_api_strict Array \(3,\) and numpy ndarray \(3,\)"):
        S.array_namespace(s, a)
    with pytest.raises(TypeError, match="expected an array"):
        S.array_namespace("abc")


def test_check_same_device():
    a = xps.ones(2, device=xps.Device("device1"))
    b = xps.ones(3, device=xps.Device("device2"))
    assert S.check_same_device(a, None, a) == xps.Device("device1")
    with pytest.raises(ValueError, match=r"conv: arrays on two devices: \(2,\) on .*device1.*"
                                         r"\(3,\) on .*device2"):
        S.check_same_device(a, b, name="conv")


@pytest.mark.parametrize("device", ["CPU_DEVICE", "device1", "device2"])
def test_to_numpy(device):
    values = np.arange(6, dtype=np.float32).reshape(2, 3)
    a = xps.asarray(values, device=xps.Device(device))
    got = B.to_numpy(a)
    assert type(got) is np.ndarray and got.dtype == np.float32
    np.testing.assert_array_equal(got, values)
    assert B.to_numpy(values) is values  # NumPy arrays pass through, no copy
    np.testing.assert_array_equal(B.to_numpy(npconv.autograd.Tensor(values)), values)
    assert B.to_numpy(3.5).shape == ()


def test_get_weights_and_save_return_numpy_whatever_the_arrays(tmp_path):
    model = npconv.Sequential([npconv.Input((3,)), npconv.layers.Dense(2)])
    want = model.get_weights()
    for v, w in zip(model.weights, want):  # as if the weights lived on another device
        v.data = xps.asarray(w, device=xps.Device("device1"))
    for got_list in (model.get_weights(), model.layers[0].get_weights()):
        for got, ref in zip(got_list, want):
            assert type(got) is np.ndarray
            np.testing.assert_array_equal(got, ref)
    path = tmp_path / "m.weights.h5"
    model.save_weights(path)
    for v, ref in zip(model.weights, want):
        v.data = np.zeros_like(ref)
    model.load_weights(path)
    for got, ref in zip(model.get_weights(), want):
        np.testing.assert_array_equal(got, ref)


def test_keras_names():
    # keras.config.backend() / set_backend and Keras 2's K.backend()
    assert npconv.config.backend() == B.backend()
    assert npconv.config.set_backend is B.set_backend
    assert B.backend() in S.BACKENDS


def test_kernels_for_follows_the_arrays_not_the_active_backend(restore_backend):
    B.set_backend("numpy")
    assert B.kernels_for(xps.ones(2)).NAME == "generic"
    assert B.kernels_for(np.ones(2), None).NAME == B.kernels("numpy").NAME
    with pytest.raises(TypeError, match="two array libraries"):
        B.kernels_for(np.ones(2), xps.ones(2))


def test_to_backend_is_the_identity_off_the_gpu(restore_backend):
    a = np.ones(3)
    for name in ("numpy", "generic"):
        B.set_backend(name)
        assert B.to_backend(a) is a
