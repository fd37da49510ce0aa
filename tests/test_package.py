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
