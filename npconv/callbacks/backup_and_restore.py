"""``BackupAndRestore``: a training run that is killed resumes where it stopped.

Why: long runs die — ``kill -9``, a preempted machine, a full disk, Ctrl-C. Restarting the
same script with this callback picks up after the last backup instead of from scratch, and —
because the backup holds everything the rest of the run depends on — ends with the same
weights, bit for bit, as a run that was never interrupted (same seed, same data):

- the model's weights and the optimizer's state (iterations, learning rate, momenta, ...),
  in npconv's safe model-file format (``npconv.io``), as a ``.weights.npz`` file that
  ``model.load_weights`` also reads;
- where training stands: the epoch, and the batch within it for backups taken mid-epoch;
- the state of every random generator training draws from: npconv's backend generator
  (shuffling, dropout, ...), and Python's ``random`` and NumPy's global generator, which
  ``npconv.utils.set_random_seed`` also seeds, for user code.

Layout of ``backup_dir`` (nothing else in it is touched):

``training_state.json``
    ``{"format": "npconv.backup", "format_version": 1, "sequence": 7, "epoch": 3,
    "step": 0, "steps": 125, "weights_file": "backup-000007.weights.npz", "rng": {...},
    "rng_epoch_begin": null | {...}, "python_random": [...], "numpy_random": {...}}``.
    ``epoch`` is the 0-based epoch to run next (or in progress) and ``step`` the number of its
    batches already done.
``backup-NNNNNN.weights.npz``
    The weights and optimizer state of that point.
``training_state.previous.json`` (``double_checkpoint=True`` only)
    The backup before, kept with its weights file, used if the latest cannot be read.

A backup is committed by the atomic replacement of ``training_state.json``, written after its
weights file and before the previous weights file is deleted: a crash at any moment leaves the
old backup or the new one, complete, never a mix.

Differences from Keras 3: the backup resumes mid-epoch too (Keras restarts the epoch, so with
``save_freq=N`` its resumed run differs from an uninterrupted one); a run stopped with Ctrl-C
keeps (and first brings up to date) its backup instead of deleting it, since it is unfinished;
``delete_checkpoint`` removes npconv's files and then the folder only if it is empty (Keras
removes the whole folder, whatever else is in it).
"""

from __future__ import annotations

import json
import os
import random
import re
import warnings

import numpy as np

from .base import Callback

__all__ = ["BackupAndRestore"]

FORMAT_NAME = "npconv.backup"
FORMAT_VERSION = 1
STATE_FILE = "training_state.json"
PREVIOUS_STATE_FILE = "training_state.previous.json"
_WEIGHTS_RE = re.compile(r"backup-(\d{6,})\.weights\.npz")
_TEMP_RE = re.compile(
    r"\.(?:backup-\d{6,}\.weights\.npz|training_state(?:\.previous)?\.json)\..*\.tmp"
)
_MAX_STATE_BYTES = 4 * 2**20


class BackupAndRestore(Callback):
    """Back up the training state in ``backup_dir`` and, at the start of ``fit``, restore it.

    Use it by running the same script again after an interruption: ``fit`` restores the last
    backup and goes on from there (see the module docstring for what a backup holds). The model
    must be built before ``fit`` (npconv builds it from the data if it is not).

    Args:
        backup_dir: folder for the backup files (created if missing). Give each training run
            its own: a second run using the same folder would resume the first.
        save_freq: ``"epoch"`` (back up at the end of each epoch), an integer ``N`` (every ``N``
            training batches, counted across epochs; the resumed run continues from that very
            batch), or ``False`` (never back up, only restore).
        double_checkpoint: keep the previous backup as well, and fall back to it when the
            latest cannot be read.
        delete_checkpoint: delete the backup when ``fit`` ends (normally, by
            ``EarlyStopping`` or by ``TerminateOnNaN``). A run stopped with Ctrl-C keeps it,
            so that the next run resumes it.

    Raises:
        npconv.io.ModelFileError: at the start of ``fit``, when a backup exists but cannot be
            restored (damaged, or from another model); delete ``backup_dir`` to start afresh.
    """

    def __init__(
        self, backup_dir, save_freq="epoch", double_checkpoint=False, delete_checkpoint=True
    ):
        super().__init__()
        if not backup_dir:
            raise ValueError("Empty `backup_dir` argument passed")
        if save_freq != "epoch" and save_freq is not False:
            if (
                isinstance(save_freq, bool)
                or not isinstance(save_freq, (int, np.integer))
                or save_freq < 1
            ):
                raise ValueError(
                    "Invalid value for argument `save_freq`. Received: "
                    f"save_freq={save_freq!r}. Expected either 'epoch', False, or a positive "
                    "integer"
                )
            save_freq = int(save_freq)
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = bool(double_checkpoint)
        self.delete_checkpoint = bool(delete_checkpoint)
        self._reset()

    def _reset(self):
        self._epoch = 0  # the epoch in progress, or the next one between epochs
        self._step = 0  # batches of self._epoch done
        self._rng_epoch_begin = None  # backend generator state at on_epoch_begin(self._epoch)
        self._batches_since_save = 0
        self._saved_at = None  # (epoch, step) of the newest backup on disk
        self._sequence = 0
        self._resume = None  # (epoch, step) being resumed, until its epoch begins
        self._pending_rng = None  # generator state to set before the first resumed batch

    # ------------------------------------------------------------------------------ hooks
    def on_train_begin(self, logs=None):
        self._reset()
        restored = self._restore()
        if restored is None:
            return
        epoch, step = restored
        self.model.set_resume_point(epoch, step)
        self._epoch, self._step = epoch, step
        self._saved_at = (epoch, step)
        self._resume = (epoch, step) if step else None
        if self.params.get("verbose", 1):
            batch = f", batch {step + 1}" if step else ""
            print(
                f"BackupAndRestore: resuming from the backup in '{self.backup_dir}' at epoch "
                f"{epoch + 1}{batch}"
            )

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        self._step = 0
        if self._resume is not None and self._resume[0] == epoch:
            self._step = self._resume[1]
        self._resume = None
        self._rng_epoch_begin = _generator_state()

    def on_train_batch_begin(self, batch, logs=None):
        if self._pending_rng is not None:
            # First batch after a mid-epoch resume: the epoch's shuffle has been drawn again
            # from the epoch's starting state; now continue from the saved batch's state.
            _set_generator_state(self._pending_rng)
            self._pending_rng = None

    def on_train_batch_end(self, batch, logs=None):
        self._step = batch + 1
        if isinstance(self.save_freq, int) and self.save_freq is not False:
            self._batches_since_save += 1
            if self._batches_since_save >= self.save_freq:
                self._save()

    def on_epoch_end(self, epoch, logs=None):
        self._epoch, self._step = epoch + 1, 0
        self._rng_epoch_begin = None
        if self.save_freq == "epoch":
            self._save()

    def on_train_end(self, logs=None):
        if self.model.fit_interrupted:
            if self.save_freq is not False and self._position() != self._saved_at:
                self._save()
            if self._saved_at is not None:
                epoch, step = self._saved_at
                where = f"epoch {epoch + 1}" + (f", batch {step + 1}" if step else "")
                print(
                    f"BackupAndRestore: kept the backup in '{self.backup_dir}'; running the "
                    f"same fit again resumes at {where}."
                )
            return
        if self.delete_checkpoint:
            self._delete()

    # ----------------------------------------------------------------------------- saving
    def _position(self):
        """``(epoch, step)`` to resume from, an epoch's last batch counting as its end."""
        steps = self.params.get("steps")
        if steps and self._step >= steps:
            return self._epoch + 1, 0
        return self._epoch, self._step

    def _save(self):
        from ..distribution import is_chief
        from ..io.atomic import atomic_write
        from ..io.model_file import to_json, write_model_file
        from ..io.optimizer_state import optimizer_state
        from ..io.saving import named_weights

        self._batches_since_save = 0
        epoch, step = self._position()
        if not is_chief():  # under data parallelism rank 0 writes; every rank reads
            self._saved_at = (epoch, step)
            return
        os.makedirs(self.backup_dir, exist_ok=True)
        self._sequence += 1
        weights_file = f"backup-{self._sequence:06d}.weights.npz"
        write_model_file(
            os.path.join(self.backup_dir, weights_file),
            kind="weights",
            weights=named_weights(self.model),
            optimizer=optimizer_state(self.model),
        )
        state = {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "sequence": self._sequence,
            "epoch": epoch,
            "step": step,
            "steps": self.params.get("steps"),
            "weights_file": weights_file,
            "rng": _generator_state(),
            "rng_epoch_begin": self._rng_epoch_begin if step else None,
            "python_random": random.getstate(),
            "numpy_random": np.random.get_state(legacy=False),
        }
        text = to_json(state, STATE_FILE)
        state_path = os.path.join(self.backup_dir, STATE_FILE)
        if self.double_checkpoint and os.path.exists(state_path):
            with open(state_path, "rb") as f:
                previous = f.read(_MAX_STATE_BYTES + 1)
            with atomic_write(os.path.join(self.backup_dir, PREVIOUS_STATE_FILE)) as f:
                f.write(previous)
        with atomic_write(state_path) as f:  # the commit point
            f.write(text.encode("utf-8"))
        self._saved_at = (epoch, step)
        self._remove_unreferenced()

    def _referenced(self):
        names = set()
        for name in (STATE_FILE, PREVIOUS_STATE_FILE):
            try:
                names.add(self._read_state(os.path.join(self.backup_dir, name))["weights_file"])
            except (OSError, ValueError, KeyError, TypeError):
                pass
        return names

    def _remove_unreferenced(self):
        """Delete weights files no state file names, and temporary files left by a crash."""
        keep = self._referenced()
        for name in _listdir(self.backup_dir):
            if (_WEIGHTS_RE.fullmatch(name) and name not in keep) or _TEMP_RE.fullmatch(name):
                _unlink(os.path.join(self.backup_dir, name))

    def _delete(self):
        from ..distribution import is_chief

        if not is_chief():
            return
        for name in _listdir(self.backup_dir):
            if name in (STATE_FILE, PREVIOUS_STATE_FILE) or (
                _WEIGHTS_RE.fullmatch(name) or _TEMP_RE.fullmatch(name)
            ):
                _unlink(os.path.join(self.backup_dir, name))
        try:
            os.rmdir(self.backup_dir)
        except OSError:
            pass  # missing, or holds the user's own files: leave it

    # --------------------------------------------------------------------------- restoring
    def _restore(self):
        """Restore the newest readable backup; ``(epoch, step)``, or ``None`` when there is
        none. Raises ``ModelFileError`` when backups exist and none can be restored."""
        from ..io.errors import ModelFileError

        names = [STATE_FILE] + ([PREVIOUS_STATE_FILE] if self.double_checkpoint else [])
        problems = []
        for name in names:
            path = os.path.join(self.backup_dir, name)
            if not os.path.exists(path):
                continue
            try:
                return self._restore_from(path)
            except (ModelFileError, OSError) as e:
                problems.append(str(e))
        if problems:
            raise ModelFileError(
                self.backup_dir,
                "BackupAndRestore cannot resume from this backup folder: "
                + "; ".join(problems)
                + ". Delete the folder to start the training afresh",
            )
        return None

    def _read_state(self, path):
        with open(path, "rb") as f:
            data = f.read(_MAX_STATE_BYTES + 1)
        if len(data) > _MAX_STATE_BYTES:
            raise ValueError(f"{os.path.basename(path)} is too large for a backup state")
        state = json.loads(data.decode("utf-8"))
        if not isinstance(state, dict):
            raise ValueError("the backup state is not a JSON object")
        return state

    def _restore_from(self, path):
        """Check everything in the backup ``path`` names, then restore it all."""
        from ..io.errors import ModelFileError
        from ..io.model_file import read_model_file
        from ..io.optimizer_state import restore_optimizer_state
        from ..io.saving import assign_weights

        try:
            state = self._read_state(path)
        except (ValueError, RecursionError) as e:  # JSON and Unicode errors included
            raise ModelFileError(path, f"not a readable backup state ({e})") from e
        if state.get("format") != FORMAT_NAME:
            raise ModelFileError(path, f"not an npconv backup (format {state.get('format')!r})")
        version = state.get("format_version")
        if type(version) is not int or not 1 <= version <= FORMAT_VERSION:
            raise ModelFileError(
                path,
                f"backup format_version {version!r}; this npconv reads up to {FORMAT_VERSION}",
            )
        epoch, step, sequence = state.get("epoch"), state.get("step"), state.get("sequence")
        if not all(type(v) is int and v >= 0 for v in (epoch, step, sequence)):
            raise ModelFileError(path, "epoch, step and sequence must be integers >= 0")
        weights_file = state.get("weights_file")
        if not isinstance(weights_file, str) or not _WEIGHTS_RE.fullmatch(weights_file):
            raise ModelFileError(path, f"invalid weights_file {weights_file!r}")
        try:
            rng = _checked_generator_state(state.get("rng"))
            rng_epoch = None
            if step:
                rng_epoch = _checked_generator_state(state.get("rng_epoch_begin"))
            py_random = _checked_python_random(state.get("python_random"))
            np_random = _checked_numpy_random(state.get("numpy_random"))
        except (ValueError, TypeError, KeyError, OverflowError) as e:
            raise ModelFileError(path, f"invalid random generator state ({e})") from e
        weights_path = os.path.join(self.backup_dir, weights_file)
        if not os.path.exists(weights_path):
            raise ModelFileError(path, f"its weights file '{weights_file}' is missing")
        content = read_model_file(weights_path)
        steps = state.get("steps")
        if step and steps != self.params.get("steps"):
            warnings.warn(
                f"BackupAndRestore: the backup in '{self.backup_dir}' was taken mid-epoch in "
                f"a run of {steps} batches per epoch, this run has {self.params.get('steps')}; "
                "the resumed run will not repeat the interrupted one",
                RuntimeWarning,
                stacklevel=2,
            )
        assign_weights(self.model, content, weights_path)
        optimizer = getattr(self.model, "optimizer", None)
        if content.optimizer is not None and optimizer is not None:
            try:
                restore_optimizer_state(self.model, content.optimizer, content.optimizer_state)
            except (ValueError, TypeError, IndexError) as e:
                raise ModelFileError(
                    weights_path, f"cannot restore the optimizer state ({e})"
                ) from e
        _set_generator_state(rng_epoch if step else rng)
        self._pending_rng = rng if step else None
        random.setstate(py_random)
        np.random.set_state(np_random)
        self._sequence = sequence
        return epoch, step


# ------------------------------------------------------------------------- generator states
def _generator_state():
    from .. import backend

    return backend.rng().bit_generator.state


def _set_generator_state(state):
    from .. import backend

    backend.rng().bit_generator.state = state


def _checked_generator_state(state):
    """``state`` (parsed JSON) if the backend's kind of bit generator accepts it."""
    from .. import backend

    if not isinstance(state, dict):
        raise TypeError(f"expected a generator state object, got {type(state).__name__}")
    trial = type(backend.rng().bit_generator)()
    trial.state = state  # raises on a wrong generator name or malformed fields
    return trial.state


def _checked_python_random(state):
    if not isinstance(state, list) or len(state) != 3 or not isinstance(state[1], list):
        raise TypeError("python_random is not a random.getstate() value")
    version, internal, gauss = state
    value = (version, tuple(int(i) for i in internal), gauss)
    random.Random().setstate(value)  # raises when malformed
    return value


def _checked_numpy_random(state):
    if not isinstance(state, dict) or not isinstance(state.get("state"), dict):
        raise TypeError("numpy_random is not a numpy.random.get_state() value")
    inner = dict(state["state"])
    inner["key"] = np.asarray(inner.get("key"), dtype=np.uint32)
    value = {**state, "state": inner}
    np.random.RandomState().set_state(value)  # raises when malformed
    return value


# ------------------------------------------------------------------------------ file helpers
def _listdir(folder):
    try:
        return os.listdir(folder)
    except OSError:
        return []


def _unlink(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
