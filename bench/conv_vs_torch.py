"""Time one convolution, forward + backward, in npconv and in PyTorch on the same machine.

By default the benchmark's shape: a batch of 128 (28, 28, 32) float32 images, 64 filters 3x3,
'valid', channels_last (PyTorch gets the same data as channels_last memory format, its fastest
CPU layout, and as plain NCHW). Both use 2 threads. Each number is the best of ``--repeat`` runs.

The row ``GEMMs alone of fwd+bwd`` is the time npconv's forward and backward spend in
``numpy.matmul`` (summed over its threads, divided by their number, the fastest run): what the
convolution would cost if its patch copies, masks and bias sums took no time. Where it is above
PyTorch's whole forward + backward, no work outside the GEMMs can bring npconv level on that
shape; only faster GEMMs could.

    python bench/conv_vs_torch.py --torch-python /tmp/refenv/bin/python

``NPCONV_CONV_SHAPE=N,H,W,C,F,K`` times another shape ('valid', so give H and W with the
padding a 'same' convolution would add), e.g. ResNet-20's three stages at batch 32:
``32,34,34,16,16,3``, ``32,18,18,32,32,3``, ``32,10,10,64,64,3``.

PyTorch is timed in this interpreter when it can import torch, else in ``--torch-python``.
"""

from __future__ import annotations

import os
import pathlib
import sys

import _side_by_side as side_by_side
from _side_by_side import best

N, H, W, C, F, K = (int(v) for v in os.environ.get(
    "NPCONV_CONV_SHAPE", "128,28,28,32,64,3").split(","))


def time_npconv(repeat):
    import numpy as np

    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
    from npconv.autograd import Tensor, no_grad
    from npconv.functions.conv import conv

    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, H, W, C), dtype=np.float32)
    w = Tensor(rng.standard_normal((K, K, C, F), dtype=np.float32), requires_grad=True)
    b = Tensor(np.zeros(F, np.float32), requires_grad=True)
    gy = rng.standard_normal((N, H - K + 1, W - K + 1, F), dtype=np.float32)
    results = {}
    for label, need_x in (("fwd+bwd", True), ("fwd+bwd, no input grad", False)):
        xt = Tensor(x, requires_grad=need_x)

        def step(xt=xt):
            xt.grad = w.grad = b.grad = None
            conv(xt, w, b).backward(gy)

        results[label] = best(step, repeat)
        if need_x:
            results["GEMMs alone of fwd+bwd"] = gemm_seconds(step, repeat)

    def forward():
        with no_grad():
            conv(x, w, b)

    results["fwd"] = best(forward, repeat)
    return results


def gemm_seconds(step, repeat):
    """The fastest run's ``numpy.matmul`` seconds in ``step``, summed over npconv's threads
    and divided by their number (``gemm_share.GemmMeter``)."""
    from gemm_share import GemmMeter

    from npconv.backend.numpy import threads

    times = []
    with GemmMeter() as meter:
        for _ in range(repeat):
            meter.reset()
            step()
            times.append(sum(meter.seconds.values()) / threads.num_threads())
    return min(times)


def time_torch(repeat):
    import torch

    torch.set_num_threads(2)
    torch.manual_seed(0)
    results = {}
    for fmt, memory_format in (("channels_last", torch.channels_last),
                               ("NCHW", torch.contiguous_format)):
        x = torch.randn(N, C, H, W).contiguous(memory_format=memory_format)
        w = torch.randn(F, C, K, K, requires_grad=True)
        b = torch.zeros(F, requires_grad=True)
        gy = torch.randn(N, F, H - K + 1, W - K + 1).contiguous(memory_format=memory_format)
        for label, need_x in (("fwd+bwd", True), ("fwd+bwd, no input grad", False)):
            xt = x.detach().requires_grad_(need_x)

            def step(xt=xt, w=w, b=b, gy=gy):
                xt.grad = w.grad = b.grad = None
                torch.nn.functional.conv2d(xt, w, b).backward(gy)

            results[f"{label} [{fmt}]"] = best(step, repeat)

        def forward(x=x, w=w, b=b):
            with torch.no_grad():
                torch.nn.functional.conv2d(x, w, b)

        results[f"fwd [{fmt}]"] = best(forward, repeat)
    results["version"] = torch.__version__
    return results


def print_row(name, label, seconds):
    print(f"  {name:12s} {label:42s} {seconds * 1e3:7.1f} ms  {N / seconds:8.0f} samples/s")


def main():
    title = f"conv {N}x{H}x{W}x{C} -> {F} filters {K}x{K}, valid, float32, 2 threads"
    side_by_side.main(__file__, __doc__.splitlines()[0], title, time_npconv, time_torch,
                      default_repeat=10, print_row=print_row)


if __name__ == "__main__":
    main()
