"""Finding MPI: mpi4py imported on first use, with errors that say what to install.

``from mpi4py import MPI`` raises ImportError without mpi4py and RuntimeError ("cannot load MPI
library") when mpi4py is there but no MPI library is; both become one ImportError naming the
``[mpi]`` extra and ``MPI4PY_LIBMPI`` (for a site's own MPI). Nothing here runs at
``import npconv``.
"""

from __future__ import annotations

import os

_HINT = (
    "npconv's data parallelism needs mpi4py and an MPI library: pip install \"npconv[mpi]\" "
    "(mpi4py with MPICH's wheels), or on a cluster pip install mpi4py and point it at the "
    "site's MPI with MPI4PY_LIBMPI=/path/to/libmpi.so"
)

# Variables that MPI launchers (MPICH's Hydra, Open MPI, Slurm's PMI) set in each rank.
_SIZE_VARIABLES = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS")
_LOCAL_SIZE_VARIABLES = ("MPI_LOCALNRANKS", "OMPI_COMM_WORLD_LOCAL_SIZE", "PMI_LOCAL_SIZE")


def load():
    """The ``mpi4py.MPI`` module, or an ImportError that says how to get it."""
    try:
        from mpi4py import MPI
    except ImportError as exc:
        raise ImportError(f"{_HINT} ({exc})") from exc
    except RuntimeError as exc:  # mpi4py without a loadable libmpi
        raise ImportError(f"{_HINT} ({exc})") from exc
    return MPI


def launched_size() -> int:
    """How many ranks the launcher started, from its environment (1 when not launched)."""
    for name in _SIZE_VARIABLES:
        value = os.environ.get(name)
        if value and value.isdigit():
            return int(value)
    return 1


def local_size(comm) -> int:
    """How many ranks of ``comm`` run on this machine."""
    for name in _LOCAL_SIZE_VARIABLES:
        value = os.environ.get(name)
        if value and value.isdigit():
            return max(1, int(value))
    MPI = load()
    return comm.Split_type(MPI.COMM_TYPE_SHARED).Get_size()
