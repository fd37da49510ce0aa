"""``export_onnx``: write an npconv model as an ONNX graph, for inference in other runtimes.

Why: a model trained with npconv should run where NumPy-the-trainer is not wanted — in
onnxruntime on a server, in a browser, on a phone, in C++ — without a rewrite. ONNX is the
common format those runtimes read. ``model.export(path, format="onnx")`` (Keras 3's method) and
``npconv.io.export_onnx(model, path)`` both land here. ``onnx`` is an optional extra
(``pip install "npconv[onnx]"``), imported only when a model is exported.

What is exported: the model's inference computation (``predict``, ``training=False``), so
``Dropout``, ``SpatialDropout*``, noise layers and DropConnect are identities, and
``BatchNormalization`` uses its moving statistics (folded into one ``Mul`` and one ``Add``, on
whatever axis it normalizes). Weights become float32 initializers; the graph is float32.

Layout. The exported model reads and returns data in the npconv model's own layout
(``channels_last``: NHWC, NWC, NDHWC, unless a layer says ``channels_first``), with a dynamic
batch axis named ``batch``. ONNX's ``Conv`` and pooling want channels first, so the exporter
tracks, for every value in the graph, how its ONNX array is permuted from the Keras tensor it
stands for, and inserts a ``Transpose`` only where an operation needs another order: one
NHWC->NCHW ``Transpose`` before the first convolution and one back before the first layer that
needs Keras's order (``Flatten``, ``Dense``, ``Reshape``, an output). Layers that do not care
(activations, batch normalization, padding, dropout, merges, concatenation) run in whatever
order their input has, with their axis renumbered; ``Permute`` only changes the bookkeeping, and
its ``Transpose`` is emitted, fused with any other, where Keras's order is next needed. So the
tutorial models get exactly two ``Transpose`` nodes, and ``Flatten`` sees the channels-last
order Keras flattens.

Operations, per layer (see ``_HANDLERS``): ``Conv`` (kernel ``(*k, in/groups, out)`` ->
``(out, in/groups, *k)``; strides, dilations, groups; ``'same'`` as explicit TensorFlow pads,
the odd one at the end, computed from the known input size — ``auto_pad=SAME_UPPER``, the same
rule, where a size is unknown; ``'causal'`` as left pads), ``MaxPool`` / ``AveragePool``
(``count_include_pad=0``: npconv averages only real inputs), ``GlobalMaxPool`` /
``GlobalAveragePool``, stochastic pooling's inference form ``sum(p^2) / sum(p)`` with
``p = relu(x)`` from two ``AveragePool`` s, ``Gemm`` (rank-2 ``Dense``) or ``MatMul`` + ``Add``,
``Flatten``, ``Reshape`` (batch axis copied, so any batch size runs), ``Pad``, elementwise
merges as chains of binary nodes in npconv's order (so the float32 sums round the same),
``Concat``, and every Keras activation by name: ``Relu``, ``Clip`` (relu6), ``Sigmoid``,
``Tanh``, ``Softmax`` / ``LogSoftmax`` (on the renumbered axis; opset 13's single-axis form),
``LeakyRelu``, ``Elu``, ``Selu``, ``Softplus``, ``Softsign``, ``HardSigmoid`` with Keras 3's
slope 1/6 and offset 0.5, ``x * HardSigmoid(x)`` (hard swish), ``x * Sigmoid(x)`` (swish),
``Exp``, and exact GELU as ``0.5 x (1 + erf(x / sqrt 2))``.

Refused with ``NotImplementedError`` naming the layer: layers this module does not know
(custom layers, or known layers whose ``call`` a subclass replaced), custom activation
callables, subclassed models without a functional graph.

The file is written atomically (``npconv.io.atomic``): a failed export leaves an existing file
as it was.
"""

from __future__ import annotations

import math
import os

import numpy as np

from .atomic import atomic_write

__all__ = ["export_onnx", "to_onnx", "DEFAULT_OPSET", "MIN_OPSET"]

DEFAULT_OPSET = 17
# 13: Softmax/LogSoftmax on one axis (Keras's meaning), Clip/Pad bounds as inputs
MIN_OPSET = 13

_INSTALL_HINT = 'pip install "npconv[onnx]"'


def _import_onnx():
    """``onnx`` or an ImportError that says how to install it (it is an optional extra)."""
    try:
        import onnx
        from onnx import helper, numpy_helper  # noqa: F401 - fail here if the install is broken
    except ImportError as e:
        raise ImportError(
            f"Exporting to ONNX needs the 'onnx' package, which is not installed: {_INSTALL_HINT}"
        ) from e
    return onnx


# ----------------------------------------------------------------------------------- public
def to_onnx(model, opset=DEFAULT_OPSET):
    """The ``onnx.ModelProto`` for ``model`` (Sequential or functional, built), checked by
    ``onnx.checker``, without writing a file."""
    onnx = _import_onnx()
    from onnx import helper

    opset = _check_opset(onnx, opset)
    _check_model(model)
    b = _Builder(onnx)
    inputs, in_infos = [], []
    for name, shape in _model_inputs(model):
        name = b.reserve(name)
        inputs.append(_Value(name, _identity(len(shape)), tuple(shape)))
        in_infos.append(_tensor_info(helper, onnx, name, shape))
    outs = _emit(b, model, inputs if len(inputs) > 1 else inputs[0])
    outs = outs if isinstance(outs, list) else [outs]
    out_infos = []
    for layer_name, value in zip(_output_names(model, len(outs)), outs):
        value = b.to_perm(value, _identity(len(value.shape)))
        name = b.reserve(layer_name)
        b.node("Identity", [value.name], outputs=[name], where=layer_name)
        out_infos.append(_tensor_info(helper, onnx, name, value.shape))
    graph = helper.make_graph(
        b.nodes,
        _safe(model.name) or "npconv_model",
        in_infos,
        out_infos,
        initializer=b.initializers,
    )
    opsets = [helper.make_opsetid("", opset)]
    proto = helper.make_model(
        graph,
        opset_imports=opsets,
        producer_name="npconv",
        producer_version=_npconv_version(),
        doc_string=f"npconv model '{model.name}' exported for inference (channels_last I/O)",
    )
    # the oldest IR version that carries this opset: readable by the most runtimes
    proto.ir_version = helper.find_min_ir_version_for(opsets)
    onnx.checker.check_model(proto)
    return proto


def export_onnx(model, path, opset=DEFAULT_OPSET):
    """Write ``model`` to ``path`` as ONNX (opset ``opset``, 13 or newer) and return the
    ``onnx.ModelProto``.

    The exported model takes and returns arrays in the npconv model's layout (channels_last
    unless its layers say otherwise) with any batch size; its outputs are ``model.predict``'s.
    Its inputs are named after the model's ``Input`` layers (``input`` for a Sequential model
    without one) and its outputs after the layers that produce them. A layer that cannot be
    expressed in ONNX raises ``NotImplementedError`` naming it, before anything is written;
    the write itself is atomic.
    """
    proto = to_onnx(model, opset=opset)
    data = proto.SerializeToString()
    with atomic_write(os.fspath(path)) as f:
        f.write(data)
    return proto


# ------------------------------------------------------------------------------ the model
def _check_opset(onnx, opset):
    newest = onnx.defs.onnx_opset_version()
    if isinstance(opset, bool) or not isinstance(opset, (int, np.integer)):
        raise TypeError(f"opset must be an int, got {opset!r}")
    if not MIN_OPSET <= int(opset) <= newest:
        raise ValueError(
            f"opset must be between {MIN_OPSET} and {newest} (the newest this onnx "
            f"{onnx.__version__} knows), got {opset}"
        )
    return int(opset)


def _check_model(model):
    from ..models.model import Model
    from ..models.sequential import Sequential

    if not isinstance(model, Model):
        raise TypeError(f"export_onnx expects an npconv Model or Sequential, got {model!r}")
    if not isinstance(model, Sequential) and model.model_kind != "functional":
        _refuse_subclassed(model)
    if not model.built:
        raise ValueError(
            f"Model '{model.name}' is not built, so its input shape is unknown: give its first "
            "layer input_shape=..., start it with Input(...), call build((None, ...)) or run it "
            "on data before exporting"
        )


def _model_inputs(model):
    """``(name, keras shape)`` per model input."""
    from ..models.sequential import Sequential

    if isinstance(model, Sequential):
        name = model.input_layer.name if model.input_layer is not None else "input"
        return [(name, tuple(model.built_input_shape))]
    return [(t.node.layer.name, tuple(t.shape)) for t in model.inputs]


def _output_names(model, n):
    from ..models.sequential import Sequential

    if isinstance(model, Sequential):
        names = [model.layers[-1].name if model.layers else "output"]
    else:
        names = [t.node.layer.name for t in model.outputs]
    return names if len(names) == n else [f"output_{i}" for i in range(n)]


def _emit(b, model, inputs):
    """Emit ``model``'s graph (recursively for nested models) on ``inputs``; its outputs."""
    from ..models.model import Model
    from ..models.sequential import Sequential

    if isinstance(model, Sequential) and type(model).call is Sequential.call:
        x = inputs
        for layer in model.layers:
            x = _emit_layer(b, layer, x)
        return x
    if getattr(model, "model_kind", None) == "functional" and type(model).call is Model.call:
        xs = inputs if isinstance(inputs, list) else [inputs]
        if len(xs) != len(model.inputs):
            raise ValueError(
                f"Model '{model.name}' has {len(model.inputs)} inputs, called on {len(xs)}"
            )
        return model.walk_graph(xs, lambda node, args: _emit_layer(b, node.layer, args))
    _refuse_subclassed(model)


def _refuse_subclassed(model):
    raise NotImplementedError(
        f"ONNX export does not support {type(model).__name__} '{model.name}': a subclassed "
        "model's call() is Python code, not a graph; rebuild it as Sequential or "
        "Model(inputs, outputs)"
    )


def _emit_layer(b, layer, x):
    from ..models.model import Model

    if isinstance(layer, Model):
        return _emit(b, layer, x)
    handler = _handler_for(layer)
    b.where = layer.name
    if isinstance(x, list):
        if handler not in _MERGE_HANDLERS:
            raise NotImplementedError(
                f"ONNX export: {type(layer).__name__} '{layer.name}' was called on a list of "
                f"{len(x)} tensors, which only merging layers take"
            )
    elif handler in _MERGE_HANDLERS:
        raise ValueError(f"{type(layer).__name__} '{layer.name}' needs a list of inputs")
    return handler(b, layer, x)


def _handler_for(layer):
    """The handler of the nearest known class of ``layer``, if the layer still computes what
    that class computes (a subclass that replaced ``call`` is a custom layer)."""
    for cls in type(layer).__mro__:
        handler = _handlers().get(cls)
        if handler is not None:
            if getattr(type(layer), "call", None) is not getattr(cls, "call", None):
                break
            return handler
    known = sorted({c.__name__ for c in _handlers()})
    raise NotImplementedError(
        f"ONNX export does not support layer '{layer.name}' ({type(layer).__name__}); "
        f"supported layers: {', '.join(known)}"
    )


# ----------------------------------------------------------------------------- the builder
class _Value:
    """One tensor of the Keras model as it lives in the ONNX graph.

    ``name`` is the ONNX value; ``shape`` is the Keras shape (batch ``None``); ``perm`` says how
    the ONNX array is laid out: ``onnx_array = keras_tensor.transpose(perm)``, i.e. ONNX axis
    ``i`` holds Keras axis ``perm[i]``.
    """

    __slots__ = ("name", "perm", "shape")

    def __init__(self, name, perm, shape):
        self.name, self.perm, self.shape = name, tuple(perm), tuple(shape)

    def onnx_axis(self, keras_axis):
        return self.perm.index(keras_axis % len(self.shape))

    def like(self, name, shape=None):
        return _Value(name, self.perm, self.shape if shape is None else shape)


class _Builder:
    """Collects nodes and initializers, and hands out unique value names."""

    def __init__(self, onnx):
        from onnx import helper, numpy_helper

        self.onnx, self.helper, self.numpy_helper = onnx, helper, numpy_helper
        self.nodes, self.initializers = [], []
        self._names, self._consts = set(), {}
        self.where = "graph"

    def reserve(self, base):
        base = _safe(base) or "value"
        name, i = base, 1
        while name in self._names:
            name, i = f"{base}_{i}", i + 1
        self._names.add(name)
        return name

    def node(self, op, inputs, outputs=None, where=None, **attrs):
        """Add ``op``; returns its (first) output name."""
        where = where or self.where
        outputs = outputs or [self.reserve(f"{where}/{op}")]
        self.nodes.append(
            self.helper.make_node(
                op, list(inputs), list(outputs), name=self.reserve(f"{where}/{op}_node"), **attrs
            )
        )
        return outputs[0]

    def const(self, array, base, key=None, dtype=np.float32):
        """An initializer holding ``array`` (cached under ``key``: a shared layer's weights
        are stored once)."""
        if key is not None and key in self._consts:
            return self._consts[key]
        name = self.reserve(f"{self.where}/{base}")
        arr = np.ascontiguousarray(np.asarray(array, dtype=dtype))
        self.initializers.append(self.numpy_helper.from_array(arr, name))
        if key is not None:
            self._consts[key] = name
        return name

    def scalar(self, value):
        key = ("scalar", float(value))
        if key not in self._consts:
            self._consts[key] = self.const(np.float32(value), f"const_{_fmt(value)}")
        return self._consts[key]

    def ints(self, values, base):
        return self.const(np.asarray(values, dtype=np.int64), base, dtype=np.int64)

    def to_perm(self, value, perm):
        """``value`` laid out as ``perm`` (a ``Transpose`` unless it already is)."""
        perm = tuple(perm)
        if value.perm == perm:
            return value
        t = [value.perm.index(a) for a in perm]
        name = self.node("Transpose", [value.name], perm=t)
        return _Value(name, perm, value.shape)


def _identity(rank):
    return tuple(range(rank))


def _channels_first_perm(rank, data_format):
    """The layout ONNX's Conv/Pool want for a Keras tensor in ``data_format``: N, C, spatial."""
    if data_format == "channels_first":
        return _identity(rank)
    return (0, rank - 1, *range(1, rank - 1))


def _safe(name):
    return "".join(c if c.isalnum() or c in "_-./:" else "_" for c in str(name))


def _fmt(value):
    return repr(float(value)).replace("-", "m").replace(".", "p")


def _tensor_info(helper, onnx, name, shape):
    dims = ["batch", *[None if d is None else int(d) for d in shape[1:]]]
    return helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, dims)


def _npconv_version():
    from .. import __version__

    return __version__


def _weight(variable):
    return np.asarray(variable.data, dtype=np.float32)


# ------------------------------------------------------------------------------ activations
def _activation(b, fn, x, layer):
    """Emit the Keras activation ``fn`` (a function from ``npconv.activations``) on ``x``."""
    from .. import activations

    name = activations.serialize(fn)
    try:
        known = activations.get(name) is fn
    except ValueError:
        known = False
    emit = _ACTIVATIONS.get(name) if known else None
    if emit is None:
        raise NotImplementedError(
            f"ONNX export does not support the activation {name!r} of "
            f"{type(layer).__name__} '{layer.name}': only Keras's named activations "
            f"({', '.join(sorted(_ACTIVATIONS))}) can be exported"
        )
    return emit(b, x)


def _unary(op, **attrs):
    def emit(b, x):
        return x.like(b.node(op, [x.name], **attrs))

    return emit


def _softmax(op):
    def emit(b, x):
        return x.like(b.node(op, [x.name], axis=x.onnx_axis(-1)))

    return emit


def _clip(b, x, low, high):
    return x.like(b.node("Clip", [x.name, b.scalar(low), b.scalar(high)]))


def _times_gate(gate_op, **attrs):
    """``x * gate(x)``: swish (``Sigmoid``) and hard swish (``HardSigmoid``)."""

    def emit(b, x):
        gate = b.node(gate_op, [x.name], **attrs)
        return x.like(b.node("Mul", [x.name, gate]))

    return emit


def _gelu(b, x):
    """Exact GELU, ``x * 0.5 * (1 + erf(x / sqrt(2)))``, in npconv's order of operations."""
    t = b.node("Mul", [x.name, b.scalar(1.0 / math.sqrt(2.0))])
    t = b.node("Erf", [t])
    t = b.node("Add", [t, b.scalar(1.0)])
    t = b.node("Mul", [t, b.scalar(0.5)])
    return x.like(b.node("Mul", [x.name, t]))


def _linear(b, x):
    return x


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946

_ACTIVATIONS = {
    "linear": _linear,
    "relu": _unary("Relu"),
    "relu6": lambda b, x: _clip(b, x, 0.0, 6.0),
    "sigmoid": _unary("Sigmoid"),
    "tanh": _unary("Tanh"),
    "softmax": _softmax("Softmax"),
    "log_softmax": _softmax("LogSoftmax"),
    "leaky_relu": _unary("LeakyRelu", alpha=0.2),  # the function's default slope
    "elu": _unary("Elu", alpha=1.0),
    "selu": _unary("Selu", alpha=_SELU_ALPHA, gamma=_SELU_SCALE),
    "gelu": _gelu,
    "softplus": _unary("Softplus"),
    "softsign": _unary("Softsign"),
    "silu": _times_gate("Sigmoid"),
    "swish": _times_gate("Sigmoid"),
    # Keras 3's hard sigmoid: relu6(x + 3) / 6 = clip(x / 6 + 0.5, 0, 1) (Keras 2's was 0.2 x)
    "hard_sigmoid": _unary("HardSigmoid", alpha=1.0 / 6.0, beta=0.5),
    "hard_silu": _times_gate("HardSigmoid", alpha=1.0 / 6.0, beta=0.5),
    "hard_swish": _times_gate("HardSigmoid", alpha=1.0 / 6.0, beta=0.5),
    "exponential": _unary("Exp"),
}


def _relu(b, x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Keras 3's ``relu`` with its options, as npconv computes it (``functions.activations``)."""
    s, cap, t = float(negative_slope), max_value, float(threshold)
    if cap is None and t == 0.0:
        if s == 0.0:
            return x.like(b.node("Relu", [x.name]))
        if s <= 1.0:  # max(x, s x) is LeakyRelu for slopes up to 1
            return x.like(b.node("LeakyRelu", [x.name], alpha=s))
        sx = b.node("Mul", [x.name, b.scalar(s)])
        return x.like(b.node("Max", [x.name, sx]))
    if t != 0.0:  # x * (x > t): not clipped at 0 unless there is a cap (Keras's rule)
        y = b.node("Where", [b.node("Greater", [x.name, b.scalar(t)]), x.name, b.scalar(0.0)])
    else:
        y = b.node("Relu", [x.name])
    if cap is not None:
        y = b.node("Clip", [y, b.scalar(0.0), b.scalar(float(cap))])
    if s != 0.0:
        neg = b.node("Relu", [b.node("Sub", [b.scalar(t), x.name])])
        y = b.node("Sub", [y, b.node("Mul", [neg, b.scalar(s)])])
    return x.like(y)


# ----------------------------------------------------------------------------- the layers
def _conv(b, layer, x):
    r = layer.rank
    perm = _channels_first_perm(r + 2, layer.data_format)
    x = b.to_perm(x, perm)
    kernel = _weight(layer.kernel).transpose(r + 1, r, *range(r))  # (out, in/groups, *k)
    inputs = [x.name, b.const(kernel, "kernel", key=(id(layer), "kernel"))]
    if layer.bias is not None:
        inputs.append(b.const(_weight(layer.bias), "bias", key=(id(layer), "bias")))
    attrs = _window_attrs(layer, x, layer.kernel_size, layer.dilation_rate)
    y = b.node(
        "Conv",
        inputs,
        kernel_shape=list(layer.kernel_size),
        strides=list(layer.strides),
        dilations=list(layer.dilation_rate),
        group=int(layer.groups),
        **attrs,
    )
    out = _Value(y, perm, layer.compute_output_shape(x.shape))
    return _activation(b, layer.activation, out, layer)


def _spatial(x, data_format):
    return x.shape[2:] if data_format == "channels_first" else x.shape[1:-1]


def _window_attrs(layer, x, kernel, dilation=None):
    """``pads`` (begins, then ends) for a window op, TensorFlow's ``'same'`` split included."""
    from ..functions.padding import spatial_pads

    r = len(kernel)
    dilation = tuple(dilation or (1,) * r)
    if layer.padding == "valid":
        return {"pads": [0] * (2 * r)}
    if layer.padding == "causal":
        spans = [(k - 1) * d for k, d in zip(kernel, dilation)]
        return {"pads": [*spans, *([0] * r)]}
    spatial = _spatial(x, layer.data_format)
    if any(n is None for n in spatial):  # ONNX's SAME_UPPER is TensorFlow's rule
        return {"auto_pad": "SAME_UPPER"}
    pads = spatial_pads(spatial, kernel, "same", layer.strides, dilation)
    return {"pads": [p[0] for p in pads] + [p[1] for p in pads]}


def _pool(op, **extra):
    def emit(b, layer, x):
        perm = _channels_first_perm(layer.rank + 2, layer.data_format)
        x = b.to_perm(x, perm)
        y = b.node(
            op,
            [x.name],
            kernel_shape=list(layer.pool_size),
            strides=list(layer.strides),
            **_window_attrs(layer, x, layer.pool_size),
            **extra,
        )
        return _Value(y, perm, layer.compute_output_shape(x.shape))

    return emit


def _stochastic_pool(b, layer, x):
    """Inference form of stochastic pooling: ``sum(p^2) / sum(p)`` per window with
    ``p = relu(x)``, 0 where the window sums to 0. Both sums are taken as averages over the
    same real inputs, whose counts cancel."""
    perm = _channels_first_perm(layer.rank + 2, layer.data_format)
    x = b.to_perm(x, perm)
    attrs = dict(
        kernel_shape=list(layer.pool_size),
        strides=list(layer.strides),
        count_include_pad=0,
        **_window_attrs(layer, x, layer.pool_size),
    )
    p = b.node("Relu", [x.name])
    s = b.node("AveragePool", [p], **attrs)
    q = b.node("AveragePool", [b.node("Mul", [p, p])], **attrs)
    ratio = b.node("Div", [q, s])
    y = b.node("Where", [b.node("Greater", [s, b.scalar(0.0)]), ratio, b.scalar(0.0)])
    return _Value(y, perm, layer.compute_output_shape(x.shape))


def _global_pool(op):
    def emit(b, layer, x):
        perm = _channels_first_perm(layer.rank + 2, layer.data_format)
        x = b.to_perm(x, perm)
        y = b.node(op, [x.name])  # (N, C, 1, ...)
        shape = layer.compute_output_shape(x.shape)
        if layer.keepdims:
            return _Value(y, perm, shape)
        return _Value(b.node("Flatten", [y], axis=1), (0, 1), shape)

    return emit


def _dense(b, layer, x):
    x = b.to_perm(x, _identity(len(x.shape)))
    kernel = b.const(_weight(layer.kernel), "kernel", key=(id(layer), "kernel"))
    bias = None
    if layer.bias is not None:
        bias = b.const(_weight(layer.bias), "bias", key=(id(layer), "bias"))
    if len(x.shape) == 2:
        y = b.node("Gemm", [x.name, kernel] + ([bias] if bias else []))
    else:
        y = b.node("MatMul", [x.name, kernel])
        if bias:
            y = b.node("Add", [y, bias])
    out = _Value(y, _identity(len(x.shape)), layer.compute_output_shape(x.shape))
    return _activation(b, layer.activation, out, layer)


def _activation_layer(b, layer, x):
    return _activation(b, layer.activation, x, layer)


def _relu_layer(b, layer, x):
    return _relu(b, x, layer.negative_slope, layer.max_value, layer.threshold)


def _leaky_relu_layer(b, layer, x):
    return _relu(b, x, negative_slope=layer.negative_slope)


def _elu_layer(b, layer, x):
    return x.like(b.node("Elu", [x.name], alpha=float(layer.alpha)))


def _softmax_layer(b, layer, x):
    axis = layer.axis
    if isinstance(axis, (list, tuple)):
        if len(axis) != 1:
            raise NotImplementedError(
                f"ONNX export: Softmax '{layer.name}' over several axes {tuple(axis)} has no "
                "single ONNX Softmax node"
            )
        axis = axis[0]
    return x.like(b.node("Softmax", [x.name], axis=x.onnx_axis(int(axis))))


def _identity_layer(b, layer, x):
    return x


def _flatten(b, layer, x):
    rank = len(x.shape)
    if layer.data_format == "channels_first" and rank > 2:  # Keras flattens channels last
        x = b.to_perm(x, (0, *range(2, rank), 1))
    else:
        x = b.to_perm(x, _identity(rank))
    y = b.node("Flatten", [x.name], axis=1)
    return _Value(y, (0, 1), layer.compute_output_shape(x.shape))


def _reshape(b, layer, x):
    x = b.to_perm(x, _identity(len(x.shape)))
    shape = b.ints([0, *layer.target_shape], "shape")  # 0: copy the batch size
    out = layer.compute_output_shape(x.shape)
    return _Value(b.node("Reshape", [x.name, shape]), _identity(len(out)), out)


def _permute(b, layer, x):
    """No node: only the bookkeeping changes (ONNX axis ``i`` still holds the same data, which
    is now Keras axis ``inverse(dims)[perm[i]]``); a ``Transpose`` follows where needed."""
    dims = (0, *layer.dims)
    inverse = [dims.index(a) for a in range(len(dims))]
    perm = tuple(inverse[a] for a in x.perm)
    return _Value(x.name, perm, layer.compute_output_shape(x.shape))


def _zero_padding(b, layer, x):
    width = layer.pad_width()  # Keras axes
    per_axis = [width[a] for a in x.perm]  # ONNX axes
    pads = b.ints([p[0] for p in per_axis] + [p[1] for p in per_axis], "pads")
    y = b.node("Pad", [x.name, pads], mode="constant")
    return x.like(y, layer.compute_output_shape(x.shape))


def _batch_norm(b, layer, x):
    """Folded, exactly as npconv's ``BatchNormInference`` computes it in float32:
    ``x * scale + shift``, ``scale = gamma / sqrt(var + eps)``, ``shift = beta - mean * scale``."""
    var = _weight(layer.moving_variance) + np.float32(layer.epsilon)
    inv = np.reciprocal(np.sqrt(var))
    scale = inv if layer.gamma is None else inv * _weight(layer.gamma)
    shift = -_weight(layer.moving_mean) * scale
    if layer.beta is not None:
        shift += _weight(layer.beta)
    axis = x.onnx_axis(layer.axis % len(x.shape))
    bshape = [1] * len(x.shape)
    bshape[axis] = -1
    perm_key = (id(layer), x.perm)
    s = b.const(scale.reshape(bshape), "scale", key=(*perm_key, "scale"))
    t = b.const(shift.reshape(bshape), "shift", key=(*perm_key, "shift"))
    return x.like(b.node("Add", [b.node("Mul", [x.name, s]), t]))


def _merge(op, divide=False):
    """Elementwise merges as a left fold of binary nodes (npconv's ``reduce``), so float32
    rounding matches; all inputs first brought to the first input's layout."""

    def emit(b, layer, xs):
        first = xs[0]
        names = [b.to_perm(v, first.perm).name for v in xs]
        y = names[0]
        for name in names[1:]:
            y = b.node(op, [y, name])
        if divide:
            y = b.node("Div", [y, b.scalar(float(len(xs)))])
        shapes = [v.shape for v in xs]
        return first.like(y, layer.compute_output_shape(shapes))

    return emit


def _concatenate(b, layer, xs):
    first = xs[0]
    names = [b.to_perm(v, first.perm).name for v in xs]
    shapes = [v.shape for v in xs]
    y = b.node("Concat", names, axis=first.onnx_axis(layer.axis))
    return first.like(y, layer.compute_output_shape(shapes))


_HANDLER_TABLE = None
_MERGE_HANDLERS = set()


def _handlers():
    """Layer class -> handler (built on first use: the layers import after this module)."""
    global _HANDLER_TABLE
    if _HANDLER_TABLE is not None:
        return _HANDLER_TABLE
    from ..layers import activation_layers as act
    from ..layers import convolutional as conv
    from ..layers import core, merging, normalization, pooling
    from ..layers.input_layer import InputLayer

    merges = {
        merging.Add: _merge("Add"),
        merging.Subtract: _merge("Sub"),
        merging.Multiply: _merge("Mul"),
        merging.Maximum: _merge("Max"),
        merging.Minimum: _merge("Min"),
        merging.Average: _merge("Add", divide=True),
        merging.Concatenate: _concatenate,
    }
    table = {
        InputLayer: _identity_layer,
        conv.BaseConv: _conv,
        conv.BaseZeroPadding: _zero_padding,
        core.Dense: _dense,
        core.DropConnectDense: _dense,  # inference uses the whole kernel
        core.Activation: _activation_layer,
        core.Flatten: _flatten,
        core.Reshape: _reshape,
        core.Permute: _permute,
        core.Dropout: _identity_layer,  # and SpatialDropout1D/2D/3D: identities at inference
        normalization.BatchNormalization: _batch_norm,
        act.ReLU: _relu_layer,
        act.LeakyReLU: _leaky_relu_layer,
        act.ELU: _elu_layer,
        act.Softmax: _softmax_layer,
        **merges,
    }
    pools = {
        "MaxPooling": _pool("MaxPool"),
        "AveragePooling": _pool("AveragePool", count_include_pad=0),
        "StochasticPooling": _stochastic_pool,
        "GlobalMaxPooling": _global_pool("GlobalMaxPool"),
        "GlobalAveragePooling": _global_pool("GlobalAveragePool"),
    }
    for kind, handler in pools.items():  # the public classes; the per-kind bases are private
        for rank in (1, 2, 3):
            table[getattr(pooling, f"{kind}{rank}D")] = handler
    # identities at inference in Keras, exported as such if npconv grows them
    from .. import layers

    for name in ("GaussianNoise", "GaussianDropout", "AlphaDropout", "ActivityRegularization"):
        cls = getattr(layers, name, None)
        if cls is not None:
            table.setdefault(cls, _identity_layer)
    _MERGE_HANDLERS.update(merges.values())
    _HANDLER_TABLE = table
    return table
