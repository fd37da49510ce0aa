"""``npconv.io``: safe model files.

``model.save(path)`` / ``npconv.models.load_model(path)`` and ``model.save_weights(path)`` /
``model.load_weights(path)`` land here. The file is a zip of JSON and ``.npy`` members (format
``npconv.model``, documented in ``npconv.io.model_file`` and ``docs/model-file-format.md``),
written atomically and read without executing anything: no pickle, no imports named by the
file, every size checked before memory is spent on it. Anything wrong with a file raises
``ModelFileError``.

Modules, one idea each: ``model_file`` (the format), ``safe_zip`` (reading untrusted zips),
``npy`` (arrays), ``architecture`` (model <-> JSON), ``compile_config``, ``optimizer_state``,
``custom_objects``, ``atomic`` (atomic writes), ``limits``, ``saving`` (the public functions).
Keras HDF5 import lives in ``npconv.io.keras_h5``; ``model.save("x.h5")`` and
``save_weights("x.h5")`` write Keras's legacy HDF5 files with ``npconv.io.keras_h5_write``
(``keras_config`` describes a model as Keras does; ``keras_arguments`` lists what Keras's
classes accept).
"""

from .custom_objects import get_custom_objects, register_custom_object
from .errors import ModelFileError
from .model_file import FORMAT_NAME, FORMAT_VERSION
from .onnx_export import export_onnx
from .saving import load_model, load_weights, save_model, save_weights

__all__ = [
    "ModelFileError",
    "save_model",
    "load_model",
    "save_weights",
    "load_weights",
    "register_custom_object",
    "get_custom_objects",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "export_onnx",
]
