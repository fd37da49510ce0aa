"""Write the reference outputs the tests compare npconv against, computed by PyTorch.

Run in a separate virtual environment (never needed by npconv or its tests):

    python3 -m venv /tmp/refenv && /tmp/refenv/bin/pip install torch==2.13.0 numpy
    /tmp/refenv/bin/python tools/make_references.py            # every family
    /tmp/refenv/bin/python tools/make_references.py conv       # one family

Each family lives in ``tools/references/<family>.py`` with a function ``make(torch) -> dict``
of arrays (inputs, weights, outputs and gradients, float64, channels_first as PyTorch has them
unless a key says otherwise); this script writes it to ``tests/references/<family>.npz``.
"""

from __future__ import annotations

import importlib
import pathlib
import sys

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent
OUT = ROOT.parent / "tests" / "references"


def families():
    return sorted(p.stem for p in (ROOT / "references").glob("*.py") if not p.stem.startswith("_"))


def main(argv):
    import torch

    torch.manual_seed(0)
    torch.set_default_dtype(torch.float64)
    sys.path.insert(0, str(ROOT))
    OUT.mkdir(parents=True, exist_ok=True)
    for name in argv or families():
        module = importlib.import_module(f"references.{name}")
        arrays = {k: np.asarray(v) for k, v in module.make(torch).items()}
        path = OUT / f"{name}.npz"
        np.savez_compressed(path, **arrays)
        print(f"{path.relative_to(ROOT.parent)}: {len(arrays)} arrays, {path.stat().st_size} bytes")


if __name__ == "__main__":
    main(sys.argv[1:])
