"""Augmentation throughput: npconv's ImageDataGenerator.flow against Keras's own (SciPy), and
against how fast npconv trains cifar10_cnn, on this machine in the same run.

    python bench/augment.py [--rounds 3] [--batches 60] [--keras-python /tmp/refenv/bin/python]
                            [--no-train] [--json out.json]

The generator is the CIFAR-10 tutorials' one: ``rotation_range=15, width_shift_range=0.1,
height_shift_range=0.1, zoom_range=0.1, horizontal_flip=True``, on 32x32x3 float32 images,
batches of 32 from ``flow(x, y)``. Each framework runs in its own subprocess; each pass times
at least ``--batches`` steady-state batches and 3 s, after 5 untimed batches; frameworks
alternate over ``--rounds`` rounds; medians and ranges are printed, of wall-clock images/s and
of images per CPU-second (the fairer number on a machine other processes share). Keras runs in
``--keras-python`` (or $NPCONV_BENCH_KERAS_PYTHON, default /tmp/refenv/bin/python), via
``keras.src.legacy.preprocessing.image.ImageDataGenerator`` (Keras 2's, kept in Keras 3).
The training rate is ``bench/models.py``'s npconv cifar10_cnn ``fit`` samples/s.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
ARGS = {"rotation_range": 15, "width_shift_range": 0.1, "height_shift_range": 0.1,
        "zoom_range": 0.1, "horizontal_flip": True}
BATCH = 32
MIN_SECONDS = 3.0


def _worker(framework, batches):
    import numpy as np

    if framework == "npconv":
        sys.path.insert(0, str(ROOT))
        import npconv
        from npconv.preprocessing.image import ImageDataGenerator

        version = f"npconv {npconv.__version__}"
    else:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        import keras
        from keras.src.legacy.preprocessing.image import ImageDataGenerator

        version = f"Keras {keras.__version__} (SciPy)"
    rng = np.random.default_rng(0)
    x = (rng.random((2048, 32, 32, 3)) * 255).astype(np.float32)
    y = rng.integers(0, 10, 2048)
    it = ImageDataGenerator(**ARGS).flow(x, y, batch_size=BATCH, seed=1)
    for _ in range(5):
        next(it)
    done = 0
    start, cpu_start = time.perf_counter(), time.process_time()
    while done < batches or time.perf_counter() - start < MIN_SECONDS:
        next(it)
        done += 1
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    return {"framework": framework, "version": version, "images_per_s": done * BATCH / seconds,
            "images_per_cpu_s": done * BATCH / cpu_seconds, "batches": done}


def _run(python, framework, batches):
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="", TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run([python, __file__, "--worker", framework, "--batches", str(batches)],
                          capture_output=True, text=True, env=env, timeout=600)
    for line in proc.stdout.splitlines():
        if line.startswith("AUGMENT_RESULT "):
            return json.loads(line.split(" ", 1)[1])
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
    raise RuntimeError(f"{framework} worker failed: {tail[0][:300]}")


def _summary(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "runs": values}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batches", type=int, default=60)
    parser.add_argument("--keras-python",
                        default=os.environ.get("NPCONV_BENCH_KERAS_PYTHON",
                                               "/tmp/refenv/bin/python"))
    parser.add_argument("--no-train", action="store_true", help="skip the cifar10_cnn fit rate")
    parser.add_argument("--json", dest="json_path", default=None)
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print("AUGMENT_RESULT " + json.dumps(_worker(args.worker, args.batches)), flush=True)
        return 0

    runs = {"npconv": [], "keras": []}
    cpu_runs = {"npconv": [], "keras": []}
    versions = {}
    for _ in range(args.rounds):
        for framework, python in (("npconv", sys.executable), ("keras", args.keras_python)):
            if framework == "keras" and not os.path.exists(python):
                continue
            result = _run(python, framework, args.batches)
            runs[framework].append(result["images_per_s"])
            cpu_runs[framework].append(result["images_per_cpu_s"])
            versions[framework] = result["version"]
    report = {"args": ARGS, "batch": BATCH, "batches": args.batches, "rounds": args.rounds}
    for framework, values in runs.items():
        if values:
            report[framework] = {"version": versions[framework], **_summary(values),
                                 "per_cpu_s": _summary(cpu_runs[framework])}
    print(f"ImageDataGenerator.flow, 32x32x3, batch {BATCH}, >= {args.batches} batches and "
          f"{MIN_SECONDS:.0f} s x {args.rounds} rounds, median [min, max]")
    print(f"  {'':<28} {'images/s (wall)':>24} {'images per CPU-second':>26}")
    for framework in ("npconv", "keras"):
        if framework in report:
            r, c = report[framework], report[framework]["per_cpu_s"]
            print(f"  {r['version']:<28} {r['median']:>8.0f} [{r['min']:>6.0f}, {r['max']:>6.0f}]"
                  f" {c['median']:>10.0f} [{c['min']:>6.0f}, {c['max']:>6.0f}]")
    if "keras" in report:
        ratio = report["npconv"]["median"] / report["keras"]["median"]
        cpu_ratio = report["npconv"]["per_cpu_s"]["median"] / report["keras"]["per_cpu_s"]["median"]
        report["speedup_vs_keras"] = ratio
        report["speedup_vs_keras_cpu"] = cpu_ratio
        print(f"  npconv / Keras: {ratio:.1f}x (wall), {cpu_ratio:.1f}x (CPU time)")
    if not args.no_train:
        sys.path.insert(0, str(ROOT))
        from npconv import _bench

        train = []
        for _ in range(args.rounds):
            result, error = _bench._run_one("npconv", "cifar10_cnn", 30, 1, sys.executable, 900)
            if error:
                print(f"  cifar10_cnn fit: {error}")
                break
            train.append(result["train_samples_per_s"])
        if train:
            report["npconv_cifar10_cnn_train"] = _summary(train)
            t = report["npconv_cifar10_cnn_train"]
            print(f"  npconv cifar10_cnn fit (samples/s): {t['median']:.0f}  "
                  f"[{t['min']:.0f}, {t['max']:.0f}]; augmentation / training: "
                  f"{report['npconv']['median'] / t['median']:.1f}x")
    if args.json_path:
        path = pathlib.Path(args.json_path)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(report, indent=1))
        os.replace(tmp, path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
