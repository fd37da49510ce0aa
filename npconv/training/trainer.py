"""``compile``/``fit``/``evaluate``/``predict``: the training loop, knowing nothing of layers.

One training step: run the model with ``training=True``, compute the compiled loss (per output,
weighted by ``loss_weights``) plus the layers' regularization penalties, ``backward()``, and let
the optimizer update the trainable weights in place. Metrics are computed on the predictions as
plain arrays. ``fit`` shuffles with npconv's seeded generator, so ``set_random_seed`` repeats a
run exactly.
"""

from __future__ import annotations

import signal
import sys
import threading
import time

import numpy as np

from .. import backend
from ..autograd import no_grad
from ..callbacks.base import CallbackList, History
from . import data as D
from .progbar import Progbar, format_duration, format_value


class Trainer:
    """Mixed into ``Model``: everything between data and the optimizer."""

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
        """Choose the optimizer, loss(es) and metrics, by object or by Keras's names."""
        from .. import losses as losses_module
        from .. import optimizers

        if kwargs:
            raise TypeError(f"compile() got unexpected keyword argument(s) {sorted(kwargs)}")
        if loss is None:
            raise ValueError("compile() needs a loss, e.g. loss='categorical_crossentropy'")
        self.optimizer = optimizers.get(optimizer)
        n_out = self._n_outputs()
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
            self.compiled_losses = [losses_module.get(loss)] * n_out
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
        self._metric_specs = _metric_specs(metrics, n_out, names)
        self._metrics = None
        self.compiled = True
        self.stop_training = False

    def _n_outputs(self):
        outs = getattr(self, "outputs", None)
        return len(outs) if getattr(self, "_functional", False) and outs else 1

    def _single_input_model(self):
        if getattr(self, "_functional", False):
            return len(self.inputs) == 1
        return hasattr(self, "_stack")  # Sequential; a subclassed model may take several

    def _model_input(self, xs):
        """What the model is called on: one array, or the list a model built with a list of
        inputs expects — even a list of one (``Model([x], [y])``), which must not be unwrapped
        (the model would iterate the array's rows)."""
        if getattr(self, "_functional", False) and not getattr(self, "_single_input", True):
            return list(xs)
        return xs[0] if len(xs) == 1 else list(xs)

    def _output_names(self):
        if getattr(self, "_functional", False):
            names = []
            for t in self.outputs:
                layer, outs = t.node.layer, t.node.outputs
                if len(outs) > 1 and hasattr(layer, "_output_names"):  # a multi-output model
                    names.append(layer._output_names()[outs.index(t)])
                else:
                    names.append(layer.name)
            return [n if names.count(n) == 1 else f"{n}_{i}" for i, n in enumerate(names)]
        return [self.layers[-1].name if self.layers else "output"]

    def _check_compiled(self, what):
        if not self.compiled:
            raise RuntimeError(
                f"You must compile the model before {what}: "
                "model.compile(optimizer=..., loss=..., metrics=[...])"
            )

    # metrics
    def _build_metrics(self, ys, preds):
        from .. import metrics as M

        self._metrics = []
        multi = len(ys) > 1
        names = self._output_names()
        for i, (spec, y, p) in enumerate(zip(self._metric_specs, ys, preds)):
            out = []
            for item in spec or []:
                metric = M.resolve(item, y, p)
                if multi:
                    metric.name = f"{names[i]}_{metric.name}"
                out.append(metric)
            self._metrics.append(out)
        self._loss_trackers = [M.Mean(name="loss")]
        if multi:
            self._loss_trackers += [M.Mean(name=f"{n}_loss") for n in names]

    def reset_metrics(self):
        for metric in self._all_metrics():
            metric.reset_state()

    def _all_metrics(self):
        if self._metrics is None:
            return []
        return list(self._loss_trackers) + [m for group in self._metrics for m in group]

    @property
    def metrics_names(self):
        return [m.name for m in self._all_metrics()] or ["loss"]

    def _logs(self):
        # a metric with one value per class or threshold (F1Score(), Precision(thresholds=[..]))
        # logs its array, as Keras does; the others a float
        logs = {}
        for m in self._all_metrics():
            value = np.asarray(m.result(), dtype=np.float64)
            logs[m.name] = float(value) if value.ndim == 0 else value
        return logs

    # one step
    def _forward_loss(self, xs, ys, sw, training):
        outputs = self(self._model_input(xs), training=training)
        preds = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
        terms = []
        for loss_fn, weight, y, p in zip(self.compiled_losses, self.loss_weights, ys, preds):
            if loss_fn is None:
                terms.append(None)
                continue
            value = loss_fn(y, p, sample_weight=sw)
            terms.append(value if weight == 1.0 else value * weight)
        total = None
        for term in [t for t in terms if t is not None] + list(self.losses):
            total = term if total is None else total + term
        return total, terms, preds

    def _update_metrics(self, total, terms, ys, preds, sw):
        if self._metrics is None:
            self._build_metrics(ys, [p.data for p in preds])
        n = len(ys[0])
        self._loss_trackers[0].update_state(float(total.data), sample_weight=n)
        for tracker, term in zip(self._loss_trackers[1:], terms):
            if term is not None:
                tracker.update_state(float(term.data), sample_weight=n)
        for group, y, p in zip(self._metrics, ys, preds):
            for metric in group:
                metric.update_state(y, p.data, sample_weight=sw)

    def _train_batch(self, xs, ys, sw):
        params = self.trainable_weights
        for v in params:
            v.grad = None
        total, terms, preds = self._forward_loss(xs, ys, sw, training=True)
        total.backward()
        self.optimizer.apply_gradients([(v.grad, v) for v in params if v.grad is not None])
        for v in params:
            v.grad = None
        self._update_metrics(total, terms, ys, preds, sw)

    def _test_batch(self, xs, ys, sw):
        with no_grad():
            total, terms, preds = self._forward_loss(xs, ys, sw, training=False)
        self._update_metrics(total, terms, ys, preds, sw)

    # data
    def _prepare(self, x, y=None, sample_weight=None, class_weight=None, need_y=True, prefix="",
                 convert=True):
        """Check and convert what the user passed (see ``npconv.training.data``): every
        problem is reported here, before any training, naming the argument (``prefix`` is
        ``"validation_data "`` for the validation set)."""
        xs = D.as_list(x)
        if self._single_input_model() and D.is_nested_samples(x):
            xs = [x]  # a plain list of samples, not a list of inputs
        if xs is None:
            raise ValueError(f"No input data: pass {prefix}x")
        if isinstance(xs, dict):
            names = [t.node.layer.name for t in getattr(self, "inputs", None) or []]
            missing = [n for n in names if n not in xs]
            if missing:
                raise ValueError(f"Input dict lacks {missing}; it has {sorted(xs)}")
            xs = [xs[n] for n in names]
        if not xs:
            raise ValueError(f"No input data: {prefix}x is an empty list")
        x_names = [f"{prefix}x[{i}]" if len(xs) > 1 else f"{prefix}x" for i in range(len(xs))]
        xs = [D.to_float_array(a, name, convert) for a, name in zip(xs, x_names)]
        self._check_inputs(xs)
        ys = None
        y_names = []
        if y is not None:
            ys = D.as_list(y)
            if self._n_outputs() == 1 and D.is_nested_samples(y):
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
            if len(ys) != self._n_outputs():
                raise ValueError(
                    f"Model has {self._n_outputs()} output(s), got {len(ys)} target arrays "
                    f"in {prefix}y"
                )
            y_names = [f"{prefix}y[{i}]" if len(ys) > 1 else f"{prefix}y" for i in range(len(ys))]
            ys = [D.to_label_array(a, name) for a, name in zip(ys, y_names)]
        elif need_y:
            raise ValueError(f"No target data: pass {prefix}y (labels) as well as {prefix}x")
        sw = None
        if sample_weight is not None:
            sw = D.to_sample_weight(sample_weight, f"{prefix}sample_weight")
        D.check_lengths(xs + (ys or []) + [sw], x_names + y_names + [f"{prefix}sample_weight"])
        if ys is not None:
            self._check_targets(ys, prefix)
        if class_weight is not None:
            sw = _class_weights(ys[0], class_weight, sw)
        return xs, ys, sw

    def _check_inputs(self, xs):
        """Each input array against the layer that receives it: rank and known sizes, with a
        reshape hint when one obviously fits (the missing channels axis of MNIST images)."""
        if getattr(self, "_functional", False):
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
        shape = (None, *xs[0].shape[1:])
        if len(xs) != 1 and not getattr(self, "_functional", False) and hasattr(self, "_stack"):
            raise ValueError(
                f"Sequential model '{self.name}' takes one input array, got a list of {len(xs)}"
            )
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
    ):
        """Train for ``epochs`` passes over ``(x, y)``; return the ``History``.

        The data are checked before anything runs (``npconv.training.data``). Ctrl-C stops
        training at the end of the current batch (a second Ctrl-C aborts at once): ``fit``
        prints one line saying where, runs ``on_train_end`` and returns the ``History`` of the
        finished epochs; the model keeps the weights of the last finished batch. A
        ``BackupAndRestore`` callback may move the start past ``initial_epoch`` — to resume
        a run from its backup, as in Keras.
        """
        self._check_compiled("training it")
        verbose = _verbosity(verbose)
        batch_size = _batch_size(batch_size)
        xs, ys, sw = self._prepare(x, y, sample_weight, class_weight)
        n = len(xs[0])
        val = None
        if validation_data is not None:
            if not isinstance(validation_data, (list, tuple)) or len(validation_data) not in (2, 3):
                got = type(validation_data).__name__
                if isinstance(validation_data, (list, tuple)):
                    got += f" of length {len(validation_data)}"
                raise ValueError(
                    "validation_data must be a tuple (x_val, y_val) or (x_val, y_val, "
                    f"val_sample_weight), got a {got}"
                )
            vx, vy, *vsw = validation_data
            val = self._prepare(vx, vy, vsw[0] if vsw else None, prefix="validation_data ")
        elif validation_split:
            if not 0.0 < validation_split < 1.0:
                raise ValueError(f"validation_split must be in (0, 1), got {validation_split}")
            cut = int(n * (1.0 - validation_split))
            if cut == 0 or cut == n:
                raise ValueError(
                    f"validation_split={validation_split} leaves an empty set of {n} samples"
                )
            val = ([a[cut:] for a in xs], [a[cut:] for a in ys], None if sw is None else sw[cut:])
            xs, ys = [a[:cut] for a in xs], [a[:cut] for a in ys]
            sw = None if sw is None else sw[:cut]
            n = cut
        steps = -(-n // batch_size)
        if steps_per_epoch:
            steps = min(steps, int(steps_per_epoch))
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
        with _StopOnSigint() as ctrl_c:
            cbs.on_train_begin({})
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
                bar = Progbar(steps, verbose=verbose)
                start = time.perf_counter()
                order = backend.rng().permutation(n) if shuffle else None
                for step, index in enumerate(D.batches(n, batch_size, order)):
                    if step >= steps:
                        break
                    if step < skip:  # done before the backup this run resumed from
                        continue
                    cbs.on_train_batch_begin(step, {})
                    self._train_batch(
                        D.take(xs, index), D.take(ys, index), None if sw is None else sw[index]
                    )
                    logs = self._logs()
                    cbs.on_train_batch_end(step, logs)
                    if step + 1 < steps:
                        bar.update(step + 1, logs)
                    if ctrl_c.requested:
                        stopped_at = (epoch, step)
                        break
                    if self.stop_training:
                        break
                skip = 0
                if stopped_at is not None:
                    if verbose == 1 and bar.dynamic:
                        print()  # end the progress bar's line
                    break
                epoch_logs = dict(logs)
                if val is not None and (epoch + 1) % validation_freq == 0:
                    val_logs = self._evaluate_arrays(*val, validation_batch_size or batch_size)
                    epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
                elapsed = time.perf_counter() - start
                bar.update(steps, epoch_logs, finalize=True)
                if verbose == 2:
                    items = "".join(f" - {k}: {format_value(v)}" for k, v in epoch_logs.items())
                    print(
                        f"Epoch {epoch + 1}/{epochs}\n{steps}/{steps} - {format_duration(elapsed)}"
                        f" - {format_duration(elapsed / max(steps, 1))}/step{items}"
                    )
                cbs.on_epoch_end(epoch, epoch_logs)
                training_logs = epoch_logs
                if ctrl_c.requested:
                    stopped_at = (epoch, steps - 1)
                    break
                if self.stop_training:
                    break
            if stopped_at is not None:
                self._fit_interrupted = True
                print(_interrupt_message(stopped_at, epochs, steps, len(history.epoch)))
            cbs.on_train_end(training_logs if training_logs is not None else logs)
        return history

    def _evaluate_arrays(self, xs, ys, sw, batch_size, cbs=None, bar=None):
        self.reset_metrics()
        n = len(xs[0])
        logs = {}
        for step, index in enumerate(D.batches(n, batch_size)):
            if cbs:
                cbs.on_test_batch_begin(step, {})
            self._test_batch(
                D.take(xs, index), D.take(ys, index), None if sw is None else sw[index]
            )
            logs = self._logs()
            if cbs:
                cbs.on_test_batch_end(step, logs)
            if bar:
                bar.update(step + 1, logs)
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
    ):
        """Loss and metrics on ``(x, y)``: a float, a list ``[loss, *metrics]`` or a dict."""
        self._check_compiled("evaluating it")
        verbose = _verbosity(verbose)
        batch_size = _batch_size(batch_size)
        xs, ys, sw = self._prepare(x, y, sample_weight)
        steps_total = -(-len(xs[0]) // batch_size)
        cbs = CallbackList(list(callbacks or []), self, {"steps": steps_total, "verbose": verbose})
        cbs.on_test_begin({})
        bar = Progbar(steps_total, verbose=verbose)
        logs = self._evaluate_arrays(xs, ys, sw, batch_size, cbs, bar)
        cbs.on_test_end(logs)
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Outputs for ``x``, computed batch by batch without recording gradients.

        The result is written into one preallocated array, and the inputs are converted to
        float32 one batch at a time, so memory holds the inputs as given, the outputs and one
        batch of activations, however many samples there are.
        """
        verbose = _verbosity(verbose)
        batch_size = _batch_size(batch_size)
        xs, _, _ = self._prepare(x, need_y=False, convert=False)
        floatx = backend.floatx()
        n = len(xs[0])
        total = -(-n // batch_size)
        cbs = CallbackList(list(callbacks or []), self, {"steps": total, "verbose": verbose})
        cbs.on_predict_begin({})
        bar = Progbar(total, verbose=verbose)
        results = None
        for step, index in enumerate(D.batches(n, batch_size)):
            cbs.on_predict_batch_begin(step, {})
            batch = [np.asarray(a, dtype=floatx) for a in D.take(xs, index)]
            outs = self._predict_batch(self._model_input(batch))
            outs = outs if isinstance(outs, list) else [outs]
            if results is None:
                results = [np.empty((n, *o.shape[1:]), dtype=o.dtype) for o in outs]
            for r, o in zip(results, outs):
                r[index] = o
            cbs.on_predict_batch_end(step, {"outputs": outs})
            bar.update(step + 1)
        cbs.on_predict_end({})
        return results[0] if len(results) == 1 else results

    def predict_on_batch(self, x):
        """The outputs for one batch ``x``, checked like ``predict``'s input."""
        xs, _, _ = self._prepare(x, need_y=False)
        outs = self._predict_batch(self._model_input(xs))
        return outs[0] if isinstance(outs, list) and len(outs) == 1 else outs  # as predict

    def _predict_batch(self, x):
        with no_grad():
            out = self(x, training=False)
        if isinstance(out, (list, tuple)):
            return [o.data for o in out]
        return out.data

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """One optimizer step on this batch; returns its loss (and metrics), as Keras 3."""
        self._check_compiled("training it")
        xs, ys, sw = self._prepare(x, y, sample_weight, class_weight)
        self.reset_metrics()
        self._train_batch(xs, ys, sw)
        return self._result(return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        self._check_compiled("evaluating it")
        xs, ys, sw = self._prepare(x, y, sample_weight)
        self.reset_metrics()
        self._test_batch(xs, ys, sw)
        return self._result(return_dict)

    def _result(self, return_dict):
        logs = self._logs()
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


__all__ = ["Trainer", "sys"]
