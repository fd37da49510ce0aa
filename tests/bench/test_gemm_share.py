"""bench/gemm_share.py's GEMM meter: it counts the FLOPs of every numpy.matmul npconv makes,
from every thread, and puts numpy.matmul back afterwards (no timing is asserted)."""

import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "bench"))

import gemm_share  # noqa: E402

from npconv.functions.conv import conv  # noqa: E402


def test_meter_counts_flops_and_restores_matmul():
    original = np.matmul
    a, b = np.ones((4, 5), np.float32), np.ones((3, 5, 6), np.float32)
    with gemm_share.GemmMeter() as meter:
        np.matmul(a, b[0])
        np.matmul(b, b.transpose(0, 2, 1))  # batched: 3 x (5, 6) @ (6, 5)
    assert meter.flops == 2 * 4 * 5 * 6 + 3 * 2 * 5 * 6 * 5
    assert np.matmul is original
    assert sum(meter.seconds.values()) > 0


def test_meter_sees_the_convolutions_gemms():
    # (2, 6, 6, 3) -> 4 filters 3x3 'valid': 2 * 16 positions * 27 * 4 multiply-adds forward
    x = np.ones((2, 6, 6, 3), np.float32)
    k = np.ones((3, 3, 3, 4), np.float32)
    with gemm_share.GemmMeter() as meter:
        conv(x, k)
    assert meter.flops >= 2 * (2 * 16 * 27 * 4)


def test_fastest_other_reads_a_side_by_side_json(tmp_path):
    import json

    summary = {"m": {"frameworks": {
        "npconv": {"train": {"median": 900.0}, "predict": {"median": 5000.0}},
        "keras": {"train": {"median": 700.0}, "predict": {"median": 6000.0}},
        "torch": {"train": {"median": 800.0}, "predict": None}}}}
    path = tmp_path / "run.json"
    path.write_text(json.dumps({"summary": summary}))
    assert gemm_share.fastest_other(path, "m", "train") == ("torch", 800.0)
    assert gemm_share.fastest_other(path, "m", "predict") == ("keras", 6000.0)
    assert gemm_share.fastest_other(path, "other", "train") is None


def test_measure_predicts_a_zoo_model():
    r = gemm_share.measure("lenet5", steps=2, repeat=1, mode="predict")
    assert r["limit_samples_per_s"] is None  # the FLOP count knows only the tutorial models
    assert r["gemm_ms"] > 0 and r["samples_per_s"] > 0
    assert r["ceiling_samples_per_s"] > r["samples_per_s"]
