"""``mpiexec -n 2 npconv train`` trains data-parallel with no new flag; rank 0 alone prints
and writes the run folder."""

import json

import numpy as np
from mpirun import needs_mpi, run_mpi

from npconv.datasets import digits


@needs_mpi
def test_mpiexec_npconv_train(tmp_path):
    (x, y), (xt, yt) = digits.load_data()
    data = tmp_path / "small.npz"
    np.savez(data, x_train=x[:512], y_train=y[:512], x_test=xt[:128], y_test=yt[:128])
    runs = tmp_path / "runs"
    result = run_mpi(2, "-m", "npconv", "train", "--model", "mnist_simple", "--dataset", data,
                     "--epochs", 2, "--out", runs, env={"MPLBACKEND": "Agg"}, timeout=300)
    assert result.stdout.count("Data parallel on 2 ranks") == 1  # printed by rank 0 only
    folders = list(runs.iterdir())
    assert len(folders) == 1
    report = json.loads((folders[0] / "report.json").read_text())
    assert report["epochs_run"] == 2 and report["test"]["accuracy"] > 0.3  # chance is 0.1
