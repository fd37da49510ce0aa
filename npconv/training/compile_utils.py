"""What ``compile`` builds for the default steps, and the Keras 2 handles custom steps use.

- ``CompileMetrics``: the container of the metrics given to ``compile(metrics=...)``, one group
  per output. It is a ``Metric`` (named ``compile_metrics``, as in Keras 3), so a custom step can
  treat every entry of ``model.metrics`` alike (``metric.update_state(y, y_pred)``, Keras 3's
  guide); it builds its metrics from the first batch's shapes (``'accuracy'`` becomes binary,
  sparse or categorical), and its ``result()`` is a dict of their values.
- ``CompiledLoss``: ``model.compiled_loss(y, y_pred, sample_weight, regularization_losses)``,
  the call of Keras 2's custom ``train_step`` (kept by Keras 3 with a deprecation warning): the
  compiled losses plus the given penalties, recorded in the ``loss`` tracker.
"""

from __future__ import annotations

from .. import metrics as M


class CompileMetrics(M.Metric):
    """The compiled metrics of every output (see the module docstring)."""

    def __init__(self, specs, output_names):
        self.specs = specs
        self.output_names = output_names
        self.groups = None  # one list of metrics per output, once built
        super().__init__(name="compile_metrics")

    @property
    def metrics(self):
        """The built metrics, flat (empty before the first batch)."""
        return [m for group in self.groups or [] for m in group]

    def build(self, ys, preds):
        multi = len(ys) > 1
        self.groups = []
        for i, (spec, y, p) in enumerate(zip(self.specs, ys, preds)):
            group = []
            for item in spec or []:
                metric = M.resolve(item, y, p)
                if multi:
                    metric.name = f"{self.output_names[i]}_{metric.name}"
                group.append(metric)
            self.groups.append(group)

    def update_state(self, y_true, y_pred, sample_weight=None):
        ys = list(y_true) if isinstance(y_true, (list, tuple)) else [y_true]
        preds = list(y_pred) if isinstance(y_pred, (list, tuple)) else [y_pred]
        preds = [getattr(p, "data", p) for p in preds]
        if self.groups is None:
            self.build(ys, preds)
        for i, (group, t, p) in enumerate(zip(self.groups, ys, preds)):
            weights = sample_weight[i] if isinstance(sample_weight, list) else sample_weight
            for metric in group:
                metric.update_state(t, p, sample_weight=weights)

    def result(self):
        return {m.name: m.result() for m in self.metrics}

    def reset_state(self):
        for m in self.metrics:
            m.reset_state()


class CompiledLoss:
    """Keras 2's ``model.compiled_loss`` (see the module docstring)."""

    def __init__(self, model):
        self.model = model

    def __call__(self, y_true, y_pred, sample_weight=None, regularization_losses=None):
        total = self.model._compiled_terms(y_true, y_pred, sample_weight)
        for term in regularization_losses or []:
            total = term if total is None else total + term
        if total is None:
            raise ValueError("compiled_loss: compile() was given no loss")
        from .adapters import batch_length
        from .trainer import _scalar

        self.model._loss_trackers[0].update_state(_scalar(total),
                                                  sample_weight=batch_length(y_pred))
        return total
