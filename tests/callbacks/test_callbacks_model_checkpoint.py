"""ModelCheckpoint: when it saves, through which method, and under which name."""

import os

import pytest

from npconv.callbacks import ModelCheckpoint


def files(folder):
    return sorted(os.listdir(folder))


def content(path):
    with open(path) as f:
        return f.read()


def test_saves_every_epoch_with_formatted_names(model, run_fit, val_losses, tmp_path):
    cb = ModelCheckpoint(str(tmp_path / "ckpt-{epoch:02d}-{val_loss:.2f}.keras"))
    run_fit(cb, model, val_losses(0.5, 0.25, 0.75))
    assert files(tmp_path) == ["ckpt-01-0.50.keras", "ckpt-02-0.25.keras", "ckpt-03-0.75.keras"]
    assert [m for m, _ in model.saved] == ["save"] * 3
    assert content(tmp_path / "ckpt-02-0.25.keras") == "save 1"  # epoch index 1's weights


def test_save_best_only_min(model, run_fit, val_losses, tmp_path):
    path = tmp_path / "best.keras"
    cb = ModelCheckpoint(path, save_best_only=True)  # a PathLike works too
    run_fit(cb, model, val_losses(0.5, 0.6, 0.4, 0.45))
    assert len(model.saved) == 2  # epochs 0 and 2
    assert content(path) == "save 2"
    assert cb.best == 0.4
    assert files(tmp_path) == ["best.keras"]  # nothing half-written left behind


def test_save_best_only_keeps_each_best_under_its_own_name(model, run_fit, val_losses, tmp_path):
    cb = ModelCheckpoint(str(tmp_path / "{epoch}.keras"), save_best_only=True)
    run_fit(cb, model, val_losses(0.5, 0.6, 0.4))
    assert files(tmp_path) == ["1.keras", "3.keras"]


@pytest.mark.parametrize("mode", ["auto", "max"])
def test_save_best_only_max(model, run_fit, tmp_path, mode):
    cb = ModelCheckpoint(
        str(tmp_path / "m.keras"), monitor="val_accuracy", mode=mode, save_best_only=True
    )
    run_fit(cb, model, [{"val_accuracy": v} for v in (0.5, 0.4, 0.7, 0.6)])
    assert len(model.saved) == 2 and content(tmp_path / "m.keras") == "save 2"


def test_initial_value_threshold(model, run_fit, val_losses, tmp_path):
    cb = ModelCheckpoint(
        str(tmp_path / "b.keras"), save_best_only=True, initial_value_threshold=0.45
    )
    run_fit(cb, model, val_losses(0.5, 0.4, 0.42))
    assert len(model.saved) == 1 and content(tmp_path / "b.keras") == "save 1"


def test_save_weights_only(model, run_fit, val_losses, tmp_path):
    cb = ModelCheckpoint(str(tmp_path / "w.weights.h5"), save_weights_only=True)
    run_fit(cb, model, val_losses(0.5))
    assert model.saved == [("save_weights", str(tmp_path / "w.weights.h5"))]


def test_save_freq_in_batches(model, run_fit, val_losses, tmp_path):
    # every 2 batches, counted across epochs of 3 batches; {batch} is 1-based
    cb = ModelCheckpoint(str(tmp_path / "e{epoch}-b{batch}.keras"), save_freq=2)
    run_fit(cb, model, val_losses(0.5, 0.5), steps=3)
    assert files(tmp_path) == ["e1-b2.keras", "e2-b1.keras", "e2-b3.keras"]


def test_save_freq_best_only_uses_batch_logs(model, run_fit, val_losses, tmp_path):
    cb = ModelCheckpoint(
        str(tmp_path / "b.keras"), monitor="loss", save_best_only=True, save_freq=1
    )
    losses = {(0, 0): 1.0, (0, 1): 0.8, (1, 0): 0.9, (1, 1): 0.7}
    run_fit(
        cb, model, val_losses(0.5, 0.5), steps=2, batch_logs=lambda e, s: {"loss": losses[e, s]}
    )
    assert len(model.saved) == 3  # 1.0, 0.8 and 0.7


def test_verbose_messages(model, run_fit, val_losses, tmp_path, capsys):
    path = str(tmp_path / "b.keras")
    run_fit(ModelCheckpoint(path, save_best_only=True, verbose=1), model, val_losses(0.5, 0.6))
    assert capsys.readouterr().out == (
        f"\nEpoch 1: val_loss improved from None to 0.50000, saving model to {path}\n"
        f"\nEpoch 1: finished saving model to {path}\n"
        "\nEpoch 2: val_loss did not improve from 0.50000\n"
    )
    run_fit(ModelCheckpoint(path, verbose=1), model, val_losses(0.5))
    assert capsys.readouterr().out == (
        f"\nEpoch 1: saving model to {path}\n\nEpoch 1: finished saving model to {path}\n"
    )


def test_missing_monitor_warns_and_saves(model, run_fit, tmp_path):
    cb = ModelCheckpoint(str(tmp_path / "b.keras"), save_best_only=True)
    with pytest.warns(UserWarning, match="Can save best model only with val_loss available"):
        run_fit(cb, model, [{"loss": 1.0}])
    assert len(model.saved) == 1


def test_missing_format_key(model, run_fit, tmp_path):
    cb = ModelCheckpoint(str(tmp_path / "{val_accuracy:.2f}.keras"))
    with pytest.raises(KeyError, match="Failed to format this callback filepath"):
        run_fit(cb, model, [{"loss": 1.0}])


def test_creates_the_folder(model, run_fit, val_losses, tmp_path):
    run_fit(ModelCheckpoint(str(tmp_path / "a" / "b" / "m.keras")), model, val_losses(0.5))
    assert files(tmp_path / "a" / "b") == ["m.keras"]


def test_existing_directory_is_refused(model, run_fit, val_losses, tmp_path):
    (tmp_path / "d.keras").mkdir()
    with pytest.raises(OSError, match="non-directory filepath"):
        run_fit(ModelCheckpoint(str(tmp_path / "d.keras")), model, val_losses(0.5))


def test_bad_save_freq():
    with pytest.raises(ValueError, match="Unrecognized save_freq"):
        ModelCheckpoint("m.keras", save_freq="batch")


def test_model_without_save_method(run_fit, val_losses, tmp_path, FakeModel):
    class Bare(FakeModel):
        save = None

    with pytest.raises(NotImplementedError, match=r"model.save\(filepath\)"):
        run_fit(ModelCheckpoint(str(tmp_path / "m.keras")), Bare(), val_losses(0.5))


def test_failed_save_leaves_no_file(run_fit, val_losses, tmp_path, FakeModel):
    class Failing(FakeModel):
        def save(self, filepath, overwrite=True):
            raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        run_fit(ModelCheckpoint(str(tmp_path / "m.keras")), Failing(), val_losses(0.5))
    assert files(tmp_path) == []
