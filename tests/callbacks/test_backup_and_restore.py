"""``BackupAndRestore``: a run killed with ``kill -9`` (a real SIGKILL, in a subprocess) and
started again resumes after its last backup and ends with exactly the weights of a run never
interrupted; so does a run stopped with Ctrl-C; broken or hostile backups are refused with the
file named; the backup is written atomically and cleaned up."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import npconv
from npconv import layers as L
from npconv.callbacks import BackupAndRestore, Callback
from npconv.callbacks.backup_and_restore import STATE_FILE
from npconv.io import ModelFileError
from npconv.models import Sequential

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# The training script run in a subprocess: real digits, a small CNN with dropout, Adam,
# shuffling and a validation split, so that weights, optimizer state and the random generator
# all have to come back for the resumed run to match. ``Killer`` sends SIGKILL to the process
# once, at the end of batch ``kill_batch`` of epoch ``kill_epoch`` (0-based; batch -1: at the
# end of the epoch; epoch -1: never).
SCRIPT = textwrap.dedent(
    """
    import os, signal, sys

    import numpy as np

    import npconv
    from npconv import layers as L
    from npconv.callbacks import BackupAndRestore, Callback
    from npconv.models import Sequential

    backup_dir, out_path, kill_epoch, kill_batch, save_freq = sys.argv[1:6]
    kill_at = (int(kill_epoch), int(kill_batch))
    save_freq = save_freq if save_freq == "epoch" else int(save_freq)
    marker = out_path + ".killed"

    npconv.utils.set_random_seed(7)
    (x, y), _ = npconv.datasets.digits.load_data()
    x = x[:600, ::2, ::2, None].astype("float32") / 255  # 14x14: quick
    y = y[:600]
    model = Sequential([
        L.Input((14, 14, 1)),
        L.Conv2D(4, 3, activation="relu"),
        L.MaxPooling2D(),
        L.Dropout(0.25),
        L.Flatten(),
        L.Dense(10, activation="softmax"),
    ])
    model.compile(
        npconv.optimizers.Adam(1e-3), "sparse_categorical_crossentropy", metrics=["accuracy"]
    )


    class Killer(Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_batch_end(self, batch, logs=None):
            if (self.epoch, batch) == kill_at:
                self.kill()

        def on_epoch_end(self, epoch, logs=None):
            if (epoch, -1) == kill_at:  # after BackupAndRestore's on_epoch_end: it comes first
                self.kill()

        def kill(self):
            if not os.path.exists(marker):
                open(marker, "w").close()  # kill once: a rerun may pass this point again
                os.kill(os.getpid(), signal.SIGKILL)


    history = model.fit(
        x, y, batch_size=32, epochs=4, validation_split=0.1, verbose=2,
        callbacks=[BackupAndRestore(backup_dir, save_freq=save_freq), Killer()],
    )
    np.savez(out_path, *model.get_weights(), epochs=np.array(history.epoch))
    """
)


def run_script(tmp_path, name, backup, kill=(-1, -1), save_freq="epoch"):
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    out = tmp_path / f"{name}.npz"
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run(
        [sys.executable, str(script), str(backup), str(out), *map(str, kill), str(save_freq)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    return proc, out


def weights_of(path):
    with np.load(path) as f:
        arrays = [f[k] for k in f.files if k != "epochs"]
        return arrays, list(f["epochs"])


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The run never interrupted: its final weights."""
    tmp = tmp_path_factory.mktemp("reference")
    proc, out = run_script(tmp, "reference", tmp / "backup")
    assert proc.returncode == 0, proc.stderr
    arrays, epochs = weights_of(out)
    assert epochs == [0, 1, 2, 3]
    assert not (tmp / "backup").exists()  # delete_checkpoint: gone after a finished run
    return arrays


def assert_same_weights(arrays, reference):
    assert len(arrays) == len(reference)
    for a, b in zip(arrays, reference):
        assert a.shape == b.shape and a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)
    # in fact bit for bit: nothing in the resumed run differs from the uninterrupted one
    assert all(np.array_equal(a, b) for a, b in zip(arrays, reference))


def test_kill_9_after_epoch_2_resumes_at_epoch_3(tmp_path, reference):
    backup = tmp_path / "backup"
    proc, out = run_script(tmp_path, "run", backup, kill=(1, -1))  # end of epoch 2 of 4
    assert proc.returncode == -signal.SIGKILL
    assert not out.exists()
    state = json.loads((backup / STATE_FILE).read_text())
    assert (state["epoch"], state["step"]) == (2, 0)  # epochs 1 and 2 finished and saved
    assert "Epoch 3/4" not in proc.stdout

    proc, out = run_script(tmp_path, "run", backup, kill=(1, -1))
    assert proc.returncode == 0, proc.stderr
    assert "resuming from the backup" in proc.stdout and "at epoch 3" in proc.stdout
    assert "Epoch 1/4" not in proc.stdout and "Epoch 2/4" not in proc.stdout
    arrays, epochs = weights_of(out)
    assert epochs == [2, 3]
    assert_same_weights(arrays, reference)
    assert not backup.exists()


def test_kill_9_mid_epoch_resumes_at_the_saved_batch(tmp_path, reference):
    backup = tmp_path / "backup"
    # 17 batches per epoch, a backup every 5: killed at epoch 2 batch 10 (0-based 1, 9),
    # the last backup was after global batch 25 = epoch 2, batch 8
    proc, _ = run_script(tmp_path, "run", backup, kill=(1, 9), save_freq=5)
    assert proc.returncode == -signal.SIGKILL
    state = json.loads((backup / STATE_FILE).read_text())
    assert (state["epoch"], state["step"]) == (1, 8)
    assert len([n for n in os.listdir(backup) if n.endswith(".weights.npz")]) == 1

    proc, out = run_script(tmp_path, "run", backup, kill=(1, 9), save_freq=5)
    assert proc.returncode == 0, proc.stderr
    assert "at epoch 2, batch 9" in proc.stdout
    arrays, epochs = weights_of(out)
    assert epochs == [1, 2, 3]
    assert_same_weights(arrays, reference)


# ------------------------------------------------------------------------- in the process
N, BATCH = 48, 8  # 6 batches per epoch


def make_model():
    npconv.utils.set_random_seed(11)
    model = Sequential(
        [
            L.Input((5, 5, 1)),
            L.Conv2D(2, 3, activation="relu"),
            L.Flatten(),
            L.Dropout(0.3),
            L.Dense(3, activation="softmax"),
        ]
    )
    model.compile("adam", "sparse_categorical_crossentropy")
    return model


def data():
    rng = np.random.default_rng(2)
    return rng.random((N, 5, 5, 1)).astype("float32"), rng.integers(0, 3, N)


def train(backup, epochs=3, callbacks=(), **kwargs):
    model = make_model()
    x, y = data()
    history = model.fit(
        x,
        y,
        batch_size=BATCH,
        epochs=epochs,
        verbose=0,
        callbacks=[BackupAndRestore(backup, **kwargs), *callbacks],
    )
    return model, history


class Interrupt(Callback):
    """Sends SIGINT to the process at ``(epoch, batch)``."""

    def __init__(self, epoch, batch):
        super().__init__()
        self.at, self.epoch = (epoch, batch), None

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if (self.epoch, batch) == self.at:
            os.kill(os.getpid(), signal.SIGINT)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    model, _ = train(tmp_path_factory.mktemp("plain") / "backup")
    return model.get_weights(), model.optimizer.iterations


@pytest.mark.parametrize("save_freq", ["epoch", 4, False])
def test_ctrl_c_keeps_an_exact_backup_and_the_rerun_matches(
    tmp_path, uninterrupted, save_freq, capsys
):
    backup = tmp_path / "backup"
    model, history = train(backup, save_freq=save_freq, callbacks=[Interrupt(1, 2)])
    assert history.epoch == [0]
    out = capsys.readouterr().out
    assert "Training interrupted at epoch 2/3, batch 3/6" in out
    if save_freq is False:  # never saves: nothing to keep or resume
        assert not backup.exists()
        return
    assert "kept the backup" in out and "resumes at epoch 2, batch 4" in out
    state = json.loads((backup / STATE_FILE).read_text())
    assert (state["epoch"], state["step"]) == (1, 3)

    model, history = train(backup, save_freq=save_freq)
    assert history.epoch == [1, 2]
    weights, iterations = uninterrupted
    assert_same_weights(model.get_weights(), weights)
    assert int(model.optimizer.iterations) == int(iterations) == 18
    assert not backup.exists()


def test_backup_holds_weights_optimizer_and_generator(tmp_path):
    backup = tmp_path / "backup"

    class Stop(Callback):
        def on_epoch_end(self, epoch, logs=None):
            self.model.snapshot = [w.copy() for w in self.model.get_weights()]
            self.model.rng_state = npconv.backend.rng().bit_generator.state
            self.model.stop_training = True

    model, _ = train(backup, delete_checkpoint=False, callbacks=[Stop()])
    state = json.loads((backup / STATE_FILE).read_text())
    assert (state["format"], state["epoch"], state["step"]) == ("npconv.backup", 1, 0)
    assert state["rng"] == model.rng_state
    weights_file = backup / state["weights_file"]
    content = npconv.io.model_file.read_model_file(weights_file)
    assert content.kind == "weights"
    for a, b in zip(content.weights, model.snapshot):
        np.testing.assert_array_equal(a, b)
    assert content.optimizer is not None and content.optimizer["built"]
    # the weights file is an ordinary npconv weights file
    other = make_model()
    other.load_weights(weights_file)
    for a, b in zip(other.get_weights(), model.snapshot):
        np.testing.assert_array_equal(a, b)


def test_delete_checkpoint_leaves_other_files(tmp_path):
    backup = tmp_path / "backup"
    backup.mkdir()
    (backup / "notes.txt").write_text("mine")
    train(backup, epochs=1)
    assert sorted(os.listdir(backup)) == ["notes.txt"]


def test_a_failed_save_leaves_the_previous_backup(tmp_path, monkeypatch):
    backup = tmp_path / "backup"

    class Crash(Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                from npconv.io import atomic

                real = atomic.atomic_write

                def broken(path, overwrite=True):
                    if str(path).endswith(STATE_FILE):
                        raise OSError("disk full")
                    return real(path, overwrite)

                monkeypatch.setattr(atomic, "atomic_write", broken)

    # Crash runs after BackupAndRestore: the backups of epochs 1 and 2 are written, then the
    # commit of epoch 3's fails (its weights file was written, its state file never is)
    with pytest.raises(OSError, match="disk full"):
        train(backup, callbacks=[Crash()])
    monkeypatch.undo()
    state = json.loads((backup / STATE_FILE).read_text())
    assert state["epoch"] == 2
    weights = sorted(n for n in os.listdir(backup) if n.endswith(".weights.npz"))
    assert weights == [state["weights_file"], "backup-000003.weights.npz"]
    model, history = train(backup)
    assert history.epoch == [2]


def corrupt_state(backup, **changes):
    path = backup / STATE_FILE
    state = json.loads(path.read_text())
    state.update(changes)
    path.write_text(json.dumps(state))


def interrupted_backup(tmp_path, **kwargs):
    backup = tmp_path / "backup"
    train(backup, callbacks=[Interrupt(1, 0)], **kwargs)
    assert (backup / STATE_FILE).exists()
    return backup


@pytest.mark.parametrize(
    "changes, fragment",
    [
        ({"weights_file": "../../etc/passwd"}, "invalid weights_file"),
        ({"weights_file": "backup-999999.weights.npz"}, "is missing"),
        ({"format": "pickle"}, "not an npconv backup"),
        ({"format_version": 99}, "format_version 99"),
        ({"epoch": -1}, "integers >= 0"),
        ({"rng": {"bit_generator": "MT19937"}}, "invalid random generator state"),
        ({"rng_epoch_begin": None}, "invalid random generator state"),
    ],
)
def test_a_broken_backup_is_refused_with_the_file_named(tmp_path, changes, fragment):
    backup = interrupted_backup(tmp_path)
    corrupt_state(backup, **changes)
    model = make_model()
    before = model.get_weights()
    with pytest.raises(ModelFileError) as info:
        model.fit(*data(), batch_size=BATCH, verbose=0, callbacks=[BackupAndRestore(backup)])
    message = str(info.value)
    assert str(backup) in message and fragment in message
    assert "Delete the folder" in message
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_garbage_state_and_weights_are_refused(tmp_path):
    backup = interrupted_backup(tmp_path)
    (backup / STATE_FILE).write_bytes(b"\x00\xff not json")
    with pytest.raises(ModelFileError, match="not a readable backup state"):
        make_model().fit(*data(), batch_size=BATCH, verbose=0, callbacks=[BackupAndRestore(backup)])
    backup = interrupted_backup(tmp_path / "second")
    state = json.loads((backup / STATE_FILE).read_text())
    (backup / state["weights_file"]).write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(ModelFileError, match=state["weights_file"]):
        make_model().fit(*data(), batch_size=BATCH, verbose=0, callbacks=[BackupAndRestore(backup)])


def test_a_backup_of_another_model_is_refused(tmp_path):
    backup = interrupted_backup(tmp_path)
    npconv.utils.set_random_seed(0)
    other = Sequential([L.Input((5, 5, 1)), L.Flatten(), L.Dense(3, activation="softmax")])
    other.compile("adam", "sparse_categorical_crossentropy")
    with pytest.raises(ModelFileError, match="weight arrays"):
        other.fit(*data(), batch_size=BATCH, verbose=0, callbacks=[BackupAndRestore(backup)])


def test_double_checkpoint_falls_back_to_the_previous_backup(tmp_path, uninterrupted):
    backup = tmp_path / "backup"
    train(backup, save_freq=2, double_checkpoint=True, callbacks=[Interrupt(1, 4)])
    names = sorted(os.listdir(backup))
    assert "training_state.previous.json" in names
    assert len([n for n in names if n.endswith(".weights.npz")]) == 2
    latest = json.loads((backup / STATE_FILE).read_text())
    (backup / latest["weights_file"]).write_bytes(b"damaged")
    # the latest backup (epoch 2, batch 5) is unreadable: the previous one (epoch 2, batch 3)
    # is restored, and the run still ends exactly as the uninterrupted one
    model, history = train(backup, save_freq=2, double_checkpoint=True)
    assert history.epoch == [1, 2]
    assert_same_weights(model.get_weights(), uninterrupted[0])


def test_save_freq_validation():
    for bad in (0, -3, "batch", 2.5, True):
        with pytest.raises(ValueError, match="save_freq"):
            BackupAndRestore("somewhere", save_freq=bad)
    with pytest.raises(ValueError, match="Empty `backup_dir`"):
        BackupAndRestore("")
    assert BackupAndRestore("d", save_freq=np.int64(3)).save_freq == 3


def test_resuming_mid_epoch_with_other_batches_warns(tmp_path):
    backup = interrupted_backup(tmp_path)
    with pytest.warns(RuntimeWarning, match="6 batches per epoch, this run has 3"):
        make_model().fit(*data(), batch_size=16, verbose=0, callbacks=[BackupAndRestore(backup)])
