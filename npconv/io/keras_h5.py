"""Keras weight import: load weights saved by real Keras into the matching npconv model.

npconv's weight layouts are Keras's (``DESIGN.md``: conv kernels ``(*kernel_size, in,
filters)``, dense kernels ``(in, out)``, Keras's ``get_weights`` order), so importing Keras
weights is a matter of finding, for each weight of an npconv model, the array Keras stored for
it — no transposes. Three kinds of file are read:

- **Keras 3** ``.weights.h5`` (``model.save_weights``): ``layers/<key>/vars/0, 1, ...``, where
  ``<key>`` is the snake-case class name numbered per class in model order (``conv2d``,
  ``conv2d_1``, ..., Keras's own way of addressing layers, independent of their names), with the
  layer's name in the ``name`` attribute of ``vars``. Nested models nest: ``layers/sequential/
  layers/dense/vars/0``.
- **Keras 3** ``.keras`` (``model.save``): a zip of ``config.json``, ``metadata.json`` and
  ``model.weights.h5`` (the layout above), read in memory within ``npconv.io.safe_zip``'s
  limits — see ``load_keras_file``. ``load_keras_model`` also rebuilds the model from
  ``config.json`` for the layer kinds npconv has.
- **legacy Keras 2** ``.h5``, whole model (``model.save("x.h5")``: weights under
  ``model_weights``, the architecture in the ``model_config`` attribute) or weights only
  (Keras 2's ``save_weights("x.h5")``: at the root). The ``layer_names`` attribute lists the
  layers in model order, each layer's group has a ``weight_names`` attribute listing its
  datasets in ``trainable + non_trainable`` order.

How layers are matched: if the layers that hold weights have the same names in the file and in
the model, by name; otherwise by position — for Keras 3 files by Keras's per-class key (the
``n``-th ``Conv2D`` with the ``n``-th ``Conv2D``, which is how Keras itself loads them), for
legacy files by order among the layers that hold weights (as Keras does). Layers without
weights (pooling, dropout, flatten) do not count. Within a layer, arrays go in Keras's order —
``BatchNormalization``: gamma, beta, moving_mean, moving_variance.

Safety, because a weights file often comes from a stranger: every dataset's shape and dtype is
compared with the model's weight before a byte of it is read (a file claiming a
``(10**9, 10**9)`` kernel is refused, not allocated); only integer and float datasets and
string attributes are accepted, judged by their HDF5 type class; only hard links are followed
(no soft or external links to other files), and datasets stored in external files, virtual
datasets, chunks bigger than their data and compression filters other than HDF5's built-in
ones are refused; the number of layers and names a file lists is capped
(``npconv.io.limits``). Every shape is checked and every array read before any weight changes,
so a failed load leaves the model as it was. Problems raise ``ModelFileError`` naming the file,
the layer and both shapes.

The HDF5 format itself is parsed by libhdf5 (through h5py), C code that trusts some of what a
file says: fuzzing this module with damaged Keras files found libhdf5 crashing on a damaged
string type and looping forever on a damaged global heap. Both are now caught in Python before
libhdf5 gets to them (``_Reader._is_string``, ``check_global_heaps``), and a fuzzing run of
20,000 damaged files then ended in ``ModelFileError`` or a successful load every time; but
libhdf5 is not npconv's to fix, and for files from sources you do not trust at all, loading in
a separate process with a time limit is the only complete protection.

h5py is an optional dependency (``pip install "npconv[h5]"``), imported only when a Keras file
is actually read.
"""

from __future__ import annotations

import io
import json
import math
import mmap
import os
from dataclasses import dataclass

import numpy as np

from . import limits
from .errors import ModelFileError, staged
from .safe_zip import SafeZip

__all__ = [
    "load_weights_h5",
    "load_keras_file",
    "load_keras_model",
    "load_model_h5",
    "is_keras_archive",
    "loader_for",
]

HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
ZIP_MAGIC = b"PK\x03\x04"
INSTALL_HINT = 'pip install "npconv[h5]"'

#: HDF5's built-in filters: deflate, shuffle, fletcher32, szip, nbit, scaleoffset, and lzf
#: (which h5py ships). Any other filter id would make HDF5 look for a plugin library to load.
SAFE_FILTERS = frozenset({1, 2, 3, 4, 5, 6, 32000})

#: Numeric dtype kinds a weight may be stored in (signed, unsigned, float).
NUMERIC_KINDS = frozenset("iuf")


def _h5py():
    """h5py, imported on first use (it is an optional extra)."""
    try:
        import h5py
    except ImportError as e:
        raise ImportError(
            "Reading Keras HDF5 files (.h5, .weights.h5, and the weights inside a Keras .keras "
            f"file) needs h5py, an optional dependency of npconv: {INSTALL_HINT}"
        ) from e
    return h5py


# ----------------------------------------------------------------------------- entry points
def load_weights_h5(model, path):
    """Load a Keras HDF5 weights file — Keras 3 ``.weights.h5`` or a legacy Keras 2 ``.h5``
    (whole model or weights only) — into ``model`` (built, with the same layers holding weights
    in the same order). Nothing changes unless every weight fits. Raises ``ModelFileError``
    (naming the file, the layer and both shapes), ``ImportError`` without h5py."""
    path = os.fspath(path)
    with open(path, "rb") as f:
        head = f.read(len(HDF5_MAGIC))
    if head != HDF5_MAGIC:
        hint = ""
        if head.startswith(ZIP_MAGIC):
            hint = " It is a zip: an npconv weights file or a Keras .keras file?"
        raise ModelFileError(
            path,
            "not an HDF5 file: it does not begin with HDF5's signature (\\x89HDF\\r\\n\\x1a\\n), "
            "so it is not a Keras .h5/.weights.h5 file (or it is damaged)." + hint,
        )
    _Reader(_h5py(), path, "").load(model, path)


def load_keras_file(model, path):
    """Load the weights of a real Keras 3 ``.keras`` file (its ``model.weights.h5`` member,
    read in memory, never extracted) into ``model``. Same matching and checks as
    ``load_weights_h5``."""
    path = os.fspath(path)
    h5py = _h5py()
    data = _keras_weights_member(path)
    _Reader(h5py, path, "model.weights.h5: ").load(model, io.BytesIO(data))


def _rebuild(path, what, config, nbytes):
    """The model of a Keras ``config``, whose layers may create at most ``nbytes`` bytes of
    weights in all (the bytes of weights the file can hold): a config claiming a
    ``Dense(10**6)`` on a 10**6-wide input fails before allocating 4 TB."""
    from .architecture import WeightBudget

    budget = WeightBudget(nbytes)
    try:
        return staged(path, what, lambda: _model_from_keras_config(config, budget))
    finally:
        budget.release()


def is_keras_archive(path) -> bool:
    """Whether ``path`` is a real Keras 3 ``.keras`` zip (it holds ``model.weights.h5`` and its
    ``metadata.json`` does not name npconv's format). Needs no h5py; a damaged zip is not one
    (npconv's own reader then reports what is wrong with it)."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            if f.read(len(ZIP_MAGIC)) != ZIP_MAGIC:
                return False
            with SafeZip(f, path) as zf:
                if "model.weights.h5" not in zf:
                    return False
                if "metadata.json" not in zf:
                    return True
                metadata = _json_member(zf, path, "metadata.json")
                return metadata.get("format") != "npconv.model"
    except (ModelFileError, OSError):
        return False


def loader_for(path):
    """The function that loads ``path`` into a model when it is a Keras file that npconv's own
    reader cannot take, else ``None``. Used by ``npconv.io.load_weights`` (HDF5 files, found by
    their signature, go straight to ``load_weights_h5``):

    - a real Keras ``.keras`` zip -> ``load_keras_file``;
    - a file named ``.h5``/``.hdf5`` that is neither HDF5 nor a zip -> ``load_weights_h5``,
      which says clearly that it is not HDF5 (npconv's own ``.weights.h5`` files are zips).
    """
    path = os.fspath(path)
    if is_keras_archive(path):
        return load_keras_file
    if path.endswith((".h5", ".hdf5")):
        with open(path, "rb") as f:
            head = f.read(len(HDF5_MAGIC))
        if not head.startswith(ZIP_MAGIC):
            return load_weights_h5
    return None


# ----------------------------------------------------------------------------- the .keras zip
def _keras_weights_member(path):
    with open(path, "rb") as f:
        if f.read(len(ZIP_MAGIC)) != ZIP_MAGIC:
            raise ModelFileError(path, "not a zip file, so not a Keras .keras file")
        with SafeZip(f, path) as zf:
            if "metadata.json" in zf:
                metadata = _json_member(zf, path, "metadata.json")
                if metadata.get("format") == "npconv.model":
                    raise ModelFileError(
                        path,
                        "this is an npconv model file, not a Keras one: load it with "
                        "model.load_weights(path) or npconv.models.load_model(path)",
                    )
            if "model.weights.h5" not in zf:
                raise ModelFileError(path, "no model.weights.h5 member: not a Keras 3 .keras file")
            return zf.read("model.weights.h5", limit=limits.MAX_TOTAL_BYTES)


def _json_member(zf, path, name):
    data = zf.read(name, limit=limits.MAX_JSON_BYTES)
    try:
        obj = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError) as e:
        raise ModelFileError(path, f"{name} is not valid JSON ({e})") from e
    if not isinstance(obj, dict):
        raise ModelFileError(path, f"{name} must hold a JSON object, not {type(obj).__name__}")
    return obj


def _open_h5(h5py, source, path, where=""):
    """``h5py.File(source)`` once its global heaps have passed ``check_global_heaps``."""
    if isinstance(source, io.BytesIO):
        check_global_heaps(source.getvalue(), path, where)
    else:
        with open(source, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size:
                with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as view:
                    check_global_heaps(view, path, where)
    try:
        return h5py.File(source, "r")
    except Exception as e:  # h5py raises OSError and others on damaged input
        raise ModelFileError(path, f"{where}not a readable HDF5 file ({_describe(e)})") from e


def check_global_heaps(buffer, path, where=""):
    """Refuse a file whose HDF5 global heap collections are malformed, before libhdf5 sees it.

    Variable-length strings — every name list in a Keras file — live in global heap
    collections (``GCOL``). libhdf5 walks a collection's objects trusting their sizes: an
    object of size 0 makes it loop forever, one running past the collection makes it read out
    of bounds (found by fuzzing npconv's loader; see also h5py issue 2088, whose maintainers
    leave such bugs to libhdf5). This walks every collection the same way, in Python, and
    requires each object to advance and to end inside its collection, and the collection to
    lie inside the file.
    """
    data = buffer  # bytes or an mmap: both slice to bytes and have find()
    size = len(data)
    lengths = _length_size(data)
    header = 8 + lengths  # "GCOL", version, 3 reserved, collection size
    object_header = 8 + lengths  # index, references, 4 reserved, object size
    start = data.find(b"GCOL\x01\x00\x00\x00")
    while start != -1:
        end = start + int.from_bytes(data[start + 8 : start + 8 + lengths], "little")
        if end > size or end - start < header:
            raise ModelFileError(
                path,
                f"{where}damaged HDF5 global heap at byte {start} (it claims to end at "
                f"byte {end} of {size})",
            )
        p = start + header
        while p < end:
            if p + object_header > end:
                break  # too small for an object: libhdf5 takes it as free space
            index = int.from_bytes(data[p : p + 2], "little")
            length = int.from_bytes(data[p + 8 : p + 8 + lengths], "little")
            need = object_header + -(-length // 8) * 8 if index else length
            if need <= 0 or p + need > end:
                raise ModelFileError(
                    path,
                    f"{where}damaged HDF5 global heap at byte {start}: object {index} at "
                    f"byte {p} declares size {length}, which is empty or runs past the end of "
                    "its collection",
                )
            p += need
        start = data.find(b"GCOL\x01\x00\x00\x00", start + 4)


def _length_size(data):
    """The "size of lengths" the HDF5 superblock declares (8 in practice)."""
    if len(data) > 14 and data[:8] == HDF5_MAGIC:
        version = data[8]
        lengths = data[14] if version in (0, 1) else data[10] if version in (2, 3) else 8
        if lengths in (2, 4, 8):
            return lengths
    return 8


# ----------------------------------------------------------------------------- reading
@dataclass
class _Slot:
    """One model weight and the dataset that will fill it."""

    variable: object
    layer: str  # the npconv layer's name (outer/inner for nested models)
    file_layer: str  # the layer's name (or key) in the file
    dataset: object  # h5py.Dataset, checked
    source: str  # the dataset's path in the file


@dataclass
class _FileLayer:
    """A layer of the file that holds weights: its key or name and where its arrays are."""

    key: str  # Keras 3: the per-class key; legacy: the layer name
    name: str  # the layer's name as Keras saved it
    group: object  # Keras 3: the layer's group; legacy: the layer's weights group
    count: int  # number of arrays (for a nested Keras 3 model: in all its layers)
    weight_names: list  # legacy only


class _Reader:
    """Plans which dataset fills which weight, checks them all, then assigns."""

    def __init__(self, h5py, path, where):
        self.h5py, self.path, self.where = h5py, path, where
        self.visited = 0

    def error(self, problem):
        return ModelFileError(self.path, self.where + problem)

    # the plan
    def load(self, model, source):
        """Read ``source`` (a path or a file object) into ``model``: plan, check and read
        everything, then assign. HDF5 raises many kinds of error on a damaged file (OSError,
        KeyError, RuntimeError, ...) from any access; all become ``ModelFileError``."""
        _check_built(model, self.path)
        variables, arrays = self.guarded(lambda: self._plan_and_read(model, source))
        for var, array in zip(variables, arrays):
            var.assign(array)

    def guarded(self, step):
        try:
            return step()
        except ModelFileError:
            raise
        except Exception as e:
            raise self.error(f"damaged or unreadable HDF5 content ({_describe(e)})") from e

    def _plan_and_read(self, model, source):
        with _open_h5(self.h5py, source, self.path, self.where) as f:
            slots = self._plan(model, f)
            arrays = [self._read(slot) for slot in slots]  # all read before anything changes
        return [slot.variable for slot in slots], arrays

    def _plan(self, model, f):
        if "model_weights" in f and self._has_layer_names(self._group(f, "model_weights")):
            slots = self._plan_legacy(model, self._group(f, "model_weights"), "model_weights/")
        elif self._has_layer_names(f):
            slots = self._plan_legacy(model, f, "")
        elif "layers" in f:
            slots = self._plan_keras3(model, self._group(f, "layers"), "layers/", depth=0)
        else:
            raise self.error(
                "an HDF5 file, but not Keras weights: it has neither a 'layers' group (Keras 3 "
                ".weights.h5) nor a 'layer_names' attribute (legacy Keras .h5)"
            )
        return slots

    def _has_layer_names(self, group):
        return "layer_names" in group.attrs or "layer_names0" in group.attrs

    def _plan_keras3(self, container, layers_group, prefix, depth):
        if depth > limits.MAX_MODEL_DEPTH:
            raise self.error(f"{prefix}: models nested deeper than {limits.MAX_MODEL_DEPTH}")
        file_layers = self._keras3_layers(layers_group, prefix, depth)
        model_layers = _weighted_layers(container)
        pairs = self._match(container, model_layers, file_layers, by_key=True)
        slots = []
        for layer, _, entry in pairs:
            where = f"{prefix}{entry.key}/"
            if _is_model(layer):
                sub = self._group(entry.group, "layers", where)
                slots += self._plan_keras3(layer, sub, where + "layers/", depth + 1)
                continue
            variables = _keras3_variables(layer)
            vars_group = self._group(entry.group, "vars", where)
            if entry.count != len(variables):
                raise self.error(
                    f"layer '{layer.name}' ({type(layer).__name__}) has {len(variables)} weights "
                    f"in the model, but the file's '{where}vars' (layer '{entry.name}') holds "
                    f"{entry.count} arrays"
                )
            for i, var in enumerate(variables):
                source = f"{where}vars/{i}"
                slots.append(self._slot(var, layer.name, entry.name, vars_group, str(i), source))
        return slots

    def _keras3_layers(self, layers_group, prefix, depth):
        """The file's layers (under ``layers_group``) that hold arrays."""
        if len(layers_group) > limits.MAX_MEMBERS:
            raise self.error(f"{prefix}: {len(layers_group)} layers (at most {limits.MAX_MEMBERS})")
        out = []
        for key in layers_group:
            group = self._group(layers_group, key, prefix)
            count = self._keras3_count(group, f"{prefix}{key}/", depth)
            if count:
                name = key
                if "vars" in group:
                    name = self._string_attr(self._group(group, "vars"), "name") or key
                out.append(_FileLayer(key, name, group, count, []))
        return out

    def _keras3_count(self, group, where, depth):
        """How many arrays a Keras 3 layer group holds, its nested layers included."""
        self.visited += 1
        if self.visited > limits.MAX_MEMBERS or depth > limits.MAX_MODEL_DEPTH:
            raise self.error(f"{where}: too many or too deeply nested layers")
        count = 0
        if "vars" in group:
            count += len(self._group(group, "vars", where))
        if "layers" in group:
            sub = self._group(group, "layers", where)
            for key in sub:
                count += self._keras3_count(
                    self._group(sub, key, where), f"{where}layers/{key}/", depth + 1
                )
        return count

    def _plan_legacy(self, model, root, prefix):
        names = self._strings_attr(root, "layer_names", prefix or "/")
        file_layers = []
        for name in names:
            group = self._group(root, name, prefix)
            weight_names = self._strings_attr(group, "weight_names", f"{prefix}{name}")
            if weight_names:
                file_layers.append(_FileLayer(name, name, group, len(weight_names), weight_names))
        model_layers = _weighted_layers(model)
        slots = []
        for layer, _, entry in self._match(model, model_layers, file_layers, by_key=False):
            # trainable then non-trainable: Keras's legacy order (for nested models too)
            variables = layer.trainable_weights + layer.non_trainable_weights
            if entry.count != len(variables):
                raise self.error(
                    f"layer '{layer.name}' ({type(layer).__name__}) has {len(variables)} weights "
                    f"in the model, but the file's layer '{entry.name}' holds {entry.count} "
                    f"({', '.join(entry.weight_names)})"
                )
            for var, weight_name in zip(variables, entry.weight_names):
                source = f"{prefix}{entry.name}/{weight_name}"
                slots.append(
                    self._slot(var, layer.name, entry.name, entry.group, weight_name, source)
                )
        return slots

    def _match(self, model, model_layers, file_layers, by_key):
        """Pair the model's layers holding weights with the file's: by name when both have
        the same names, else by Keras 3 key or (legacy) by order."""
        model_names = [layer.name for layer, _ in model_layers]
        file_names = [e.name for e in file_layers]
        if len(set(model_names)) == len(model_names) and sorted(model_names) == sorted(file_names):
            by_name = {e.name: e for e in file_layers}
            return [(layer, key, by_name[layer.name]) for layer, key in model_layers]
        if by_key:
            by_k = {e.key: e for e in file_layers}
            if sorted(by_k) == sorted(key for _, key in model_layers):
                return [(layer, key, by_k[key]) for layer, key in model_layers]
        elif len(model_layers) == len(file_layers):
            return [(layer, key, e) for (layer, key), e in zip(model_layers, file_layers)]
        ours = ", ".join(
            f"'{layer.name}' ({type(layer).__name__}" + (f", key '{key}')" if by_key else ")")
            for layer, key in model_layers
        )
        theirs = ", ".join(
            f"'{e.name}'" + (f" (key '{e.key}', {e.count} arrays)" if by_key else f" ({e.count})")
            for e in file_layers
        )
        how = "by name or by Keras's per-class key" if by_key else "by name or by order"
        raise self.error(
            f"the file holds weights for {len(file_layers)} layers [{theirs}], model "
            f"'{model.name}' has {len(model_layers)} layers with weights [{ours}]; they cannot "
            f"be matched {how}. Build the same architecture as the model that was saved"
        )

    # checks on what the file says, before reading
    def _slot(self, var, layer, file_layer, group, name, source):
        """The dataset ``group/name`` checked against model weight ``var``: its declared shape
        first (a file can declare any shape; nothing is read), then how it is stored."""
        obj = self._get(group, name, source)
        if not isinstance(obj, self.h5py.Dataset):
            raise self.error(f"'{source}' is not a dataset")
        shape, expected = obj.shape, tuple(var.data.shape)
        if shape is None:
            raise self.error(f"'{source}' is an empty (null) dataset")
        if shape != expected:
            raise self.error(
                f"layer '{layer}': weight '{var.name}' has shape {_fmt(expected)} in the model, "
                f"but the file's '{source}' (layer '{file_layer}') has shape {_fmt(shape)}"
            )
        self._check_storage(obj, source)
        return _Slot(var, layer, file_layer, obj, source)

    def _check_storage(self, obj, source):
        """Numbers only, stored in this file, in chunks no bigger than the data, with HDF5's
        own filters only."""
        shape = obj.shape
        h5t = self.h5py.h5t
        if (
            obj.id.get_type().get_class() not in (h5t.INTEGER, h5t.FLOAT)
            or obj.dtype.kind not in NUMERIC_KINDS
            or obj.dtype.fields is not None
        ):
            raise self.error(f"'{source}' holds {obj.dtype}, not numbers")
        if obj.is_virtual or obj.external:
            raise self.error(
                f"'{source}' keeps its data outside this file (external or virtual dataset); "
                "refused"
            )
        if obj.chunks is not None:
            chunk = math.prod(obj.chunks) * obj.dtype.itemsize
            if chunk > max(math.prod(shape) * obj.dtype.itemsize, 2**20):
                raise self.error(
                    f"'{source}' is stored in chunks of {chunk} bytes, more than the data it "
                    "holds; refused (reading it would allocate the whole chunk)"
                )
        plist = obj.id.get_create_plist()
        for i in range(plist.get_nfilters()):
            code = plist.get_filter(i)[0]
            if code not in SAFE_FILTERS:
                raise self.error(
                    f"'{source}' uses HDF5 filter {code}, which is not built into HDF5; refused "
                    "(it would load a plugin library)"
                )

    def _read(self, slot):
        try:
            array = np.asarray(slot.dataset[()])
        except Exception as e:
            raise self.error(f"cannot read '{slot.source}' ({_describe(e)})") from e
        if array.shape != tuple(slot.variable.data.shape):  # the dataset changed under us
            raise self.error(f"'{slot.source}' did not read as the shape it declared")
        return array

    # navigation: hard links only, one path component at a time
    def _get(self, group, name, where):
        parts = name.split("/")
        if not name or any(p in ("", ".") for p in parts):
            raise self.error(f"'{where}': {name!r} is not a plain relative HDF5 path")
        obj = group
        for part in parts:
            if not isinstance(obj, self.h5py.Group):
                raise self.error(f"'{where}': {part!r} is looked up in something not a group")
            try:
                link = obj.get(part, getlink=True)
            except Exception as e:
                raise self.error(f"'{where}': cannot read {part!r} ({_describe(e)})") from e
            if link is None:
                raise self.error(f"'{where}' is missing from the file")
            if not isinstance(link, self.h5py.HardLink):
                raise self.error(
                    f"'{where}' is a {type(link).__name__}; only hard links are followed (a "
                    "soft or external link could point anywhere)"
                )
            try:
                obj = obj[part]
            except Exception as e:
                raise self.error(f"'{where}': cannot open {part!r} ({_describe(e)})") from e
        return obj

    def _group(self, group, name, where=""):
        obj = self._get(group, name, f"{where}{name}")
        if not isinstance(obj, self.h5py.Group):
            raise self.error(f"'{where}{name}' is not a group")
        return obj

    def _strings_attr(self, obj, name, where):
        """A list-of-strings attribute (Keras 2 splits long ones into ``name0``, ``name1``,
        ...), its size checked before it is read."""
        if name in obj.attrs:
            return self._read_strings(obj, name, where)
        out, chunk = [], 0
        while f"{name}{chunk}" in obj.attrs and chunk < limits.MAX_MEMBERS:
            out += self._read_strings(obj, f"{name}{chunk}", where)
            chunk += 1
        if chunk == 0 and name == "layer_names":
            raise self.error(f"'{where}' has no 'layer_names' attribute")
        return out

    def _read_strings(self, obj, name, where):
        attr = obj.attrs.get_id(name)
        size = math.prod(attr.shape) if attr.shape is not None else 0
        if size == 0:
            return []
        if size > limits.MAX_MEMBERS:
            raise self.error(f"'{where}': attribute {name!r} lists {size} names; refused")
        if not self._is_string(attr):
            raise self.error(f"'{where}': attribute {name!r} holds {attr.dtype}, not names")
        value = self._attr_value(obj, name, where)
        items = [value] if np.ndim(value) == 0 else list(np.asarray(value).ravel())
        return [_text(item) for item in items]

    def _string_attr(self, obj, name):
        if name not in obj.attrs:
            return None
        attr = obj.attrs.get_id(name)
        if attr.shape != () or not self._is_string(attr):
            return None
        return _text(self._attr_value(obj, name, ""))

    def _is_string(self, attr):
        """Whether an attribute's HDF5 type really is a string. Checked on the HDF5 type, not
        on h5py's dtype: a damaged string type can read as a variable-length sequence of
        garbage (dtype ``object`` too), and reading that crashes libhdf5."""
        return attr.get_type().get_class() == self.h5py.h5t.STRING

    def _attr_value(self, obj, name, where):
        try:
            return obj.attrs[name]
        except Exception as e:
            raise self.error(f"'{where}': cannot read attribute {name!r} ({_describe(e)})") from e


# ----------------------------------------------------------------------------- the model side
def _check_built(model, path):
    if not getattr(model, "built", True) and not model.weights:
        raise ModelFileError(
            path,
            f"model '{model.name}' has no weights yet: build it first (give its first layer an "
            "input_shape, or call model.build(input_shape)), then load the weights",
        )


def _is_model(layer):
    from ..models import Model

    return isinstance(layer, Model)


def _keras_class_name(layer):
    """The class name Keras's saving code sees: ``Model(inputs, outputs)`` is a
    ``Functional`` in Keras."""
    if _is_model(layer) and layer.model_kind == "functional":
        from ..models import Sequential

        if not isinstance(layer, Sequential):
            return "Functional"
    return type(layer).__name__


def _weighted_layers(container):
    """``(layer, key)`` for the layers of ``container`` that hold weights, in model order;
    ``key`` is Keras 3's per-class saving key (counted over all layers, as Keras does)."""
    from .._naming import to_snake_case
    from .keras_config import keras_layers

    used, out = {}, []
    for layer in keras_layers(container):  # Keras's order, which its keys and files follow
        base = to_snake_case(_keras_class_name(layer))
        if base in used:
            used[base] += 1
            key = f"{base}_{used[base]}"
        else:
            used[base] = 0
            key = base
        if layer.weights:
            out.append((layer, key))
    return out


def _keras3_variables(layer):
    """A layer's variables in Keras 3's saving order: those created trainable, then the others
    (``_trainable_variables + _non_trainable_variables``), whatever freezing did since."""
    variables = layer.variables
    first = [v for v in variables if getattr(v, "layer_trainable", v.trainable)]
    return first + [v for v in variables if not getattr(v, "layer_trainable", v.trainable)]


# ----------------------------------------------------------------------------- rebuilding models
def load_keras_model(path):
    """Rebuild the model of a real Keras 3 ``.keras`` file from its ``config.json`` and load
    its weights — for ``Sequential`` and functional models made of layer kinds npconv has.

    Nothing named in the file is executed or imported: class names are looked up in npconv's
    own layers, and an unknown class (a custom layer) is refused; a ``Lambda`` layer's Python
    lambda is refused unless the user opts out of safe mode (``npconv.layers.Lambda``). A setting
    npconv does not implement (``groups > 1``, ``renorm``, a quantized layer, ...) is refused
    rather than dropped, so the rebuilt model computes what Keras's does. The model is returned
    uncompiled."""
    path = os.fspath(path)
    _h5py()
    with open(path, "rb") as f, SafeZip(f, path) as zf:
        if "config.json" not in zf:
            raise ModelFileError(path, "no config.json member: not a Keras 3 .keras file")
        config = _json_member(zf, path, "config.json")
    data = _keras_weights_member(path)
    model = _rebuild(path, "config.json: cannot rebuild the model", config, len(data))
    _Reader(_h5py(), path, "model.weights.h5: ").load(model, io.BytesIO(data))
    return model


def load_model_h5(path, custom_objects=None, compile=True):
    """Rebuild a model saved as a legacy whole-model ``.h5`` (by Keras, or by npconv's
    ``model.save("x.h5")``) from its ``model_config`` attribute and load its weights; what
    ``npconv.models.load_model("x.h5")`` calls. Same rules as ``load_keras_model``. With
    ``compile=True`` and a ``training_config`` attribute, the model is compiled as it was
    (optimizer, loss, metrics, loss weights, looked up by name in npconv's registries and
    ``custom_objects``); the optimizer starts afresh (Keras 3 does not restore a legacy file's
    optimizer state either). A setting npconv cannot rebuild is a ``ModelFileError`` that says
    to pass ``compile=False``."""
    path = os.fspath(path)
    h5py = _h5py()
    reader = _Reader(h5py, path, "")

    def read_attrs():
        with _open_h5(h5py, path, path) as f:
            if "model_config" not in f.attrs:
                raise ModelFileError(
                    path,
                    "this HDF5 file holds weights only (no 'model_config' attribute): build the "
                    "model in code, then call model.load_weights(path)",
                )
            model_config = _json_attr(reader, f, "model_config", path)
            training = None
            if compile and "training_config" in f.attrs:
                training = _json_attr(reader, f, "training_config", path)
            return model_config, training

    config, training = reader.guarded(read_attrs)
    # Keras stores weights uncompressed: they fit in the file (a compressed file from another
    # tool can be loaded into a model built in code, with model.load_weights)
    model = _rebuild(path, "model_config: cannot rebuild the model", config,
                     os.path.getsize(path))
    reader.load(model, path)
    if training is not None:
        staged(
            path,
            "training_config: cannot compile the model (pass compile=False to load it "
            "uncompiled)",
            lambda: _compile_from_training_config(model, training, custom_objects or {}),
        )
    return model


def _json_attr(reader, f, name, path):
    """A JSON string attribute, its size checked before it is read."""
    attr = f.attrs.get_id(name)
    if attr.shape != () or not reader._is_string(attr):
        raise ModelFileError(path, f"the {name!r} attribute is not a string")
    if attr.dtype.kind == "S" and attr.dtype.itemsize > limits.MAX_JSON_BYTES:
        raise ModelFileError(path, f"the {name!r} attribute is too long")
    text = _text(reader._attr_value(f, name, "/"))
    if len(text) > limits.MAX_JSON_BYTES:
        raise ModelFileError(path, f"the {name!r} attribute is too long")
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as e:
        raise ModelFileError(path, f"{name} is not valid JSON ({e})") from e
    if not isinstance(value, dict):
        raise ModelFileError(path, f"{name} must hold a JSON object, not {type(value).__name__}")
    return value


def _compile_from_training_config(model, config, custom_objects):
    """``model.compile`` from Keras's ``training_config`` (``compile_args_from_training_config``
    in Keras): strings stay names for ``compile`` to look up; ``{"class_name", "config"}``
    objects are rebuilt from npconv's registries or ``custom_objects``, never imported."""
    from .. import optimizers
    from .compile_config import _loss, _metric

    def each(value, one):
        if value is None:
            return None
        if isinstance(value, str):
            return value
        if isinstance(value, dict) and "class_name" in value:
            return one(value, custom_objects)
        if isinstance(value, list):
            return [each(v, one) for v in value]
        if isinstance(value, dict):
            return {str(k): each(v, one) for k, v in value.items()}
        raise ValueError(f"cannot read {value!r}")

    optimizer_config = config.get("optimizer_config")
    if not isinstance(optimizer_config, dict):
        raise ValueError("no 'optimizer_config' object")
    optimizer = optimizers.deserialize(optimizer_config, custom_objects=custom_objects)
    loss = each(config.get("loss"), _loss)
    metrics = each(config.get("metrics"), _metric)
    weights = config.get("loss_weights")
    if weights is not None and not isinstance(weights, (list, dict, int, float)):
        raise ValueError(f"loss_weights {weights!r}")
    if isinstance(weights, (int, float)):
        weights = [weights]
    model.compile(optimizer=optimizer, loss=loss, metrics=metrics, loss_weights=weights)


#: Keras config keys that npconv's layers do not take, with the values under which dropping
#: them changes nothing (``ANY``: any value is harmless). Any other value is refused.
ANY = object()
_IGNORED = {
    "dtype": ANY,  # a DTypePolicy; npconv computes in float32
    "groups": 1,
    "synchronized": False,
    "renorm": False,
    "renorm_clipping": None,
    "renorm_momentum": ANY,
    "quantization_config": None,
    "lora_rank": None,
    "lora_alpha": None,
    "sparse": False,
    "ragged": False,
    "optional": False,
    "seed": ANY,  # Dropout's seed; npconv's draws come from its own generator
    "noise_shape": None,
}


def _model_from_keras_config(config, budget=None, depth=0):
    from ..layers import Input
    from ..models import Model, Sequential

    if not isinstance(config, dict):
        raise ValueError("the model config is not a JSON object")
    kind, body = config.get("class_name"), config.get("config")
    if not isinstance(body, dict):
        raise ValueError("the model config has no 'config' object")
    if kind == "Sequential":
        model = Sequential(name=_name(body.get("name")))
        for item in _items(body.get("layers")):
            if item.get("class_name") == "InputLayer":
                cfg = item.get("config") or {}
                shape = cfg.get("batch_shape") or cfg.get("batch_input_shape")
                model.add(Input(batch_shape=_shape(shape), name=_name(cfg.get("name"))))
            else:
                model.add(_layer_from_keras(item, budget, depth))
        return model
    if kind in ("Functional", "Model"):
        tensors, functional = {}, set()
        for item in _items(body.get("layers")):
            name = _name(item.get("name") or (item.get("config") or {}).get("name"))
            if item.get("class_name") == "InputLayer":
                cfg = item.get("config") or {}
                shape = cfg.get("batch_shape") or cfg.get("batch_input_shape")
                tensors[name] = Input(batch_shape=_shape(shape), name=name)
                continue
            layer = _layer_from_keras(item, budget, depth)
            nodes = item.get("inbound_nodes")
            if not isinstance(nodes, list) or len(nodes) != 1:
                raise ValueError(f"layer '{name}': only layers called once are supported")
            tensors[name] = layer(_node_inputs(nodes[0], tensors, name, functional))
            if item.get("class_name") in ("Functional", "Model"):
                functional.add(name)

        def tensor(entry):
            source = _history(entry, functional)
            if source not in tensors:
                raise ValueError(f"model input or output from unknown layer {source!r}")
            return tensors[source]

        inputs = [tensor(x) for x in _items(body.get("input_layers"), pairs=True)]
        outputs = [tensor(x) for x in _items(body.get("output_layers"), pairs=True)]
        return Model(
            inputs[0] if len(inputs) == 1 else inputs,
            outputs[0] if len(outputs) == 1 else outputs,
            name=_name(body.get("name")),
        )
    raise ValueError(f"model class {kind!r} is not rebuilt (Sequential and Functional are)")


def _items(value, pairs=False):
    if pairs and isinstance(value, list) and value and not isinstance(value[0], list):
        value = [value]  # a single ["name", 0, 0]
    if not isinstance(value, list):
        raise ValueError("expected a list in the model config")
    return value


def _history(entry, functional=()):
    """The layer name of ``[name, node index, tensor index]``. A nested functional model's
    first call is its node 1 (its own graph is node 0); any other index is a shared layer."""
    if not (isinstance(entry, list) and len(entry) == 3 and isinstance(entry[0], str)):
        raise ValueError(f"malformed layer reference {entry!r}")
    first_call = 1 if entry[0] in functional else 0
    if entry[1:] != [first_call, 0]:
        raise ValueError(f"layer reference {entry!r}: shared layers are not supported")
    return entry[0]


def _node_inputs(node, tensors, name, functional=()):
    kwargs = node.get("kwargs") if isinstance(node, dict) else None
    # Keras records training=False for its noise layers' calls: the default, safe to drop
    if not isinstance(node, dict) or any(
        not (key == "mask" and value is None or key == "training" and value in (None, False))
        for key, value in (kwargs or {}).items()
    ):
        raise ValueError(f"layer '{name}': call arguments other than its inputs ({kwargs!r})")
    args = node.get("args")
    if not isinstance(args, list) or len(args) != 1:
        raise ValueError(f"layer '{name}': expected one positional input")
    arg = args[0]

    def tensor(t):
        if not (isinstance(t, dict) and t.get("class_name") == "__keras_tensor__"):
            raise ValueError(f"layer '{name}': an input that is not a tensor")
        source = _history((t.get("config") or {}).get("keras_history"), functional)
        if source not in tensors:
            raise ValueError(f"layer '{name}': input from unknown layer '{source}'")
        return tensors[source]

    return [tensor(t) for t in arg] if isinstance(arg, list) else tensor(arg)


def _layer_from_keras(item, budget=None, depth=0):
    from .. import layers as npconv_layers

    if not isinstance(item, dict):
        raise ValueError("a layer config is not a JSON object")
    class_name, cfg = item.get("class_name"), item.get("config")
    if class_name in ("Sequential", "Functional", "Model"):
        if depth >= limits.MAX_MODEL_DEPTH:
            raise ValueError(f"models nested more than {limits.MAX_MODEL_DEPTH} deep")
        return _model_from_keras_config(item, budget, depth + 1)
    known = {
        name: obj
        for name, obj in vars(npconv_layers).items()
        if isinstance(obj, type) and issubclass(obj, npconv_layers.Layer)
    }
    module = item.get("module")
    if (
        not isinstance(class_name, str)
        or class_name not in known
        or class_name in ("Layer", "InputLayer")
        or (module is not None and module != "keras.layers")
        or item.get("registered_name") not in (None, class_name)
    ):
        raise ValueError(
            f"layer class {class_name!r} (module {module!r}) is not one npconv rebuilds; "
            "build the model in code and use model.load_weights(path)"
        )
    if not isinstance(cfg, dict):
        raise ValueError(f"{class_name}: config is not a JSON object")
    cfg = dict(cfg)
    for key, harmless in _IGNORED.items():
        if key in cfg and not (key == "groups" and class_name == "GroupNormalization"):
            value = cfg.pop(key)
            if harmless is not ANY and value != harmless:
                raise ValueError(
                    f"{class_name} '{cfg.get('name')}': {key}={value!r} is not supported by npconv"
                )
    activation = cfg.get("activation")
    if activation is not None and not isinstance(activation, str):
        raise ValueError(f"{class_name} '{cfg.get('name')}': activation {activation!r}")
    layer = known[class_name].from_config(cfg)
    if budget is not None:
        budget.guard(layer)
    return layer


def _name(value):
    if value is not None and not isinstance(value, str):
        raise ValueError(f"a name must be a string, got {value!r}")
    return value


def _shape(value):
    if not isinstance(value, list) or not all(d is None or type(d) is int for d in value):
        raise ValueError(f"malformed input shape {value!r}")
    return tuple(value)


# ----------------------------------------------------------------------------- small helpers
def _text(value):
    if isinstance(value, bytes | np.bytes_):
        return bytes(value).decode("utf-8", "replace")
    return str(value)


def _describe(e):
    text = str(e)
    return f"{type(e).__name__}: {text}" if text else type(e).__name__


def _fmt(shape):
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def model_from_keras_config(config):
    """The model described by a Keras model config (``{"class_name": "Sequential" |
    "Functional", "config": ...}``, as real Keras's ``model.to_json()`` writes), freshly
    initialized; what ``npconv.models.model_from_json`` calls for Keras's JSON. Same rules as
    ``load_keras_model``: npconv's layers only, unsupported settings refused."""
    return _model_from_keras_config(config)
