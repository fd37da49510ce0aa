"""CSVLogger, TerminateOnNaN, LambdaCallback and the Keras 2 batch-hook names."""

import numpy as np
import pytest

from npconv.callbacks import Callback, CallbackList, CSVLogger, LambdaCallback, TerminateOnNaN

EPOCHS = [
    {"loss": 0.5, "accuracy": 0.25, "val_loss": 0.75, "val_accuracy": 0.125},
    {"loss": 0.4, "accuracy": 0.5, "val_loss": 0.7, "val_accuracy": 0.2},
]


def read(path):
    with open(path, newline="") as f:
        return f.read()


def test_csv_logger_columns_and_rows(model, run_fit, tmp_path):
    path = tmp_path / "log.csv"
    run_fit(CSVLogger(str(path)), model, EPOCHS)
    # epoch first (0-based, as Keras), then the keys sorted; rows end with \r\n as Keras's
    assert read(path) == (
        "epoch,accuracy,loss,val_accuracy,val_loss\r\n"
        "0,0.25,0.5,0.125,0.75\r\n"
        "1,0.5,0.4,0.2,0.7\r\n"
    )


def test_csv_logger_without_validation_adds_na_columns(model, run_fit, tmp_path):
    path = tmp_path / "log.csv"
    run_fit(CSVLogger(path), model, [{"loss": 0.5}, {"loss": 0.25}])
    assert read(path) == "epoch,loss,val_loss\r\n0,0.5,NA\r\n1,0.25,NA\r\n"


def test_csv_logger_separator_and_odd_values(model, run_fit, tmp_path):
    path = tmp_path / "log.csv"
    logs = [{"loss": 0.5, "v": np.array([1.0, 2.0]), "val_loss": 1.0}, {"loss": 0.25}]
    run_fit(CSVLogger(path, separator=";"), model, logs)
    assert read(path) == ('epoch;loss;v;val_loss\r\n0;0.5;"""[1.0, 2.0]""";1.0\r\n1;0.25;NA;NA\r\n')


def test_csv_logger_append(model, run_fit, tmp_path):
    path = tmp_path / "log.csv"
    run_fit(CSVLogger(path, append=True), model, EPOCHS[:1])
    run_fit(CSVLogger(path, append=True), model, EPOCHS[1:])
    lines = read(path).splitlines()
    assert lines == [
        "epoch,accuracy,loss,val_accuracy,val_loss",
        "0,0.25,0.5,0.125,0.75",
        "0,0.5,0.4,0.2,0.7",
    ]
    run_fit(CSVLogger(path), model, EPOCHS[:1])  # append=False overwrites
    assert len(read(path).splitlines()) == 2


def test_csv_logger_flushes_each_epoch_and_closes(model, tmp_path):
    path = tmp_path / "log.csv"
    logger = CSVLogger(path)
    cbs = CallbackList([logger], model, {})
    cbs.on_train_begin()
    cbs.on_epoch_end(0, dict(EPOCHS[0]))
    assert read(path).count("\r\n") == 2  # readable while training runs
    cbs.on_train_end()
    assert logger.csv_file.closed


def test_terminate_on_nan(model, run_fit, capsys):
    losses = {(0, 0): 1.0, (0, 1): 0.5, (1, 0): 0.4, (1, 1): float("nan"), (1, 2): 0.1}
    n = run_fit(
        TerminateOnNaN(),
        model,
        [{"loss": 1.0}] * 4,
        steps=3,
        batch_logs=lambda e, s: {"loss": losses.get((e, s), 0.1)},
    )
    assert n == 2 and model.stop_training is True
    assert capsys.readouterr().out == "Batch 1: Invalid loss, terminating training\n"


@pytest.mark.parametrize("loss", [float("inf"), -float("inf"), np.float32("nan")])
def test_terminate_on_inf(model, loss):
    cb = TerminateOnNaN()
    cb.set_model(model)
    cb.on_train_batch_end(3, {"loss": loss})
    assert model.stop_training is True


def test_terminate_on_nan_ignores_finite_and_missing(model):
    cb = TerminateOnNaN()
    cb.set_model(model)
    cb.on_train_batch_end(0, {"loss": 1e30})
    cb.on_train_batch_end(1, {"accuracy": float("nan")})
    cb.on_train_batch_end(2, None)
    assert model.stop_training is False


def test_terminate_on_nan_raise_error(model):
    cb = TerminateOnNaN(raise_error=True)
    cb.set_model(model)
    with pytest.raises(RuntimeError, match="NaN or Inf loss encountered at batch 7"):
        cb.on_train_batch_end(7, {"loss": float("nan")})


def test_lambda_callback_calls_each_hook(model, run_fit):
    calls = []
    cb = LambdaCallback(
        on_epoch_begin=lambda epoch, logs: calls.append(("epoch_begin", epoch, logs)),
        on_epoch_end=lambda epoch, logs: calls.append(("epoch_end", epoch, logs)),
        on_train_begin=lambda logs: calls.append(("train_begin", logs)),
        on_train_end=lambda logs: calls.append(("train_end", logs)),
        on_train_batch_begin=lambda batch, logs: calls.append(("batch_begin", batch, logs)),
        on_train_batch_end=lambda batch, logs: calls.append(("batch_end", batch, logs)),
    )
    run_fit(cb, model, [{"loss": 0.5}])
    assert calls == [
        ("train_begin", {}),
        ("epoch_begin", 0, {}),
        ("batch_begin", 0, {}),
        ("batch_end", 0, {"loss": 1.0}),
        ("epoch_end", 0, {"loss": 0.5}),
        ("train_end", {"loss": 0.5}),
    ]


def test_lambda_callback_other_hooks_and_attributes(model):
    calls = []
    cb = LambdaCallback(
        on_test_end=lambda logs: calls.append(("test_end", logs)),
        on_predict_batch_end=lambda batch, logs: calls.append(("predict", batch)),
        on_batch_end=lambda batch, logs: calls.append(("keras2_batch_end", batch)),
        tag="mine",
    )
    cbs = CallbackList([cb], model, {})
    cbs.on_test_end()
    cbs.on_predict_batch_end(4, {"outputs": []})
    cbs.on_train_batch_end(2, {"loss": 1.0})  # Keras 2's on_batch_end runs per train batch
    cbs.on_epoch_end(0, {"loss": 1.0})  # hooks not given do nothing
    assert calls == [("test_end", {}), ("predict", 4), ("keras2_batch_end", 2)]
    assert cb.tag == "mine"


def test_keras2_on_batch_end_override_runs_in_fit(model, run_fit):
    seen = []

    class Keras2Style(Callback):
        def on_batch_begin(self, batch, logs=None):
            seen.append(("begin", batch))

        def on_batch_end(self, batch, logs=None):
            seen.append(("end", batch, logs["loss"]))

    run_fit(Keras2Style(), model, [{"loss": 0.5}], steps=2)
    assert seen == [("begin", 0), ("end", 0, 1.0), ("begin", 1), ("end", 1, 1.0)]
