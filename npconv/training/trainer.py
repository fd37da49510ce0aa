"""``compile``/``fit``/``evaluate``/``predict``: the training loop, knowing nothing of layers.

The loops are Keras 3's: ``fit`` feeds each batch to ``train_step(data)``, ``evaluate`` to
``test_step``, ``predict`` to ``predict_step``, and a model overrides any of them (or
``compute_loss``/``compute_metrics``) for custom training. The batches come from a data adapter
(``npconv.training.adapters``: arrays, generators, ``PyDataset``).

The default training step: run the model with ``training=True`` inside a ``GradientTape``,
``compute_loss`` (each output's compiled loss weighted by ``loss_weights``, plus
``model.losses``), take the gradients of the trainable weights (``tape.gradient``, the one place
they are computed) and hand them to ``_apply_gradients`` (the one place weights change). Metrics
are computed on the predictions as plain arrays. ``fit`` shuffles with npconv's seeded
generator, so ``set_random_seed`` repeats a run exactly.
"""

from __future__ import annotations

import inspect
import signal
import threading
import time
import warnings
import weakref

import numpy as np

from .. import backend
from ..autograd import GradientTape, no_grad
from ..callbacks.base import CallbackList, History
from ..distribution import replicas
from . import data as D
from .adapters import (
    ArrayAdapter,
    IteratorAdapter,
    batch_length,
    is_batch_source,
    pack_x_y_sample_weight,
    stack_outputs,
    unpack_x_y_sample_weight,
    warn_out_of_data,
)
from .compile_utils import CompiledLoss, CompileMetrics
from .device import to_device, to_host
from .progbar import Progbar, format_duration, format_value


class Trainer:
    """Mixed into ``Model``: everything between data and the optimizer.

    What it needs to know of the model it trains it asks the model (``npconv.models.Model``
    and ``Sequential`` answer): ``model_kind`` (``"functional"``, ``"sequential"`` or
    ``"subclassed"``), ``count_outputs()``, ``_output_names()`` (per-output dict keys and log
    prefixes), ``_single_input_model()`` and ``_model_input(xs)`` (what the model is called
    on), besides Keras's own ``inputs``, ``layers`` and ``built_*_shape``."""

    def __init__(self):
        self.compiled = False
        self.optimizer = None
        self.stop_training = False
        self.history = None
        # Set by BackupAndRestore in on_train_begin: where fit resumes (Keras's _initial_epoch;
        # the step within that epoch is npconv's, for backups taken mid-epoch).
        self._initial_epoch = None
        self._initial_step = 0
        # True after a fit that Ctrl-C stopped, so callbacks can tell it from a finished one.
        self._fit_interrupted = False

    def set_resume_point(self, epoch, step=0):
        """Make the ``fit`` under way start at ``epoch`` (0-based) and skip the first ``step``
        batches of it: ``BackupAndRestore`` calls this from ``on_train_begin`` once it restored
        a backup. npconv's own name; a Keras-style callback setting ``_initial_epoch`` works
        too."""
        self._initial_epoch, self._initial_step = int(epoch), int(step)

    @property
    def fit_interrupted(self) -> bool:
        """Whether the last ``fit`` was stopped by Ctrl-C rather than finished, for callbacks'
        ``on_train_end`` (``BackupAndRestore`` keeps its backup then). npconv's own name."""
        return self._fit_interrupted

    # compile
    def compile(
        self,
        optimizer="rmsprop",
        loss=None,
        metrics=None,
        loss_weights=None,
        weighted_metrics=None,
        run_eagerly=None,
        steps_per_execution=1,
        jit_compile=None,
        **kwargs,
    ):
        """Choose the optimizer, loss(es) and metrics, by object or by Keras's names.

        ``loss`` may be left out when the model supplies its own: losses added with
        ``add_loss`` in ``call``, or an overridden ``compute_loss`` or ``train_step`` (the
        Keras 3 pattern of VAEs and GANs).
        """
        from .. import losses as losses_module
        from .. import metrics as M
        from .. import optimizers

        if kwargs:
            raise TypeError(f"compile() got unexpected keyword argument(s) {sorted(kwargs)}")
        self.optimizer = optimizers.get(optimizer)
        n_out = self.count_outputs()
        names = self._output_names()
        if isinstance(loss, dict):
            loss = [loss.get(name) for name in names]
        if isinstance(loss, (list, tuple)):
            if len(loss) != n_out:
                raise ValueError(f"compile() got {len(loss)} losses for {n_out} outputs")
            self.compiled_losses = [
                None if item is None else losses_module.get(item) for item in loss
            ]
        else:
            self.compiled_losses = [None if loss is None else losses_module.get(loss)] * n_out
        if loss_weights is None:
            self.loss_weights = [1.0] * n_out
        elif isinstance(loss_weights, dict):
            self.loss_weights = [float(loss_weights.get(name, 1.0)) for name in names]
        else:
            self.loss_weights = [float(w) for w in loss_weights]
            if len(self.loss_weights) != n_out:
                raise ValueError(
                    f"compile() got {len(self.loss_weights)} loss_weights for {n_out} outputs"
                )
        if loss is not None or "loss" not in self.__dict__ or self.__dict__.get(
                "_loss_set_by_compile"):
            # a model's own ``self.loss`` (DLwP's diffusion model sets one in __init__ and
            # reads it in compute_loss) survives compile() without a loss, as in Keras 3
            self.loss = loss
            self._loss_set_by_compile = True
        self.metric_specs = _metric_specs(metrics, n_out, names)
        self._loss_trackers = [M.Mean(name="loss")]
        if n_out > 1:
            self._loss_trackers += [M.Mean(name=f"{n}_loss") for n in names]
        self.compiled = True
        self.stop_training = False

    def _has_compiled_loss(self):
        return any(fn is not None for fn in getattr(self, "compiled_losses", None) or [])

    def _overrides(self, name):
        """Whether this model's class overrides the trainer's method ``name``."""
        return getattr(type(self), name) is not getattr(Trainer, name)

    def _needs_targets(self, step="train_step"):
        """Whether the data must carry targets: a compiled loss computed by the default
        steps needs them; a model that computes its own loss may train on ``x`` alone."""
        return (
            self._has_compiled_loss()
            and not self._overrides(step)
            and not self._overrides("compute_loss")
        )

    def _pack(self, xs, ys, sw):
        """The ``data`` a step receives for these checked arrays (Keras 3's packing)."""
        y = None if ys is None else (ys[0] if len(ys) == 1 else list(ys))
        return pack_x_y_sample_weight(self._model_input(xs), y, sw)

    def _check_compiled(self, what):
        if not self.compiled:
            raise RuntimeError(
                f"You must compile the model before {what}: "
                "model.compile(optimizer=..., loss=..., metrics=[...])"
            )

    # metrics
    @property
    def metrics(self):
        """The metrics ``fit`` reports and resets each epoch: the loss tracker(s) (unless a
        custom ``train_step`` computes the only loss), the ``compile_metrics`` container of
        the compiled metrics (``npconv.training.compile_utils``) and every
        ``npconv.metrics.Metric`` set as an attribute of the model
        (``self.loss_tracker = Mean(name="loss")``). A model with a custom ``train_step`` may
        override this property to list its own trackers."""
        out = []
        if self.compiled and (self._has_compiled_loss() or not self._overrides("train_step")):
            out += list(self._loss_trackers)  # kept only where a default step updates them
        if self.compiled and any(self.metric_specs):
            out.append(self._compile_metrics)
        for m in getattr(self, "_tracked_metrics", []):
            if all(m is not known for known in out):
                out.append(m)
        return out

    @property
    def metric_specs(self):
        """``compile(metrics=...)`` as one list per output; setting it makes a new
        ``compile_metrics`` container for them. ``npconv.io`` writes them to model files and
        sets them on loading. npconv's own name, not a Keras one."""
        return self._compile_metrics.specs

    @metric_specs.setter
    def metric_specs(self, specs):
        self._compile_metrics = CompileMetrics(specs, self._output_names())

    @property
    def compiled_metrics(self):
        """Keras 2's handle on the compiled metrics (``compiled_metrics.update_state(y,
        y_pred)`` in a custom ``train_step``); the ``compile_metrics`` container."""
        return self._compile_metrics if self.compiled else None

    @property
    def compiled_loss(self):
        """Keras 2's ``compiled_loss(y, y_pred, sample_weight, regularization_losses)`` for
        custom steps: the compiled losses plus the penalties given, tracked as ``loss``."""
        return CompiledLoss(self) if self.compiled else None

    def reset_metrics(self):
        for metric in self.metrics:
            metric.reset_state()

    @property
    def metrics_names(self):
        """The names of the logged values (the compiled metrics one by one, as Keras 2)."""
        names = []
        for m in self.metrics:
            inner = m.metrics if isinstance(m, CompileMetrics) else [m]
            names += [x.name for x in inner]
        return names or ["loss"]

    def get_metrics_result(self):
        """``{name: value}`` of every metric in ``metrics`` (what the default steps return)."""
        logs = {}
        for metric in self.metrics:
            value = metric.result()
            if isinstance(value, dict):
                logs.update(value)
            else:
                logs[metric.name] = value
        return logs

    def _logs(self):
        return _pythonify(self.get_metrics_result())

    # one step: Keras 3's overridable pieces
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The total loss of one batch: each output's compiled loss (times its
        ``loss_weight``) plus ``self.losses`` (``add_loss`` and regularization penalties).
        ``None`` when there is neither. Override it to compute a loss of your own."""
        total = self._compiled_terms(y, y_pred, sample_weight)
        for term in self.losses:
            total = term if total is None else total + term
        return total

    def _compiled_terms(self, y, y_pred, sample_weight):
        """The sum of the outputs' compiled losses (``None`` without any); with several
        outputs, each one's value goes to its ``<output>_loss`` tracker."""
        if not self._has_compiled_loss():
            return None
        if y is None:
            raise ValueError(
                "compile(loss=...) needs targets, but the batch holds x only: pass y "
                "(or batches of (x, y)), or compute the loss in the model (add_loss, "
                "compute_loss or train_step)"
            )
        ys = list(y) if isinstance(y, (list, tuple)) else [y]
        preds = list(y_pred) if isinstance(y_pred, (list, tuple)) else [y_pred]
        terms = []
        for i, (loss_fn, weight, t, p) in enumerate(
                zip(self.compiled_losses, self.loss_weights, ys, preds)):
            if loss_fn is None:
                terms.append(None)
                continue
            value = loss_fn(t, p, sample_weight=D.output_weights(sample_weight, i))
            terms.append(value if weight == 1.0 else value * weight)
        if len(self._loss_trackers) > 1:
            n = batch_length(preds)
            for tracker, term in zip(self._loss_trackers[1:], terms):
                if term is not None:
                    tracker.update_state(_scalar(term), sample_weight=n)
        total = None
        for term in terms:
            if term is not None:
                total = term if total is None else total + term
        return total

    def _compute_loss(self, x, y, y_pred, sample_weight, training):
        """``compute_loss``, passing ``training`` only to an override that takes it (Keras
        3.0's signature had none)."""
        if _takes_training(self.compute_loss):
            return self.compute_loss(x, y, y_pred, sample_weight, training=training)
        return self.compute_loss(x, y, y_pred, sample_weight)

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Update the compiled metrics with this batch; return ``get_metrics_result()``."""
        if self.compiled and y is not None and any(self.metric_specs):
            self._compile_metrics.update_state(y, y_pred, sample_weight)
        return self.get_metrics_result()

    def train_step(self, data):
        """One optimizer step on one batch ``data`` (``x``, ``(x, y)`` or ``(x, y,
        sample_weight)``); returns the logs. Override it for a custom training step."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        with GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self._compute_loss(x, y, y_pred, sample_weight, training=True)
        if loss is None:
            raise ValueError(
                f"Model '{self.name}' has no loss to train on: compile() got no loss and the "
                "model added none (add_loss). Pass loss= to compile, or override compute_loss "
                "or train_step"
            )
        self._loss_trackers[0].update_state(_scalar(loss), sample_weight=batch_length(x))
        variables = self.trainable_weights
        if not variables and not self.__dict__.get("_warned_untrainable"):
            # a GAN's discriminator frozen after compile (DLwP 8.5): Keras warns too
            import warnings

            warnings.warn(f"Model '{self.name}' does not have any trainable weights: this "
                          "training step changes nothing", stacklevel=2)
            self._warned_untrainable = True
        grads = tape.gradient(loss, variables)
        self._apply_gradients(grads, variables)
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def _apply_gradients(self, grads, variables):
        """The one place the default step changes weights (variables without a gradient, as
        a layer the loss does not reach, are left alone)."""
        pairs = [(g, v) for g, v in zip(grads, variables) if g is not None]
        if pairs:
            self.optimizer.apply_gradients(pairs)

    def test_step(self, data):
        """Loss and metrics of one batch, without training; returns the logs."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        y_pred = self(x, training=False)
        loss = self._compute_loss(x, y, y_pred, sample_weight, training=False)
        if loss is not None:
            self._loss_trackers[0].update_state(_scalar(loss), sample_weight=batch_length(x))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, data):
        """The model's outputs for one batch (targets in ``data`` are ignored)."""
        x, _, _ = unpack_x_y_sample_weight(data)
        return self(x, training=False)

    def _run_train_step(self, data):
        if replicas.active() is None:
            return _pythonify(self.train_step(to_device(data)))
        if getattr(self, "_replicas_pending", True):  # a first step under data parallelism
            count = len(self.weights)
            replicas.start(self)
            logs = replicas.run_step(self, data, self.train_step, _pythonify)
            if len(self.weights) != count:  # the step built the model: align its weights
                replicas.start(self)
            self._replicas_pending = False
            return logs
        return replicas.run_step(self, data, self.train_step, _pythonify)

    def _run_test_step(self, data):
        with no_grad():
            if replicas.active() is not None:
                return replicas.run_step(self, data, self.test_step, _pythonify)
            return _pythonify(self.test_step(to_device(data)))

    def _run_predict_step(self, data):
        with no_grad():
            if replicas.active() is not None:
                return replicas.predict_step(
                    self, data, lambda d: _outputs_as_arrays(self.predict_step(d)))
            return _outputs_as_arrays(self.predict_step(to_device(data)))

    # data
    def _prepare(self, x, y=None, sample_weight=None, class_weight=None, need_y=True, prefix="",
                 convert=True, step=None):
        """Check and convert what the user passed (see ``npconv.training.data``): every
        problem is reported here, before any training, naming the argument (``prefix`` is
        ``"validation_data "`` for the validation set). ``step``: the method the data goes to
        (``"train_step"``, ...); when the model overrides it, x is the step's to interpret (a
        custom step may split one array into two inputs) and is not checked against the
        model's inputs."""
        xs = D.as_list(x)
        if self._single_input_model() and D.is_nested_samples(x):
            xs = [x]  # a plain list of samples, not a list of inputs
        if xs is None:
            raise ValueError(f"No input data: pass {prefix}x")
        if isinstance(xs, dict) and self.model_kind == "subclassed":
            # a subclassed model's call reads the dict itself (DLwP's multi-input model): the
            # arrays travel in key order and are handed back as the dict (_model_input)
            self._input_keys = list(xs)
            xs = [xs[k] for k in self._input_keys]
        elif isinstance(xs, dict):
            names = [t.node.layer.name for t in getattr(self, "inputs", None) or []]
            missing = [n for n in names if n not in xs]
            if missing:
                raise ValueError(f"Input dict lacks {missing}; it has {sorted(xs)}")
            xs = [xs[n] for n in names]
        if not xs:
            raise ValueError(f"No input data: {prefix}x is an empty list")
        x_names = [f"{prefix}x[{i}]" if len(xs) > 1 else f"{prefix}x" for i in range(len(xs))]
        xs = [D.to_float_array(a, name, convert) for a, name in zip(xs, x_names)]
        if step is None or not self._overrides(step):
            xs = self._adjust_input_ranks(xs)
            self._check_inputs(xs)
        ys = None
        y_names = []
        if y is not None:
            ys = D.as_list(y)
            if self.count_outputs() == 1 and D.is_nested_samples(y):
                ys = [y]  # a plain list of labels, not a list of targets
            if isinstance(ys, dict):
                names = self._output_names()
                missing = [n for n in names if n not in ys]
                if missing:
                    raise ValueError(
                        f"Target dict lacks outputs {missing}; it has {sorted(ys)}, the model's "
                        f"outputs are {names}"
                    )
                ys = [ys[n] for n in names]
            if len(ys) != self.count_outputs() and (
                self.model_kind == "functional" or self._has_compiled_loss()
            ):
                raise ValueError(
                    f"Model has {self.count_outputs()} output(s), got {len(ys)} target arrays "
                    f"in {prefix}y"
                )
            y_names = [f"{prefix}y[{i}]" if len(ys) > 1 else f"{prefix}y" for i in range(len(ys))]
            ys = [D.to_label_array(a, name) for a, name in zip(ys, y_names)]
        elif need_y:
            raise ValueError(f"No target data: pass {prefix}y (labels) as well as {prefix}x")
        sw, sw_list, sw_names = None, [None], [f"{prefix}sample_weight"]
        if isinstance(sample_weight, dict):  # per output, by name (Keras)
            sample_weight = [sample_weight.get(name) for name in self._output_names()]
        if isinstance(sample_weight, (list, tuple)) and self.count_outputs() > 1:
            if len(sample_weight) != self.count_outputs():
                raise ValueError(
                    f"{prefix}sample_weight: {len(sample_weight)} arrays for a model with "
                    f"{self.count_outputs()} outputs (one per output, or one for all)"
                )
            sw_names = [f"{prefix}sample_weight[{i}]" for i in range(len(sample_weight))]
            sw = sw_list = [None if w is None else D.to_sample_weight(w, name)
                            for w, name in zip(sample_weight, sw_names)]
        elif sample_weight is not None:
            sw = D.to_sample_weight(sample_weight, f"{prefix}sample_weight")
            sw_list = [sw]
        D.check_lengths(xs + (ys or []) + sw_list, x_names + y_names + sw_names)
        if ys is not None and self._has_compiled_loss():
            self._check_targets(ys, prefix)
        if class_weight is not None:
            if ys is None:
                raise ValueError("class_weight needs targets (y) to weigh")
            if isinstance(sw, list):
                raise ValueError("class_weight cannot be combined with one sample_weight array "
                                 "per output; fold the class weights into those arrays")
            sw = _class_weights(ys[0], class_weight, sw)
        return xs, ys, sw

    def _adapter(self, x, y, sample_weight, batch_size, *, class_weight=None, shuffle=False,
                 steps=None, need_y=True, what="fit", prefix="", convert=True, step=None):
        """The data adapter (``npconv.training.adapters``) for what the user passed."""
        if is_batch_source(x):
            kind = type(x).__name__
            for name, value in (("y", y), ("sample_weight", sample_weight)):
                if value is not None:
                    raise ValueError(
                        f"{what}: {prefix}{name} must not be given when {prefix}x is a {kind} "
                        "(a generator or dataset): its batches carry the targets and weights"
                    )

            def prepare(batch):
                bx, by, bsw = unpack_x_y_sample_weight(batch)
                if by is None and need_y:
                    raise ValueError(
                        "it holds x only, but the loss needs targets: yield (x, y) or "
                        "(x, y, sample_weight)"
                    )
                return self._prepare(bx, by, bsw, class_weight, need_y=False, step=step)

            return IteratorAdapter(x, prepare, self._pack, steps, shuffle, what=what)
        xs, ys, sw = self._prepare(
            x, y, sample_weight, class_weight, need_y=need_y, prefix=prefix, convert=convert,
            step=step,
        )
        return ArrayAdapter(self._pack, xs, ys, sw, batch_size, shuffle, steps)

    def _adjust_input_ranks(self, xs):
        """Each input array with its rank matched to the model's input
        (``data.adjust_input_rank``: the missing channels axis added), where the model's input
        shapes are known (a functional model, a built Sequential)."""
        if self.model_kind == "functional":
            expected = [tuple(t.shape) for t in self.inputs]
        elif self.model_kind == "sequential" and self.built and len(xs) == 1:
            expected = [tuple(self.built_input_shape)]
        else:
            return xs
        if len(expected) != len(xs):
            return xs
        return [D.adjust_input_rank(a, shape) for a, shape in zip(xs, expected)]

    def _check_inputs(self, xs):
        """Each input array against the layer that receives it: rank and known sizes, with a
        reshape hint when one obviously fits (the missing channels axis of MNIST images)."""
        if self.model_kind == "functional":
            if len(xs) != len(self.inputs):
                names = [t.node.layer.name for t in self.inputs]
                raise ValueError(
                    f"Model '{self.name}' expects {len(self.inputs)} input array(s) "
                    f"({', '.join(names)}), got {len(xs)}"
                )
            for t, a in zip(self.inputs, xs):
                expected = tuple(t.shape)
                got = (None, *a.shape[1:])
                try:
                    t.node.layer.check_input_shape(got)
                except ValueError as e:
                    hint = D.input_shape_hint(expected, got)
                    raise ValueError(f"{e}.{hint}" if hint else str(e)) from None
                if len(expected) != a.ndim or any(
                    e is not None and e != s for e, s in zip(expected[1:], a.shape[1:])
                ):
                    raise ValueError(
                        f"Input '{t.node.layer.name}' expects data of shape "
                        f"{_fmt(expected)}, got {_fmt(got)}.{D.input_shape_hint(expected, got)}"
                    )
            return
        if len(xs) != 1 and self.model_kind == "sequential":
            raise ValueError(
                f"Sequential model '{self.name}' takes one input array, got a list of {len(xs)}"
            )
        keys = self.__dict__.get("_input_keys")
        if len(xs) != 1 or keys:  # a subclassed model taking several inputs (or a dict)
            if not self.built:
                shapes = [(None, *a.shape[1:]) for a in xs]
                self._maybe_build(dict(zip(keys, shapes)) if keys else shapes)
            return
        shape = (None, *xs[0].shape[1:])
        self._maybe_build(shape)
        try:
            self.check_input_shape(shape)
        except ValueError as e:
            expected = getattr(self, "built_input_shape", None)
            message = str(e)
            if isinstance(expected, tuple):
                if _fmt(expected) not in message:
                    message += f" (model '{self.name}' takes input of shape {_fmt(expected)})"
                message += "." + D.input_shape_hint(expected, shape)
            raise ValueError(message) from None

    def _check_targets(self, ys, prefix=""):
        """The targets against the compiled losses and the outputs' shapes."""
        out_shapes = self.built_output_shape
        if out_shapes is None:
            return
        out_shapes = out_shapes if isinstance(out_shapes, list) else [out_shapes]
        if len(out_shapes) != len(ys):
            return  # a subclassed model's outputs, not all of them targets
        D.check_targets(
            self.compiled_losses, ys, out_shapes, self._output_names(), what=f"{prefix}y"
        )

    # public API
    def fit(
        self,
        x=None,
        y=None,
        batch_size=None,
        epochs=1,
        verbose="auto",
        callbacks=None,
        validation_split=0.0,
        validation_data=None,
        shuffle=True,
        class_weight=None,
        sample_weight=None,
        initial_epoch=0,
        steps_per_epoch=None,
        validation_steps=None,
        validation_batch_size=None,
        validation_freq=1,
        max_queue_size=10,
        workers=1,
        use_multiprocessing=False,
    ):
        """Train for ``epochs`` passes over the data; return the ``History``.

        ``max_queue_size``, ``workers``, ``use_multiprocessing``: Keras 2's loading settings
        (Keras 3 moved them to ``PyDataset``); they apply to a ``PyDataset``/``Sequence``.

        ``x`` is an array (or list/dict of arrays) with targets ``y``, or a source of batches
        that carry their targets: a Python generator or iterator of ``(x, y)`` or ``(x, y,
        sample_weight)``, or a ``npconv.utils.PyDataset``/``Sequence``. A generator is read
        ``steps_per_epoch`` batches per epoch (or, without it, until it ends). Each step runs
        ``train_step`` (override it for custom training). Targets may be left out when the
        model computes its own loss.

        Arrays are checked before anything runs (``npconv.training.data``), a generator's
        batches as they come (``npconv.training.adapters``). Ctrl-C stops training at the end
        of the current batch (a second Ctrl-C aborts at once): ``fit`` prints one line saying
        where, runs ``on_train_end`` and returns the ``History`` of the finished epochs; the
        model keeps the weights of the last finished batch. A ``BackupAndRestore`` callback
        may move the start past ``initial_epoch`` — to resume a run from its backup, as in
        Keras.
        """
        self._check_compiled("training it")
        _loading_settings(x, workers, use_multiprocessing, max_queue_size)
        verbose = _verbosity(verbose) if _is_chief() else 0
        callbacks = _chief_callbacks(callbacks)
        batch_size = _batch_size(batch_size)
        need_y = self._needs_targets("train_step")
        source = is_batch_source(x)
        if source and validation_split:
            raise ValueError(
                f"fit: validation_split needs arrays, but x is a {type(x).__name__}: pass "
                "validation_data (arrays, a generator or a PyDataset) instead"
            )
        train = self._adapter(
            x, y, sample_weight, batch_size, class_weight=class_weight, shuffle=shuffle,
            steps=steps_per_epoch, need_y=need_y, step="train_step",
        )
        val = None
        if validation_data is not None:
            val = self._validation_adapter(
                validation_data, validation_steps, validation_batch_size or batch_size
            )
        elif validation_split:
            val = self._split_validation(train, validation_split, steps_per_epoch)
        steps = train.steps
        history = History()
        self.history = history
        cbs = CallbackList(
            list(callbacks or []) + [history],
            self,
            {"epochs": epochs, "steps": steps, "verbose": verbose},
        )
        self.stop_training = False
        self._fit_interrupted = False
        self._initial_epoch, self._initial_step = None, 0
        try:
            with _StopOnSigint() as ctrl_c:
                cbs.on_train_begin({})
                self._replicas_pending = True  # weights copied from rank 0 at the first step
                # BackupAndRestore, restoring a backup, says where to go on (as in Keras).
                if self._initial_epoch is not None:
                    initial_epoch = int(self._initial_epoch)
                skip = int(self._initial_step or 0)
                self._initial_epoch, self._initial_step = None, 0
                logs, training_logs, stopped_at = {}, None, None
                for epoch in range(initial_epoch, epochs):
                    self.reset_metrics()
                    cbs.on_epoch_begin(epoch, {})
                    if verbose == 1:
                        print(f"Epoch {epoch + 1}/{epochs}")
                    bar = Progbar(steps, verbose=1 if verbose == 1 else 0)  # 2: below
                    start = time.perf_counter()
                    done = 0
                    batches = train.epoch()
                    for step, data in enumerate(batches):
                        if step < skip:  # done before the backup this run resumed from
                            continue
                        cbs.on_train_batch_begin(step, {})
                        logs = self._run_train_step(data)
                        done = step + 1
                        cbs.on_train_batch_end(step, logs)
                        if steps is None or step + 1 < steps:
                            bar.update(step + 1, logs)
                        _agree_to_stop(self, ctrl_c)
                        if ctrl_c.requested:
                            stopped_at = (epoch, step)
                            break
                        if self.stop_training:
                            break
                    batches.close()  # stops a prefetch thread when the epoch ended early
                    skip = 0
                    if stopped_at is not None:
                        if verbose == 1 and bar.dynamic:
                            print()  # end the progress bar's line
                        break
                    if done == 0:
                        warn_out_of_data("fit", 0)
                        break
                    train.on_epoch_end()
                    epoch_logs = dict(logs)
                    if val is not None and (epoch + 1) % validation_freq == 0:
                        # the callbacks see the validation as an evaluation, as in Keras
                        # (a callback's on_test_batch_end sums a metric over it)
                        cbs.on_test_begin({})
                        val_logs = self._run_evaluation(val, cbs)
                        cbs.on_test_end(val_logs)
                        epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
                    if replicas.active() is not None:
                        replicas.end_epoch(self)
                    elapsed = time.perf_counter() - start
                    bar.update(steps or done, epoch_logs, finalize=True)
                    if verbose == 2:
                        items = "".join(f" - {k}: {format_value(v)}" for k, v in epoch_logs.items())
                        print(
                            f"Epoch {epoch + 1}/{epochs}\n{done}/{steps or done} - "
                            f"{format_duration(elapsed)} - "
                            f"{format_duration(elapsed / max(done, 1))}/step{items}"
                        )
                    cbs.on_epoch_end(epoch, epoch_logs)
                    training_logs = epoch_logs
                    _agree_to_stop(self, ctrl_c)
                    if ctrl_c.requested:
                        stopped_at = (epoch, done - 1)
                        break
                    if self.stop_training:
                        break
                    if getattr(train, "exhausted", False) and train.steps is not None:
                        warn_out_of_data("fit", done)
                        break
                if stopped_at is not None:
                    self._fit_interrupted = True
                    print(_interrupt_message(stopped_at, epochs, steps or done,
                                             len(history.epoch)))
                cbs.on_train_end(training_logs if training_logs is not None else logs)
        finally:
            train.close()
            if val is not None:
                val.close()
        if replicas.active() is not None:
            replicas.active().barrier()  # what rank 0 wrote is there before any rank reads it
        return history

    def _validation_adapter(self, validation_data, steps, batch_size):
        prefix = "validation_data "
        if is_batch_source(validation_data):
            return self._adapter(
                validation_data, None, None, batch_size, steps=steps,
                need_y=self._needs_targets("test_step"), what="fit validation_data",
                step="test_step",
            )
        if not isinstance(validation_data, (list, tuple)) or len(validation_data) not in (1, 2, 3):
            got = type(validation_data).__name__
            if isinstance(validation_data, (list, tuple)):
                got += f" of length {len(validation_data)}"
            raise ValueError(
                "validation_data must be a tuple (x_val, y_val) or (x_val, y_val, "
                f"val_sample_weight) (or (x_val,) for a model that needs no targets), a "
                f"generator or a PyDataset; got a {got}"
            )
        vx, vy, vsw = (*validation_data, None, None)[:3]
        return self._adapter(
            vx, vy, vsw, batch_size, steps=steps, prefix=prefix,
            need_y=self._needs_targets("test_step"), step="test_step",
        )

    @staticmethod
    def _split_validation(train, validation_split, steps_per_epoch):
        """Keras's ``validation_split``: the last fraction of the arrays, before shuffling."""
        if not 0.0 < validation_split < 1.0:
            raise ValueError(f"validation_split must be in (0, 1), got {validation_split}")
        n = train.n
        cut = int(n * (1.0 - validation_split))
        if cut == 0 or cut == n:
            raise ValueError(
                f"validation_split={validation_split} leaves an empty set of {n} samples"
            )
        xs, ys, sw = train.xs, train.ys, train.sw
        val = ArrayAdapter(
            train.pack, [a[cut:] for a in xs], None if ys is None else [a[cut:] for a in ys],
            D.take_weights(sw, slice(cut, None)), train.batch_size,
        )
        train.__init__(
            train.pack, [a[:cut] for a in xs], None if ys is None else [a[:cut] for a in ys],
            D.take_weights(sw, slice(None, cut)), train.batch_size, train.shuffle, steps_per_epoch,
        )
        return val

    def _run_evaluation(self, adapter, cbs=None, bar=None):
        self.reset_metrics()
        logs, done = {}, 0
        batches = adapter.epoch()
        for step, data in enumerate(batches):
            if cbs:
                cbs.on_test_batch_begin(step, {})
            logs = self._run_test_step(data)
            done = step + 1
            if cbs:
                cbs.on_test_batch_end(step, logs)
            if bar:
                bar.update(done, logs, finalize=True if done == adapter.steps else None)
        batches.close()
        if bar and adapter.steps is None:
            bar.update(done, logs, finalize=True)
        return logs

    def evaluate(
        self,
        x=None,
        y=None,
        batch_size=None,
        verbose="auto",
        sample_weight=None,
        steps=None,
        callbacks=None,
        return_dict=False,
        max_queue_size=10,
        workers=1,
        use_multiprocessing=False,
    ):
        """Loss and metrics on ``(x, y)`` (or a generator/``PyDataset`` of batches, read
        ``steps`` batches or to its end): a float, a list ``[loss, *metrics]`` or a dict."""
        self._check_compiled("evaluating it")
        _loading_settings(x, workers, use_multiprocessing, max_queue_size)
        verbose = _verbosity(verbose) if _is_chief() else 0
        batch_size = _batch_size(batch_size)
        data = self._adapter(
            x, y, sample_weight, batch_size, steps=steps,
            need_y=self._needs_targets("test_step"), what="evaluate", step="test_step",
        )
        try:
            cbs = CallbackList(list(callbacks or []), self, {"steps": data.steps,
                                                              "verbose": verbose})
            cbs.on_test_begin({})
            bar = Progbar(data.steps, verbose=verbose)
            logs = self._run_evaluation(data, cbs, bar)
            cbs.on_test_end(logs)
        finally:
            data.close()
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None,
                max_queue_size=10, workers=1, use_multiprocessing=False):
        """Outputs for ``x`` (arrays, or a generator/``PyDataset`` whose batches are ``x`` or
        ``(x, y, ...)``), computed batch by batch by ``predict_step`` without recording
        gradients.

        For arrays, the result is written into one preallocated array, and the inputs are
        converted to float32 one batch at a time, so memory holds the inputs as given, the
        outputs and one batch of activations, however many samples there are.
        """
        verbose = _verbosity(verbose) if _is_chief() else 0
        batch_size = _batch_size(batch_size)
        if is_batch_source(x):
            _loading_settings(x, workers, use_multiprocessing, max_queue_size)
            return self._predict_batches(x, steps, verbose, callbacks)
        xs, _, _ = self._prepare(x, need_y=False, convert=False, step="predict_step")
        floatx = backend.floatx()
        n = len(xs[0])
        total = -(-n // batch_size)
        if steps:
            total = min(total, int(steps))
            n = min(n, total * batch_size)
        cbs = CallbackList(list(callbacks or []), self, {"steps": total, "verbose": verbose})
        cbs.on_predict_begin({})
        bar = Progbar(total, verbose=verbose)
        results = None
        for step, index in enumerate(D.batches(n, batch_size)):
            cbs.on_predict_batch_begin(step, {})
            batch = [np.asarray(a, dtype=floatx) for a in D.take(xs, index)]
            outs = D.flatten_outputs(self._run_predict_step(self._pack(batch, None, None)))
            if results is None:
                results = [np.empty((n, *o.shape[1:]), dtype=o.dtype) for o in outs]
            for r, o in zip(results, outs):
                r[index] = o
            cbs.on_predict_batch_end(step, {"outputs": outs})
            bar.update(step + 1)
        cbs.on_predict_end({})
        if self.__dict__.get("_output_nesting") is not None:
            return self.pack_outputs(results)  # Model(x, [[a, b], c]): the same nesting
        return results[0] if len(results) == 1 else results

    def _predict_batches(self, source, steps, verbose, callbacks):
        data = self._adapter(source, None, None, None, steps=steps, need_y=False,
                             what="predict", step="predict_step")
        cbs = CallbackList(list(callbacks or []), self, {"steps": data.steps,
                                                          "verbose": verbose})
        cbs.on_predict_begin({})
        bar = Progbar(data.steps, verbose=verbose)
        chunks = []
        try:
            for step, batch in enumerate(data.epoch()):
                cbs.on_predict_batch_begin(step, {})
                outs = self._run_predict_step(batch)
                chunks.append(outs)
                cbs.on_predict_batch_end(step, {"outputs": outs})
                bar.update(step + 1)
        finally:
            data.close()
        if not chunks:
            raise ValueError("predict: the generator yielded no batches")
        cbs.on_predict_end({})
        return stack_outputs(chunks)

    def predict_classes(self, x, batch_size=32, verbose=0):
        """Keras 2's ``Sequential.predict_classes`` (removed in TensorFlow 2.6): the argmax of
        ``predict`` for several units, ``prediction > 0.5`` for one."""
        warnings.warn("Sequential.predict_classes is Keras 2's (removed in TensorFlow 2.6): use "
                      "np.argmax(model.predict(x), axis=-1)", DeprecationWarning, stacklevel=2)
        probabilities = self.predict(x, batch_size=batch_size, verbose=verbose)
        if probabilities.shape[-1] > 1:
            return probabilities.argmax(axis=-1)
        return (probabilities > 0.5).astype("int32")

    def predict_proba(self, x, batch_size=32, verbose=0):
        """Keras 2's ``Sequential.predict_proba``: ``predict``."""
        warnings.warn("Sequential.predict_proba is Keras 2's (removed in TensorFlow 2.6): use "
                      "model.predict(x)", DeprecationWarning, stacklevel=2)
        return self.predict(x, batch_size=batch_size, verbose=verbose)

    def predict_on_batch(self, x):
        """The outputs for one batch ``x``, checked like ``predict``'s input."""
        xs, _, _ = self._prepare(x, need_y=False, step="predict_step")
        outs = self._run_predict_step(self._pack(xs, None, None))
        return outs[0] if isinstance(outs, list) and len(outs) == 1 else outs  # as predict

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """One optimizer step on this batch; returns its loss (and metrics), as Keras 3."""
        self._check_compiled("training it")
        xs, ys, sw = self._prepare(
            x, y, sample_weight, class_weight, need_y=self._needs_targets("train_step"),
            step="train_step",
        )
        self.reset_metrics()
        logs = self._run_train_step(self._pack(xs, ys, sw))
        return _result(logs, return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        self._check_compiled("evaluating it")
        xs, ys, sw = self._prepare(x, y, sample_weight, need_y=self._needs_targets("test_step"),
                                   step="test_step")
        self.reset_metrics()
        logs = self._run_test_step(self._pack(xs, ys, sw))
        return _result(logs, return_dict)

    # Keras 2's generator methods
    def fit_generator(self, generator, steps_per_epoch=None, epochs=1, verbose=1,
                      callbacks=None, validation_data=None, validation_steps=None,
                      validation_freq=1, class_weight=None, max_queue_size=10, workers=1,
                      use_multiprocessing=False, shuffle=True, initial_epoch=0):
        """Keras 2's ``fit_generator``: ``fit(generator, ...)``, which Keras 3 removed.
        ``workers``/``max_queue_size`` apply to a ``Sequence`` (loaded on threads)."""
        _deprecated("fit_generator", "fit")
        _loading_settings(generator, workers, use_multiprocessing, max_queue_size)
        return self.fit(
            generator, steps_per_epoch=steps_per_epoch, epochs=epochs, verbose=verbose,
            callbacks=callbacks, validation_data=validation_data,
            validation_steps=validation_steps, validation_freq=validation_freq,
            class_weight=class_weight, shuffle=shuffle, initial_epoch=initial_epoch,
        )

    def evaluate_generator(self, generator, steps=None, callbacks=None, max_queue_size=10,
                           workers=1, use_multiprocessing=False, verbose=0):
        """Keras 2's ``evaluate_generator``: ``evaluate(generator, steps=...)``."""
        _deprecated("evaluate_generator", "evaluate")
        _loading_settings(generator, workers, use_multiprocessing, max_queue_size)
        return self.evaluate(generator, steps=steps, callbacks=callbacks, verbose=verbose)

    def predict_generator(self, generator, steps=None, callbacks=None, max_queue_size=10,
                          workers=1, use_multiprocessing=False, verbose=0):
        """Keras 2's ``predict_generator``: ``predict(generator, steps=...)``."""
        _deprecated("predict_generator", "predict")
        _loading_settings(generator, workers, use_multiprocessing, max_queue_size)
        return self.predict(generator, steps=steps, callbacks=callbacks, verbose=verbose)


_TAKES_TRAINING = weakref.WeakKeyDictionary()  # function -> bool


def _takes_training(method):
    """Whether ``method`` (a bound ``compute_loss``) has a ``training`` parameter: looked up
    once per function, as ``inspect.signature`` costs about 0.2 ms, paid at every step."""
    key = getattr(method, "__func__", None)
    if key is None:  # not a plain method (a callable set on the instance): look every time
        return "training" in inspect.signature(method).parameters
    found = _TAKES_TRAINING.get(key)
    if found is None:
        found = _TAKES_TRAINING[key] = "training" in inspect.signature(method).parameters
    return found


def _is_chief():
    dist = replicas.active()
    return dist is None or dist.rank == 0


def _chief_callbacks(callbacks):
    """Under data parallelism, the callbacks that write files (checkpoints, CSV logs, event
    files: ``chief_only``) run on rank 0 alone; the others on every rank, on the same global
    logs, so that they decide alike."""
    callbacks = list(callbacks or [])
    if _is_chief():
        return callbacks
    return [cb for cb in callbacks if not getattr(cb, "chief_only", False)]


def _agree_to_stop(model, ctrl_c):
    """Every rank stops at the same step: when one was interrupted or told to stop, all are."""
    if replicas.active() is None:
        return
    flags = replicas.active().allreduce_sum(
        np.array([bool(ctrl_c.requested), bool(model.stop_training)], dtype=np.float64))
    ctrl_c.requested = ctrl_c.requested or bool(flags[0])
    model.stop_training = model.stop_training or bool(flags[1])


def _deprecated(old, new):
    warnings.warn(
        f"Model.{old} is deprecated (Keras 2; Keras 3 removed it): use Model.{new}, which "
        "takes generators and PyDatasets",
        DeprecationWarning,
        stacklevel=3,
    )


def _loading_settings(source, workers, use_multiprocessing, max_queue_size):
    from ..utils.py_dataset import PyDataset

    if isinstance(source, PyDataset) and (workers != 1 or max_queue_size != 10):
        source.workers = workers
        source.use_multiprocessing = use_multiprocessing
        source.max_queue_size = max_queue_size


def _scalar(value):
    """A loss (Tensor, array or number) as a Python float; the mean when it is not a
    scalar (a per-sample loss returned by a custom ``compute_loss``)."""
    a = np.asarray(to_host(value), dtype=np.float64)
    return float(a) if a.ndim == 0 or a.size == 1 else float(a.mean())


def _pythonify(logs):
    """A step's logs as Python floats (a Tensor or array of one value), for callbacks and
    the History, a nested dict's entries lifted to the top (as Keras 3 does); values that
    are not scalars are kept as arrays."""
    if not isinstance(logs, dict):
        raise TypeError(
            f"train_step/test_step must return a dict of logs, e.g. {{'loss': loss}}; got a "
            f"{type(logs).__name__}"
        )
    out = {}
    for key, value in logs.items():
        if isinstance(value, dict):  # a container's result (compile_metrics): its entries
            out.update(_pythonify(value))
            continue
        a = np.asarray(to_host(value))
        out[key] = float(a) if a.size == 1 and np.issubdtype(a.dtype, np.number) else a
    return out


def _outputs_as_arrays(outputs):
    if isinstance(outputs, (list, tuple)):
        return [_outputs_as_arrays(o) if isinstance(o, (list, tuple)) else np.asarray(to_host(o))
                for o in outputs]
    return np.asarray(to_host(outputs))


def _result(logs, return_dict):
    if return_dict:
        return logs
    values = list(logs.values())
    return values[0] if len(values) == 1 else values


def _fmt(shape):
    from ..layers.base import format_shape

    return format_shape(shape)


class _StopOnSigint:
    """Within ``with``: Ctrl-C (SIGINT) asks ``fit`` to stop at the end of the current batch.

    Why: a ``KeyboardInterrupt`` raised wherever Python happens to be can land between a
    weight's update and the next one's, leaving the model half-stepped, and it skips
    ``on_train_end`` (where callbacks restore best weights or finish their files). So the
    handler only sets ``requested``; the training loop looks at it after each batch. A second
    Ctrl-C raises ``KeyboardInterrupt`` at once, for a batch that takes too long.

    The handler is installed only in the main thread (Python delivers signals there and
    ``signal.signal`` works nowhere else) and only over a Python-level handler or the default:
    a SIGINT that is ignored (``SIG_IGN``, e.g. under ``nohup``) stays ignored. The previous
    handler is put back on exit, whatever happened.
    """

    def __init__(self):
        self.requested = False
        self._previous = None
        self._installed = False

    def __enter__(self):
        if threading.current_thread() is not threading.main_thread():
            return self
        try:
            previous = signal.getsignal(signal.SIGINT)
        except (ValueError, OSError):
            return self
        if previous is None or previous == signal.SIG_IGN:
            return self  # set from C (cannot be restored) or ignored on purpose
        self._previous = previous
        signal.signal(signal.SIGINT, self._handle)
        self._installed = True
        return self

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __exit__(self, *exc):
        if self._installed:
            signal.signal(signal.SIGINT, self._previous)
            self._installed = False
        return False


def _interrupt_message(stopped_at, epochs, steps, finished):
    """The one line ``fit`` prints when Ctrl-C stopped it."""
    epoch, step = stopped_at
    return (
        f"Training interrupted at epoch {epoch + 1}/{epochs}, batch {step + 1}/{steps}: the "
        f"model holds the weights of that batch, the last one finished; the History returned "
        f"has the {finished} finished epoch(s)."
    )


def _metric_specs(metrics, n_out, names):
    """``compile(metrics=...)`` as one list of metric identifiers per output (or ``None``).

    Keras's forms: a flat list (every output gets each metric), a list of lists (one list per
    output, in order; ``None`` for none) and a dict keyed by output name (a value may be one
    metric or a list).
    """
    if metrics is None:
        return [None] * n_out

    def as_group(item):
        if item is None:
            return None
        return list(item) if isinstance(item, (list, tuple)) else [item]

    if isinstance(metrics, dict):
        unknown = sorted(set(metrics) - set(names))
        if unknown:
            raise ValueError(
                f"compile(metrics=...) names outputs {unknown}, but the model's outputs are {names}"
            )
        return [as_group(metrics.get(name)) for name in names]
    if not isinstance(metrics, (list, tuple)):
        metrics = [metrics]
    nested = [m for m in metrics if isinstance(m, (list, tuple))]
    if not nested:
        return [list(metrics)] * n_out
    if len(metrics) == n_out and all(m is None or isinstance(m, (list, tuple)) for m in metrics):
        return [as_group(m) for m in metrics]
    raise ValueError(
        f"compile(metrics=...) got {len(metrics)} entries for a model of {n_out} output(s): "
        "pass a flat list (applied to every output), one list per output, or a dict keyed by "
        f"output name ({names})"
    )


def _verbosity(verbose):
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2):
        raise ValueError(f"verbose must be 0, 1, 2 or 'auto', got {verbose!r}")
    return verbose


def _batch_size(batch_size):
    if batch_size is None:
        return 32
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    return int(batch_size)


def _class_weights(y, class_weight, sw):
    y = np.asarray(y)
    labels = np.argmax(y, -1) if y.ndim > 1 and y.shape[-1] > 1 else y.reshape(len(y))
    labels = labels.astype(np.int64)
    weights = np.array([class_weight.get(int(c), 1.0) for c in labels], dtype=backend.floatx())
    return weights if sw is None else sw * weights


__all__ = ["Trainer"]
