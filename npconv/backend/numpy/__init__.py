"""The NumPy (CPU) backend's kernels: where npconv's speed work on the CPU lives.

- ``threads``: the process-wide thread pool that cuts a batch into pieces (``parallel``), the
  per-thread scratch buffers, BLAS held at one thread, and the glibc malloc setting npconv
  makes once (see its docstring; ``NPCONV_MALLOC_TUNING=0`` turns it off).
- ``conv``: the named convolution plans (``im2col``, ``kmajor``, ``pairs``,
  ``grouped``/``dense_groups``, ``col2im``/``full`` input gradients, ``conv_pool``) and
  ``choose_plan``, which picks them; ``functions.conv`` is the readable op that calls them.
- ``batch_norm``: batch normalization's training statistics, output and backward in cache-sized
  blocks (one pass for the statistics, one for the output, two backward);
  ``functions.normalization`` states the arithmetic.

Nothing here knows about autograd or Keras: kernels take and return arrays.

This package is also the NumPy backend's kernel module (``backend.kernels('numpy')``), with the
entry points every backend exports (``ENTRY_POINTS``; arguments and results in
``npconv/backend/generic/__init__.py``): ``conv_forward`` / ``conv_backward`` run the CPU plans
above; the others are the generic (array API) kernels, which on NumPy arrays are plain NumPy
calls. npconv's own NumPy fast paths for pooling, dense, dropout and batch normalization live
inside the differentiable functions (``npconv.functions``), which take them directly for NumPy
arrays; the entry points serve code written once for every backend.

The entry points (and ``ENTRY_POINTS``, the generic module's list of them) are looked up on
first use: ``conv`` imports ``npconv.backend`` (``floatx``), which imports this package for
``threads``, and ``import npconv`` stays light (``tests/test_package.py``).
"""

NAME = "numpy"

_FROM_CONV = ("conv_forward", "conv_backward")


def __getattr__(name):
    if name in _FROM_CONV:
        from . import conv

        return getattr(conv, name)
    from .. import generic

    if name == "ENTRY_POINTS":
        return generic.ENTRY_POINTS
    if name == "__all__":
        return [*generic.ENTRY_POINTS, "one_hot", "NAME", "ENTRY_POINTS"]
    if name in generic.ENTRY_POINTS or name == "one_hot":
        return getattr(generic, name)
    raise AttributeError(f"module 'npconv.backend.numpy' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__getattr__("__all__")))
