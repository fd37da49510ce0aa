"""Saving is atomic: a crash at any step of ``model.save`` leaves the previous file exactly as
it was (still loadable) and no temporary file behind."""

import os
import stat

import numpy as np
import pytest

import npconv.io.model_file
from npconv import layers as L
from npconv.io.atomic import atomic_write
from npconv.models import Sequential, load_model


def model(units):
    m = Sequential([L.Input((3,)), L.Dense(units), L.Dense(2)])
    m.compile("adam", "mse")
    m.train_on_batch(np.ones((2, 3), "float32"), np.zeros((2, 2), "float32"))
    return m


class Crash(Exception):
    pass


def crash_after(n, real):
    calls = []

    def step(*args, **kwargs):
        if len(calls) >= n:
            raise Crash(f"simulated crash at call {n + 1}")
        calls.append(args)
        return real(*args, **kwargs)

    return step


CRASH_POINTS = {
    "mid-array": (npconv.io.model_file, "write_npy", 2),
    "fsync": (os, "fsync", 0),
    "rename": (os, "replace", 0),
    "chmod": (os, "chmod", 0),
}


@pytest.mark.parametrize("point", sorted(CRASH_POINTS))
def test_crash_mid_save_keeps_the_old_file(point, tmp_path, monkeypatch):
    path = tmp_path / "m.keras"
    old = model(4)
    old.save(path)
    before = path.read_bytes()
    module, name, n = CRASH_POINTS[point]
    monkeypatch.setattr(module, name, crash_after(n, getattr(module, name)))
    with pytest.raises(Crash):
        model(7).save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.keras"]  # no temporary litter
    np.testing.assert_array_equal(load_model(path).get_weights()[0], old.get_weights()[0])


def test_interrupt_on_a_first_save_leaves_nothing(tmp_path, monkeypatch):
    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(npconv.io.model_file, "write_npy", interrupted)
    with pytest.raises(KeyboardInterrupt):
        model(4).save_weights(tmp_path / "w.weights.npz")
    assert os.listdir(tmp_path) == []


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_permissions_like_open_and_kept_on_overwrite(tmp_path):
    path = tmp_path / "m.keras"
    old_umask = os.umask(0o022)
    os.umask(old_umask)
    model(4).save(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o666 & ~old_umask
    os.chmod(path, 0o600)
    model(4).save(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_no_overwrite_loses_a_race_cleanly(tmp_path):
    path = tmp_path / "f.bin"
    with pytest.raises(FileExistsError):
        with atomic_write(path, overwrite=False) as f:
            f.write(b"new")
            path.write_bytes(b"appeared meanwhile")
    assert path.read_bytes() == b"appeared meanwhile"
    assert os.listdir(tmp_path) == ["f.bin"]


def test_writes_to_a_hidden_temporary_file_in_the_same_folder(tmp_path):
    with atomic_write(tmp_path / "x.bin") as f:
        f.write(b"data")
        during = os.listdir(tmp_path)
    assert len(during) == 1 and during[0].startswith(".x.bin.") and during[0].endswith(".tmp")
    assert os.listdir(tmp_path) == ["x.bin"]
    assert (tmp_path / "x.bin").read_bytes() == b"data"
