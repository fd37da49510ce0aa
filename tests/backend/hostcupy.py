"""A stand-in for CuPy that runs the CuPy backend's CUDA sources on the CPU, for tests.

``RawKernel`` compiles the kernel's CUDA C with the host C++ compiler, one thread in a grid of
one block (so each grid-stride loop walks every element in order), and calls it through
ctypes; ``ElementwiseKernel`` turns its parameter list and operation into the same kind of
loop over broadcast, contiguous inputs. Everything else is NumPy's. So the CI checks the CUDA
sources' index arithmetic and the backend's reshapes against the generic kernels, on machines
with no GPU; what it cannot check (launch configuration, device memory, cuDNN) the GPU run does.
"""

from __future__ import annotations

import ctypes
import hashlib
import shutil
import subprocess
import sys
import tempfile
import types
from pathlib import Path

import numpy as np

PRELUDE = r"""
#include <cmath>
#include <cstddef>
using std::exp;
using std::log;
struct npconv_dim3 { unsigned x; };
static const npconv_dim3 blockIdx = {0}, threadIdx = {0}, blockDim = {1}, gridDim = {1};
#define __global__
"""

_CTYPES = {np.dtype(np.float32): "float", np.dtype(np.float64): "double",
           np.dtype(np.int32): "int"}
_build: Path | None = None  # where the kernels are compiled, while installed


def _build_dir() -> Path:
    global _build
    if _build is None:
        _build = Path(tempfile.mkdtemp(prefix="npconv-hostcupy-"))
    return _build


def available() -> bool:
    return shutil.which("g++") is not None


def _compile(source: str):
    key = hashlib.sha256(source.encode()).hexdigest()[:16]
    lib = _build_dir() / f"k{key}.so"
    if not lib.exists():
        src = _build_dir() / f"k{key}.cpp"
        src.write_text(PRELUDE + source)
        subprocess.run(["g++", "-O1", "-shared", "-fPIC", "-o", str(lib), str(src)], check=True,
                       capture_output=True, text=True)
    return ctypes.CDLL(str(lib))


def _arg(a):
    if isinstance(a, np.ndarray):
        assert a.flags.c_contiguous, "a raw kernel needs C-contiguous arrays"
        return ctypes.c_void_p(a.ctypes.data)
    if isinstance(a, np.int32):
        return ctypes.c_int(int(a))
    if isinstance(a, np.int64):
        return ctypes.c_longlong(int(a))
    raise TypeError(f"raw kernel argument of type {type(a).__name__}: pass NumPy scalars")


class RawKernel:
    def __init__(self, code, name, **_):
        self.fn = getattr(_compile(code), name)

    def __call__(self, grid, block, args):
        self.fn(*(_arg(a) for a in args))


class ElementwiseKernel:
    """``in_params``/``out_params`` as CuPy spells them (``'T x, int32 n'``), one output."""

    def __init__(self, in_params, out_params, operation, name="kernel", **_):
        self.ins = [p.split() for p in in_params.split(",")]
        (self.out_type, self.out_name), = [p.split() for p in out_params.split(",")]
        self.operation, self.name = operation, name
        self.libs = {}

    def __call__(self, *args):
        t = next(np.asarray(a).dtype for (ty, _), a in zip(self.ins, args) if ty == "T")
        arrays = [np.asarray(a, dtype=t if ty == "T" else np.int32)
                  for (ty, _), a in zip(self.ins, args)]
        arrays = [np.ascontiguousarray(a) for a in np.broadcast_arrays(*arrays)]
        out = np.empty(arrays[0].shape, dtype=t)
        if t not in self.libs:
            params = ", ".join(f"const {_CTYPES[a.dtype]}* in{k}" for k, a in enumerate(arrays))
            loads = "".join(f"{_CTYPES[a.dtype]} {n} = in{k}[i]; "
                            for k, (a, (_, n)) in enumerate(zip(arrays, self.ins)))
            self.libs[t] = _compile(
                f'typedef {_CTYPES[t]} T;\nextern "C" void {self.name}({params}, T* out, '
                f"long long n) {{ for (long long i = 0; i < n; ++i) {{ {loads}"
                f"T {self.out_name}; {self.operation}; out[i] = {self.out_name}; }} }}")
        getattr(self.libs[t], self.name)(*(_arg(a) for a in arrays), _arg(out),
                                         ctypes.c_longlong(out.size))
        return out


def module() -> types.ModuleType:
    """A ``cupy`` module: the two kernel classes above, NumPy for the rest."""
    fake = types.ModuleType("cupy")
    fake.__getattr__ = lambda name: getattr(np, name)
    fake.RawKernel, fake.ElementwiseKernel = RawKernel, ElementwiseKernel
    fake.asnumpy = np.asarray
    fake.cuda = types.SimpleNamespace()  # no cuDNN: `import cupy.cuda.cudnn` fails
    return fake


class installed:
    """Context manager: ``cupy`` is the stand-in and ``npconv.backend.cupy`` is imported
    afresh on it; both are removed again on exit."""

    NAMES = ("cupy", "npconv.backend.cupy", "npconv.backend.cupy.kernels",
             "npconv.backend.cupy.sources", "npconv.backend.cupy.namespace")

    def __enter__(self):
        import importlib

        self.saved = {n: sys.modules.pop(n) for n in self.NAMES if n in sys.modules}
        sys.modules["cupy"] = module()
        return importlib.import_module("npconv.backend.cupy.kernels")

    def __exit__(self, *exc):
        global _build
        import npconv.backend as package

        if _build is not None:  # the loaded libraries stay mapped; the files can go
            shutil.rmtree(_build, ignore_errors=True)
            _build = None

        for n in self.NAMES:
            sys.modules.pop(n, None)
        sys.modules.update(self.saved)
        if "npconv.backend.cupy" not in self.saved and "cupy" in vars(package):
            delattr(package, "cupy")
