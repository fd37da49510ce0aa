"""Models: ``Sequential`` and the functional ``Model``; ``load_model`` reads saved ones;
``clone_model`` copies an architecture, ``model_from_json`` reads ``model.to_json()``."""

from .cloning import clone_model, model_from_json
from .model import Model
from .sequential import Sequential

__all__ = ["Model", "Sequential", "load_model", "save_model", "clone_model", "model_from_json"]


def save_model(model, filepath, overwrite=True, **kwargs):
    """``model.save(filepath)`` as a function (Keras's ``keras.models.save_model``): a
    ``.keras`` file, or Keras's legacy HDF5 file for a ``.h5``/``.hdf5`` name."""
    return model.save(filepath, overwrite=overwrite, **kwargs)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """The model saved by ``model.save(filepath)``: rebuilt, its weights loaded, and compiled
    with its optimizer state when it was compiled (and ``compile=True``).

    Nothing in the file is executed; custom layers, losses or metrics are found only in
    ``custom_objects`` (name -> object). A broken or hostile file raises
    ``npconv.io.ModelFileError``. See ``npconv.io.load_model``.
    """
    from ..io import load_model as _load_model

    return _load_model(
        filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode
    )


def __getattr__(name):
    from .._missing import not_provided

    raise not_provided(__name__, name, globals())
