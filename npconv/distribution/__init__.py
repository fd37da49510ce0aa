"""Training on several processes and machines: data parallelism on MPI, in Keras 3's shape.

    import npconv
    npconv.distribution.set_distribution(npconv.distribution.DataParallel())
    model.fit(x, y, batch_size=128)          # unchanged; 128 is the global batch

Run it as ``mpiexec -n 4 python train.py`` (``-hosts a,b`` for several machines). Each rank
holds the whole model; each global batch is split across the ranks, every rank computes the
gradient of its share and one in-place allreduce per step sums them, weighted by each rank's
share of the batch, so that N ranks take the same steps as one process with the same global
batch (to float rounding). Without ``mpiexec`` a program is one process, as before.

MPI comes from ``mpi4py`` (the ``[mpi]`` extra: ``pip install "npconv[mpi]"`` installs mpi4py
and MPICH's wheels); it is imported only when a distribution is asked for. For custom loops and
``train_step`` overrides: ``rank()``, ``size()``, ``is_chief()``, ``allreduce_mean()``,
``allreduce_sum()``, ``broadcast()``, ``barrier()``; ``with local():`` runs ``predict`` and the
like on one rank alone (what only rank 0 does, such as drawing pictures).
"""

from .collectives import (
    allreduce_mean,
    allreduce_sum,
    barrier,
    broadcast,
    is_chief,
    rank,
    size,
)
from .data_parallel import DataParallel, distribution, launched_by_mpi, set_distribution
from .replicas import local

__all__ = [
    "DataParallel",
    "set_distribution",
    "distribution",
    "launched_by_mpi",
    "rank",
    "size",
    "is_chief",
    "allreduce_mean",
    "allreduce_sum",
    "broadcast",
    "barrier",
    "local",
]
