"""``fit``/``evaluate``/``predict`` on 2 and 3 MPI ranks equal one process with the same global
batch (to float rounding): SGD with momentum, Adam and Adadelta, sample weights, an L2
regularizer, synchronized BatchNormalization, uneven last batches (50 samples in batches of
16: the last one is 2, so on 3 ranks one rank's share is empty), a global batch smaller than
the number of ranks; EarlyStopping stops every rank at the same epoch; only rank 0 writes
files; a run killed with SIGKILL resumes from its BackupAndRestore backup and ends where an
uninterrupted run ends. The program is ``fit_program.py``."""

import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest
from mpirun import ROOT, needs_mpi, run_mpi

PROGRAM = pathlib.Path(__file__).with_name("fit_program.py")


def one_process(out, *args):
    env = dict(os.environ, PYTHONPATH=str(ROOT), NPCONV_NUM_THREADS="1")
    subprocess.run([sys.executable, str(PROGRAM), str(out), *map(str, args)], check=True,
                   env=env, timeout=120, capture_output=True)
    return np.load(out)


def assert_same(a, b, tolerance=2e-5, history=True):
    names = [k for k in a.files if k.startswith("arr_")]
    assert names and names == [k for k in b.files if k.startswith("arr_")]
    for k in names:
        np.testing.assert_allclose(a[k], b[k], atol=tolerance, err_msg=k)
    np.testing.assert_allclose(a["scores"], b["scores"], rtol=1e-5)
    np.testing.assert_allclose(a["predictions"], b["predictions"], atol=tolerance)
    if not history:
        return
    ha, hb = json.loads(str(a["history"])), json.loads(str(b["history"]))
    assert ha.keys() == hb.keys()
    for key in ha:
        np.testing.assert_allclose(ha[key], hb[key], rtol=1e-5, err_msg=key)


@needs_mpi
@pytest.mark.parametrize("ranks, optimizer", [(2, "sgd"), (3, "adam"), (3, "adadelta")])
def test_ranks_train_as_one_process(ranks, optimizer, tmp_path):
    one = one_process(tmp_path / "one.npz", "--optimizer", optimizer)
    run_mpi(ranks, PROGRAM, tmp_path / "many.npz", "--optimizer", optimizer)
    assert_same(one, np.load(tmp_path / "many.npz"))


@needs_mpi
def test_a_batch_smaller_than_the_ranks(tmp_path):
    args = ("--batch", 2, "--epochs", 1, "--optimizer", "adam")
    one = one_process(tmp_path / "one.npz", *args)
    run_mpi(3, PROGRAM, tmp_path / "many.npz", *args)
    assert_same(one, np.load(tmp_path / "many.npz"))


@needs_mpi
def test_early_stopping_stops_every_rank_at_the_same_epoch(tmp_path):
    one = one_process(tmp_path / "one.npz", "--early-stopping", "--epochs", 30)
    run_mpi(2, PROGRAM, tmp_path / "many.npz", "--early-stopping", "--epochs", 30)
    many = np.load(tmp_path / "many.npz")
    assert 1 < int(many["epochs"]) < 30 and int(many["epochs"]) == int(one["epochs"])
    assert_same(one, many)  # the program itself checks that both ranks hold the same weights


@needs_mpi
def test_only_rank_0_writes_files(tmp_path):
    run_mpi(2, PROGRAM, tmp_path / "many.npz", "--files", tmp_path, "--epochs", 1)
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix in (".csv", ".keras")) == [
        "log-0.csv", "model-0.keras"]


@needs_mpi
def test_resume_after_kill_9_ends_where_an_uninterrupted_run_ends(tmp_path):
    run_mpi(2, PROGRAM, tmp_path / "whole.npz", "--epochs", 4)
    backup = tmp_path / "backup"
    killed = run_mpi(2, PROGRAM, tmp_path / "resumed.npz", "--epochs", 4, "--backup", backup,
                     "--kill-at", 2, check=False)
    assert killed.returncode != 0 and not (tmp_path / "resumed.npz").exists()
    assert (backup / "training_state.json").exists()
    run_mpi(2, PROGRAM, tmp_path / "resumed.npz", "--epochs", 4, "--backup", backup)
    # the resumed fit's History holds the epochs it ran (3 and 4), as in Keras
    assert_same(np.load(tmp_path / "whole.npz"), np.load(tmp_path / "resumed.npz"),
                tolerance=1e-6, history=False)
