"""The package contract: NumPy is the only dependency and ``import npconv`` stays light."""

import subprocess
import sys

import npconv


def _modules_after(code):
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys\n"
                          "print('\\n'.join(sorted(sys.modules)))"],
                         capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_import_loads_only_the_core():
    loaded = _modules_after("import npconv")
    ours = {m for m in loaded if m.startswith("npconv")}
    assert ours <= {"npconv", "npconv.backend", "npconv.backend.numpy",
                    "npconv.backend.numpy.threads", "npconv.autograd",
                    "npconv.autograd.tensor",
                    "npconv.backend.selection",  # which backend; stdlib and NumPy only
                    "npconv.autograd.function", "npconv.autograd.graph",
                    "npconv.autograd.mode", "npconv.autograd.variable"}, ours
    heavy = {"scipy", "matplotlib", "torch", "tensorflow", "PIL", "h5py", "urllib.request"}
    assert not (heavy & loaded), heavy & loaded


def test_subpackages_load_on_first_use():
    assert npconv.layers.Conv2D.__name__ == "Conv2D"
    assert npconv.Sequential is npconv.models.Sequential
    assert npconv.utils.np_utils.to_categorical is npconv.utils.to_categorical


def test_keras2_module_paths_exist():
    from npconv.layers.convolutional import Conv2D, MaxPooling2D  # noqa: F401
    from npconv.layers.core import Dense, Dropout, Flatten  # noqa: F401
    from npconv.layers.pooling import AveragePooling2D  # noqa: F401
    from npconv.utils import np_utils  # noqa: F401

    K = npconv.backend
    assert K.image_data_format() == "channels_last"


def test_every_subpackage_is_an_attribute():
    """``keras.preprocessing.image.array_to_img`` without importing the subpackage first (it
    was missing from the lazy list)."""
    import pathlib

    root = pathlib.Path(npconv.__file__).parent
    packages = {p.name for p in root.iterdir()
                if (p / "__init__.py").is_file() and not p.name.startswith("_")} - {"cli"}
    for name in sorted(packages):
        assert getattr(npconv, name).__name__ == f"npconv.{name}"
    assert callable(npconv.preprocessing.image.array_to_img)


def test_from_npconv_import_keras_is_npconv_itself():
    """``from tensorflow import keras`` with the one word changed."""
    from npconv import keras
    from npconv.keras import layers

    assert keras.layers is npconv.layers and layers.Conv2D is npconv.layers.Conv2D
    assert keras.Model is npconv.Model


def test_keras_3_config_switches():
    import pytest

    config = npconv.config
    config.disable_traceback_filtering()
    assert config.is_traceback_filtering_enabled() is False
    config.enable_traceback_filtering()
    assert config.is_traceback_filtering_enabled() is True
    config.disable_interactive_logging()
    assert config.is_interactive_logging_enabled() is False
    config.enable_interactive_logging()
    assert config.dtype_policy() == "float32"
    try:
        config.set_dtype_policy("float64")
        assert npconv.backend.floatx() == "float64"
    finally:
        config.set_dtype_policy("float32")
    with pytest.raises(ValueError, match="mixed_float16"):
        config.set_dtype_policy("mixed_float16")
    with pytest.raises(AttributeError, match="does not provide npconv.config.max_epochs"):
        config.max_epochs  # noqa: B018
