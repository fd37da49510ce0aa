"""npconv.distribution's collectives on real MPI ranks, and one process without MPI."""

import sys
import textwrap

import numpy as np
import pytest
from mpirun import needs_mpi, run_mpi

from npconv import distribution

PROGRAM = textwrap.dedent('''
    import numpy as np
    import npconv
    from npconv import distribution as D

    dist = D.DataParallel()
    D.set_distribution(dist)
    r, n = D.rank(), D.size()
    out = {}
    # shares of global batches: contiguous, sizes differing by one, covering each batch once
    for total in (0, 1, n - 1, 7, 10):
        counts = dist.counts(total)
        s = dist.shard(total)
        assert s.stop - s.start == counts[r], (total, s, counts)
        assert s.start == sum(counts[:r]) and sum(counts) == total
    # the gradient allreduce: sum over ranks of share_r * g_r, None counted as zeros
    grads = [np.full((2, 3), r + 1.0, np.float32), None, np.arange(4, dtype=np.float32) * r]
    reduced = dist.allreduce_gradients(grads, share=0.5)
    expect0 = 0.5 * sum(k + 1.0 for k in range(n))
    assert np.allclose(reduced[0], expect0) and reduced[1] is None
    assert np.allclose(reduced[2], 0.5 * np.arange(4) * sum(range(n)))
    # broadcast in place from rank 0
    w = np.full(5, float(r), np.float32)
    v = np.full((2, 2), 10.0 * r)
    dist.broadcast_arrays([w, v])
    assert np.all(w == 0) and np.all(v == 0)
    # sums, agreement, gather in rank order
    assert D.allreduce_sum(np.float64(r)) == sum(range(n))
    assert np.isclose(D.allreduce_mean(np.array([r, 1.0]))[0], np.mean(range(n)))
    assert dist.any(r == n - 1) is True and dist.any(False) is False
    g = dist.gather(np.full((r + 1, 2), r, np.int64))
    assert g.tolist() == [[k, k] for k in range(n) for _ in range(k + 1)]
    # noise streams differ per rank; the shared generator does not
    npconv.utils.set_random_seed(3)
    noise = npconv.backend.noise_rng().random(3)
    shared = npconv.backend.rng().random(3)
    all_noise = dist.comm.allgather(noise)
    all_shared = dist.comm.allgather(shared)
    assert all(np.array_equal(s, all_shared[0]) for s in all_shared)
    assert not np.array_equal(all_noise[0], all_noise[-1])
    D.barrier()
    print(f"rank {r} of {n} ok threads {npconv.backend.num_threads()}", flush=True)
''')


@needs_mpi
@pytest.mark.parametrize("ranks", [2, 3])
def test_collectives_on_ranks(ranks, tmp_path):
    script = tmp_path / "collectives.py"
    script.write_text(PROGRAM)
    result = run_mpi(ranks, script)
    for r in range(ranks):  # the ranks' lines may interleave
        assert f"rank {r} of {ranks} ok threads 1" in result.stdout, result.stdout


def test_one_process_without_a_distribution():
    distribution.set_distribution(None)
    assert distribution.rank() == 0 and distribution.size() == 1 and distribution.is_chief()
    assert distribution.allreduce_mean(np.array([1.0, 3.0])).tolist() == [1.0, 3.0]
    assert distribution.allreduce_sum(2.5) == 2.5
    distribution.barrier()
    assert distribution.broadcast({"a": 1}) == {"a": 1}


def test_missing_mpi4py_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "mpi4py", None)
    with pytest.raises(ImportError, match=r'pip install "npconv\[mpi\]"'):
        distribution.DataParallel()


def test_set_distribution_takes_only_a_distribution():
    with pytest.raises(TypeError, match="DataParallel or None"):
        distribution.set_distribution("data_parallel")


@needs_mpi
def test_an_exception_on_one_rank_ends_the_job(tmp_path):
    script = tmp_path / "fails.py"
    script.write_text(textwrap.dedent('''
        import time
        from npconv import distribution as D
        D.set_distribution(D.DataParallel())
        if D.rank() == 1:
            raise RuntimeError("rank 1 fails")
        D.barrier()  # rank 0 would wait here for ever
        time.sleep(60)
    '''))
    import time

    start = time.perf_counter()
    result = run_mpi(2, script, timeout=60, check=False)
    assert result.returncode != 0, result.stdout + result.stderr
    assert time.perf_counter() - start < 30  # rank 0 did not wait for ever in its barrier
    # MPI_Abort can end the job before the launcher forwards rank 1's last output, so the
    # message is looked for only when the output arrived
    if result.stderr.strip():
        assert "rank 1 fails" in result.stderr or "aborting" in result.stderr, result.stderr
