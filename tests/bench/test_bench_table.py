"""The benchmark's arithmetic and table (no timing here: speed is measured by bench/, never by
a test)."""

import json
import os
import sys

import pytest

from npconv import _bench


def test_training_flops_match_issue_5():
    # about 72 and 77 MFLOP per sample (forward, kernel gradients, input gradients but the first)
    assert _bench.training_flops("mnist_cnn") == pytest.approx(71.6e6, rel=0.01)
    assert _bench.training_flops("cifar10_cnn") == pytest.approx(75.5e6, rel=0.01)
    assert _bench.training_flops("mnist_simple") == pytest.approx(4.65e6, rel=0.01)


def fake(framework, model, train, predict, rss):
    return {"framework": framework, "model": model, "train_samples_per_s": train,
            "predict_samples_per_s": predict, "peak_rss_mb": rss}


def test_table_ratios_use_the_faster_other_framework():
    results = {"models": ["mnist_cnn"], "runs": [
        fake("npconv", "mnist_cnn", 2000.0, 3000.0, 150.0),
        fake("keras", "mnist_cnn", 1600.0, 4000.0, 700.0),
        fake("torch", "mnist_cnn", 1000.0, 2000.0, 450.0),
    ]}
    table = _bench.format_table(results)
    row = table.splitlines()[2]
    assert "| 1.25x | 0.75x |" in row  # 2000/1600, 3000/4000
    assert "72%" in row  # 2000 / (200 GFLOP/s / 71.6 MFLOP)
    assert row.endswith("| 150 | 700 | 450 |")


def test_missing_framework_is_a_note(tmp_path, capsys):
    path = tmp_path / "out.json"
    res = _bench.run_bench(models=["mnist_simple"], frameworks=["keras"], json_path=str(path),
                           pythons={"keras": str(tmp_path / "no-python")})
    assert res["runs"] == [] and "keras skipped" in res["notes"][0]
    assert json.loads(path.read_text())["notes"] == res["notes"]
    assert "keras skipped" in capsys.readouterr().out


def test_unknown_names_are_refused():
    with pytest.raises(ValueError, match="unknown model"):
        _bench.run_bench(models=["vgg"], frameworks=["npconv"])
    with pytest.raises(ValueError, match="unknown framework"):
        _bench.run_bench(frameworks=["jax"])


def test_worker_runs_without_npconv_on_the_path():
    # the file must run by path in another framework's interpreter: stdlib imports only
    source = open(_bench.__file__).read()
    top = [line for line in source.splitlines() if line.startswith(("import ", "from "))]
    assert all(line.split()[1] in ("__future__", "argparse", "json", "os", "subprocess", "sys",
                                   "time") for line in top), top
    assert sys.executable


def test_worker_runs_by_path():
    """Run by path (as Keras's and PyTorch's interpreters run it), npconv/ is the script's
    folder on sys.path: npconv/random must not shadow the standard library's random (which
    TensorFlow and npconv.utils import), or every other framework's worker fails at once.
    Run as a fresh interpreter would, with ``random`` not imported yet."""
    import subprocess

    start = (
        "import runpy, sys\n"
        f"path = {_bench.__file__!r}\n"
        "sys.modules.pop('random', None)\n"
        "sys.path.insert(0, path.rsplit('/', 1)[0])\n"
        "sys.argv = [path, '--worker', 'npconv', '--models', 'mnist_simple', '--steps', '1',"
        " '--repeat', '1']\n"
        "runpy.run_path(path, run_name='__main__')\n"
    )
    done = subprocess.run([sys.executable, "-c", start], capture_output=True, text=True,
                          timeout=120, cwd=os.path.dirname(_bench.__file__))
    assert done.returncode == 0, done.stderr
    assert "NPCONV_BENCH_RESULT" in done.stdout
