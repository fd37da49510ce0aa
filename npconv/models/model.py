"""``Model``: layers composed into a graph, with the training methods of ``Trainer``.

Two ways to make one, as in Keras:

- functional: ``Model(inputs, outputs)`` where ``inputs`` come from ``Input(...)`` and
  ``outputs`` from calling layers on them (shared layers, several inputs and outputs allowed);
- subclassing: a ``Model`` subclass that creates layers in ``__init__`` and uses them in
  ``call``.

``Sequential`` (in ``sequential.py``) is the linear special case.
"""

from __future__ import annotations

from ..layers.base import (
    Layer,
    format_shape,
    resolve_training,
    trace_output_shape,
    training_context,
)
from ..layers.input_layer import InputLayer
from ..layers.symbolic import KerasTensor
from ..training.data import adjust_input_rank, cast_floats, nest_indices, nest_values
from ..training.trainer import Trainer
from .fusion import Call, conv_pool_pairs, fused_chains, run_calls


class Model(Trainer, Layer):
    """A graph of layers that can be trained (see the module docstring)."""

    _build_sets_built = True

    def __init__(self, inputs=None, outputs=None, name=None, trainable=True, **kwargs):
        self._tracked_layers = []
        self._tracked_metrics = []
        Layer.__init__(self, name=name, trainable=trainable, **kwargs)
        Trainer.__init__(self)
        self._functional = inputs is not None or outputs is not None
        if self._functional:
            if inputs is None or outputs is None:
                raise ValueError("Model(inputs, outputs) needs both inputs and outputs")
            self._init_graph(inputs, outputs)

    def __setattr__(self, key, value):
        # A subclassed model's layers and metrics are the ones set as its attributes (alone
        # or in a list), in the order they were set, as in Keras; metrics in private
        # attributes (the trainer's own loss trackers) are not.
        if hasattr(self, "_tracked_layers") and not key.startswith("_tracked"):
            from ..metrics import Metric

            items = value if isinstance(value, (list, tuple)) else [value]
            for item in items:
                if isinstance(item, Layer) and all(item is not t for t in self._tracked_layers):
                    self._tracked_layers.append(item)
                elif isinstance(item, Metric) and not key.startswith("_") and all(
                    item is not t for t in self._tracked_metrics
                ):
                    self._tracked_metrics.append(item)
        super().__setattr__(key, value)

    # the functional graph
    def _init_graph(self, inputs, outputs):
        self._single_input = not isinstance(inputs, (list, tuple))
        # nested outputs (Model(x, [[a, b], c])): the graph's outputs are the flat list, and
        # model(x) / predict give them back in the nesting (Keras's output structure)
        self._output_nesting = None
        if isinstance(outputs, (list, tuple)) and any(isinstance(o, (list, tuple))
                                                      for o in outputs):
            flat = []
            self._output_nesting = nest_indices(outputs, flat)
            outputs = flat
        self._single_output = not isinstance(outputs, (list, tuple))
        self.inputs = [inputs] if self._single_input else list(inputs)
        self.outputs = [outputs] if self._single_output else list(outputs)
        for t in self.inputs + self.outputs:
            if not isinstance(t, KerasTensor):
                raise TypeError(
                    f"Model inputs and outputs must come from Input() and layer calls, got {t!r}"
                )
        if any(t.node is None or not isinstance(t.node.layer, InputLayer) for t in self.inputs):
            self.inputs, self.outputs = _cut_at(self.inputs, self.outputs)
        order = _calls_before(self.outputs)
        known = {id(t) for t in self.inputs}
        for node in order:
            if isinstance(node.layer, InputLayer) and id(node.outputs[0]) not in known:
                raise ValueError(
                    f"Output depends on input '{node.layer.name}', which is not in Model inputs"
                )
        self._nodes = order
        self._graph_layers = []
        for t in self.inputs:
            self._graph_layers.append(t.node.layer)
        for node in order:
            if node.layer not in self._graph_layers:
                self._graph_layers.append(node.layer)
        self.built = True
        shapes = [t.shape for t in self.inputs]
        self.built_input_shape = shapes[0] if self._single_input else shapes
        outs = [t.shape for t in self.outputs]
        self.built_output_shape = outs[0] if self._single_output else outs

    def _run_graph(self, inputs, training):
        # a model made with a list of one input (Model(model.inputs, ...), Grad-CAM's) still
        # takes that input as one array, as Keras does
        one = self._single_input or (len(self.inputs) == 1
                                     and not isinstance(inputs, (list, tuple, dict)))
        xs = [inputs] if one else list(inputs)
        if len(xs) != len(self.inputs):
            raise ValueError(
                f"Model '{self.name}' expects {len(self.inputs)} inputs, got {len(xs)}"
            )
        xs = [cast_floats(adjust_input_rank(x, t.shape), t.dtype) for x, t in zip(xs, self.inputs)]
        calls, pairs, chains = self._fusion_plan()
        # a convolution and the max pooling it alone feeds run as one op, and the chains of
        # models.fusion.fused_chains, in training and inference
        if not pairs and not chains:
            return self.walk_graph(
                xs, lambda node, args: node.layer(args, training=training, **node.kwargs))
        values = run_calls(calls, {id(t): x for t, x in zip(self.inputs, xs)},
                           lambda call, args: call.layer(args, training=training,
                                                         **call.kwargs), pairs, chains,
                           training)
        outs = [values[id(t)] for t in self.outputs]
        return self.pack_outputs(outs)

    def pack_outputs(self, outs):
        """The flat list of the outputs' values in the structure the model was made with:
        one value, the list, or the nested lists of ``Model(x, [[a, b], c])``."""
        nesting = self.__dict__.get("_output_nesting")
        if nesting is not None:
            return nest_values(nesting, outs)
        return outs[0] if self._single_output else outs

    def _fusion_plan(self):
        """``(calls, conv_pool_pairs, fused_chains)`` of this graph (``models.fusion``),
        worked out once; no fusion when a layer has several outputs (no key per output)."""
        plan = self.__dict__.get("_fusion")
        if plan is None or plan[0] is not self._nodes:
            calls = [Call(node.layer, _keys(node.inputs), id(node.outputs[0]), node.kwargs)
                     for node in self._nodes if not isinstance(node.layer, InputLayer)]
            if any(len(node.outputs) != 1 for node in self._nodes):
                pairs, chains = {}, {}
            else:
                outputs = [id(t) for t in self.outputs]
                pairs, chains = conv_pool_pairs(calls, outputs), fused_chains(calls, outputs)
            plan = self._fusion = (self._nodes, calls, pairs, chains)
        return plan[1:]

    def walk_graph(self, xs, apply):
        """Feed ``xs`` (one value per model input) through the layer calls in order:
        ``apply(node, args)`` gives each call's output, where ``args`` holds the values of its
        inputs. Running the model and exporting it (``npconv.io.onnx_export``) both walk this
        way; only what a call turns into differs."""
        return self.pack_outputs(self._walk(xs, apply))

    def _walk(self, xs, apply):
        """``walk_graph``'s values of the outputs, as the flat list."""
        values = {id(t): x for t, x in zip(self.inputs, xs)}
        for node in self._nodes:
            if isinstance(node.layer, InputLayer):
                continue
            if isinstance(node.inputs, (list, tuple)):
                args = [values[id(t)] for t in node.inputs]
            else:
                args = values[id(node.inputs)]
            node.bind(values, apply(node, args))
        return [values[id(t)] for t in self.outputs]

    def call(self, inputs, training=False):
        if self._functional:
            return self._run_graph(inputs, training)
        raise NotImplementedError(
            f"Model '{self.name}' has no graph: build it as Model(inputs, outputs) or subclass "
            "Model and define call()"
        )

    _passes_training = True

    def __call__(self, inputs, training=None, **kwargs):
        if self._functional and not _symbolic(inputs):
            training = resolve_training(self, training)
            with training_context(training):
                return self._run_graph(inputs, training)
        return super().__call__(inputs, training=training, **kwargs)

    @property
    def input(self):
        """The model's input Keras tensor (a list of them for several inputs)."""
        inputs = self._graph_inputs("input")
        return inputs[0] if len(inputs) == 1 else inputs

    @property
    def output(self):
        """The model's output Keras tensor (a list of them for several outputs, nested as the
        model was made)."""
        outputs = self._graph_outputs("output")
        if self.__dict__.get("_output_nesting") is not None:
            return self.pack_outputs(outputs)
        return outputs[0] if len(outputs) == 1 else outputs

    def _graph_inputs(self, what):
        inputs = getattr(self, "inputs", None)
        if not inputs:
            raise AttributeError(f"Model '{self.name}' has no {what} tensor: {self._no_graph()}")
        return inputs

    def _graph_outputs(self, what):
        outputs = getattr(self, "outputs", None)
        if not outputs:
            raise AttributeError(f"Model '{self.name}' has no {what} tensor: {self._no_graph()}")
        return outputs

    def _no_graph(self):
        return ("a subclassed model is Python code, not a graph of layers; build it with "
                "Model(inputs, outputs) to read its tensors")

    def check_input_shape(self, shape):
        if self._functional:
            return
        super().check_input_shape(shape)

    # a subclassed model is built by running it once
    def build(self, input_shape=None):
        """Build a subclassed model for inputs of ``input_shape`` (batch axis included) by
        calling it once on zeros of that shape, which builds every layer it uses and finds its
        output shape (``trace_output_shape``)."""
        if self._functional or self.built:
            return
        if input_shape is None:
            raise ValueError(
                f"Model '{self.name}' is not built: call model.build((None, ...)) with its "
                "input shape, or call it on data"
            )
        if isinstance(input_shape, dict):
            shape = {k: tuple(s) for k, s in input_shape.items()}
        elif isinstance(input_shape, list):
            shape = [tuple(s) for s in input_shape]
        else:
            shape = tuple(input_shape)
        if type(self).call is not Model.call:  # a GAN may train by train_step alone
            self.built_output_shape = trace_output_shape(self, shape)
        self.built_input_shape = shape
        self.built = True

    def _maybe_build(self, input_shape):
        if self.built or self._functional:
            return
        self.build(input_shape)  # a subclass's own build() may only create weights
        self.built = True
        self.built_input_shape = input_shape
        if self.built_output_shape is None and type(self).call is not Model.call:
            self.built_output_shape = trace_output_shape(self, input_shape)

    def compute_output_shape(self, input_shape):
        if self._functional:
            outs = self._propagate_shapes(input_shape) or [
                (None, *tuple(t.shape)[1:]) for t in self.outputs]
            return outs[0] if self._single_output else outs
        if self.built and input_shape == self.built_input_shape:
            return self.built_output_shape
        return trace_output_shape(self, input_shape)

    def _propagate_shapes(self, input_shape):
        """The outputs' shapes for inputs of ``input_shape``, each layer's
        ``compute_output_shape`` applied along the graph, when they are more specific than the
        inputs the model was built on (VGG16 built for (None, None, 3) and called on a
        (32, 32, 3) input: Flatten and Dense after it need the sizes); ``None`` otherwise, or
        when a layer cannot tell."""
        shapes = [input_shape] if self._single_input or not isinstance(input_shape, list) else (
            list(input_shape))
        if len(shapes) != len(self.inputs) or all(
                tuple(s)[1:] == tuple(t.shape)[1:] for s, t in zip(shapes, self.inputs)):
            return None

        def shape_of(node, args):
            out = node.layer.compute_output_shape(args)
            return tuple(out) if len(node.outputs) == 1 else [tuple(s) for s in out]

        try:
            outs = self._walk([(None, *tuple(s)[1:]) for s in shapes], shape_of)
        except Exception:  # noqa: BLE001 - a layer that cannot tell: the declared shapes
            return None
        return [(None, *tuple(shape)[1:]) for shape in outs]

    # What npconv's other packages ask of a model (the trainer, the file formats, the plots):
    # named here so that none of them probes the private attributes of the model kinds.
    @property
    def model_kind(self) -> str:
        """``"functional"`` (built as ``Model(inputs, outputs)``: a graph of layer calls),
        ``"sequential"`` (``Sequential`` and its subclasses) or ``"subclassed"`` (a ``call``
        written in Python). npconv's own name, not a Keras one."""
        return "functional" if getattr(self, "_functional", False) else "subclassed"

    def graph_nodes(self) -> list:
        """A functional model's layer calls (``Node``: ``layer``, ``inputs``, ``outputs``,
        ``kwargs``) in the order they run, ``Input`` nodes included: what ``clone_model``, the
        file formats (``npconv.io``) and the plots (``npconv.visualize``) walk. A new list."""
        if self.model_kind != "functional":
            raise ValueError(
                f"graph_nodes(): model '{self.name}' is {self.model_kind}, not functional; "
                "only Model(inputs, outputs) has a graph of layer calls"
            )
        return list(self._nodes)

    @property
    def input_is_list(self) -> bool:
        """Whether the model was built on a list of inputs (``Model([x], y)``, even a list of
        one) and so is called on a list; False for a bare tensor and for Sequential and
        subclassed models. The file formats and ``clone_model`` keep it."""
        return self.model_kind == "functional" and not self._single_input

    @property
    def output_is_list(self) -> bool:
        """Whether the model was built with a list of outputs (``Model(x, [y])``, even a list
        of one) and so returns a list; False otherwise, as ``input_is_list``."""
        return self.model_kind == "functional" and not self._single_output

    def count_outputs(self) -> int:
        """How many outputs ``compile`` and ``fit`` address (one loss, metric list and target
        array each): a functional model's ``outputs``, else one."""
        outs = getattr(self, "outputs", None)
        return len(outs) if self.model_kind == "functional" and outs else 1

    def _output_names(self) -> list[str]:
        """The name of each output, in order: the keys of per-output ``loss``/``metrics``/
        target dicts and the prefixes of the logged per-output values (``dense_1_loss``). A
        functional output is named by the layer that makes it (by the inner model's own
        names when that layer is a model with several outputs); repeated names get ``_i``."""
        if self.model_kind == "functional":
            names = []
            for t in self.outputs:
                layer, outs = t.node.layer, t.node.outputs
                if len(outs) > 1 and hasattr(layer, "_output_names"):  # a multi-output model
                    names.append(layer._output_names()[outs.index(t)])
                else:
                    names.append(layer.name)
            return [n if names.count(n) == 1 else f"{n}_{i}" for i, n in enumerate(names)]
        return [self.layers[-1].name if self.layers else "output"]

    def _single_input_model(self) -> bool:
        """Whether the model surely takes one input array, so that a plain Python list given
        as ``x`` is a list of samples rather than a list of inputs. A subclassed model may
        take several."""
        if self.model_kind == "functional":
            return len(self.inputs) == 1
        return False

    def _model_input(self, xs):
        """What the model is called on for the input arrays ``xs``: one array, or the list a
        model built with a list of inputs expects — even a list of one (``Model([x], [y])``),
        which must not be unwrapped (the model would iterate the array's rows)."""
        if self.model_kind == "functional" and not self._single_input:
            return list(xs)
        keys = self.__dict__.get("_input_keys")
        if keys is not None and len(keys) == len(xs):
            return dict(zip(keys, xs))
        return xs[0] if len(xs) == 1 else list(xs)

    # layers and weights
    @property
    def layers(self) -> list[Layer]:
        if getattr(self, "_functional", False):
            return list(self._graph_layers)
        return list(getattr(self, "_tracked_layers", []))

    def _sublayers(self):
        return self.layers

    @property
    def weights(self):
        """Each layer's weights in layer order (shared layers once): Keras's model order."""
        out, seen = [], set()
        for layer in self.layers:
            for v in layer.weights:
                if id(v) not in seen:
                    seen.add(id(v))
                    out.append(v)
        return out

    def _all_weights(self):
        return self.weights

    def get_weights(self):
        from ..backend import to_numpy

        return [to_numpy(v.data, copy=True) for v in self.weights]

    def set_weights(self, weights):
        own = self.weights
        weights = list(weights)
        if len(weights) != len(own):
            raise ValueError(
                f"Model '{self.name}' expects {len(own)} weight arrays, got {len(weights)}"
            )
        for var, value in zip(own, weights):
            value = getattr(value, "data", value)
            if tuple(value.shape) != var.data.shape:
                raise ValueError(
                    f"Model '{self.name}' weight '{var.name}' has shape {var.data.shape}, "
                    f"got an array of shape {tuple(value.shape)}"
                )
        for var, value in zip(own, weights):
            var.assign(value)

    @property
    def losses(self):
        """The layers' losses (regularization penalties, ``add_loss`` terms) and the model's
        own ``add_loss`` terms of its last call."""
        out = []
        for layer in self.layers:
            out.extend(layer.losses)
        return out + list(self._losses)

    def get_layer(self, name=None, index=None) -> Layer:
        """The layer called ``name``, or at position ``index`` of ``layers``."""
        if index is not None:
            if not -len(self.layers) <= index < len(self.layers):
                raise ValueError(
                    f"get_layer(index={index}) is out of range: model '{self.name}' has "
                    f"{len(self.layers)} layers"
                )
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        names = [layer.name for layer in self.layers]
        raise ValueError(f"No layer named '{name}' in model '{self.name}'; layers are {names}")

    def summary(self, line_length=None, print_fn=None):
        """Print the table of layers, output shapes and parameter counts (Keras 3's format)."""
        from .summary import summary_text

        text = summary_text(self, line_length=line_length)
        (print_fn or print)(text)

    # saving (the work is npconv.io's; the format is in docs/model-file-format.md)
    def save(self, filepath, overwrite=True, include_optimizer=True):
        """Save the whole model to ``filepath`` (``.keras`` or ``.npconv``): architecture,
        weights and, when compiled, compile settings and optimizer state, so that
        ``npconv.models.load_model(filepath)`` continues training exactly where this stopped.

        The file is npconv's own zip of JSON and ``.npy`` members (not Keras's HDF5-based
        ``.keras``), written atomically. ``overwrite=False`` raises ``FileExistsError`` if the
        file exists, where Keras would ask on the terminal.

        A ``.h5``/``.hdf5`` name writes Keras's legacy HDF5 model file instead (architecture,
        weights, compile settings; no optimizer state), which real Keras's
        ``keras.models.load_model`` opens; it needs h5py (``pip install "npconv[h5]"``). See
        ``npconv.io.keras_h5_write``.
        """
        from ..io import save_model

        save_model(self, filepath, overwrite=overwrite, include_optimizer=include_optimizer)

    def save_weights(self, filepath, overwrite=True):
        """Save the weights (``get_weights`` order) to ``filepath``, atomically:
        ``.weights.npz`` or ``.weights.h5`` (Keras 3's suffix) in npconv's format, or
        ``.h5``/``.hdf5`` in Keras's legacy HDF5 weights format, which Keras's
        ``model.load_weights`` reads (needs h5py: ``pip install "npconv[h5]"``)."""
        from ..io import save_weights

        save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath, skip_mismatch=False, **kwargs):
        """Load weights saved by ``save_weights`` (or ``save``) into this built model, in
        ``get_weights`` order; every shape is checked before any weight changes, and a mismatch
        names the layer and both shapes. (``skip_mismatch``: Keras 3's argument; npconv loads
        all the weights or none, so only ``False`` is taken, the default programs pass on.)

        A file that is really HDF5 (a Keras ``.h5``/``.weights.h5``) is read by
        ``npconv.io.keras_h5.load_weights_h5`` — Keras weight import, provided separately —
        and refused with a clear error where that module is absent.
        """
        from ..io import load_weights

        if skip_mismatch or kwargs:
            raise NotImplementedError(
                "load_weights: npconv loads every weight or none (each shape checked first); "
                f"skip_mismatch=True and {sorted(kwargs) or 'other options'} are not provided"
            )
        load_weights(self, filepath)

    def export(self, filepath, format="onnx", verbose=False, opset=17):
        """Export the model for inference in another runtime, as Keras 3's ``model.export``.

        ``format="onnx"`` is the one npconv writes (Keras's default, ``"tf_saved_model"``,
        needs TensorFlow, so npconv's default is ``"onnx"``); it needs the ``onnx`` extra
        (``pip install "npconv[onnx]"``). The file takes and returns channels_last arrays, any
        batch size, and gives ``predict``'s outputs; see ``npconv.io.onnx_export`` for the
        layers it covers. ``opset`` is the ONNX opset (13 or newer). Written atomically;
        ``verbose=True`` prints where it went.
        """
        if str(format).lower() != "onnx":
            raise ValueError(
                f"model.export format must be 'onnx' (the only format npconv writes), got "
                f"{format!r}"
            )
        from ..io import export_onnx

        export_onnx(self, filepath, opset=opset)
        if verbose:
            print(f"Saved artifact at '{filepath}'.")

    def to_json(self, **kwargs) -> str:
        """The architecture as JSON, for ``npconv.models.model_from_json`` (no weights:
        ``save_weights`` / ``load_weights`` carry those); ``kwargs`` go to ``json.dumps``."""
        from .cloning import to_json

        return to_json(self, **kwargs)

    def get_config(self):
        config = {"name": self.name, "trainable": self.trainable}
        if self._functional:
            from .serialization import functional_config

            config.update(functional_config(self))
        return config


def _symbolic(inputs):
    if isinstance(inputs, (list, tuple)):
        return any(isinstance(x, KerasTensor) for x in inputs)
    return isinstance(inputs, KerasTensor)


__all__ = ["Model", "format_shape"]


def _keys(inputs):
    """The key (tensor id) of a node's input, or the list of them, as ``fusion.Call`` takes
    them."""
    return [id(t) for t in inputs] if isinstance(inputs, (list, tuple)) else id(inputs)


def _cut_at(inputs, outputs):
    """``Model(h, outputs)`` for an inner tensor ``h`` (Keras 3 allows it: a Grad-CAM
    classifier head from the last convolution's output): the part of the graph between them,
    called again, layer by layer (the same layers and weights), on a new ``Input`` of ``h``'s
    shape. The new calls are not added to the layers' ``inbound_nodes``, so ``layer.output``
    still names the original call. Returns the new ``(inputs, outputs)``."""
    mapped = {}
    new_inputs = []
    for t in inputs:
        if t.node is not None and isinstance(t.node.layer, InputLayer):
            new_inputs.append(t)
            continue
        fresh = InputLayer(batch_shape=t.shape, dtype=t.dtype).output
        mapped[id(t)] = fresh
        new_inputs.append(fresh)
    # the calls between: a call whose output the new Input stands for is a cut
    order = _calls_before([t for t in outputs if id(t) not in mapped],
                          cut=lambda node: any(id(o) in mapped for o in node.outputs))
    for node in order:
        if isinstance(node.layer, InputLayer):
            continue
        args = ([mapped.get(id(x), x) for x in node.inputs]
                if isinstance(node.inputs, (list, tuple)) else mapped.get(id(node.inputs),
                                                                          node.inputs))
        result = node.layer(args, **node.kwargs)
        node.layer.inbound_nodes.pop()
        results = result if isinstance(result, (list, tuple)) else [result]
        for old, new in zip(node.outputs, results):
            mapped[id(old)] = new
    return new_inputs, [mapped.get(id(t), t) for t in outputs]


def _calls_before(outputs, cut=None):
    """The layer calls (``Node``) that ``outputs`` come from, each after the calls it reads
    (a depth-first walk back from the outputs); a call for which ``cut(node)`` is true is
    left out, and so is what only it reads."""
    order, seen = [], set()

    def visit(node):
        if id(node) in seen:
            return
        seen.add(id(node))
        if cut is not None and cut(node):
            return
        for parent in node.parents:
            visit(parent)
        order.append(node)

    for t in outputs:
        visit(t.node)
    return order
