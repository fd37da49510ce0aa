"""``npconv bench``: training and prediction speed of the tutorials' models, against Keras
(TensorFlow backend) and PyTorch on the same machine, in the same run.

Each (framework, model) pair runs in its own subprocess, so that each reports its own peak
resident memory and none slows another: npconv with this interpreter, Keras with
``$NPCONV_BENCH_KERAS_PYTHON`` (default ``/tmp/tfenv/bin/python``) and PyTorch with
``$NPCONV_BENCH_TORCH_PYTHON`` (default ``/tmp/refenv/bin/python``), or any interpreter given;
a framework whose interpreter is missing, or cannot import it, is skipped with a note. npconv
never imports either.

What is timed, the same for every framework: the seed model's layers, batch size and optimizer
(``MODELS``), on synthetic float32 data of the model's input shape with one-hot labels of 10
classes. Training: ``fit`` over ``steps`` batches for npconv and Keras (``verbose=0``, metrics
as the examples compile them), the usual ``zero_grad / loss.backward() / step()`` loop for
PyTorch (``CrossEntropyLoss`` on logits, as PyTorch users write it). Prediction: ``predict``
over the same samples (PyTorch: ``eval()`` and ``no_grad()`` batch by batch). One warm-up pass
of each comes first and is not timed (Keras traces its graph then); each figure is the best of
``repeat`` timed passes, in samples per second, and with ``rounds`` > 1 the best over that many
rounds that run every framework in turn: on a shared machine other processes only ever slow a
pass down, and interleaving gives each framework the same chances. Peak RSS is the
subprocess's ``ru_maxrss`` after its run (imports included: what a user's process holds).

This file is also the worker: ``python _bench.py --worker keras ...`` runs with only the
standard library and NumPy imported at the top, so the other frameworks' interpreters can run
it by path.

    python -m npconv._bench                      # the table; or: npconv bench
    python -m npconv._bench --models mnist_cnn --frameworks npconv,torch --json out.json
"""

from __future__ import annotations

import os
import sys

if __name__ == "__main__":  # run by path: npconv/ is then sys.path[0], and its packages
    # (npconv/random) must not shadow the standard library's modules of the same name
    _here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _here]

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

MODELS = {
    "mnist_simple": {
        "title": "002 mnist_simple: Conv16-Conv8-Dense10, Adam, batch 32",
        "input": (28, 28, 1),
        "batch": 32,
        "steps": 60,
        "optimizer": "adam",
    },
    "mnist_cnn": {
        "title": (
            "004 mnist_cnn: Conv32-Conv64-Pool-Drop-Dense128-Drop-Dense10, Adadelta, batch 128"
        ),
        "input": (28, 28, 1),
        "batch": 128,
        "steps": 16,
        "optimizer": "adadelta",
    },
    "cifar10_cnn": {
        "title": "cifar10_cnn: Conv32same-Drop-Conv32-Pool-Dense512-Drop-Dense10, SGD, batch 512",
        "input": (32, 32, 3),
        "batch": 512,
        "steps": 5,
        "optimizer": "sgd",
    },
}
FRAMEWORKS = ("npconv", "keras", "torch")
# NumPy's float32 GEMM on the benchmark machine (DESIGN.md): the bound the GEMM-limit column uses.
GEMM_GFLOPS = 200.0


# --- the models, framework by framework -------------------------------------------------------


def _layers(name):
    """The seed model as (kind, args) rows, shared by the three builders."""
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
    raise ValueError(f"unknown model {name!r}; choose from {sorted(MODELS)}")


def training_flops(name):
    """Multiply-adds x 2 of one training step per sample: forward, the kernel gradients, and
    the input gradients of every layer but the first (which needs none)."""
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
    from npconv import optimizers
    from npconv.layers import Conv2D, Dense, Dropout, Flatten, MaxPooling2D
    from npconv.models import Sequential

    model = Sequential()
    shape = MODELS[name]["input"]
    for i, row in enumerate(_layers(name)):
        extra = {"input_shape": shape} if i == 0 else {}
        if row[0] == "conv":
            model.add(Conv2D(row[1], (3, 3), padding=row[2], activation="relu", **extra))
        elif row[0] == "pool":
            model.add(MaxPooling2D((2, 2)))
        elif row[0] == "dropout":
            model.add(Dropout(row[1]))
        elif row[0] == "flatten":
            model.add(Flatten())
        else:
            model.add(Dense(row[1], activation=row[2]))
    opt = {
        "adam": lambda: optimizers.Adam(),
        "adadelta": lambda: optimizers.Adadelta(),
        "sgd": lambda: optimizers.SGD(momentum=0.5, decay=0.0004),
    }[MODELS[name]["optimizer"]]()
    model.compile(optimizer=opt, loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def _build_keras(name):
    import keras

    layers = [keras.Input(MODELS[name]["input"])]
    for row in _layers(name):
        if row[0] == "conv":
            layers.append(keras.layers.Conv2D(row[1], (3, 3), padding=row[2], activation="relu"))
        elif row[0] == "pool":
            layers.append(keras.layers.MaxPooling2D((2, 2)))
        elif row[0] == "dropout":
            layers.append(keras.layers.Dropout(row[1]))
        elif row[0] == "flatten":
            layers.append(keras.layers.Flatten())
        else:
            layers.append(keras.layers.Dense(row[1], activation=row[2]))
    model = keras.Sequential(layers)
    opt = {
        "adam": lambda: keras.optimizers.Adam(),
        "adadelta": lambda: keras.optimizers.Adadelta(learning_rate=1.0),
        # Keras 3 dropped Keras 2's ``decay``; the schedule costs nothing measurable
        "sgd": lambda: keras.optimizers.SGD(learning_rate=0.01, momentum=0.5),
    }[MODELS[name]["optimizer"]]()
    model.compile(optimizer=opt, loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def _build_torch(name):
    import torch
    from torch import nn

    h, w, c = MODELS[name]["input"]
    mods = []
    for row in _layers(name):
        if row[0] == "conv":
            mods += [nn.Conv2d(c, row[1], 3, padding=1 if row[2] == "same" else 0), nn.ReLU()]
            c = row[1]
            if row[2] == "valid":
                h, w = h - 2, w - 2
        elif row[0] == "pool":
            mods.append(nn.MaxPool2d(2))
            h, w = h // 2, w // 2
        elif row[0] == "dropout":
            mods.append(nn.Dropout(row[1]))
        elif row[0] == "flatten":
            mods.append(nn.Flatten())
            c = c * h * w
        else:
            mods.append(nn.Linear(c, row[1]))
            c = row[1]
            if row[2] == "relu":
                mods.append(nn.ReLU())
    model = nn.Sequential(*mods)  # the last softmax is folded into CrossEntropyLoss
    params = model.parameters()
    opt = {
        "adam": lambda: torch.optim.Adam(params, lr=0.001, eps=1e-7),
        "adadelta": lambda: torch.optim.Adadelta(params, lr=1.0, rho=0.95, eps=1e-7),
        "sgd": lambda: torch.optim.SGD(params, lr=0.01, momentum=0.5),
    }[MODELS[name]["optimizer"]]()
    return model, opt


# --- the worker -------------------------------------------------------------------------------


def _peak_rss_mb():
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform != "darwin" else peak / 2**20


def _data(name, steps, seed=0):
    import numpy as np

    spec = MODELS[name]
    n = spec["batch"] * steps
    rng = np.random.default_rng(seed)
    x = rng.random((n, *spec["input"]), dtype=np.float32)
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, n)]
    return x, y


def _time(fn, repeat):
    fn()  # warm-up, not timed
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def _work(framework, name, steps, repeat):
    spec = MODELS[name]
    bs = spec["batch"]
    x, y = _data(name, steps)
    n = len(x)
    if framework == "npconv":
        import npconv

        version = npconv.__version__ if hasattr(npconv, "__version__") else "?"
        model = _build_npconv(name)
        train = _time(lambda: model.fit(x, y, batch_size=bs, epochs=1, verbose=0), repeat)
        predict = _time(lambda: model.predict(x, batch_size=bs, verbose=0), repeat)
    elif framework == "keras":
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        import keras

        version = f"Keras {keras.__version__} / {keras.backend.backend()}"
        try:
            import tensorflow as tf

            version += f" {tf.__version__}"
        except ImportError:
            pass
        model = _build_keras(name)
        train = _time(lambda: model.fit(x, y, batch_size=bs, epochs=1, verbose=0), repeat)
        predict = _time(lambda: model.predict(x, batch_size=bs, verbose=0), repeat)
    elif framework == "torch":
        import torch

        version = f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads"
        model, opt = _build_torch(name)
        loss_fn = torch.nn.CrossEntropyLoss()
        xt = torch.from_numpy(x).permute(0, 3, 1, 2).contiguous()  # NCHW, PyTorch's layout
        yt = torch.from_numpy(y.argmax(1))

        def fit():
            model.train()
            for i in range(0, n, bs):
                opt.zero_grad()
                loss = loss_fn(model(xt[i : i + bs]), yt[i : i + bs])
                loss.backward()
                opt.step()

        def predict_all():
            model.eval()
            with torch.no_grad():
                return [model(xt[i : i + bs]) for i in range(0, n, bs)]

        train = _time(fit, repeat)
        predict = _time(predict_all, repeat)
    else:
        raise ValueError(f"unknown framework {framework!r}")
    return {
        "framework": framework,
        "model": name,
        "version": version,
        "batch": bs,
        "samples": n,
        "train_samples_per_s": n / train,
        "predict_samples_per_s": n / predict,
        "peak_rss_mb": _peak_rss_mb(),
    }


def _worker_main(args):
    result = _work(args.worker, args.models, args.steps, args.repeat)
    print("NPCONV_BENCH_RESULT " + json.dumps(result), flush=True)


# --- the driver -------------------------------------------------------------------------------


def _interpreter(framework, pythons):
    if framework == "npconv":
        return sys.executable
    if pythons and pythons.get(framework):
        return pythons[framework]
    env = {"keras": "NPCONV_BENCH_KERAS_PYTHON", "torch": "NPCONV_BENCH_TORCH_PYTHON"}[framework]
    default = {"keras": "/tmp/tfenv/bin/python", "torch": "/tmp/refenv/bin/python"}[framework]
    return os.environ.get(env) or default


def _run_one(framework, name, steps, repeat, python, timeout):
    cmd = [python, os.path.abspath(__file__), "--worker", framework, "--models", name,
           "--steps", str(steps), "--repeat", str(repeat)]
    env = dict(os.environ)
    if framework == "npconv":
        # the worker imports npconv by path when it runs from a source tree
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except (OSError, subprocess.TimeoutExpired) as error:
        return None, f"{framework} {name}: {error}"
    for line in proc.stdout.splitlines():
        if line.startswith("NPCONV_BENCH_RESULT "):
            return json.loads(line.split(" ", 1)[1]), None
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
    return None, f"{framework} {name}: failed ({tail[0][:200]})"


def _fmt(v, digits=0):
    if v is None:
        return "-"
    return f"{v:,.{digits}f}"


def format_table(results):
    """The results as a Markdown table: samples/s per framework, the ratios npconv / the faster
    of the others, and peak RSS."""
    frameworks = [f for f in FRAMEWORKS if any(r["framework"] == f for r in results["runs"])]
    others = [f for f in frameworks if f != "npconv"]
    head = ["model"]
    head += [f"{f} train" for f in frameworks] + [f"{f} predict" for f in frameworks]
    if "npconv" in frameworks and others:
        head += ["train ratio", "predict ratio"]
    if "npconv" in frameworks:
        head += ["npconv % GEMM limit"]
    head += [f"{f} peak RSS MB" for f in frameworks]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name in results["models"]:
        runs = {r["framework"]: r for r in results["runs"] if r["model"] == name}
        row = [name]
        for key in ("train_samples_per_s", "predict_samples_per_s"):
            row += [_fmt(runs[f][key]) if f in runs else "-" for f in frameworks]
        if "npconv" in frameworks and others:
            for key in ("train_samples_per_s", "predict_samples_per_s"):
                best = max((runs[f][key] for f in others if f in runs), default=None)
                ok = "npconv" in runs and best
                row.append(f"{runs['npconv'][key] / best:.2f}x" if ok else "-")
        if "npconv" in frameworks:
            if "npconv" in runs:
                limit = GEMM_GFLOPS * 1e9 / training_flops(name)
                row.append(f"{100 * runs['npconv']['train_samples_per_s'] / limit:.0f}%")
            else:
                row.append("-")
        row += [_fmt(runs[f]["peak_rss_mb"]) if f in runs else "-" for f in frameworks]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def run_bench(models=None, frameworks=None, steps=None, repeat=3, json_path=None, pythons=None,
              ops=False, timeout=900, out=None, rounds=1):
    """Run the benchmark, print the table (to ``out``, default stdout) and return the results.

    ``models``: names from ``MODELS`` (default all); ``frameworks``: from ``("npconv", "keras",
    "torch")`` (default all); ``steps``: batches per timed pass (default per model); ``repeat``:
    timed passes, the best reported; ``rounds``: run every (model, framework) this many times,
    interleaved, and keep the best; ``json_path``: also write the results there;
    ``pythons``: ``{"keras": path, "torch": path}`` interpreters; ``ops``: also run the per-op
    micro-benchmarks (``bench_ops``). Returns ``{"models", "runs", "notes", "table"[, "ops"]}``.
    """
    out = out or sys.stdout
    models = list(models or MODELS)
    frameworks = list(frameworks or FRAMEWORKS)
    for f in frameworks:
        if f not in FRAMEWORKS:
            raise ValueError(f"unknown framework {f!r}; choose from {FRAMEWORKS}")
    for name in models:
        if name not in MODELS:
            raise ValueError(f"unknown model {name!r}; choose from {sorted(MODELS)}")
    results = {"models": models, "runs": [], "notes": [], "machine": _machine()}
    skipped = set()
    for f in frameworks:
        python = _interpreter(f, pythons)
        if f != "npconv" and not os.path.exists(python):
            results["notes"].append(f"{f} skipped: no interpreter at {python}")
            skipped.add(f)
    best = {}
    for r in range(rounds):
        for name in models:
            n_steps = steps or MODELS[name]["steps"]
            for f in frameworks:
                if f in skipped:
                    continue
                result, note = _run_one(f, name, n_steps, repeat, _interpreter(f, pythons),
                                        timeout)
                if result is None:
                    results["notes"].append(note)
                    continue
                print(f"  {name:13s} {f:7s} train {result['train_samples_per_s']:9,.0f}/s  "
                      f"predict {result['predict_samples_per_s']:9,.0f}/s  "
                      f"peak RSS {result['peak_rss_mb']:6,.0f} MB"
                      + (f"  (round {r + 1})" if rounds > 1 else ""), file=out, flush=True)
                kept = best.get((name, f))
                if kept is None:
                    best[(name, f)] = result
                else:
                    for key in ("train_samples_per_s", "predict_samples_per_s", "peak_rss_mb"):
                        kept[key] = max(kept[key], result[key])
    results["runs"] = list(best.values())
    results["rounds"] = rounds
    results["table"] = format_table(results)
    print(file=out)
    print(results["table"], file=out)
    for note in results["notes"]:
        print("note:", note, file=out)
    if ops:
        results["ops"] = bench_ops(out=out)
    if json_path:
        tmp = f"{json_path}.tmp{os.getpid()}"
        with open(tmp, "w") as fh:
            json.dump(results, fh, indent=1)
        os.replace(tmp, json_path)
    return results


def _machine():
    info = {"cpus": os.cpu_count(), "python": sys.version.split()[0]}
    try:
        info["load_average"] = os.getloadavg()
    except OSError:
        pass
    return info


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
        prog="npconv bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default=",".join(MODELS),
                        help=f"comma-separated, from {','.join(MODELS)}")
    parser.add_argument("--frameworks", default=",".join(FRAMEWORKS),
                        help="comma-separated, from npconv,keras,torch")
    parser.add_argument("--steps", type=int, default=None, help="batches per timed pass")
    parser.add_argument("--repeat", type=int, default=3, help="timed passes (best reported)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="run every model and framework this many times, interleaved, "
                             "and keep the best (for a shared, noisy machine)")
    parser.add_argument("--json", dest="json_path", default=None, help="write the results here")
    parser.add_argument("--keras-python", default=None, help="interpreter with Keras + TF")
    parser.add_argument("--torch-python", default=None, help="interpreter with PyTorch")
    parser.add_argument("--ops", action="store_true", help="also time the ops at seed shapes")
    parser.add_argument("--ops-only", action="store_true", help="only time the ops")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
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
    run_bench(
        models=models,
        frameworks=frameworks,
        steps=args.steps,
        repeat=args.repeat,
        json_path=args.json_path,
        pythons={"keras": args.keras_python, "torch": args.torch_python},
        ops=args.ops,
        rounds=args.rounds,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
