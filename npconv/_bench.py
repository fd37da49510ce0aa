"""``npconv bench``: training and prediction speed of the tutorials' models and a zoo of the
CNNs people train after them, against Keras 3 (TensorFlow backend) and PyTorch, on the same
machine, in the same run, in steady state.

The models are ``npconv/_bench_zoo.py``'s: one Keras source run with ``keras`` and with
``npconv``, and the same net in PyTorch, on random data of the model's input shape (seed 0):
one-hot labels of 10 classes, or the input itself for the autoencoder.

What is timed, the same way in every framework:

- Training: ``model.fit(x, y, batch_size, epochs=E, shuffle=False, verbose=0)`` (npconv and
  Keras, metrics as the tutorials compile them), or PyTorch's plain loop (``zero_grad``,
  forward, loss, ``backward``, ``step`` per batch, ``torch.set_num_threads`` = the cores this
  process may use). Prediction: ``model.predict(x, batch_size)``, or PyTorch's ``eval()`` and
  ``no_grad()`` forward batch by batch, the outputs concatenated.
- ``x`` holds ``--data-samples`` samples (6,400 by default, rounded up to whole batches): one
  ``predict`` call runs over all of it; a training epoch over its first ``--min-batches``
  batches at most. A warm-up of ``--warmup-batches`` batches of each (Keras traces its graph
  then) is not timed.
- A timed pass then repeats whole calls until it has run at least ``--min-batches`` batches
  (50) AND lasted at least ``--min-seconds`` (10 s): a training call runs as many epochs as the
  rate so far says the pass still needs, so each framework's per-``fit``/``predict`` start-up is
  counted once per call and a call lasts seconds (``timed_pass``). Samples/s = batches x batch
  size / seconds of the whole pass.
- Every (framework, model, round) is its own subprocess, and the frameworks are alternated:
  ``--rounds`` (3) rounds, each running every model in every framework, the framework order
  rotated each round, so a slow moment of a shared machine falls on each in turn. Reported: the
  median and the range (min-max) over the rounds, never the best alone, and npconv's median /
  the faster other framework's median.
- Memory: each subprocess's peak resident set (``ru_maxrss``) at its end, and that peak minus
  its baseline, read in the same process after importing the framework and making the data
  (in the framework's layout), before building the model: what the model, its training and
  its prediction add.

``--quick`` (5 batches, no minimum time, 1 round) checks the pipeline and says so; its numbers
are not a measurement. ``--json FILE`` keeps every raw number, the settings, the machine and
the frameworks' versions.

Keras runs with ``$NPCONV_BENCH_KERAS_PYTHON`` and PyTorch with ``$NPCONV_BENCH_TORCH_PYTHON``
(default ``/tmp/refenv/bin/python`` for both; or ``--keras-python`` / ``--torch-python``); a
framework whose interpreter is missing, or cannot import it, is skipped with a note. Keras's
workers run with ``CUDA_VISIBLE_DEVICES=`` so that TensorFlow stays on the CPU. npconv never
imports either.

This file is also the worker: ``python _bench.py --worker keras ...`` runs with only the
standard library imported at the top, so the other frameworks' interpreters run it by path.

    python -m npconv._bench                      # the table; or: npconv bench
    npconv bench --models resnet20_b32,lenet5 --frameworks npconv,torch --json out.json
    npconv bench --quick --models mnist_simple --frameworks npconv
"""

from __future__ import annotations

import os
import sys

if __name__ == "__main__":  # run by path: npconv/ is then sys.path[0], and its packages
    # (npconv/random) must not shadow the standard library's modules of the same name
    _here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _here]

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402


def _load_zoo():
    """``npconv/_bench_zoo.py``: imported as a module of npconv, or by path in a worker that
    runs in another framework's interpreter (which must not import npconv's packages)."""
    if __package__:
        from . import _bench_zoo

        return _bench_zoo
    name = "_npconv_bench_zoo"
    if name not in sys.modules:
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_bench_zoo.py")
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


zoo = _load_zoo()
MODELS = zoo.ZOO
TUTORIAL_MODELS = zoo.TUTORIAL
FRAMEWORKS = ("npconv", "keras", "torch")
DEFAULT_PYTHON = "/tmp/refenv/bin/python"
# the steady-state settings, and --quick's
SETTINGS = {"min_batches": 50, "min_seconds": 10.0, "data_samples": 6400, "warmup_batches": 3}
QUICK = {"min_batches": 5, "min_seconds": 0.0, "data_samples": 0, "warmup_batches": 1}
# NumPy's float32 GEMM on the benchmark machine (DESIGN.md): the bound bench/gemm_share.py uses.
GEMM_GFLOPS = 200.0


# --- the tutorial models' FLOPs (bench/gemm_share.py's limit) --------------------------------


def _layers(name):
    """A tutorial model as (kind, args) rows, for ``training_flops``."""
    if name == "mnist_simple":
        return [
            ("conv", 16, "valid"), ("conv", 8, "valid"), ("flatten",), ("dense", 10, "softmax"),
        ]
    if name == "mnist_cnn":
        return [
            ("conv", 32, "valid"), ("conv", 64, "valid"), ("pool",), ("dropout", 0.25),
            ("flatten",), ("dense", 128, "relu"), ("dropout", 0.5), ("dense", 10, "softmax"),
        ]
    if name == "cifar10_cnn":
        return [
            ("conv", 32, "same"), ("dropout", 0.2), ("conv", 32, "valid"), ("pool",),
            ("flatten",), ("dense", 512, "relu"), ("dropout", 0.3), ("dense", 10, "softmax"),
        ]
    raise ValueError(f"no FLOP count for {name!r}; the tutorial models are {TUTORIAL_MODELS}")


def training_flops(name):
    """Multiply-adds x 2 of one training step per sample of a tutorial model: forward, the
    kernel gradients, and the input gradients of every layer but the first (which needs none)."""
    h, w, c = MODELS[name]["input"]
    total, first = 0, True
    for row in _layers(name):
        if row[0] == "conv":
            f, pad = row[1], row[2]
            oh, ow = (h, w) if pad == "same" else (h - 2, w - 2)
            macs = oh * ow * f * 9 * c
            total += macs * (2 if first else 3)
            h, w, c, first = oh, ow, f, False
        elif row[0] == "pool":
            h, w = h // 2, w // 2
        elif row[0] == "flatten":
            c, h, w = h * w * c, 1, 1
        elif row[0] == "dense":
            macs = c * row[1]
            total += macs * (2 if first else 3)
            c, first = row[1], False
    return 2 * total


def _build_npconv(name):
    import npconv

    return zoo.build_keras_style(npconv, name)


# --- timing -----------------------------------------------------------------------------------


def timed_pass(call, batches_per_epoch, min_batches, min_seconds, clock=time.perf_counter):
    """Time ``call(epochs)`` (which runs ``epochs`` whole epochs of ``batches_per_epoch``
    batches) until at least ``min_batches`` batches ran AND at least ``min_seconds`` passed.

    The first call runs the epochs ``min_batches`` needs; each further call as many as the rate
    so far says the rest of the pass needs, so a pass is one to a few calls and each call's
    start-up counts once. Returns ``{"batches", "seconds", "calls"}``, ``calls`` a list of
    ``[epochs, seconds]`` per call (a call much slower per epoch than the next shows a start-up
    or a retrace in it)."""
    batches, elapsed, calls = 0, 0.0, []
    epochs = max(1, math.ceil(min_batches / batches_per_epoch))
    start = clock()
    while True:
        call(epochs)
        batches += epochs * batches_per_epoch
        calls.append([epochs, clock() - start - elapsed])
        elapsed = clock() - start
        if batches >= min_batches and elapsed >= min_seconds:
            return {"batches": batches, "seconds": elapsed, "calls": calls}
        rate = batches / elapsed if elapsed > 0 else float("inf")
        need = max(min_batches - batches, (min_seconds - elapsed) * rate)
        epochs = max(1, math.ceil(need / batches_per_epoch)) if math.isfinite(need) else 1


def _time(fn, repeat):
    """The fastest of ``repeat`` timed calls of ``fn`` after an untimed one (for the per-op
    micro-benchmarks and bench/gemm_share.py, not for the model table)."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


# --- the worker -------------------------------------------------------------------------------


def _peak_rss_mb():
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform != "darwin" else peak / 2**20


def _cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def data_batches(name, settings):
    """``(train, predict)``: the batches in the epochs of a training pass and of a prediction
    pass. Prediction runs over ``data_samples`` rounded up to whole batches (at least one), so
    each ``predict`` call, and its start-up, covers that many samples; training over the first
    of them, at most ``min_batches`` batches, so that the first ``fit`` call of a pass is about
    ``min_batches`` batches, not an epoch of a slow model over thousands of samples."""
    predict = max(1, math.ceil(settings["data_samples"] / MODELS[name]["batch"]))
    return min(predict, max(1, settings["min_batches"])), predict


def _data(name, n_batches, seed=0):
    """Random float32 inputs in [0, 1) (channels_last) and their targets: one-hot labels of 10
    classes, or the inputs themselves for a model trained with binary cross-entropy."""
    import numpy as np

    spec = MODELS[name]
    n = spec["batch"] * n_batches
    rng = np.random.default_rng(seed)
    x = rng.random((n, *spec["input"]), dtype=np.float32)
    if spec["loss"] == "binary":
        return x, x
    y = np.eye(zoo.NUM_CLASSES, dtype=np.float32)[rng.integers(0, zoo.NUM_CLASSES, n)]
    return x, y


def _keras_style_calls(model, x, y, bs, warm, n_train):
    x_train, y_train = x[: n_train * bs], y[: n_train * bs]

    def train(epochs):
        model.fit(x_train, y_train, batch_size=bs, epochs=epochs, shuffle=False, verbose=0)

    def predict(epochs):
        for _ in range(epochs):
            model.predict(x, batch_size=bs, verbose=0)

    def warm_up():
        n = warm * bs
        model.fit(x[:n], y[:n], batch_size=bs, epochs=1, shuffle=False, verbose=0)
        model.predict(x[:n], batch_size=bs, verbose=0)

    return train, predict, warm_up


def _torch_calls(torch, model, opt, loss_fn, x, y, bs, warm, n_train):

    def train_batches(stop):
        model.train()
        for i in range(0, stop, bs):
            opt.zero_grad()
            loss = loss_fn(model(x[i : i + bs]), y[i : i + bs])
            loss.backward()
            opt.step()

    def predict_batches(stop):
        model.eval()
        with torch.no_grad():
            return torch.cat([model(x[i : i + bs]) for i in range(0, stop, bs)]).numpy()

    def train(epochs):
        for _ in range(epochs):
            train_batches(n_train * bs)

    def predict(epochs):
        for _ in range(epochs):
            predict_batches(len(x))

    def warm_up():
        train_batches(warm * bs)
        predict_batches(warm * bs)

    return train, predict, warm_up


def _work(framework, name, settings):
    """Run one (framework, model): build, warm up, time a training pass and a prediction pass;
    return the raw numbers."""
    spec = MODELS[name]
    bs = spec["batch"]
    n_train, n_batches = data_batches(name, settings)
    warm = max(1, min(settings["warmup_batches"], n_train))
    rss_start = _peak_rss_mb()
    if framework == "npconv":
        import numpy as np

        import npconv
        from npconv.backend.numpy import threads

        k = npconv
        version = (f"npconv {getattr(npconv, '__version__', '?')}, NumPy {np.__version__}, "
                   f"{threads.num_threads()} threads")
    elif framework == "keras":
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        import keras

        k = keras
        version = f"Keras {keras.__version__} / {keras.backend.backend()}"
        try:
            import tensorflow as tf

            version += f" {tf.__version__}"
        except ImportError:
            pass
    elif framework == "torch":
        import torch

        torch.set_num_threads(_cores())
        version = f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads"
    else:
        raise ValueError(f"unknown framework {framework!r}; choose from {FRAMEWORKS}")
    rss_import = _peak_rss_mb()
    x, y = _data(name, n_batches)
    if framework == "torch":
        import numpy as np

        def channels_first(a):
            return torch.from_numpy(np.ascontiguousarray(np.moveaxis(a, -1, 1)))

        x_np = x
        x = channels_first(x_np)
        y = x if spec["loss"] == "binary" else torch.from_numpy(y.argmax(1))
        del x_np
    rss_baseline = _peak_rss_mb()
    if framework == "torch":
        model, opt, loss_fn = zoo.build_torch(name)
        params = zoo.torch_param_count(model)
        train, predict, warm_up = _torch_calls(torch, model, opt, loss_fn, x, y, bs, warm,
                                               n_train)
    else:
        model = zoo.build_keras_style(k, name)
        params = model.count_params()
        train, predict, warm_up = _keras_style_calls(model, x, y, bs, warm, n_train)
    start = time.perf_counter()
    warm_up()
    warm_seconds = time.perf_counter() - start
    passes = {}
    for key, call, per_epoch in (("train", train, n_train), ("predict", predict, n_batches)):
        passes[key] = timed_pass(call, per_epoch, settings["min_batches"],
                                 settings["min_seconds"])
        passes[key]["samples_per_s"] = passes[key]["batches"] * bs / passes[key]["seconds"]
    peak = _peak_rss_mb()
    return {
        "framework": framework,
        "model": name,
        "version": version,
        "batch": bs,
        "params": params,
        "train_epoch_batches": n_train,
        "predict_epoch_batches": n_batches,
        "warmup_seconds": warm_seconds,
        "train": passes["train"],
        "predict": passes["predict"],
        "train_samples_per_s": passes["train"]["samples_per_s"],
        "predict_samples_per_s": passes["predict"]["samples_per_s"],
        "rss_start_mb": rss_start,
        "rss_import_mb": rss_import,
        "baseline_rss_mb": rss_baseline,
        "peak_rss_mb": peak,
        "above_baseline_mb": peak - rss_baseline,
    }


def _worker_main(args):
    settings = json.loads(args.settings) if args.settings else dict(SETTINGS)
    result = _work(args.worker, args.models, settings)
    print("NPCONV_BENCH_RESULT " + json.dumps(result), flush=True)


# --- the driver -------------------------------------------------------------------------------


def _interpreter(framework, pythons):
    if framework == "npconv":
        return sys.executable
    if pythons and pythons.get(framework):
        return pythons[framework]
    env = {"keras": "NPCONV_BENCH_KERAS_PYTHON", "torch": "NPCONV_BENCH_TORCH_PYTHON"}[framework]
    return os.environ.get(env) or DEFAULT_PYTHON


def _run_one(framework, name, settings, python, timeout):
    cmd = [python, os.path.abspath(__file__), "--worker", framework, "--models", name,
           "--settings", json.dumps(settings)]
    env = dict(os.environ)
    if framework == "npconv":
        # the worker imports npconv by path when it runs from a source tree
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    if framework == "keras":
        env["CUDA_VISIBLE_DEVICES"] = ""  # a CPU benchmark: TensorFlow must not take a GPU
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except (OSError, subprocess.TimeoutExpired) as error:
        return None, f"{framework} {name}: {error}"
    for line in proc.stdout.splitlines():
        if line.startswith("NPCONV_BENCH_RESULT "):
            result = json.loads(line.split(" ", 1)[1])
            result["process_seconds"] = time.perf_counter() - start
            return result, None
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
    return None, f"{framework} {name}: failed ({tail[0][:200]})"


def _spread(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "values": list(values)}


def summarize(runs, models, frameworks=FRAMEWORKS):
    """Per model and framework, the median and range of the rounds' samples/s (train and
    predict) and memory; per model, npconv's median / the faster other framework's median.

    Returns ``{model: {"frameworks": {fw: {...}}, "train_ratio", "train_vs",
    "predict_ratio", "predict_vs", "params"}}`` (ratios ``None`` without npconv or another)."""
    summary = {}
    for name in models:
        per = {}
        for f in frameworks:
            mine = [r for r in runs if r["model"] == name and r["framework"] == f]
            if not mine:
                continue
            per[f] = {
                "rounds": len(mine),
                "train": _spread([r["train_samples_per_s"] for r in mine]),
                "predict": _spread([r["predict_samples_per_s"] for r in mine]),
                "peak_rss_mb": _spread([r["peak_rss_mb"] for r in mine]),
                "above_baseline_mb": _spread([r["above_baseline_mb"] for r in mine]),
                "params": mine[0].get("params"),
            }
        entry = {"frameworks": per,
                 "params": {f: v["params"] for f, v in per.items()}}
        for key in ("train", "predict"):
            others = [(v[key]["median"], f) for f, v in per.items() if f != "npconv"]
            if "npconv" in per and others:
                best, who = max(others)
                entry[f"{key}_ratio"] = per["npconv"][key]["median"] / best
                entry[f"{key}_vs"] = who
            else:
                entry[f"{key}_ratio"] = entry[f"{key}_vs"] = None
        summary[name] = entry
    return summary


def _fmt(v, digits=0):
    if v is None:
        return "-"
    return f"{v:,.{digits}f}"


def _cell(spread):
    """``median (min-max)``; the median alone for one round."""
    if spread["min"] == spread["max"]:
        return _fmt(spread["median"])
    return f"{_fmt(spread['median'])} ({_fmt(spread['min'])}-{_fmt(spread['max'])})"


def format_table(results):
    """The results as a Markdown table: per model, samples/s per framework as ``median
    (min-max)`` over the rounds, npconv's median / the faster other's median, then the peak
    resident memory and what the model added above its process's baseline (medians, MB)."""
    summary = results["summary"]
    frameworks = [f for f in FRAMEWORKS if any(f in s["frameworks"] for s in summary.values())]
    ratios = "npconv" in frameworks and len(frameworks) > 1
    head = ["model", "batch", "params"]
    for key in ("train", "predict"):
        head += [f"{f} {key}" for f in frameworks]
        if ratios:
            head.append(f"{key} ratio")
    head += ["peak RSS MB " + " / ".join(frameworks),
             "above baseline MB " + " / ".join(frameworks)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name in results["models"]:
        entry = summary.get(name)
        if entry is None:
            continue
        per = entry["frameworks"]
        counts = {n for n in entry["params"].values() if n is not None}
        params = _fmt(next(iter(counts))) if len(counts) == 1 else " / ".join(
            _fmt(entry["params"].get(f)) for f in frameworks) + " (differ)"
        row = [name, str(MODELS[name]["batch"]), params]
        for key in ("train", "predict"):
            row += [_cell(per[f][key]) if f in per else "-" for f in frameworks]
            if ratios:
                r = entry[f"{key}_ratio"]
                row.append(f"{r:.2f}x vs {entry[f'{key}_vs']}" if r is not None else "-")
        for key in ("peak_rss_mb", "above_baseline_mb"):
            row.append(" / ".join(_fmt(per[f][key]["median"]) if f in per else "-"
                                  for f in frameworks))
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def describe(results):
    """One paragraph saying how the numbers were taken (printed above the table)."""
    s = results["settings"]
    if results["quick"]:
        return (f"QUICK MODE (--quick): passes of {s['min_batches']} batches with no minimum "
                f"time, {results['rounds']} round: a check of the pipeline, not a measurement.")
    return (f"Steady state: after a {s['warmup_batches']}-batch warm-up, each timed pass runs "
            f"whole fit epochs (of at most {s['min_batches']} batches) or predict calls (over "
            f"{s['data_samples']:,} samples) until it has run at least "
            f"{s['min_batches']} batches and lasted at least {s['min_seconds']:g} s; every "
            f"(framework, model, round) in its own process; {results['rounds']} "
            f"round{'s' if results['rounds'] != 1 else ''}, the "
            f"framework order rotated each round. Samples/s: median (min-max) over the rounds; "
            f"ratio: npconv's median / the faster other framework's median. Machine: "
            f"{results['machine'].get('cpu', '?')}, {results['machine']['cores']} cores"
            f"{_load(results['machine'])}.")


def _load(machine):
    """The load averages before and after the run: a busy machine slows every framework, and
    some (PyTorch's spinning OpenMP threads) far more than others."""
    before, after = machine.get("load_average"), machine.get("load_average_after")
    if not before:
        return ""
    text = f", load average {before[0]:.1f} before the run"
    return text + (f", {after[0]:.1f} after" if after else "")


def _machine():
    import platform

    info = {"cores": _cores(), "cpus": os.cpu_count(), "python": sys.version.split()[0],
            "platform": platform.platform()}
    try:
        with open("/proc/cpuinfo") as fh:
            names = [line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")]
        if names:
            info["cpu"] = names[0]
    except OSError:
        pass
    try:
        info["load_average"] = os.getloadavg()
    except OSError:
        pass
    return info


def run_bench(models=None, frameworks=None, rounds=3, min_batches=None, min_seconds=None,
              data_samples=None, warmup_batches=None, quick=False, json_path=None, pythons=None,
              ops=False, timeout=1800, out=None):
    """Run the benchmark, print the table (to ``out``, default stdout) and return the results.

    ``models``: names from ``MODELS`` (default all); ``frameworks``: from ``("npconv", "keras",
    "torch")`` (default all); ``rounds``: how many times every (model, framework) runs, each in
    its own process, the framework order rotated each round; ``min_batches`` / ``min_seconds``
    / ``data_samples`` / ``warmup_batches``: the pass settings (default ``SETTINGS``);
    ``quick``: ``QUICK``'s settings and one round, for development; ``json_path``: also write
    the results there; ``pythons``: ``{"keras": path, "torch": path}`` interpreters; ``ops``:
    also run the per-op micro-benchmarks (``bench_ops``).

    Returns ``{"quick", "settings", "rounds", "machine", "versions", "models", "runs",
    "summary", "notes", "table"[, "ops"]}``; ``runs`` holds every subprocess's raw numbers."""
    out = out or sys.stdout
    models = list(models or MODELS)
    frameworks = list(frameworks or FRAMEWORKS)
    for f in frameworks:
        if f not in FRAMEWORKS:
            raise ValueError(f"unknown framework {f!r}; choose from {FRAMEWORKS}")
    for name in models:
        if name not in MODELS:
            raise ValueError(f"unknown model {name!r}; choose from {', '.join(MODELS)}")
    settings = dict(QUICK if quick else SETTINGS)
    rounds = 1 if quick else rounds
    given = {"min_batches": min_batches, "min_seconds": min_seconds,
             "data_samples": data_samples, "warmup_batches": warmup_batches}
    settings.update({k: v for k, v in given.items() if v is not None})
    results = {"quick": quick, "settings": settings, "rounds": rounds, "machine": _machine(),
               "versions": {}, "models": models, "runs": [], "notes": []}
    active = []
    for f in frameworks:
        python = _interpreter(f, pythons)
        if f != "npconv" and not os.path.exists(python):
            results["notes"].append(f"{f} skipped: no interpreter at {python}")
        else:
            active.append(f)
    if quick:
        print("QUICK MODE: a check of the pipeline, not a measurement", file=out, flush=True)
    started = time.perf_counter()
    for r in range(rounds):
        order = active[r % len(active):] + active[: r % len(active)] if active else []
        for name in models:
            for f in order:
                result, note = _run_one(f, name, settings, _interpreter(f, pythons), timeout)
                if result is None:
                    results["notes"].append(note)
                    print("  note:", note, file=out, flush=True)
                    continue
                result["round"] = r + 1
                results["runs"].append(result)
                results["versions"].setdefault(f, result["version"])
                t, p = result["train"], result["predict"]
                print(f"  round {r + 1}/{rounds} {name:16s} {f:7s} "
                      f"train {t['samples_per_s']:9,.0f}/s ({t['batches']} batches, "
                      f"{t['seconds']:.1f} s)  predict {p['samples_per_s']:9,.0f}/s "
                      f"({p['batches']} batches, {p['seconds']:.1f} s)  peak RSS "
                      f"{result['peak_rss_mb']:,.0f} MB (+{result['above_baseline_mb']:,.0f}); "
                      f"process {result['process_seconds']:.0f} s",
                      file=out, flush=True)
                if json_path:  # a run cut short keeps the rounds it finished
                    _write_json(results, json_path)
    results["wall_seconds"] = time.perf_counter() - started
    try:
        results["machine"]["load_average_after"] = os.getloadavg()
    except OSError:
        pass
    results["summary"] = summarize(results["runs"], models, frameworks)
    for name, entry in results["summary"].items():
        if len({n for n in entry["params"].values() if n is not None}) > 1:
            results["notes"].append(f"{name}: the frameworks' parameter counts differ: "
                                    f"{entry['params']}")
    results["table"] = format_table(results)
    print(file=out)
    print(describe(results), file=out)
    print(file=out)
    print(results["table"], file=out)
    for f, v in results["versions"].items():
        print(f"{f}: {v}", file=out)
    for note in results["notes"]:
        print("note:", note, file=out)
    print(f"the run took {results['wall_seconds'] / 60:.1f} minutes", file=out)
    if ops:
        results["ops"] = bench_ops(out=out)
    if json_path:
        _write_json(results, json_path)
    return results


def _write_json(results, path):
    """Write ``results`` to ``path`` atomically (a temporary file, then a rename)."""
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w") as fh:
        json.dump(results, fh, indent=1)
    os.replace(tmp, path)


# --- per-op micro-benchmarks ------------------------------------------------------------------

# (label, x shape NHWC, filters, padding, needs input gradient): the seed models' convolutions
CONV_SHAPES = [
    ("002 conv1", (32, 28, 28, 1), 16, "valid", False),
    ("002 conv2", (32, 26, 26, 16), 8, "valid", True),
    ("004 conv1", (128, 28, 28, 1), 32, "valid", False),
    ("004 conv2", (128, 26, 26, 32), 64, "valid", True),
    ("cifar conv1", (512, 32, 32, 3), 32, "same", False),
    ("cifar conv2", (512, 32, 32, 32), 32, "valid", True),
]
POOL_SHAPES = [("004 pool", (128, 24, 24, 64)), ("cifar pool", (512, 30, 30, 32))]
DENSE_SHAPES = [("004 dense1", 128, 9216, 128), ("cifar dense1", 512, 7200, 512)]


def bench_ops(repeat=5, out=None):
    """Time npconv's convolution, pooling and dense ops at the seed models' shapes: forward,
    and forward + backward, with the GFLOP/s achieved (2 x multiply-adds of the direct method,
    whatever algorithm ran). Prints a table and returns its rows."""
    import numpy as np

    from npconv.autograd import Tensor, no_grad
    from npconv.functions.conv import conv
    from npconv.functions.linear import dense
    from npconv.functions.pooling import max_pool

    out = out or sys.stdout
    rng = np.random.default_rng(0)
    rows = []
    for label, shape, f, pad, need_x in CONV_SHAPES:
        n, h, w, c = shape
        x = rng.standard_normal(shape, dtype=np.float32)
        k = Tensor(rng.standard_normal((3, 3, c, f), dtype=np.float32) * 0.1, requires_grad=True)
        b = Tensor(np.zeros(f, np.float32), requires_grad=True)
        oh, ow = (h, w) if pad == "same" else (h - 2, w - 2)
        macs = n * oh * ow * f * 9 * c
        gy = rng.standard_normal((n, oh, ow, f), dtype=np.float32)
        xt = Tensor(x, requires_grad=need_x)

        def fwd(x=x, k=k, b=b, pad=pad):
            with no_grad():
                conv(x, k, b, padding=pad)

        def step(xt=xt, k=k, b=b, pad=pad, gy=gy):
            xt.grad = k.grad = b.grad = None
            conv(xt, k, b, padding=pad).backward(gy)

        t_f, t_s = _time(fwd, repeat), _time(step, repeat)
        rows.append({"op": f"{label} conv {shape}->{f}", "forward_ms": 1e3 * t_f,
                     "forward_gflops": 2 * macs / t_f / 1e9, "train_ms": 1e3 * t_s,
                     "train_gflops": 2 * macs * (3 if need_x else 2) / t_s / 1e9})
    for label, shape in POOL_SHAPES:
        x = rng.standard_normal(shape, dtype=np.float32)
        xt = Tensor(x, requires_grad=True)
        n, h, w, c = shape
        gy = rng.standard_normal((n, h // 2, w // 2, c), dtype=np.float32)

        def pfwd(x=x):
            with no_grad():
                max_pool(x, 2)

        def pstep(xt=xt, gy=gy):
            xt.grad = None
            max_pool(xt, 2).backward(gy)

        t_f, t_s = _time(pfwd, repeat), _time(pstep, repeat)
        rows.append({"op": f"{label} max_pool 2x2 {shape}", "forward_ms": 1e3 * t_f,
                     "forward_gflops": None, "train_ms": 1e3 * t_s, "train_gflops": None})
    for label, n, i, o in DENSE_SHAPES:
        x = Tensor(rng.standard_normal((n, i), dtype=np.float32), requires_grad=True)
        k = Tensor(rng.standard_normal((i, o), dtype=np.float32) * 0.01, requires_grad=True)
        b = Tensor(np.zeros(o, np.float32), requires_grad=True)
        gy = rng.standard_normal((n, o), dtype=np.float32)

        def dfwd(x=x, k=k, b=b):
            with no_grad():
                dense(x, k, b)

        def dstep(x=x, k=k, b=b, gy=gy):
            x.grad = k.grad = b.grad = None
            dense(x, k, b).backward(gy)

        t_f, t_s = _time(dfwd, repeat), _time(dstep, repeat)
        macs = n * i * o
        rows.append({"op": f"{label} dense ({n},{i})->{o}", "forward_ms": 1e3 * t_f,
                     "forward_gflops": 2 * macs / t_f / 1e9, "train_ms": 1e3 * t_s,
                     "train_gflops": 6 * macs / t_s / 1e9})
    print("\n| op | forward ms | forward GFLOP/s | fwd+bwd ms | fwd+bwd GFLOP/s |", file=out)
    print("|---|---|---|---|---|", file=out)
    for r in rows:
        print(f"| {r['op']} | {r['forward_ms']:.2f} | {_fmt(r['forward_gflops'], 1)} | "
              f"{r['train_ms']:.2f} | {_fmt(r['train_gflops'], 1)} |", file=out)
    return rows


# --- command line -----------------------------------------------------------------------------


def build_parser(parser=None):
    """The ``bench`` arguments (the CLI's ``npconv bench`` may pass its own subparser)."""
    parser = parser or argparse.ArgumentParser(
        prog="npconv bench", description=__doc__.split("\n\n")[0],
        epilog="models: " + "; ".join(f"{k} ({v['title']})" for k, v in MODELS.items()))
    parser.add_argument("--models", default=",".join(MODELS),
                        help=f"comma-separated, from {','.join(MODELS)} (default all)")
    parser.add_argument("--frameworks", default=",".join(FRAMEWORKS),
                        help="comma-separated, from npconv,keras,torch (default all)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds, each running every model in every framework in its own "
                             "process, the order rotated; median and range reported (default 3)")
    parser.add_argument("--min-batches", type=int, default=None,
                        help=f"a timed pass runs at least this many batches "
                             f"(default {SETTINGS['min_batches']})")
    parser.add_argument("--min-seconds", type=float, default=None,
                        help=f"... and lasts at least this long (default "
                             f"{SETTINGS['min_seconds']:g})")
    parser.add_argument("--data-samples", type=int, default=None,
                        help=f"samples in the data a pass runs epochs of (default "
                             f"{SETTINGS['data_samples']}, rounded up to whole batches)")
    parser.add_argument("--warmup-batches", type=int, default=None,
                        help=f"untimed warm-up batches (default {SETTINGS['warmup_batches']})")
    parser.add_argument("--quick", action="store_true",
                        help="a check of the pipeline, not a measurement: passes of "
                             f"{QUICK['min_batches']} batches, no minimum time, one round")
    parser.add_argument("--json", dest="json_path", default=None,
                        help="write every raw number, the settings and versions here")
    parser.add_argument("--keras-python", default=None, help="interpreter with Keras + TF")
    parser.add_argument("--torch-python", default=None, help="interpreter with PyTorch")
    parser.add_argument("--timeout", type=float, default=1800,
                        help="seconds one (framework, model, round) process may take")
    parser.add_argument("--ops", action="store_true",
                        help="also time npconv's ops at the tutorial models' shapes")
    parser.add_argument("--ops-only", action="store_true", help="only time the ops")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--settings", default=None, help=argparse.SUPPRESS)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.worker:
        _worker_main(args)
        return 0
    if args.ops_only:
        bench_ops()
        return 0
    models = [m for m in args.models.split(",") if m]
    frameworks = [f for f in args.frameworks.split(",") if f]
    unknown = [m for m in models if m not in MODELS] + [f for f in frameworks
                                                        if f not in FRAMEWORKS]
    if unknown:
        parser.error(f"unknown model or framework {', '.join(map(repr, unknown))}: models are "
                     f"{', '.join(MODELS)}; frameworks {', '.join(FRAMEWORKS)}")
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    run_bench(
        models=models,
        frameworks=frameworks,
        rounds=args.rounds,
        min_batches=args.min_batches,
        min_seconds=args.min_seconds,
        data_samples=args.data_samples,
        warmup_batches=args.warmup_batches,
        quick=args.quick,
        json_path=args.json_path,
        pythons={"keras": args.keras_python, "torch": args.torch_python},
        ops=args.ops,
        timeout=args.timeout,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
