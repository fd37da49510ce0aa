"""How much of an npconv training step is GEMM, and how fast those GEMMs run.

Issue 5 asks for ``mnist_cnn`` and ``cifar10_cnn`` training at 60% of the "GEMM limit" (the
step's multiply-adds at 200 GFLOP/s). This script shows what bounds that: it times every
``numpy.matmul`` call that npconv's ops make during ``fit`` (per thread), counts their FLOPs, and
prints, per model:

- the step's wall time and the GEMM time in it (summed over npconv's threads),
- the rate those GEMMs ran at (GFLOP/s per thread, at the shapes the step really uses: narrow
  filter counts, chunks of a few samples), beside one thread's rate on a 1024^3 GEMM,
- the *GEMM ceiling*: samples/s if everything but the GEMMs took no time at all (GEMM time
  divided over the threads), and that ceiling and the measured speed as % of the GEMM limit.

    python bench/gemm_share.py                      # all three models
    python bench/gemm_share.py --models mnist_cnn --steps 8

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


# batches per timed pass (the passes the bench timed before issue 14)
STEPS = {"mnist_simple": 60, "mnist_cnn": 16, "cifar10_cnn": 5}


def measure(name, steps, repeat):
    from npconv import _bench
    from npconv.backend.numpy import threads

    spec = _bench.MODELS[name]
    model = _bench._build_npconv(name)
    x, y = _bench._data(name, steps)
    bs = spec["batch"]
    model.fit(x, y, batch_size=bs, epochs=1, verbose=0)  # warm-up
    best = None
    with GemmMeter() as meter:
        for _ in range(repeat):
            meter.reset()
            start = time.perf_counter()
            model.fit(x, y, batch_size=bs, epochs=1, verbose=0)
            wall = time.perf_counter() - start
            run = (wall, sum(meter.seconds.values()), meter.flops)
            if best is None or run[0] < best[0]:
                best = run
    wall, gemm, flops = best
    n_threads = threads.num_threads()
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


def main(argv=None):
    from npconv import _bench
    from npconv.backend.numpy import threads

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default=",".join(_bench.TUTORIAL_MODELS),
                        help="comma-separated tutorial models (the FLOP count knows only them)")
    parser.add_argument("--steps", type=int, default=None, help="batches per pass")
    parser.add_argument("--repeat", type=int, default=3, help="passes (the fastest is kept)")
    args = parser.parse_args(argv)
    square = _square_rate(threads)
    print(f"one thread, 1024^3 float32 GEMM: {square:.0f} GFLOP/s; "
          f"npconv threads: {threads.num_threads()}; GEMM limit = {_bench.GEMM_GFLOPS:.0f} "
          "GFLOP/s / the step's FLOPs\n")
    head = ["model", "step ms", "GEMM ms (all threads)", "GEMM GFLOP/s per thread",
            "samples/s", "% of limit", "GEMM ceiling samples/s", "ceiling % of limit"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for name in args.models.split(","):
        steps = args.steps or STEPS[name]
        r = measure(name, steps, args.repeat)
        print(f"| {name} | {r['step_ms']:.1f} | {r['gemm_ms']:.1f} | "
              f"{r['gemm_gflops_per_thread']:.0f} | {r['samples_per_s']:,.0f} | "
              f"{100 * r['samples_per_s'] / r['limit_samples_per_s']:.0f}% | "
              f"{r['ceiling_samples_per_s']:,.0f} | "
              f"{100 * r['ceiling_samples_per_s'] / r['limit_samples_per_s']:.0f}% |")


if __name__ == "__main__":
    main()
