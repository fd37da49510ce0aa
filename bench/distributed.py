"""Data parallelism on this machine, and a model of it on several machines.

    python bench/distributed.py [--models mnist_cnn,cifar10_cnn] [--rounds 3] [--json out.json]

Three parts, all in one run:

1. **Same cores, two ways**: the tutorial models trained by 1 process x 2 threads and by
   ``mpiexec -n 2`` ranks x 1 thread (``DataParallel``), same global batch, alternated over
   ``rounds``; samples/s as medians and ranges of steady-state passes (each timed pass one epoch
   of at least 50 batches after a warm-up epoch). On one 2-core machine the ranks cannot gain
   (the cores are the same); what the ratio shows is what data parallelism costs.
2. **The allreduce's share of a step** (rank 0's time inside the gradient allreduce over the
   step's time) and the allreduce itself: ``Allreduce`` of float32 buffers from 4 B to 16 MB
   between 2 ranks over shared memory and over loopback TCP (``MPIR_CVAR_NOLOCAL=1``), fitted
   to ``t = alpha + bytes * beta``.
3. **A model of several machines** (alpha-beta, ring allreduce): one machine's measured step
   time ``T`` for the global batch, split over ``p`` machines, plus the allreduce of the
   weights, ``2 (p-1) alpha + 2 (p-1)/p bytes beta``, with the TCP alpha and beta above:
   ``speed-up(p) = T / (T / p + t_allreduce(p))``, for p = 2, 4, 8, 16. Loopback TCP is
   faster than a real network; the model says so and shows a 1 Gbit/s line too.

The workers run under ``mpiexec`` (MPICH from the ``[mpi]`` extra).
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MIN_BATCHES = 50


def _mpiexec():
    here = pathlib.Path(sys.executable).parent / "mpiexec"
    return str(here) if here.exists() else shutil.which("mpiexec")


def _result(stdout):
    for line in stdout.splitlines():
        if line.startswith("NPCONV_BENCH_RESULT "):
            return json.loads(line.split(" ", 1)[1])
    raise RuntimeError(f"the worker printed no result:\n{stdout}")


# --- workers ----------------------------------------------------------------------------------


def train_worker(name, ranks):
    import numpy as np

    import npconv
    from npconv import distribution
    from npconv._bench import MODELS, _build_npconv, _data

    if ranks > 1:
        distribution.set_distribution(distribution.DataParallel())
    dist = distribution.distribution()
    npconv.utils.set_random_seed(0)
    batch = MODELS[name]["batch"]
    x, y = _data(name, MIN_BATCHES)
    model = _build_npconv(name)
    model.fit(x, y, batch_size=batch, epochs=1, verbose=0)  # warm-up epoch
    spent = 0.0
    if dist is not None:
        inner = dist.allreduce_gradients

        def timed(*args, **kwargs):
            nonlocal spent
            start = time.perf_counter()
            out = inner(*args, **kwargs)
            spent += time.perf_counter() - start
            return out

        dist.allreduce_gradients = timed
        dist.barrier()
    start = time.perf_counter()
    model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
    elapsed = time.perf_counter() - start
    weights = sum(w.size for w in model.trainable_weights)
    if distribution.is_chief():
        print("NPCONV_BENCH_RESULT " + json.dumps({
            "samples_per_s": len(x) / elapsed, "allreduce_share": spent / elapsed,
            "step_s": elapsed / MIN_BATCHES, "weights": int(weights),
            "threads": npconv.backend.num_threads()}), flush=True)
    np.asarray(0)


def allreduce_worker():
    import numpy as np
    from mpi4py import MPI

    comm = MPI.COMM_WORLD
    out = []
    for exponent in range(0, 23, 2):  # 4 B .. 16 MB of float32
        n = 2**exponent
        buf = np.ones(n, np.float32)
        repeat = max(5, min(200, 2**22 // max(n, 1)))
        comm.Barrier()
        comm.Allreduce(MPI.IN_PLACE, buf)
        comm.Barrier()
        start = time.perf_counter()
        for _ in range(repeat):
            comm.Allreduce(MPI.IN_PLACE, buf)
        elapsed = (time.perf_counter() - start) / repeat
        out.append((4 * n, comm.allreduce(elapsed, op=MPI.MAX)))
    if comm.Get_rank() == 0:
        print("NPCONV_BENCH_RESULT " + json.dumps(out), flush=True)


# --- the driver -------------------------------------------------------------------------------


def _run(command, env=None):
    environment = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
    environment.update(env or {})
    done = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=900)
    if done.returncode:
        raise RuntimeError(f"{command} failed:\n{done.stdout}\n{done.stderr}")
    return _result(done.stdout)


def train(name, ranks):
    me = [sys.executable, __file__, "--worker", "train", "--model", name, "--ranks", str(ranks)]
    if ranks == 1:
        return _run(me, {"NPCONV_NUM_THREADS": "2"})
    return _run([_mpiexec(), "-n", str(ranks), *me])


def allreduce(tcp):
    env = {"MPIR_CVAR_NOLOCAL": "1"} if tcp else {}
    return _run([_mpiexec(), "-n", "2", sys.executable, __file__, "--worker", "allreduce"], env)


def fit_alpha_beta(points):
    """Least squares of ``t = alpha + bytes * beta``."""
    xs = [b for b, _ in points]
    ts = [t for _, t in points]
    mx, mt = statistics.fmean(xs), statistics.fmean(ts)
    beta = sum((x - mx) * (t - mt) for x, t in zip(xs, ts)) / sum((x - mx) ** 2 for x in xs)
    return max(mt - beta * mx, min(ts)), beta


def ring_allreduce_s(nbytes, p, alpha, beta):
    return 2 * (p - 1) * alpha + 2 * (p - 1) / p * nbytes * beta


def _span(values):
    return f"{statistics.median(values):,.0f} ({min(values):,.0f}-{max(values):,.0f})"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default="mnist_simple,mnist_cnn,cifar10_cnn")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json")
    parser.add_argument("--worker", choices=["train", "allreduce"])
    parser.add_argument("--model")
    parser.add_argument("--ranks", type=int, default=1)
    args = parser.parse_args(argv)
    if args.worker == "train":
        return train_worker(args.model, args.ranks)
    if args.worker == "allreduce":
        return allreduce_worker()

    models = args.models.split(",")
    runs = {(m, r): [] for m in models for r in (1, 2)}
    for _ in range(args.rounds):
        for m in models:
            for r in (1, 2):
                runs[m, r].append(train(m, r))
    shm, tcp = allreduce(tcp=False), allreduce(tcp=True)
    alpha, beta = fit_alpha_beta(tcp)
    print("## Same 2 cores: 1 process x 2 threads vs 2 ranks x 1 thread (samples/s, median "
          f"and range of {args.rounds} alternated rounds)\n")
    print("| model | 1 x 2 threads | 2 ranks x 1 thread | ratio | allreduce share of a step |")
    print("|---|---|---|---|---|")
    for m in models:
        one = [r["samples_per_s"] for r in runs[m, 1]]
        two = [r["samples_per_s"] for r in runs[m, 2]]
        share = statistics.median(r["allreduce_share"] for r in runs[m, 2])
        ratio = statistics.median(two) / statistics.median(one)
        print(f"| {m} | {_span(one)} | {_span(two)} | {ratio:.2f}x | {100 * share:.1f}% |")
    print("\n## Allreduce between 2 ranks (microseconds)\n")
    print("| bytes | shared memory | loopback TCP |")
    print("|---|---|---|")
    for (b, t1), (_, t2) in zip(shm, tcp):
        print(f"| {b:,} | {1e6 * t1:,.1f} | {1e6 * t2:,.1f} |")
    print(f"\nloopback TCP fit: alpha = {1e6 * alpha:.1f} us, beta = {1e9 * beta:.3f} ns/byte "
          f"({1 / beta / 1e9:.2f} GB/s)")
    gbit = 8e-9  # 1 Gbit/s: 8 ns a byte
    print("\n## Modelled speed-up on p machines (ring allreduce; one machine = the 2 cores "
          "here)\n")
    print("| model | weights MB | step ms (1 machine) | p=2 | p=4 | p=8 | p=16 "
          "| p=16 at 1 Gbit/s |")
    print("|---|---|---|---|---|---|---|---|")
    model_rows = {}
    for m in models:
        step = statistics.median(r["step_s"] for r in runs[m, 1])
        nbytes = 4 * runs[m, 1][0]["weights"]
        row = []
        for p in (2, 4, 8, 16):
            row.append(step / (step / p + ring_allreduce_s(nbytes, p, alpha, beta)))
        slow = step / (step / 16 + ring_allreduce_s(nbytes, 16, alpha, gbit))
        model_rows[m] = {"step_s": step, "bytes": nbytes, "speedup": row, "speedup_1gbit": slow}
        cells = " | ".join(f"{s:.1f}x" for s in row)
        print(f"| {m} | {nbytes / 1e6:.1f} | {1e3 * step:.0f} | {cells} | {slow:.1f}x |")
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps({
            "runs": {f"{m}/{r}": v for (m, r), v in runs.items()},
            "allreduce": {"shm": shm, "tcp": tcp, "alpha": alpha, "beta": beta},
            "model": model_rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
