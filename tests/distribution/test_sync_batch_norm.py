"""Synchronized batch normalization on 2 and 3 ranks equals one process on the whole batch:
the output, the statistics and (share-weighted, summed) the gradients."""

import textwrap

import pytest
from mpirun import needs_mpi, run_mpi

PROGRAM = textwrap.dedent('''
    import numpy as np
    from npconv import distribution as D
    from npconv.autograd import Tensor
    from npconv.functions.normalization import batch_norm_train

    D.set_distribution(D.DataParallel())
    dist = D.distribution()
    rng = np.random.default_rng(0)
    x = rng.normal(2.0, 3.0, (7, 3, 4)).astype(np.float64)   # 7 samples: uneven shares
    g = rng.normal(size=(4,)); b = rng.normal(size=(4,))
    gy = rng.normal(size=x.shape)

    def run(x, gy, sync):
        xt, gt, bt = Tensor(x, requires_grad=True), Tensor(g, requires_grad=True), \\
            Tensor(b, requires_grad=True)
        y, mean, var = batch_norm_train(xt, gt, bt, sync=sync)
        (y * Tensor(gy)).sum().backward()
        return y.data, mean, var, xt.grad, gt.grad, bt.grad

    whole = run(x, gy / len(x), None)           # loss: the mean over the whole batch
    part = dist.shard(len(x))
    n_r = part.stop - part.start
    mine = run(x[part], gy[part] / max(n_r, 1), dist)   # loss: the mean over this share
    share = n_r / len(x)
    assert np.allclose(mine[0], whole[0][part]), "outputs"
    assert np.allclose(mine[1], whole[1]) and np.allclose(mine[2], whole[2]), "statistics"
    # what the trainer does with gradients: weight by the share, sum over ranks
    assert np.allclose(mine[3] * share, whole[3][part]), "x gradient"
    for got, want in zip(mine[4:], whole[4:]):
        assert np.allclose(dist.allreduce_sum(got * share), want), "gamma/beta gradient"
    print("ok")
''')


@needs_mpi
@pytest.mark.parametrize("ranks", [2, 3])
def test_synchronized_statistics_equal_one_process(ranks, tmp_path):
    script = tmp_path / "sync_bn.py"
    script.write_text(PROGRAM)
    result = run_mpi(ranks, script)
    assert result.stdout.count("ok") == ranks, result.stdout + result.stderr
