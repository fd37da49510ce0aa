"""How much of an npconv training step is GEMM, and how fast those GEMMs run.

Issue 5 asks for ``mnist_cnn`` and ``cifar10_cnn`` training at 60% of the "GEMM limit" (the
step's multiply-adds at 200 GFLOP/s). This script shows what bounds that: it times every
``numpy.matmul`` call that npconv's ops make during ``fit`` (per thread), counts their FLOPs, and
prints, per model:

- the step's wall time and the GEMM time in it (summed over npconv's threads),
- the rate those GEMMs ran at (GFLOP/s per thread, at the shapes the step really uses: narrow
  filter counts, chunks of a few samples), beside one thread's rate on a 1024^3 GEMM,
- the *GEMM ceiling*: samples/s if everything but the GEMMs took no time at all (GEMM time
  divided over the threads), and that ceiling and the measured speed as % of the GEMM limit
  (the tutorial models only: the FLOP count behind the limit knows only them).

Any model of the bench's zoo can be measured, in training (``fit``) or prediction
(``predict``, ``--mode predict``). ``--compare FILE`` reads a side-by-side run's JSON
(``npconv bench --json FILE``) and sets the ceiling beside the faster other framework's median
from that run: where the ceiling is below it, no work outside the GEMMs can bring npconv level,
only faster GEMMs at these shapes.

    python bench/gemm_share.py                      # the three tutorial models, training
    python bench/gemm_share.py --models mnist_cnn --steps 8
    python bench/gemm_share.py --models resnet20_b32,vgg_bn --mode predict \
        --compare bench/results-steady-2core-2026-12-07.json

FLOPs are counted as BLAS does them (2 m k n a product, the zeros of the pixel-pair kernels
included). Products written with ``@`` (the bias gradients' GEMVs) are not counted; they are a
few hundred microseconds a step.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import threading
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))


def _square_rate(threads_mod, n=1024, repeat=5):
    import numpy as np

    from npconv import _bench

    a = np.ones((n, n), np.float32)
    c = np.empty((n, n), np.float32)
    previous = threads_mod.blas_threads(1)
    try:
        best = _bench._time(lambda: np.matmul(a, a, out=c), repeat)
    finally:
        if previous is not None:
            threads_mod.blas_threads(previous)
    return 2 * n**3 / best / 1e9


class GemmMeter:
    """Replaces ``numpy.matmul`` while active; sums seconds and FLOPs over all threads."""

    def __init__(self):
        self.seconds = {}
        self.flops = 0

    def __enter__(self):
        import numpy as np

        self.np, self.original = np, np.matmul
        lock = threading.Lock()
        original = self.original

        def matmul(a, b, *args, **kwargs):
            start = time.perf_counter()
            out = original(a, b, *args, **kwargs)
            spent = time.perf_counter() - start
            k = a.shape[-1]
            flops = 2 * (out.size * k)
            ident = threading.get_ident()
            with lock:
                self.seconds[ident] = self.seconds.get(ident, 0.0) + spent
                self.flops += flops
            return out

        np.matmul = matmul
        return self

    def __exit__(self, *exc):
        self.np.matmul = self.original

    def reset(self):
        self.seconds, self.flops = {}, 0


# batches per timed pass (the passes the bench timed before issue 14); other models: about 2,048
# samples (``default_steps``)
STEPS = {"mnist_simple": 60, "mnist_cnn": 16, "cifar10_cnn": 5}


def default_steps(name, batch):
    return STEPS.get(name, max(5, 2048 // batch))


def measure(name, steps, repeat, mode="train"):
    from npconv import _bench
    from npconv.backend.numpy import threads

    spec = _bench.MODELS[name]
    model = _bench._build_npconv(name)
    x, y = _bench._data(name, steps)
    bs = spec["batch"]
    if mode == "train":
        def one_pass():
            model.fit(x, y, batch_size=bs, epochs=1, verbose=0)
    else:
        def one_pass():
            model.predict(x, batch_size=bs, verbose=0)
    one_pass()  # warm-up
    best = None
    with GemmMeter() as meter:
        for _ in range(repeat):
            meter.reset()
            start = time.perf_counter()
            one_pass()
            wall = time.perf_counter() - start
            run = (wall, sum(meter.seconds.values()), meter.flops)
            if best is None or run[0] < best[0]:
                best = run
    wall, gemm, flops = best
    n_threads = threads.num_threads()
    limit = None
    if mode == "train" and name in _bench.TUTORIAL_MODELS:
        limit = _bench.GEMM_GFLOPS * 1e9 / _bench.training_flops(name)
    ceiling = bs * steps / (gemm / n_threads)
    return {
        "model": name,
        "step_ms": 1e3 * wall / steps,
        "gemm_ms": 1e3 * gemm / steps,
        "gemm_gflops_per_thread": flops / gemm / 1e9,
        "samples_per_s": bs * steps / wall,
        "ceiling_samples_per_s": ceiling,
        "limit_samples_per_s": limit,
        "threads": n_threads,
    }


def fastest_other(path, name, mode):
    """``(framework, median samples/s)`` of the faster non-npconv framework for ``name`` in the
    side-by-side JSON at ``path``, or ``None`` when it has no such model."""
    import json

    summary = json.loads(pathlib.Path(path).read_text()).get("summary", {})
    frameworks = summary.get(name, {}).get("frameworks", {})
    found = [(fw, r[mode]["median"]) for fw, r in frameworks.items()
             if fw != "npconv" and r.get(mode)]
    return max(found, key=lambda f: f[1]) if found else None


def _percent(value, limit):
    return "-" if limit is None else f"{100 * value / limit:.0f}%"


def main(argv=None):
    from npconv import _bench
    from npconv.backend.numpy import threads

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default=",".join(_bench.TUTORIAL_MODELS),
                        help="comma-separated models of the bench's zoo")
    parser.add_argument("--mode", choices=("train", "predict"), default="train")
    parser.add_argument("--steps", type=int, default=None, help="batches per pass")
    parser.add_argument("--repeat", type=int, default=3, help="passes (the fastest is kept)")
    parser.add_argument("--compare", metavar="FILE",
                        help="a side-by-side run's JSON: show its faster other framework")
    args = parser.parse_args(argv)
    names = args.models.split(",")
    unknown = [n for n in names if n not in _bench.MODELS]
    if unknown:
        parser.error(f"unknown model(s) {', '.join(unknown)}; expected some of "
                     f"{', '.join(_bench.MODELS)}")
    square = _square_rate(threads)
    print(f"{args.mode}; one thread, 1024^3 float32 GEMM: {square:.0f} GFLOP/s; "
          f"npconv threads: {threads.num_threads()}; GEMM limit = {_bench.GEMM_GFLOPS:.0f} "
          "GFLOP/s / the step's FLOPs\n")
    head = ["model", "step ms", "GEMM ms (all threads)", "GEMM GFLOP/s per thread",
            "samples/s", "% of limit", "GEMM ceiling samples/s", "ceiling % of limit"]
    if args.compare:
        head += ["faster other (its run)", "ceiling / faster other"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for name in names:
        steps = args.steps or default_steps(name, _bench.MODELS[name]["batch"])
        r = measure(name, steps, args.repeat, args.mode)
        limit = r["limit_samples_per_s"]
        row = [name, f"{r['step_ms']:.1f}", f"{r['gemm_ms']:.1f}",
               f"{r['gemm_gflops_per_thread']:.0f}", f"{r['samples_per_s']:,.0f}",
               _percent(r["samples_per_s"], limit), f"{r['ceiling_samples_per_s']:,.0f}",
               _percent(r["ceiling_samples_per_s"], limit)]
        if args.compare:
            other = fastest_other(args.compare, name, args.mode)
            row += ["-", "-"] if other is None else [
                f"{other[0]} {other[1]:,.0f}", f"{r['ceiling_samples_per_s'] / other[1]:.2f}x"]
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
