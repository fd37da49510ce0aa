"""``save_model``/``load_model``/``save_weights``/``load_weights``: what ``model.save`` and
``npconv.models.load_model`` call.

File names, following Keras 3 where it can:

- whole models (architecture, weights, compile settings, optimizer state): ``.keras`` or
  ``.npconv``. The content is npconv's own format (``npconv.io.model_file``), not Keras's: a
  Keras ``.keras`` file keeps its weights in HDF5, which would make h5py a dependency.
- weights only: ``.weights.npz`` or ``.weights.h5`` (Keras 3 insists on the latter, and
  ``ModelCheckpoint`` users write it), both written in npconv's format.
- Keras's legacy HDF5 files, ``.h5`` or ``.hdf5``: ``model.save`` writes Keras's whole-model
  file and ``model.save_weights`` its weights-only file (``npconv.io.keras_h5_write``), which
  real Keras 3 loads. They need h5py (``pip install "npconv[h5]"``).

Reading goes by content, not name. A real HDF5 file (magic bytes ``\\x89HDF\\r\\n\\x1a\\n``) — a
Keras ``.h5``/``.weights.h5`` — is handed to ``npconv.io.keras_h5`` (Keras weight import,
written separately) when that module is installed, and otherwise refused with a clear error.

Saving is atomic (``npconv.io.atomic``); loading executes nothing from the file, and any problem
with it is a ``ModelFileError`` naming the file and the problem.
"""

from __future__ import annotations

import importlib
import os

import numpy as np

from ..backend import to_numpy
from ..config import safe_mode_scope
from .architecture import WeightBudget, build_model, model_config
from .compile_config import compile_config, compile_from_config
from .custom_objects import custom_object_scope, merged
from .errors import ModelFileError, staged
from .model_file import read_model_file, write_model_file
from .optimizer_state import optimizer_state, restore_optimizer_state

__all__ = ["save_model", "load_model", "save_weights", "load_weights", "check_save_path"]

MODEL_SUFFIXES = (".keras", ".npconv")
WEIGHTS_SUFFIXES = (".weights.npz", ".weights.h5")
H5_SUFFIXES = (".h5", ".hdf5")  # Keras's legacy HDF5 files (".weights.h5" is npconv's zip)
HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"


# ---------------------------------------------------------------------------------- saving
def save_model(model, filepath, overwrite=True, include_optimizer=True):
    """Write ``model`` — architecture, weights and, when compiled, its compile settings and
    optimizer state (unless ``include_optimizer=False``) — to a ``.keras``/``.npconv`` file,
    or as Keras's legacy HDF5 model to a ``.h5``/``.hdf5`` file (no optimizer state there; see
    ``npconv.io.keras_h5_write``).

    ``overwrite=False`` raises ``FileExistsError`` if the file exists (Keras asks on the
    terminal instead; a training job has no one to ask).
    """
    path = check_save_path(filepath, weights_only=False, what="model.save")
    if _is_h5_name(path):
        from .keras_h5_write import save_model_h5

        save_model_h5(model, path, overwrite=overwrite, include_optimizer=include_optimizer)
        return
    compiled = include_optimizer and getattr(model, "compiled", False)
    config = {"model": model_config(model), "compile": compile_config(model) if compiled else None}
    write_model_file(
        path,
        kind="model",
        config=config,
        weights=named_weights(model),
        optimizer=optimizer_state(model) if compiled else None,
        overwrite=overwrite,
    )


def save_weights(model, filepath, overwrite=True):
    """Write ``model``'s weights (``get_weights`` order) to a ``.weights.npz``/``.weights.h5``
    file, in npconv's format, or to a ``.h5``/``.hdf5`` file in Keras's legacy HDF5 weights
    format (``npconv.io.keras_h5_write``)."""
    path = check_save_path(filepath, weights_only=True, what="model.save_weights")
    if _is_h5_name(path):
        from .keras_h5_write import save_weights_h5

        save_weights_h5(model, path, overwrite=overwrite)
        return
    write_model_file(path, kind="weights", weights=named_weights(model), overwrite=overwrite)


def check_save_path(filepath, weights_only, what):
    """``filepath`` as a string if ``model.save`` (``weights_only=False``) or
    ``model.save_weights`` can write it, else ``ValueError`` saying which names work; for an
    HDF5 name, h5py must be importable (``ImportError`` naming the ``[h5]`` extra). Called by
    the savers and, before training starts, by ``ModelCheckpoint`` (``what`` names the
    caller)."""
    path = os.fspath(filepath)
    if not isinstance(path, str):
        path = os.fsdecode(path)
    suffixes = WEIGHTS_SUFFIXES if weights_only else MODEL_SUFFIXES
    if path.endswith(suffixes) or _is_h5_name(path):
        if _is_h5_name(path):
            from .keras_h5_write import check_h5_writable

            check_h5_writable(what)
        return path
    names = " or ".join(suffixes + H5_SUFFIXES)
    hint = ""
    checkpoint = what == "ModelCheckpoint"
    if not weights_only and path.endswith(WEIGHTS_SUFFIXES):
        hint = " (for weights only, " + (
            "pass save_weights_only=True)" if checkpoint else "call model.save_weights)")
    elif weights_only and path.endswith(MODEL_SUFFIXES):
        hint = " (that is a whole-model name: " + (
            "pass save_weights_only=False" if checkpoint else "call model.save"
        ) + ", or name the file x.weights.h5)"
    raise ValueError(f"{what}: the file name must end in {names}, got '{path}'{hint}")


def _is_h5_name(path):
    """A Keras legacy HDF5 name: ``.h5``/``.hdf5``, but not npconv's ``.weights.h5``."""
    return path.endswith(H5_SUFFIXES) and not path.endswith(".weights.h5")


def named_weights(model):
    """``(name, owning layer's name, array)`` for each of ``model.weights``, in Keras's order:
    what a model file stores. npconv's internal API (``BackupAndRestore`` writes its backups
    with it), not exported to users."""
    owner = {}
    for layer in model.layers:
        for v in layer.weights:
            owner.setdefault(id(v), layer.name)
    return [
        (v.name or v.path or f"weight_{i}", owner.get(id(v), model.name), to_numpy(v.data))
        for i, v in enumerate(model.weights)
    ]


# ---------------------------------------------------------------------------------- loading
def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """The model saved in ``filepath`` by ``model.save``, its weights loaded and — when it was
    compiled and ``compile=True`` — compiled again, with its optimizer state, so training goes on
    exactly where it stopped.

    ``custom_objects``: name -> class or function, for custom layers, losses, metrics and
    activations the file names (see also ``npconv.io.register_custom_object``). ``safe_mode``
    (Keras's): npconv never unpickles or imports anything a file names; the one thing a file
    can hold that runs code is a ``Lambda`` layer's Python lambda (bytecode, as Keras writes
    it), loaded only with ``safe_mode=False`` (or ``npconv.config.enable_unsafe_deserialization()``)
    and refused otherwise. Raises ``ModelFileError`` for a broken or hostile file,
    ``FileNotFoundError`` for a missing one.
    """
    with safe_mode_scope(safe_mode), custom_object_scope(custom_objects):
        return _load_model(filepath, custom_objects, compile)


def _load_model(filepath, custom_objects, compile):
    path = _existing(filepath)
    objects = merged(custom_objects)
    if _is_hdf5(path):
        module = _keras_h5()
        if module is not None and hasattr(module, "load_model_h5"):
            return module.load_model_h5(path, custom_objects=objects, compile=compile)
        raise ModelFileError(
            path,
            "this is an HDF5 file (a Keras .h5 model), not an npconv model file. npconv imports "
            "Keras HDF5 weights with model.load_weights(path) (npconv.io.keras_h5): build the "
            "model in code, then load its weights",
        )
    module = _keras_h5()
    if module is not None and module.is_keras_archive(path):  # a .keras written by real Keras
        return module.load_keras_model(path)
    content = read_model_file(path)
    if content.kind != "model":
        raise ModelFileError(
            path,
            "this file holds only weights (written by save_weights): build the model in code, "
            "then call model.load_weights(path)",
        )
    model = staged(
        path, "config.json: cannot rebuild the model", lambda: _rebuild(content, objects)
    )
    assign_weights(model, content, path)
    settings = content.config.get("compile")
    if compile and settings is not None:
        staged(
            path,
            "config.json: cannot compile the model",
            lambda: compile_from_config(model, settings, objects),
        )
        if content.optimizer is not None:
            staged(
                path,
                "cannot restore the optimizer state",
                lambda: restore_optimizer_state(model, content.optimizer, content.optimizer_state),
            )
    return model


def load_weights(model, filepath):
    """Load into ``model`` the weights of ``filepath`` (a weights file or a whole-model file),
    matched in ``get_weights`` order and checked layer by layer before any is changed. A Keras
    HDF5 file goes to ``npconv.io.keras_h5.load_weights_h5`` when that module exists, and so do,
    through ``keras_h5.loader_for``, a real Keras 3 ``.keras`` zip (its ``model.weights.h5``)
    and a file named ``.h5`` that is neither HDF5 nor a zip (to be told so clearly)."""
    path = _existing(filepath)
    if _is_hdf5(path):
        module = _keras_h5()
        if module is None:
            raise ModelFileError(
                path,
                "this is an HDF5 file (Keras .h5 weights); reading those is the job of "
                "npconv.io.keras_h5, which this npconv does not have yet",
            )
        return module.load_weights_h5(model, path)
    module = _keras_h5()
    loader_for = getattr(module, "loader_for", None)
    loader = loader_for(path) if loader_for is not None else None
    if loader is not None:  # a real Keras .keras zip, or an .h5 name on a non-HDF5 file
        return loader(model, path)
    assign_weights(model, read_model_file(path), path)


def _rebuild(content, objects):
    budget = WeightBudget(sum(a.nbytes for a in content.weights))
    try:
        return build_model(content.config.get("model"), objects, budget)
    finally:
        budget.release()


def assign_weights(model, content, path):
    """Check every array of ``content`` (a read model file) against the model's weight, then
    assign them all (or none); ``path`` names the file in errors. npconv's internal API
    (``BackupAndRestore`` restores with it), not exported to users."""
    variables, arrays, info = model.weights, content.weights, content.weight_info
    if len(variables) != len(arrays):
        hint = ""
        if not getattr(model, "built", True) or not variables:
            hint = (
                "; if the model is not built yet, build it first (give its first layer an "
                "input_shape, or call model.build(input_shape))"
            )
        raise ModelFileError(
            path,
            f"the file holds {len(arrays)} weight arrays, model '{model.name}' has "
            f"{len(variables)} weights{hint}",
        )
    owner = {}
    for layer in model.layers:
        for v in layer.weights:
            owner.setdefault(id(v), layer.name)
    for var, array, entry in zip(variables, arrays, info):
        shape = tuple(var.data.shape)
        fits = shape == array.shape and np.can_cast(array.dtype, var.data.dtype, "same_kind")
        if not fits:
            raise ModelFileError(
                path,
                f"layer '{owner.get(id(var), model.name)}': weight '{var.name}' is "
                f"{_fmt(shape)} {var.data.dtype} in the model, but the file's "
                f"'{entry.get('path')}' (layer '{entry.get('layer')}') is {_fmt(array.shape)} "
                f"{array.dtype}",
            )
    for var, array in zip(variables, arrays):
        var.assign(array)


def _existing(filepath):
    path = os.fspath(filepath)
    if os.path.isdir(path):
        raise ModelFileError(path, "this is a folder, not a model file")
    if not os.path.exists(path):
        raise FileNotFoundError(f"No model file at '{path}'")
    return path


def _is_hdf5(path):
    with open(path, "rb") as f:
        return f.read(len(HDF5_MAGIC)) == HDF5_MAGIC


def _keras_h5():
    """``npconv.io.keras_h5`` if it exists (it is written separately), else ``None``."""
    try:
        return importlib.import_module("npconv.io.keras_h5")
    except ModuleNotFoundError as e:
        if e.name == "npconv.io.keras_h5":
            return None
        raise


def _fmt(shape):
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"
