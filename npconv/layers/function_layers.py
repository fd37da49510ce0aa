"""``Lambda`` (wrap an expression as a layer) and ``Identity`` (pass the input through).

Saving a ``Lambda`` follows Keras 3's format. A *named* function is stored by module and name
(``{"module": ..., "class_name": "function", "config": "my_fn"}``) and found again, on load, in
the ``custom_objects`` given to ``load_model`` (or registered with
``npconv.io.register_custom_object``), among npconv's side-effect-free functions
(``npconv.activations``, ``npconv.ops``, ``npconv.functions``; an activation also by its bare
name, as Keras writes ``relu``), or among the functions defined in the running program's
``__main__``. Nothing else is imported or reached because a file names it, unless safe mode is
off (then the named module is imported, as Keras does).

A Python ``lambda`` has no name to look up, so, as Keras does, its bytecode is stored
(``marshal``, base64) with its defaults and closure values. Loading bytecode runs code chosen by
whoever wrote the file, so it is refused by default with an error that says how to opt in:
``load_model(path, safe_mode=False)`` for one load, or
``npconv.config.enable_unsafe_deserialization()`` for the process. Bytecode only loads in the
Python version that wrote it.
"""

from __future__ import annotations

import base64
import binascii
import importlib
import inspect
import json
import marshal
import sys
import types

from .. import config as npconv_config
from ..autograd import Tensor, no_grad
from ..backend import xp
from .base import Layer

LAMBDA = "__lambda__"
# npconv's modules of side-effect-free functions, which a file may name in safe mode (not,
# say, npconv.io, whose functions write files: a file could pass them its own arguments)
_PURE_MODULES = (["npconv", "activations"], ["npconv", "ops"], ["npconv", "functions"])
UNSAFE_MESSAGE = (
    "Lambda '{name}': the file stores its {what} as a Python lambda (bytecode). Loading it "
    "would run code from the file, so it is refused by default. If you trust the file, load it "
    "with npconv.models.load_model(path, safe_mode=False), or call "
    "npconv.config.enable_unsafe_deserialization() first. Better: give the function a name "
    "(def ...) and pass it to load_model(..., custom_objects={{'name': function}})"
)


class Identity(Layer):
    """Returns its input unchanged (a placeholder, or a named tap in a functional graph)."""

    def call(self, inputs, training=False):
        return inputs


class Lambda(Layer):
    """Applies ``function(inputs, **arguments)``.

    ``function`` receives the layer's input (a Tensor, or a list of Tensors) and must use
    differentiable operations (Tensor arithmetic, ``npconv.ops``, ``npconv.backend`` as ``K``)
    for gradients to flow. ``output_shape``: the output shape without the batch axis, or a
    function of the input shape (batch included) returning the full output shape; when
    ``None``, it is found by running ``function`` on a small zero input. ``mask`` is accepted
    for Keras compatibility (npconv has no masking). If ``function`` takes ``training``, it
    receives whether the call is a training one.
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Lambda '{self.name}': function must be callable, got {function!r}")
        self.function = function
        self.arguments = dict(arguments or {})
        self.mask = mask
        if isinstance(output_shape, list) and all(
                d is None or isinstance(d, int) for d in output_shape):
            output_shape = tuple(output_shape)
        self._output_shape = output_shape
        try:
            params = inspect.signature(function).parameters
        except (TypeError, ValueError):
            params = {}
        self._takes_training = "training" in params

    def call(self, inputs, training=False):
        kwargs = dict(self.arguments)
        if self._takes_training:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_output_shape(self, input_shape):
        if callable(self._output_shape):
            return tuple(self._output_shape(input_shape))
        if self._output_shape is not None:
            batch = input_shape[0][0] if isinstance(input_shape, list) else input_shape[0]
            return (batch, *self._output_shape)
        return self._infer_output_shape(input_shape)

    def _infer_output_shape(self, input_shape):
        """Run the function on zeros of the input's shape (batch 2, unknown sizes 1)."""
        shapes = input_shape if isinstance(input_shape, list) else [input_shape]
        probes = [Tensor(xp.zeros((2, *[1 if d is None else d for d in s[1:]]),
                                  dtype=self.dtype)) for s in shapes]
        try:
            with no_grad(), xp.errstate(all="ignore"):  # zeros may divide by zero: harmless
                out = self.call(probes if isinstance(input_shape, list) else probes[0])
        except Exception as e:
            raise ValueError(
                f"Lambda '{self.name}': could not infer the output shape by running the "
                f"function on an input of shape {input_shape} ({type(e).__name__}: {e}); "
                "pass output_shape=..."
            ) from e
        shape = tuple(int(d) for d in getattr(out, "shape", ()))
        if not shape:
            return shape
        unknown = any(d is None for s in shapes for d in s[1:])
        return (None, *[None if unknown else d for d in shape[1:]])

    # config
    def get_config(self):
        config = {"function": self._function_config(self.function, "function")}
        if self._output_shape is not None:
            config["output_shape"] = (
                self._function_config(self._output_shape, "output_shape")
                if callable(self._output_shape) else list(self._output_shape)
            )
        if self.mask is not None:
            config["mask"] = (self._function_config(self.mask, "mask") if callable(self.mask)
                              else self.mask)
        config["arguments"] = self.arguments
        try:
            json.dumps(self.arguments)
        except TypeError as e:
            raise ValueError(
                f"Lambda '{self.name}': arguments must be JSON values to be saved ({e})"
            ) from None
        return {**super().get_config(), **config}

    def _function_config(self, fn, what):
        if isinstance(fn, types.FunctionType) and fn.__name__ == "<lambda>":
            defaults = fn.__defaults__
            closure = (None if not fn.__closure__
                       else [c.cell_contents for c in fn.__closure__])
            try:
                json.dumps([defaults, closure])
            except TypeError:
                raise ValueError(
                    f"Lambda '{self.name}': cannot save a Python lambda whose defaults or "
                    "captured variables are not plain values (numbers, strings, lists); "
                    "define a named function instead and pass it in custom_objects when loading"
                ) from None
            code = base64.b64encode(marshal.dumps(fn.__code__)).decode("ascii")
            return {"class_name": LAMBDA,
                    "config": {"code": code, "defaults": defaults, "closure": closure}}
        name = getattr(fn, "__name__", None)
        if not callable(fn) or not isinstance(name, str):
            raise ValueError(
                f"Lambda '{self.name}': cannot save its {what} {fn!r}: only named functions "
                "and Python lambdas can be saved"
            )
        return {"module": getattr(fn, "__module__", None), "class_name": "function",
                "config": name, "registered_name": "function"}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        name = config.get("name", "lambda")
        config["function"] = _load_function(config.get("function"), name, "function")
        shape = config.get("output_shape")
        if isinstance(shape, dict):
            config["output_shape"] = _load_function(shape, name, "output_shape")
        mask = config.get("mask")
        if isinstance(mask, dict):
            config["mask"] = _load_function(mask, name, "mask")
        return cls(**config)


def _load_function(entry, layer_name, what):
    if callable(entry):
        return entry
    if not isinstance(entry, dict):
        raise ValueError(f"Lambda '{layer_name}': its {what} entry must be an object, got "
                         f"{type(entry).__name__}")
    if entry.get("class_name") == LAMBDA:
        if npconv_config.in_safe_mode():
            raise ValueError(UNSAFE_MESSAGE.format(name=layer_name, what=what))
        return _load_lambda(entry.get("config") or {}, layer_name)
    fn_name, module = entry.get("config"), entry.get("module")
    if not isinstance(fn_name, str):
        raise ValueError(f"Lambda '{layer_name}': its {what} has no function name")
    fn = _find_named(fn_name, module)
    if fn is None:
        raise ValueError(
            f"Lambda '{layer_name}': its {what} is the function '{fn_name}' (module "
            f"{module!r}), which npconv does not know: pass it to load_model(..., "
            f"custom_objects={{'{fn_name}': {fn_name}}})"
        )
    return fn


def _find_named(name, module):
    from ..io import custom_objects

    found = custom_objects.lookup(name)
    if found is not None:
        return found
    if isinstance(module, str) and module.split(".")[:2] in _PURE_MODULES:
        try:
            found = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError):
            found = None
        if isinstance(found, types.FunctionType):
            return found
    from .. import activations

    try:
        return activations.get(name)
    except (ValueError, TypeError, KeyError):
        pass
    main = sys.modules.get("__main__")
    candidate = getattr(main, name, None)
    if isinstance(candidate, types.FunctionType) and candidate.__module__ == "__main__":
        return candidate
    if not npconv_config.in_safe_mode() and isinstance(module, str):
        try:
            return getattr(importlib.import_module(module), name, None)
        except ImportError:
            return None
    return None


def _lambda_globals():
    import numpy

    import npconv

    main = sys.modules.get("__main__")
    names = dict(vars(main)) if main is not None else {}
    names.setdefault("npconv", npconv)
    names.setdefault("K", npconv.backend)
    names.setdefault("np", numpy)
    names["__builtins__"] = __builtins__
    return names


def _load_lambda(entry, layer_name):
    try:
        raw = base64.b64decode(entry["code"].encode("ascii"))
        code = marshal.loads(raw)
    except (KeyError, AttributeError, binascii.Error, ValueError, EOFError, TypeError) as e:
        raise ValueError(
            f"Lambda '{layer_name}': cannot read the stored lambda's bytecode ({e}); bytecode "
            f"only loads in the Python version that wrote it (this is Python "
            f"{sys.version_info.major}.{sys.version_info.minor})"
        ) from None
    if not isinstance(code, types.CodeType):
        raise ValueError(f"Lambda '{layer_name}': the stored lambda is not a code object")
    defaults = entry.get("defaults")
    closure = entry.get("closure")
    cells = None if closure is None else tuple(types.CellType(v) for v in closure)
    try:
        return types.FunctionType(code, _lambda_globals(), code.co_name,
                                  None if defaults is None else tuple(defaults), cells)
    except (TypeError, ValueError) as e:
        raise ValueError(f"Lambda '{layer_name}': cannot rebuild the stored lambda ({e})") from None
