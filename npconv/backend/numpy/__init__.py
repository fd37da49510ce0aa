"""The NumPy (CPU) backend's kernels: where npconv's speed work on the CPU lives.

- ``threads``: the process-wide thread pool that cuts a batch into pieces (``parallel``), the
  per-thread scratch buffers, BLAS held at one thread, and the glibc malloc setting npconv
  makes once (see its docstring; ``NPCONV_MALLOC_TUNING=0`` turns it off).
- ``conv``: the named convolution plans (``im2col``, ``kmajor``, ``pairs``,
  ``grouped``/``dense_groups``, ``col2im``/``full`` input gradients, ``conv_pool``) and
  ``choose_plan``, which picks them; ``functions.conv`` is the readable op that calls them.

Nothing here knows about autograd or Keras: kernels take and return arrays.

This package is also the NumPy backend's kernel module (``backend.kernels('numpy')``), with the
entry points every backend exports (``ENTRY_POINTS``; arguments and results in
``npconv/backend/generic/__init__.py``): ``conv_forward`` / ``conv_backward`` run the CPU plans
above; the others are the generic (array API) kernels, which on NumPy arrays are plain NumPy
calls. npconv's own NumPy fast paths for pooling, dense, dropout and batch normalization live
inside the differentiable functions (``npconv.functions``), which take them directly for NumPy
arrays; the entry points serve code written once for every backend.

The entry points are looked up on first use: ``conv`` imports ``npconv.backend`` (``floatx``),
which imports this package for ``threads``.
"""

from ..generic import ENTRY_POINTS

NAME = "numpy"

_FROM_CONV = ("conv_forward", "conv_backward")

__all__ = [*ENTRY_POINTS, "one_hot", "NAME", "ENTRY_POINTS"]


def __getattr__(name):
    if name in _FROM_CONV:
        from . import conv

        return getattr(conv, name)
    if name in ENTRY_POINTS or name == "one_hot":
        from .. import generic

        return getattr(generic, name)
    raise AttributeError(f"module 'npconv.backend.numpy' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
