"""The npconv model file: format ``npconv.model``, version 1.

A model file is a zip archive (stored, not compressed: weights hardly compress) of JSON and
``.npy`` members. It is read entirely in memory and nothing in it is ever executed: the JSON is
data, the arrays are NumPy's ``.npy`` format read with ``allow_pickle=False``, and classes are
named by strings that are looked up in npconv's own registries (or the caller's
``custom_objects``). Members:

``metadata.json``
    ``{"format": "npconv.model", "format_version": 1, "kind": "model" | "weights",
    "npconv_version": "0.1.0", "numpy_version": ..., "date_saved": "2025-01-31T12:00:00+00:00"}``.
    A reader refuses another ``format`` and a ``format_version`` newer than it knows.

``config.json`` (``kind == "model"`` only)
    ``{"model": <architecture>, "compile": <compile settings> | null}``; the architecture is
    described in ``npconv.io.architecture``, the compile settings in ``npconv.io.compile_config``.

``weights.json``
    The manifest: ``{"weights": [{"path": "dense/kernel", "layer": "dense", "shape": [784, 10],
    "dtype": "<f4"}, ...], "optimizer": null | {"built": true, "variables": [0, 1, ...],
    "state": [{"path": "adam/iteration", "shape": [], "dtype": "<i8"}, ...]}}``.
    ``weights`` are the model's weights in Keras's ``get_weights()`` order; the ``i``-th is the
    member ``weights/{i:05d}.npy``. ``optimizer.state`` are the optimizer's variables
    (``save_own_variables`` order: iterations, learning rate, slots), the ``j``-th in
    ``optimizer/{j:05d}.npy``; ``optimizer.variables`` are the indices, in ``weights``, of the
    model weights the optimizer was built on, in its order, so that rebuilding it on them
    recreates its slots in the same order.

``weights/00000.npy`` ...
    The arrays, in NumPy's ``.npy`` format (``np.lib.format``), numbers and bools only.

A ``kind == "weights"`` file (``model.save_weights``) has the same layout without
``config.json`` and without optimizer state. Because the arrays are ``.npy`` members of a zip,
``np.load("model.weights.npz")`` also opens one (the arrays appear as ``weights/00000``, ...).

See ``docs/model-file-format.md`` for the same in prose, and ``npconv.io.safe_zip`` for what a
reader checks before believing any size a file states.
"""

from __future__ import annotations

import datetime
import json
import os
import zipfile
from dataclasses import dataclass, field

import numpy as np

from . import limits
from .atomic import atomic_write
from .errors import ModelFileError
from .npy import NpyError, read_npy, write_npy
from .safe_zip import SafeZip

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "ModelFile", "write_model_file", "read_model_file"]

FORMAT_NAME = "npconv.model"
FORMAT_VERSION = 1
KINDS = ("model", "weights")

_DATE = (1980, 1, 1, 0, 0, 0)  # fixed member dates: the same model gives the same bytes


@dataclass
class ModelFile:
    """A model file's content, checked: the parsed JSON members and the arrays."""

    path: str
    metadata: dict
    config: dict | None
    weights: list = field(default_factory=list)  # arrays, get_weights order
    weight_info: list = field(default_factory=list)  # {"path", "layer", "shape", "dtype"}
    optimizer: dict | None = None  # {"built", "variables"} of the manifest
    optimizer_state: list = field(default_factory=list)  # arrays

    @property
    def kind(self) -> str:
        return self.metadata["kind"]


def weight_member(i: int) -> str:
    return f"weights/{i:05d}.npy"


def optimizer_member(j: int) -> str:
    return f"optimizer/{j:05d}.npy"


# ---------------------------------------------------------------------------------- writing
def write_model_file(path, *, kind, config=None, weights=(), optimizer=None, overwrite=True):
    """Write a model file atomically.

    ``weights``: ``[(path, layer_name, array), ...]`` in ``get_weights`` order. ``optimizer``:
    ``None`` or ``{"built": bool, "variables": [int, ...], "state": [(path, array), ...]}``.
    ``config``: the ``config.json`` dict (``kind == "model"``).
    """
    from .. import __version__

    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    weights = [(p, layer, np.asarray(a)) for p, layer, a in weights]
    manifest = {"weights": [_entry(p, a, layer=layer) for p, layer, a in weights]}
    state = []
    if optimizer is not None:
        state = [np.asarray(a) for _, a in optimizer["state"]]
        manifest["optimizer"] = {
            "built": bool(optimizer["built"]),
            "variables": [int(i) for i in optimizer["variables"]],
            "state": [_entry(p, a) for (p, _), a in zip(optimizer["state"], state)],
        }
    else:
        manifest["optimizer"] = None
    metadata = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "kind": kind,
        "npconv_version": __version__,
        "numpy_version": np.__version__,
        "date_saved": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    members = [("metadata.json", metadata)]
    if kind == "model":
        members.append(("config.json", config))
    members.append(("weights.json", manifest))
    texts = [(name, to_json(obj, name)) for name, obj in members]
    with atomic_write(path, overwrite=overwrite) as f:
        with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
            for name, text in texts:
                zf.writestr(_info(name), text)
            for i, (_, _, array) in enumerate(weights):
                _write_array(zf, weight_member(i), array)
            for j, array in enumerate(state):
                _write_array(zf, optimizer_member(j), array)


def _entry(path, array, layer=None):
    entry = {"path": str(path)}
    if layer is not None:
        entry["layer"] = str(layer)
    entry.update(shape=list(array.shape), dtype=array.dtype.str)
    return entry


def _info(name):
    info = zipfile.ZipInfo(name, date_time=_DATE)
    info.compress_type = zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16
    return info


def _write_array(zf, name, array):
    big = array.nbytes > 2**31 - 2**20  # leave room for the header
    with zf.open(_info(name), "w", force_zip64=big) as out:
        write_npy(out, array)


def to_json(obj, what) -> str:
    """``obj`` as JSON text; NumPy scalars and arrays become numbers and lists."""
    try:
        return json.dumps(obj, indent=1, default=_json_default)
    except (TypeError, ValueError) as e:
        raise ValueError(f"Cannot write {what}: {e}") from e


def _json_default(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(
        f"{type(obj).__name__} {obj!r} is not JSON-serializable (a config holds only strings, "
        "numbers, lists and dicts)"
    )


# ---------------------------------------------------------------------------------- reading
def read_model_file(path) -> ModelFile:
    """Read and check a model file; every problem raises ``ModelFileError`` naming it."""
    path = os.fspath(path)
    with open(path, "rb") as f, SafeZip(f, path) as zf:
        metadata = _read_metadata(zf, path)
        config = None
        if metadata["kind"] == "model":
            config = read_json(zf, path, "config.json")
        manifest = read_json(zf, path, "weights.json")
        weight_info = _list(manifest, "weights", path)
        weights = _read_arrays(zf, path, weight_info, weight_member, "weights")
        optimizer, state = manifest.get("optimizer"), []
        if optimizer is not None:
            if not isinstance(optimizer, dict):
                raise ModelFileError(path, "weights.json: 'optimizer' is not an object")
            state_info = _list(optimizer, "state", path)
            variables = optimizer.get("variables")
            if not isinstance(variables, list) or not all(
                type(i) is int and 0 <= i < len(weights) for i in variables
            ):
                raise ModelFileError(
                    path, "weights.json: 'optimizer.variables' must list indices of weights"
                )
            state = _read_arrays(zf, path, state_info, optimizer_member, "optimizer state")
    return ModelFile(path, metadata, config, weights, weight_info, optimizer, state)


def _read_metadata(zf, path):
    if "metadata.json" not in zf and "model.weights.h5" in zf:
        raise ModelFileError(
            path,
            "this is a Keras 3 .keras file (its weights are HDF5, model.weights.h5); npconv "
            "reads its own format only — Keras weight import is npconv.io.keras_h5",
        )
    metadata = read_json(zf, path, "metadata.json")
    name = metadata.get("format")
    if name != FORMAT_NAME:
        raise ModelFileError(
            path,
            f"metadata.json names the format {name!r}, not {FORMAT_NAME!r}: not an npconv "
            "model file",
        )
    version = metadata.get("format_version")
    if type(version) is not int or version < 1:
        raise ModelFileError(path, f"metadata.json: invalid format_version {version!r}")
    if version > FORMAT_VERSION:
        raise ModelFileError(
            path,
            f"written with format_version {version} by npconv "
            f"{metadata.get('npconv_version', '?')}; this npconv reads format_version up to "
            f"{FORMAT_VERSION} — upgrade npconv to load it",
        )
    if metadata.get("kind") not in KINDS:
        raise ModelFileError(
            path, f"metadata.json: kind {metadata.get('kind')!r} is not one of {list(KINDS)}"
        )
    return metadata


def read_json(zf, path, name) -> dict:
    """Member ``name`` parsed as a JSON object."""
    data = zf.read(name, limit=limits.MAX_JSON_BYTES)
    try:
        obj = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError) as e:  # JSONDecodeError and UnicodeDecodeError too
        raise ModelFileError(path, f"{name} is not valid JSON ({e})") from e
    if not isinstance(obj, dict):
        raise ModelFileError(path, f"{name} must hold a JSON object, not {type(obj).__name__}")
    return obj


def _list(obj, key, path):
    items = obj.get(key)
    if not isinstance(items, list) or not all(isinstance(e, dict) for e in items):
        raise ModelFileError(path, f"weights.json: {key!r} must be a list of objects")
    if len(items) > limits.MAX_MEMBERS:
        raise ModelFileError(path, f"weights.json lists {len(items)} {key} (too many)")
    return items


def _read_arrays(zf, path, entries, member, what):
    arrays = []
    for i, entry in enumerate(entries):
        name = member(i)
        try:
            array = read_npy(zf.read(name))
        except NpyError as e:
            raise ModelFileError(path, f"member {name!r} {e}") from e
        shape, dtype = entry.get("shape"), entry.get("dtype")
        if not isinstance(shape, list) or tuple(shape) != array.shape or dtype != array.dtype.str:
            raise ModelFileError(
                path,
                f"member {name!r} ({what} {entry.get('path')!r}) holds shape {array.shape} "
                f"{array.dtype.str}, weights.json says {shape} {dtype}",
            )
        if not isinstance(entry.get("path"), str):
            raise ModelFileError(path, f"weights.json: {what} entry {i} has no 'path'")
        arrays.append(array)
    return arrays
