"""The driver that `conv_vs_torch.py` and `pooling_vs_torch.py` share: time one op in npconv and
in PyTorch on the same machine and print both.

PyTorch is timed in this interpreter when it can import torch, else by running the calling
script again under ``--torch-python`` with ``--only torch``, which prints its timings as JSON.
This module imports only the standard library, so it also runs in PyTorch's interpreter.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import time


def best(fn, repeat):
    """The fastest of ``repeat`` timed calls of ``fn``, after one untimed warm-up call."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main(script, description, title, time_npconv, time_torch, default_repeat, print_row):
    """Parse ``--repeat``, ``--torch-python`` and ``--only``; time npconv and PyTorch; print
    ``title`` and one ``print_row(name, label, seconds)`` per timing."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--repeat", type=int, default=default_repeat)
    parser.add_argument("--torch-python", default=None, help="interpreter that has torch")
    parser.add_argument("--only", choices=("npconv", "torch"), default=None)
    args = parser.parse_args()
    if args.only == "torch":
        print(json.dumps(time_torch(args.repeat)))
        return
    rows = [("npconv", time_npconv(args.repeat))]
    if args.only != "npconv":
        try:
            import torch  # noqa: F401
        except ImportError:
            torch_results = None
            if args.torch_python:
                env = dict(os.environ, OMP_NUM_THREADS="2")
                out = subprocess.run(
                    [args.torch_python, script, "--only", "torch", "--repeat", str(args.repeat)],
                    check=True, capture_output=True, text=True, env=env,
                ).stdout
                torch_results = json.loads(out.strip().splitlines()[-1])
        else:
            torch_results = time_torch(args.repeat)
        if torch_results:
            version = torch_results.pop("version")
            rows.append((f"torch {version}", torch_results))
    print(title)
    for name, results in rows:
        for label, seconds in results.items():
            print_row(name, label, seconds)
