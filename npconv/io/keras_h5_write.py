"""Write Keras's legacy HDF5 files: ``model.save("x.h5")`` and ``model.save_weights("x.h5")``.

The layout is what Keras 3.15's ``keras/src/legacy/saving/legacy_h5_format.py`` writes, so that
real Keras's ``keras.models.load_model("x.h5")`` and ``model.load_weights("x.h5")`` read it:

Whole model (``save_model_h5``)::

    /                        attrs: keras_version, backend, model_config (JSON),
                                    training_config (JSON, when compiled and expressible)
    /model_weights           attrs: layer_names (every layer, in Keras's model.layers order),
                                    backend, keras_version
    /model_weights/<layer>   attrs: weight_names (trainable then non-trainable weights)
    /model_weights/<layer>/<weight name>        float32 dataset, e.g. "sequential/dense/kernel"
    /model_weights/top_level_model_weights      attrs: weight_names (empty)

Weights only (``save_weights_h5``): the ``model_weights`` group's content at the root (what
Keras 2's ``save_weights("x.h5")`` wrote; Keras 3 still reads it with ``load_weights``).

A weight's name is Keras 3's variable path: ``<model>/<layer>/<weight>`` for the layers of a
``Sequential`` (Keras builds them inside the model's name scope), ``<layer>/<weight>`` for those
of a functional model, ``<inner model>/<layer>/<weight>`` for a nested model's. Keras's loader
goes by the order of ``layer_names`` and ``weight_names``, not by these names.

``backend`` says ``numpy`` and ``keras_version`` the Keras release whose format this follows
(``keras_config.KERAS_VERSION``); Keras reads neither for a file of this version.

The optimizer's state is not written. Keras 3 reads a legacy file's ``optimizer_weights`` only
in part: it builds the optimizer on the top-level model's own variables (none, for a Sequential
or functional model), so ``set_weights`` fills its ``iteration`` and ``learning_rate`` and
silently drops every moment (checked with Keras 3.15: a reloaded Adam has 2 variables, not
2 + 2 per weight). Restoring the step count without the moments would skew Adam's bias
correction, so a Keras user gets a fresh optimizer either way; npconv's own ``.keras`` format
keeps the whole state.

The file is written atomically (``npconv.io.atomic``): into a temporary file in the same folder,
renamed over ``path`` only once complete. h5py is needed (``pip install "npconv[h5]"``), and
``check_h5_writable`` says so before any training starts.
"""

from __future__ import annotations

import json
import os
import warnings

import numpy as np

from ..backend import to_numpy
from .atomic import atomic_write
from .keras_config import KERAS_VERSION, keras_layers, keras_model_config, training_config

__all__ = ["save_model_h5", "save_weights_h5", "check_h5_writable", "H5_SUFFIXES"]

H5_SUFFIXES = (".h5", ".hdf5")
INSTALL_HINT = 'pip install "npconv[h5]"'
BACKEND = "numpy"

#: HDF5 keeps an object's attributes in its header, at most this many bytes; Keras splits
#: longer name lists into ``layer_names0``, ``layer_names1``, ...
HDF5_OBJECT_HEADER_LIMIT = 64512


def check_h5_writable(what):
    """h5py, or ``ImportError`` naming the extra that provides it (``what`` says who asked)."""
    try:
        import h5py
    except ImportError as e:
        raise ImportError(
            f"{what} writes a Keras HDF5 file (.h5/.hdf5), which needs h5py, an optional "
            f"dependency of npconv: {INSTALL_HINT}. Or save in npconv's own format, which needs "
            "nothing more: model.save('x.keras'), model.save_weights('x.weights.h5')"
        ) from e
    return h5py


def save_model_h5(model, filepath, overwrite=True, include_optimizer=True):
    """Write ``model`` (a ``Sequential`` or functional model) as a Keras legacy ``.h5`` file:
    its architecture, its weights and, when compiled (and ``include_optimizer``), its compile
    settings. ``ValueError`` names the layer when the model holds something Keras could not
    rebuild exactly (an npconv-only layer or argument, a shared layer, a subclassed model);
    nothing is written then."""
    h5py = check_h5_writable("model.save")
    path = os.fspath(filepath)
    config = keras_model_config(model)
    training = None
    if include_optimizer and getattr(model, "compiled", False):
        training, reason = training_config(model)
        if training is None:
            warnings.warn(
                f"model.save('{path}'): the compile settings are not written ({reason}); "
                "Keras and npconv will load the model uncompiled",
                stacklevel=3,
            )
    attrs = {
        "keras_version": KERAS_VERSION,
        "backend": BACKEND,
        "model_config": json.dumps(config).encode("utf8"),
    }
    if training is not None:
        attrs["training_config"] = json.dumps(training).encode("utf8")
    entries = _weight_entries(model)  # everything checked before the file is opened
    with atomic_write(path, overwrite=overwrite) as f, h5py.File(f, "w") as h5:
        for key, value in attrs.items():
            h5.attrs[key] = value
        _write_weights(h5.create_group("model_weights"), entries)


def save_weights_h5(model, filepath, overwrite=True):
    """Write ``model``'s weights as a Keras legacy weights-only ``.h5`` file (layer groups at
    the root), which Keras's ``model.load_weights("x.h5")`` reads into the same architecture."""
    h5py = check_h5_writable("model.save_weights")
    path = os.fspath(filepath)
    entries = _weight_entries(model)
    with atomic_write(path, overwrite=overwrite) as f, h5py.File(f, "w") as h5:
        _write_weights(h5, entries)


def _weight_entries(model):
    """``[(layer name, [(weight name, array), ...]), ...]`` in Keras's layer order."""
    if not model.weights and not getattr(model, "built", True):
        raise ValueError(
            f"model '{model.name}' is not built, so it has no weights to save: give its first "
            "layer an input shape, call model.build(input_shape), or fit it first"
        )
    from ..models import Sequential

    prefix = f"{model.name}/" if isinstance(model, Sequential) else ""
    entries, seen = [], set()
    for layer in keras_layers(model):
        if layer.name in seen or "/" in layer.name or not layer.name:
            raise ValueError(
                f"layer name {layer.name!r} in model '{model.name}' cannot name an HDF5 group "
                "(names must be unique, non-empty and without '/')"
            )
        seen.add(layer.name)
        names = _weight_names(layer, prefix)
        variables = layer.trainable_weights + layer.non_trainable_weights
        entries.append((layer.name, [(n, to_numpy(v.data)) for n, v in zip(names, variables)]))
    return entries


def _weight_names(layer, prefix):
    """Keras 3's variable paths for ``layer``'s weights (trainable first), made unique."""
    variables = layer.trainable_weights + layer.non_trainable_weights
    owner = {}
    if hasattr(layer, "layers"):  # a nested model: each weight under its own layer's name
        for sub in layer.layers:
            for v in sub.weights:
                owner.setdefault(id(v), f"{layer.name}/{sub.name}")
    names, used = [], set()
    for i, v in enumerate(variables):
        short = str(getattr(v, "path", None) or "").rsplit("/", 1)[-1] or f"variable_{i}"
        name = f"{owner.get(id(v), prefix + layer.name)}/{short}"
        if name in used or any(part in ("", ".", "..") for part in name.split("/")):
            name = f"{layer.name}/variable_{i}"  # a dataset name HDF5 cannot take as it is
        used.add(name)
        names.append(name)
    return names


def _write_weights(group, entries):
    _names_attr(group, "layer_names", [name.encode("utf8") for name, _ in entries])
    group.attrs["backend"] = BACKEND.encode("utf8")
    group.attrs["keras_version"] = KERAS_VERSION.encode("utf8")
    for name, weights in sorted(entries, key=lambda e: e[0]):
        _write_subset(group.create_group(name), weights)
    _write_subset(group.create_group("top_level_model_weights"), [])


def _write_subset(group, weights):
    _names_attr(group, "weight_names", [name.encode("utf8") for name, _ in weights])
    for name, value in weights:
        dataset = group.create_dataset(name, value.shape, dtype=value.dtype)
        if value.shape:
            dataset[:] = value
        else:
            dataset[()] = value


def _names_attr(group, name, data):
    """A list of names as one attribute, or split as Keras splits it when too long."""
    too_long = [x for x in data if len(x) > HDF5_OBJECT_HEADER_LIMIT]
    if too_long:
        raise ValueError(f"names longer than {HDF5_OBJECT_HEADER_LIMIT} bytes: {too_long[:3]}")
    array = np.asarray(data)
    chunks = 1
    parts = np.array_split(array, chunks)
    while any(part.nbytes > HDF5_OBJECT_HEADER_LIMIT for part in parts):
        chunks += 1
        parts = np.array_split(array, chunks)
    if chunks > 1:
        for i, part in enumerate(parts):
            group.attrs[f"{name}{i}"] = part
    else:
        group.attrs[name] = data
