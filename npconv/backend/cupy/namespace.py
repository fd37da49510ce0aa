"""CuPy seen through the array API standard, for the generic kernels.

CuPy follows NumPy's API, which the standard mostly shares; where the names or arguments differ
(``concat``, ``permute_dims``, ``matrix_transpose``, ``astype`` as a function, ``device=`` on
the creation functions) this thin namespace fills the gap, as ``array_api_compat.cupy`` does,
and passes every other name through to ``cupy``. Creation on a ``device`` runs inside that
device's context (``cupy.cuda.Device`` is a context manager).
"""

from __future__ import annotations

import contextlib
import types

import cupy

_CREATION = ("zeros", "ones", "empty", "full", "arange", "asarray", "eye", "linspace")


def _on(device):
    """A context that makes ``device`` current: a ``cupy.cuda.Device``, ``'cuda:N'`` (what
    ``selection.device_of`` says), or None for the current one."""
    if device is None:
        return contextlib.nullcontext()
    if isinstance(device, str) and device.startswith("cuda:"):
        return cupy.cuda.Device(int(device[5:]))
    if hasattr(device, "__enter__"):
        return device
    raise TypeError(f"the CuPy backend cannot place an array on device {device!r}")


def _creation(name):
    fn = getattr(cupy, name)

    def create(*args, device=None, copy=None, **kwargs):
        with _on(device):
            out = fn(*args, **kwargs)
            return out.copy() if copy else out

    create.__name__ = name
    return create


def _concat(arrays, axis=0):
    return cupy.concatenate(arrays, axis=axis)


def _permute_dims(x, axes):
    return cupy.transpose(x, axes)


def _matrix_transpose(x):
    return cupy.swapaxes(x, -1, -2)


def _astype(x, dtype, copy=True, device=None):
    with _on(device):
        return x.astype(dtype, copy=copy)


class _Namespace(types.ModuleType):
    """``cupy`` plus the standard's names it spells otherwise."""

    def __getattr__(self, name):
        return getattr(cupy, name)


namespace = _Namespace("npconv.backend.cupy.xp")
for _name in _CREATION:
    setattr(namespace, _name, _creation(_name))
namespace.concat = _concat
namespace.permute_dims = _permute_dims
namespace.matrix_transpose = _matrix_transpose
namespace.astype = _astype
