"""Run a Python program under ``mpiexec -n N`` from a test, with a timeout.

MPICH's ``mpiexec`` comes with the ``[mpi]`` extra (the ``mpich`` wheel puts it next to the
interpreter); the tests skip, saying why, where it or mpi4py is missing.
"""

import os
import pathlib
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def mpiexec():
    here = pathlib.Path(sys.executable).parent / "mpiexec"
    return str(here) if here.exists() else shutil.which("mpiexec")


def mpi_available():
    """mpi4py and mpiexec are installed. Looked up without importing ``mpi4py.MPI``, which
    would initialize MPI inside the test process itself."""
    import importlib.util

    return importlib.util.find_spec("mpi4py") is not None and mpiexec() is not None


needs_mpi = pytest.mark.skipif(not mpi_available(),
                               reason="needs mpi4py and mpiexec: pip install 'npconv[mpi]'")


def run_mpi(n, script, *args, timeout=120, env=None, check=True):
    """Run ``script`` (a path, or ``-m`` and a module) on ``n`` ranks; return the
    CompletedProcess."""
    environment = dict(os.environ, PYTHONPATH=str(ROOT), NPCONV_NUM_THREADS="1",
                       PYTHONUNBUFFERED="1")
    environment.update(env or {})
    command = [mpiexec(), "-n", str(n), sys.executable, str(script), *map(str, args)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                            env=environment)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(command)} exited {result.returncode}:\n"
                             f"{result.stdout}\n{result.stderr}")
    return result
