"""Time max pooling 2x2 (stride 2), forward + backward, in npconv and in PyTorch on one machine.

The shape is a CNN's first pooling stage: a batch of 128 (24, 24, 64) float32 feature maps,
channels_last (PyTorch gets the same data as channels_last memory format, its fastest CPU layout,
and as plain NCHW). Both use 2 threads. Each number is the best of ``--repeat`` runs.

    python bench/pooling_vs_torch.py --torch-python /tmp/refenv/bin/python

PyTorch is timed in this interpreter when it can import torch, else in ``--torch-python``.
"""

from __future__ import annotations

import pathlib
import sys

import _side_by_side as side_by_side
from _side_by_side import best

N, H, W, C, K = 128, 24, 24, 64, 2


def time_npconv(repeat):
    import numpy as np

    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
    from npconv.autograd import Tensor, no_grad
    from npconv.backend.numpy import threads as backend_threads
    from npconv.functions import pooling

    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, H, W, C), dtype=np.float32)
    gy = rng.standard_normal((N, H // K, W // K, C), dtype=np.float32)
    xt = Tensor(x, requires_grad=True)
    results = {}
    threads = backend_threads.num_threads()
    for label, n_threads in (("", threads), (", 1 thread", 1)):
        backend_threads.set_num_threads(n_threads)

        def step():
            xt.grad = None
            pooling.max_pool(xt, K).backward(gy)

        def forward():
            with no_grad():
                pooling.max_pool(x, K)

        results[f"fwd+bwd{label}"] = best(step, repeat)
        results[f"fwd{label}"] = best(forward, repeat)
    backend_threads.set_num_threads(threads)
    return results


def time_torch(repeat):
    import torch

    torch.set_num_threads(2)
    torch.manual_seed(0)
    results = {}
    for fmt, memory_format in (("channels_last", torch.channels_last),
                               ("NCHW", torch.contiguous_format)):
        x = torch.randn(N, C, H, W).contiguous(memory_format=memory_format)
        gy = torch.randn(N, C, H // K, W // K).contiguous(memory_format=memory_format)
        xt = x.detach().requires_grad_(True)

        def step(xt=xt, gy=gy):
            xt.grad = None
            torch.nn.functional.max_pool2d(xt, K).backward(gy)

        def forward(x=x):
            with torch.no_grad():
                torch.nn.functional.max_pool2d(x, K)

        results[f"fwd+bwd [{fmt}]"] = best(step, repeat)
        results[f"fwd [{fmt}]"] = best(forward, repeat)
    results["version"] = torch.__version__
    return results


def print_row(name, label, seconds):
    print(f"  {name:18s} {label:24s} {seconds * 1e3:7.2f} ms  {N / seconds:9.0f} samples/s")


def main():
    title = f"max pool {K}x{K}/{K} on {N}x{H}x{W}x{C} float32, channels_last, 2 threads"
    side_by_side.main(__file__, __doc__.splitlines()[0], title, time_npconv, time_torch,
                      default_repeat=20, print_row=print_row)


if __name__ == "__main__":
    main()
