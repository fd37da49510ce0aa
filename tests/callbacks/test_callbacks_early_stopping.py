"""EarlyStopping, checked against Keras 3.15's behaviour (sequences traced through its source)."""

import warnings

import numpy as np
import pytest

from npconv.callbacks import EarlyStopping


def weights_epoch(model):
    """Which epoch's weights the fake model holds (its arrays are filled with it)."""
    value = model.weights[0].flat[0]
    assert all(np.all(w == value) for w in model.weights)
    return int(value)


def test_stops_when_patience_runs_out(model, run_fit, val_losses):
    es = EarlyStopping(patience=3)
    # best at epoch 1; epochs 2, 3, 4 do not improve: stop after epoch 4 (5 epochs run)
    n = run_fit(es, model, val_losses(1.0, 0.9, 0.95, 0.96, 0.97, 0.5, 0.4))
    assert n == 5
    assert es.stopped_epoch == 4
    assert model.stop_training is True
    assert es.best == 0.9 and es.best_epoch == 1
    assert weights_epoch(model) == 4  # restore_best_weights=False keeps the last weights


def test_patience_zero_stops_at_first_non_improvement(model, run_fit, val_losses):
    es = EarlyStopping(patience=0)
    assert run_fit(es, model, val_losses(1.0, 0.8, 0.8, 0.1)) == 3  # equal is no improvement
    assert es.stopped_epoch == 2


def test_never_stops_while_improving(model, run_fit, val_losses):
    es = EarlyStopping(patience=1)
    assert run_fit(es, model, val_losses(5, 4, 3, 2, 1)) == 5
    assert es.stopped_epoch == 0 and model.stop_training is False


def test_restores_best_weights_when_stopping_early(model, run_fit, val_losses, capsys):
    es = EarlyStopping(
        monitor="val_loss", min_delta=0, patience=3, verbose=1, restore_best_weights=True
    )  # the tutorial's configuration
    assert run_fit(es, model, val_losses(1.0, 0.7, 0.8, 0.9, 0.95, 0.1)) == 5
    assert weights_epoch(model) == 1
    assert capsys.readouterr().out == (
        "Epoch 5: early stopping\nRestoring model weights from the end of the best epoch: 2.\n"
    )


def test_restores_best_weights_when_training_ends_normally(model, run_fit, val_losses, capsys):
    # Keras 3 restores at the end of training even if patience never ran out (Keras 2 did not)
    es = EarlyStopping(patience=10, verbose=1, restore_best_weights=True)
    assert run_fit(es, model, val_losses(1.0, 0.5, 0.7, 0.8)) == 4
    assert es.stopped_epoch == 0
    assert weights_epoch(model) == 1
    assert capsys.readouterr().out == (
        "Restoring model weights from the end of the best epoch: 2.\n"
    )


def test_restored_weights_are_copies(model, run_fit, val_losses):
    es = EarlyStopping(patience=5, restore_best_weights=True)
    run_fit(es, model, val_losses(1.0, 0.5, 0.7))
    kept = es.best_weights
    model.weights[0][...] = 42  # the model changing its arrays in place must not touch them
    assert np.all(kept[0] == 1)


def test_silent_by_default(model, run_fit, val_losses, capsys):
    run_fit(EarlyStopping(restore_best_weights=True), model, val_losses(1.0, 2.0))
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("min_delta", [0.1, -0.1])  # the sign is ignored
def test_min_delta(model, run_fit, val_losses, min_delta):
    es = EarlyStopping(min_delta=min_delta, patience=2)
    # 0.95 and 0.91 improve on 1.0 by less than 0.1: not improvements
    assert run_fit(es, model, val_losses(1.0, 0.95, 0.91, 0.5)) == 3
    assert es.best == 1.0


def test_min_delta_in_max_mode(model, run_fit):
    es = EarlyStopping(monitor="val_accuracy", min_delta=0.05, patience=1)
    logs = [{"val_accuracy": v} for v in (0.5, 0.56, 0.6, 0.7)]
    assert run_fit(es, model, logs) == 3  # 0.6 beats 0.56 by only 0.04
    assert es.best == 0.56


def test_compares_in_float32_as_keras(model, run_fit, val_losses):
    # 1.0 - 1e-9 equals 1.0 in float32, so it is no improvement in Keras 3 either
    es = EarlyStopping(patience=0)
    assert run_fit(es, model, val_losses(1.0, 1.0 - 1e-9, 0.5)) == 2


def test_baseline_never_beaten_runs_patience_epochs(model, run_fit, val_losses):
    es = EarlyStopping(patience=2, baseline=0.5, restore_best_weights=True)
    assert run_fit(es, model, val_losses(0.9, 0.95, 0.97, 0.1)) == 2
    assert weights_epoch(model) == 0  # the best of the epochs run, regardless of the baseline


def test_baseline_improvements_above_it_do_not_stop(model, run_fit, val_losses):
    # each epoch improves on the best (so Keras returns before the patience check), but none
    # beats the baseline: wait grows and training goes on
    es = EarlyStopping(patience=2, baseline=0.5)
    assert run_fit(es, model, val_losses(0.9, 0.8, 0.7, 0.6)) == 4
    assert es.wait == 4


def test_baseline_beaten_resets_wait(model, run_fit, val_losses):
    es = EarlyStopping(patience=2, baseline=0.5)
    assert run_fit(es, model, val_losses(0.4, 0.45, 0.46, 0.47, 0.48)) == 3
    assert es.stopped_epoch == 2


def test_start_from_epoch(model, run_fit, val_losses):
    es = EarlyStopping(patience=1, start_from_epoch=3, restore_best_weights=True)
    # epochs 0-2 are a warm-up: their (better) values are ignored
    assert run_fit(es, model, val_losses(0.1, 0.2, 0.3, 4.0, 5.0, 6.0)) == 5
    assert es.stopped_epoch == 4
    assert es.best_epoch == 3 and weights_epoch(model) == 3


@pytest.mark.parametrize(
    "monitor, values, epochs",
    [
        ("val_loss", (1.0, 2.0, 3.0), 2),  # min
        ("loss", (1.0, 2.0, 3.0), 2),
        ("val_accuracy", (0.5, 0.4, 0.3), 2),  # max
        ("val_acc", (0.5, 0.4, 0.3), 2),
        ("val_auc", (0.5, 0.6, 0.7), 3),
        ("val_sparse_categorical_accuracy", (0.5, 0.6, 0.4), 3),
        ("val_mean_squared_error", (1.0, 0.5, 0.25), 3),  # min
        ("val_mae", (1.0, 1.5, 0.25), 2),
        ("val_categorical_crossentropy", (1.0, 1.5, 0.25), 2),
        ("val_dense_1_loss", (1.0, 1.5, 0.25), 2),
    ],
)
def test_mode_auto_infers_the_direction(FakeModel, run_fit, monitor, values, epochs):
    es = EarlyStopping(monitor=monitor, patience=0)
    assert run_fit(es, FakeModel(), [{monitor: v} for v in values]) == epochs


def test_mode_auto_reads_the_compiled_metric(FakeModel, run_fit):
    # a metric named freely: Keras 3 reads its declared direction, npconv also its class
    class Declared:
        name = "score"
        _direction = "down"

    model = FakeModel(metrics=[Declared()])
    es = EarlyStopping(monitor="val_score", patience=0)
    assert run_fit(es, model, [{"val_score": v} for v in (1.0, 0.5, 0.7)]) == 3

    class SparseCategoricalAccuracy:  # an npconv metric, which declares no direction
        name = "score"

    model = FakeModel(metrics=[SparseCategoricalAccuracy()])
    es = EarlyStopping(monitor="val_score", patience=0)
    assert run_fit(es, model, [{"val_score": v} for v in (0.5, 0.6, 0.55)]) == 3


def test_mode_auto_unknown_name_raises(model, run_fit):
    with pytest.raises(ValueError, match="mode='max'"):
        run_fit(EarlyStopping(monitor="val_my_metric"), model, [{"val_my_metric": 1.0}])


def test_explicit_mode_overrides_the_name(model, run_fit, val_losses):
    es = EarlyStopping(monitor="val_loss", mode="max", patience=0)
    assert run_fit(es, model, val_losses(1.0, 2.0, 1.5)) == 3


def test_unknown_mode_warns_and_uses_auto():
    with pytest.warns(UserWarning, match="mode 'maximum' is unknown, fallback to auto"):
        es = EarlyStopping(mode="maximum")
    assert es.mode == "auto"


def test_missing_monitor_warns_with_available_keys(model, run_fit):
    logs = [{"loss": 1.0, "accuracy": 0.5}] * 3
    with pytest.warns(UserWarning, match="Available metrics are: loss,accuracy"):
        assert run_fit(EarlyStopping(patience=0), model, logs) == 3
    assert model.stop_training is False


def test_reusable_across_fits(model, run_fit, val_losses):
    es = EarlyStopping(patience=1, restore_best_weights=True)
    assert run_fit(es, model, val_losses(1.0, 2.0, 3.0)) == 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert run_fit(es, model, val_losses(5.0, 4.0, 3.0)) == 3
    assert es.best == 3.0 and es.stopped_epoch == 0
