"""The benchmark's timing loop, statistics, table and pipeline (no speed is asserted here: speed
is measured by bench/, never by a test)."""

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


class FakeModel:
    """``call(epochs)`` advances a fake clock by a start-up cost plus ``seconds_per_batch`` for
    each batch of ``epochs`` epochs, and records the calls."""

    def __init__(self, batches_per_epoch, seconds_per_batch, startup=0.0):
        self.now, self.calls = 100.0, []
        self.bpe, self.spb, self.startup = batches_per_epoch, seconds_per_batch, startup

    def clock(self):
        return self.now

    def __call__(self, epochs):
        self.calls.append(epochs)
        self.now += self.startup + epochs * self.bpe * self.spb


def test_fast_model_runs_until_ten_seconds_in_whole_epochs():
    fake = FakeModel(batches_per_epoch=10, seconds_per_batch=0.01, startup=0.3)
    done = _bench.timed_pass(fake, 10, min_batches=50, min_seconds=10.0, clock=fake.clock)
    # first call: the 5 epochs 50 batches need (0.8 s); then enough epochs for the rest of 10 s
    assert fake.calls[0] == 5 and all(isinstance(e, int) and e >= 1 for e in fake.calls)
    assert done["seconds"] >= 10.0 and done["batches"] >= 50
    assert done["batches"] == 10 * sum(fake.calls)
    assert [e for e, _ in done["calls"]] == fake.calls
    assert sum(t for _, t in done["calls"]) == pytest.approx(done["seconds"])
    assert done["seconds"] == pytest.approx(fake.now - 100.0)
    assert len(fake.calls) <= 3  # start-up counted a few times, not once per epoch
    assert done["seconds"] < 10.0 + 1.0  # and the pass does not overshoot by much


def test_slow_model_runs_at_least_fifty_batches():
    fake = FakeModel(batches_per_epoch=13, seconds_per_batch=1.0)
    done = _bench.timed_pass(fake, 13, min_batches=50, min_seconds=10.0, clock=fake.clock)
    assert fake.calls == [4]  # 52 batches: whole epochs, past both limits in one call
    assert done == {"batches": 52, "seconds": 52.0, "calls": [[4, 52.0]]}


def test_quick_pass_has_no_minimum_time():
    fake = FakeModel(batches_per_epoch=1, seconds_per_batch=0.001)
    done = _bench.timed_pass(fake, 1, min_batches=5, min_seconds=0.0, clock=fake.clock)
    assert fake.calls == [5] and done["batches"] == 5


def run(framework, model, rnd, train, predict, peak, above, params=1000):
    return {"framework": framework, "model": model, "round": rnd, "params": params,
            "train_samples_per_s": train, "predict_samples_per_s": predict,
            "peak_rss_mb": peak, "above_baseline_mb": above}


RUNS = [
    run("npconv", "mnist_cnn", 1, 2000.0, 3000.0, 150.0, 90.0),
    run("npconv", "mnist_cnn", 2, 1800.0, 3500.0, 152.0, 92.0),
    run("npconv", "mnist_cnn", 3, 2100.0, 2500.0, 151.0, 91.0),
    run("keras", "mnist_cnn", 1, 1600.0, 4000.0, 700.0, 300.0),
    run("keras", "mnist_cnn", 2, 900.0, 4200.0, 710.0, 310.0),
    run("keras", "mnist_cnn", 3, 1650.0, 3900.0, 690.0, 290.0),
    run("torch", "mnist_cnn", 1, 1000.0, 5000.0, 450.0, 200.0),
    run("torch", "mnist_cnn", 2, 1700.0, 1000.0, 455.0, 205.0),
    run("torch", "mnist_cnn", 3, 1100.0, 1200.0, 445.0, 195.0),
]


def test_summary_medians_ranges_and_the_faster_other():
    summary = _bench.summarize(RUNS, ["mnist_cnn"])["mnist_cnn"]
    npc = summary["frameworks"]["npconv"]
    assert npc["train"]["median"] == 2000.0
    assert (npc["train"]["min"], npc["train"]["max"]) == (1800.0, 2100.0)
    assert npc["predict"]["median"] == 3000.0 and npc["rounds"] == 3
    # Keras's median train (1600) beats PyTorch's (1100), though PyTorch has the best single pass
    assert summary["train_vs"] == "keras" and summary["train_ratio"] == pytest.approx(1.25)
    # Keras's median predict (4000) beats PyTorch's (1200), though PyTorch has a 5000 pass
    assert summary["predict_vs"] == "keras" and summary["predict_ratio"] == pytest.approx(0.75)
    assert summary["frameworks"]["torch"]["above_baseline_mb"]["median"] == 200.0


def test_table_row():
    results = {"models": ["mnist_cnn"], "summary": _bench.summarize(RUNS, ["mnist_cnn"])}
    table = _bench.format_table(results).splitlines()
    assert table[0].startswith("| model | batch | params | npconv train | keras train |")
    assert len(table) == 3
    row = table[2]
    assert row.startswith("| mnist_cnn | 128 | 1,000 | 2,000 (1,800-2,100) | 1,600 (900-1,650) |")
    assert "| 1.25x vs keras |" in row and "| 0.75x vs keras |" in row
    assert row.endswith("| 151 / 700 / 450 | 91 / 300 / 200 |")


def test_table_without_other_frameworks_and_differing_params():
    runs = [run("npconv", "lenet5", 1, 10.0, 20.0, 1.0, 1.0, params=5),
            run("torch", "lenet5", 1, 10.0, 20.0, 1.0, 1.0, params=6)]
    table = _bench.format_table({"models": ["lenet5"],
                                 "summary": _bench.summarize(runs[:1], ["lenet5"])})
    assert "ratio" not in table and "| lenet5 | 64 | 5 | 10 | 20 | 1 | 1 |" in table
    table = _bench.format_table({"models": ["lenet5"],
                                 "summary": _bench.summarize(runs, ["lenet5"])})
    assert "| 5 / 6 (differ) |" in table


def test_describe_says_quick():
    results = {"quick": True, "settings": dict(_bench.QUICK), "rounds": 1}
    assert _bench.describe(results).startswith("QUICK MODE")
    results = {"quick": False, "settings": dict(_bench.SETTINGS), "rounds": 3,
               "machine": {"cpu": "X", "cores": 2, "load_average": (0.31, 0, 0),
                           "load_average_after": (2.0, 0, 0)}}
    text = _bench.describe(results)
    assert "at least 50 batches" in text and "at least 10 s" in text and "3 rounds" in text
    assert text.endswith("X, 2 cores, load average 0.3 before the run, 2.0 after.")


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


def test_quick_end_to_end(tmp_path, capsys):
    path = tmp_path / "quick.json"
    assert _bench.main(["--quick", "--models", "mnist_simple", "--frameworks", "npconv",
                        "--json", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("QUICK MODE") and "| mnist_simple | 32 | 47,410 |" in out
    saved = json.loads(path.read_text())
    assert saved["quick"] is True and saved["rounds"] == 1 and saved["notes"] == []
    (raw,) = saved["runs"]
    assert raw["framework"] == "npconv" and raw["params"] == 47_410
    assert raw["train"]["batches"] == 5 and raw["predict"]["batches"] == 5
    assert raw["train_samples_per_s"] > 0 and raw["peak_rss_mb"] >= raw["baseline_rss_mb"] > 0
    assert saved["versions"]["npconv"].startswith("npconv ")
    assert saved["machine"]["cores"] >= 1


def test_worker_runs_without_npconv_on_the_path():
    # the files must run by path in another framework's interpreter: stdlib imports only
    for module in (_bench, _bench.zoo):
        source = open(module.__file__).read()
        top = [line for line in source.splitlines() if line.startswith(("import ", "from "))]
        assert all(line.split()[1] in ("__future__", "argparse", "importlib.util", "json", "math",
                                       "os", "statistics", "subprocess", "sys", "time")
                   for line in top), top


def test_worker_runs_by_path():
    """Run by path (as Keras's and PyTorch's interpreters run it), npconv/ is the script's
    folder on sys.path: npconv/random must not shadow the standard library's random (which
    TensorFlow and npconv.utils import), or every other framework's worker fails at once.
    Run as a fresh interpreter would, with ``random`` not imported yet."""
    import subprocess

    settings = json.dumps(_bench.QUICK)
    start = (
        "import runpy, sys\n"
        f"path = {_bench.__file__!r}\n"
        "sys.modules.pop('random', None)\n"
        "sys.path.insert(0, path.rsplit('/', 1)[0])\n"
        "sys.argv = [path, '--worker', 'npconv', '--models', 'lenet5', '--settings',"
        f" {settings!r}]\n"
        "runpy.run_path(path, run_name='__main__')\n"
    )
    here = os.path.dirname(_bench.__file__)
    # as the driver starts an npconv worker: npconv importable from the source tree's root
    env = dict(os.environ, PYTHONPATH=os.path.dirname(here))
    done = subprocess.run([sys.executable, "-c", start], capture_output=True, text=True,
                          timeout=120, cwd=here, env=env)
    assert done.returncode == 0, done.stderr
    (line,) = [x for x in done.stdout.splitlines() if x.startswith("NPCONV_BENCH_RESULT ")]
    assert json.loads(line.split(" ", 1)[1])["params"] == 61_706


def test_epoch_sizes():
    # resnet20_b32: predict calls over 6,400 samples; training epochs of 50 batches, not 200
    assert _bench.data_batches("resnet20_b32", _bench.SETTINGS) == (50, 200)
    # cifar10_cnn (batch 512): 13 batches hold 6,400 samples; a pass is 4 epochs of them
    assert _bench.data_batches("cifar10_cnn", _bench.SETTINGS) == (13, 13)
    assert _bench.data_batches("cifar10_cnn", _bench.QUICK) == (1, 1)
