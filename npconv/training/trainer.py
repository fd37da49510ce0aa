"""``compile``/``fit``/``evaluate``/``predict``: the training loop, knowing nothing of layers.

One training step: run the model with ``training=True``, compute the compiled loss (per output,
weighted by ``loss_weights``) plus the layers' regularization penalties, ``backward()``, and let
the optimizer update the trainable weights in place. Metrics are computed on the predictions as
plain arrays. ``fit`` shuffles with npconv's seeded generator, so ``set_random_seed`` repeats a
run exactly.
"""

from __future__ import annotations

import sys
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
        if isinstance(metrics, dict):
            metrics = [metrics.get(name) for name in names]
        elif (
            metrics is not None
            and n_out > 1
            and not any(isinstance(m, (list, tuple)) for m in metrics)
        ):
            metrics = [metrics] * n_out
        elif metrics is not None:
            metrics = [metrics]
        self._metric_specs = metrics or [None] * n_out
        self._metrics = None
        self.compiled = True
        self.stop_training = False

    def _n_outputs(self):
        outs = getattr(self, "outputs", None)
        return len(outs) if getattr(self, "_functional", False) and outs else 1

    def _output_names(self):
        if getattr(self, "_functional", False):
            return [t.node.layer.name for t in self.outputs]
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
        return {m.name: float(m.result()) for m in self._all_metrics()}

    # one step
    def _forward_loss(self, xs, ys, sw, training):
        outputs = self(xs[0] if len(xs) == 1 else xs, training=training)
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
    def _prepare(self, x, y=None, sample_weight=None, class_weight=None, need_y=True):
        xs = D.as_list(x)
        if xs is None:
            raise ValueError("No input data: pass x")
        if isinstance(xs, dict):
            names = [t.node.layer.name for t in getattr(self, "inputs", None) or []]
            missing = [n for n in names if n not in xs]
            if missing:
                raise ValueError(f"Input dict lacks {missing}; it has {sorted(xs)}")
            xs = [xs[n] for n in names]
        xs = [D.to_float_array(a, f"x[{i}]" if len(xs) > 1 else "x") for i, a in enumerate(xs)]
        self._check_inputs(xs)
        ys = None
        if y is not None:
            ys = D.as_list(y)
            if isinstance(ys, dict):
                ys = [ys[n] for n in self._output_names()]
            ys = [D.to_label_array(a, f"y[{i}]" if len(ys) > 1 else "y") for i, a in enumerate(ys)]
            if len(ys) != self._n_outputs():
                raise ValueError(f"Model has {self._n_outputs()} outputs, got {len(ys)} targets")
            self._check_targets(ys)
        elif need_y:
            raise ValueError("No target data: pass y (labels) as well as x")
        sw = None
        if sample_weight is not None:
            sw = np.asarray(sample_weight, dtype=backend.floatx())
        if class_weight is not None:
            sw = _class_weights(ys[0], class_weight, sw)
        D.check_lengths(
            xs + (ys or []) + [sw],
            [f"x[{i}]" for i in range(len(xs))]
            + [f"y[{i}]" for i in range(len(ys or []))]
            + ["sample_weight"],
        )
        return xs, ys, sw

    def _check_inputs(self, xs):
        if getattr(self, "_functional", False):
            for t, a in zip(self.inputs, xs):
                t.node.layer.check_input_shape(a.shape)
                expected = t.shape
                if len(expected) != a.ndim or any(
                    e is not None and e != s for e, s in zip(expected[1:], a.shape[1:])
                ):
                    raise ValueError(
                        f"Input '{t.node.layer.name}' expects data of shape "
                        f"{_fmt(expected)}, got {_fmt((None, *a.shape[1:]))}"
                    )
            return
        shape = (None, *xs[0].shape[1:])
        self._maybe_build(shape)
        self.check_input_shape(shape)

    def _check_targets(self, ys):
        out_shapes = self.built_output_shape
        out_shapes = out_shapes if isinstance(out_shapes, list) else [out_shapes]
        for loss_fn, y, shape in zip(self.compiled_losses, ys, out_shapes):
            if loss_fn is None or shape is None:
                continue
            name = getattr(loss_fn, "name", "")
            units = shape[-1]
            if name == "categorical_crossentropy" and (
                y.ndim < len(shape) or (units not in (None, 1) and y.shape[-1] != units)
            ):
                hint = ""
                if y.ndim == 1 or y.shape[-1] == 1:
                    hint = (
                        " Integer class labels? Use loss='sparse_categorical_crossentropy', "
                        f"or one-hot encode them with npconv.utils.to_categorical(y, {units})."
                    )
                raise ValueError(
                    f"categorical_crossentropy expects one-hot labels of shape {_fmt(shape)}, "
                    f"got labels of shape {_fmt((None, *y.shape[1:]))}.{hint}"
                )
            if (
                name == "sparse_categorical_crossentropy"
                and y.ndim == len(shape)
                and (y.shape[-1] != 1)
            ):
                raise ValueError(
                    "sparse_categorical_crossentropy expects integer labels of shape (None,) "
                    f"or (None, 1), got {_fmt((None, *y.shape[1:]))}: one-hot labels need "
                    "loss='categorical_crossentropy'"
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
        """Train for ``epochs`` passes over ``(x, y)``; return the ``History``."""
        self._check_compiled("training it")
        verbose = _verbosity(verbose)
        batch_size = _batch_size(batch_size)
        xs, ys, sw = self._prepare(x, y, sample_weight, class_weight)
        n = len(xs[0])
        val = None
        if validation_data is not None:
            vx, vy, *vsw = validation_data
            val = self._prepare(vx, vy, vsw[0] if vsw else None)
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
        cbs.on_train_begin()
        logs = {}
        for epoch in range(initial_epoch, epochs):
            self.reset_metrics()
            cbs.on_epoch_begin(epoch)
            if verbose == 1:
                print(f"Epoch {epoch + 1}/{epochs}")
            bar = Progbar(steps, verbose=verbose)
            start = time.perf_counter()
            order = backend.rng().permutation(n) if shuffle else None
            for step, index in enumerate(D.batches(n, batch_size, order)):
                if step >= steps:
                    break
                cbs.on_train_batch_begin(step)
                self._train_batch(
                    D.take(xs, index), D.take(ys, index), None if sw is None else sw[index]
                )
                logs = self._logs()
                cbs.on_train_batch_end(step, logs)
                if step + 1 < steps:
                    bar.update(step + 1, logs)
                if self.stop_training:
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
            if self.stop_training:
                break
        cbs.on_train_end(logs)
        return history

    def _evaluate_arrays(self, xs, ys, sw, batch_size, cbs=None, bar=None):
        self.reset_metrics()
        n = len(xs[0])
        logs = {}
        for step, index in enumerate(D.batches(n, batch_size)):
            if cbs:
                cbs.on_test_batch_begin(step)
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
        cbs.on_test_begin()
        bar = Progbar(steps_total, verbose=verbose)
        logs = self._evaluate_arrays(xs, ys, sw, batch_size, cbs, bar)
        cbs.on_test_end(logs)
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Outputs for ``x``, computed batch by batch without recording gradients.

        The result is written into one preallocated array, so memory holds the inputs, the
        outputs and one batch of activations, however many samples there are.
        """
        verbose = _verbosity(verbose)
        batch_size = _batch_size(batch_size)
        xs, _, _ = self._prepare(x, need_y=False)
        n = len(xs[0])
        total = -(-n // batch_size)
        cbs = CallbackList(list(callbacks or []), self, {"steps": total, "verbose": verbose})
        cbs.on_predict_begin()
        bar = Progbar(total, verbose=verbose)
        results = None
        for step, index in enumerate(D.batches(n, batch_size)):
            cbs.on_predict_batch_begin(step)
            outs = self.predict_on_batch([a[index] for a in xs] if len(xs) > 1 else xs[0][index])
            outs = outs if isinstance(outs, list) else [outs]
            if results is None:
                results = [np.empty((n, *o.shape[1:]), dtype=o.dtype) for o in outs]
            for r, o in zip(results, outs):
                r[index] = o
            cbs.on_predict_batch_end(step, {"outputs": outs})
            bar.update(step + 1)
        cbs.on_predict_end()
        return results[0] if len(results) == 1 else results

    def predict_on_batch(self, x):
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
