"""ReduceLROnPlateau and LearningRateScheduler on a fake optimizer's ``learning_rate``."""

import numpy as np
import pytest

from npconv.callbacks import History, LambdaCallback, LearningRateScheduler, ReduceLROnPlateau


def lr_trace(model, run_fit, callback, logs):
    """The learning rate after each epoch, and the rate each epoch's logs recorded."""
    seen = []

    class Spy(History):
        def on_epoch_end(self, epoch, logs=None):
            seen.append((model.optimizer.learning_rate, logs.get("learning_rate")))

    run_fit([callback, Spy()], model, logs)
    return [a for a, _ in seen], [b for _, b in seen]


def test_reduces_after_patience(FakeModel, run_fit, val_losses):
    model = FakeModel(learning_rate=1.0)
    cb = ReduceLROnPlateau(factor=0.5, patience=2)
    after, logged = lr_trace(model, run_fit, cb, val_losses(*[1.0] * 6))
    assert after == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    assert logged == [1.0, 1.0, 1.0, 0.5, 0.5, 0.25]  # the rate the epoch used


def test_improvement_resets_wait(FakeModel, run_fit, val_losses):
    model = FakeModel(learning_rate=1.0)
    cb = ReduceLROnPlateau(factor=0.5, patience=2)
    after, _ = lr_trace(model, run_fit, cb, val_losses(1.0, 1.0, 0.5, 0.5, 0.5))
    assert after == [1.0, 1.0, 1.0, 1.0, 0.5]


def test_cooldown(FakeModel, run_fit, val_losses):
    model = FakeModel(learning_rate=1.0)
    cb = ReduceLROnPlateau(factor=0.5, patience=2, cooldown=2)
    after, _ = lr_trace(model, run_fit, cb, val_losses(*[1.0] * 9))
    # reduced at epochs 2, 5 and 8: two cooldown epochs, then patience counts again
    assert after == [1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125]


def test_min_lr(FakeModel, run_fit, val_losses, capsys):
    model = FakeModel(learning_rate=1.0)
    cb = ReduceLROnPlateau(factor=0.1, patience=1, min_lr=0.05, verbose=1)
    after, _ = lr_trace(model, run_fit, cb, val_losses(*[1.0] * 5))
    assert after == pytest.approx([1.0, 0.1, 0.05, 0.05, 0.05])  # never below min_lr
    assert capsys.readouterr().out == (
        "\nEpoch 2: ReduceLROnPlateau reducing learning rate to 0.1.\n"
        "\nEpoch 3: ReduceLROnPlateau reducing learning rate to 0.05.\n"
    )


def test_min_delta(FakeModel, run_fit, val_losses):
    model = FakeModel(learning_rate=1.0)
    cb = ReduceLROnPlateau(factor=0.5, patience=1, min_delta=0.01)
    after, _ = lr_trace(model, run_fit, cb, val_losses(1.0, 0.995, 0.98))
    assert after == [1.0, 0.5, 0.5]  # 0.995 is within min_delta; 0.98 improves


def test_max_mode_by_name(FakeModel, run_fit):
    model = FakeModel(learning_rate=1.0)
    cb = ReduceLROnPlateau(monitor="val_accuracy", factor=0.5, patience=1)
    logs = [{"val_accuracy": v} for v in (0.5, 0.6, 0.55)]
    assert lr_trace(model, run_fit, cb, logs)[0] == [1.0, 1.0, 0.5]


def test_missing_monitor_warns(model, run_fit):
    cb = ReduceLROnPlateau(patience=0)
    with pytest.warns(UserWarning, match="Available metrics are: loss,learning_rate"):
        run_fit(cb, model, [{"loss": 1.0}] * 2)
    assert model.optimizer.learning_rate == 0.01


def test_factor_must_be_below_one():
    with pytest.raises(ValueError, match="factor >= 1.0"):
        ReduceLROnPlateau(factor=1.0)


def test_keras2_epsilon_alias():
    with pytest.warns(UserWarning, match="epsilon"):
        assert ReduceLROnPlateau(epsilon=0.01).min_delta == 0.01
    with pytest.raises(TypeError, match="patiense"):
        ReduceLROnPlateau(patiense=3)


def test_schedule_learning_rate_cannot_be_reduced(model, run_fit, val_losses):
    model.optimizer._lr = lambda step: 0.1  # an optimizer built with a schedule
    cb = ReduceLROnPlateau(patience=0)
    with pytest.raises(TypeError, match="LearningRateSchedule"):
        run_fit(cb, model, val_losses(1.0, 1.0))


def test_scheduler_two_arguments(FakeModel, run_fit, val_losses):
    model = FakeModel(learning_rate=1.0)
    epochs = []

    def halve(epoch, lr):
        epochs.append(epoch)
        return lr * 0.5

    after, logged = lr_trace(model, run_fit, LearningRateScheduler(halve), val_losses(1, 1, 1))
    assert epochs == [0, 1, 2]
    assert after == [0.5, 0.25, 0.125] and logged == after


def test_scheduler_one_argument(model, run_fit, val_losses, capsys):
    cb = LearningRateScheduler(lambda epoch: 0.1 / (epoch + 1), verbose=1)
    after, _ = lr_trace(model, run_fit, cb, val_losses(1, 1))
    assert after == [0.1, 0.05]
    assert capsys.readouterr().out == (
        "\nEpoch 1: LearningRateScheduler setting learning rate to 0.1.\n"
        "\nEpoch 2: LearningRateScheduler setting learning rate to 0.05.\n"
    )


def test_scheduler_accepts_numpy_floats(model, run_fit, val_losses):
    cb = LearningRateScheduler(lambda epoch, lr: np.float32(0.5) * np.exp(-epoch))
    assert lr_trace(model, run_fit, cb, val_losses(1, 1))[0] == pytest.approx([0.5, 0.5 / np.e])


def test_scheduler_refuses_non_float(model, run_fit, val_losses):
    with pytest.raises(ValueError, match="should be a float"):
        run_fit(LearningRateScheduler(lambda epoch: 1), model, val_losses(1))


def test_scheduler_does_not_hide_errors_inside_the_schedule(model, run_fit, val_losses):
    def broken(epoch, lr):
        return lr + "x"

    with pytest.raises(TypeError, match="unsupported operand"):
        run_fit(LearningRateScheduler(broken), model, val_losses(1))


def test_scheduler_needs_a_callable():
    with pytest.raises(TypeError, match="callable"):
        LearningRateScheduler(0.1)


@pytest.mark.parametrize(
    "schedule, expected",
    [(lambda step: 0.1 / (1 + step), [0.1, 0.05]), (lambda: 0.2, [0.2, 0.2])],
)
def test_schedule_rate_is_logged(model, run_fit, val_losses, schedule, expected):
    model.optimizer._lr = schedule
    logged = []

    def record(epoch, logs):
        logged.append(logs["learning_rate"])
        model.optimizer.iterations += 1

    run_fit(
        [ReduceLROnPlateau(patience=5), LambdaCallback(on_epoch_end=record)],
        model,
        val_losses(1.0, 1.0),
    )
    assert logged == pytest.approx(expected)
