"""Large variables are updated in slices on npconv's threads: the result must be exactly the
whole-array update's (the updates are elementwise)."""

import numpy as np
import pytest

from npconv import Variable, optimizers
from npconv.backend.numpy import threads
from npconv.optimizers import base_optimizer, slices

ALL = [
    optimizers.SGD,
    optimizers.Adam,
    optimizers.AdamW,
    optimizers.Adadelta,
    optimizers.RMSprop,
    optimizers.Adagrad,
    optimizers.Adamax,
    optimizers.Nadam,
]
RICH = {  # non-default arguments, to exercise every slot
    "SGD": {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True},
    "Adam": {"learning_rate": 0.01, "amsgrad": True, "beta_1": 0.8},
    "AdamW": {"learning_rate": 0.01, "weight_decay": 0.1},
    "Adadelta": {"rho": 0.9},
    "RMSprop": {"momentum": 0.5, "centered": True},
}


def run(cls, sliced, monkeypatch, steps=3, n_threads=3):
    monkeypatch.setattr(base_optimizer, "PARALLEL_MIN_SIZE", 64 if sliced else 1 << 40)
    monkeypatch.setattr(threads, "_threads", n_threads if sliced else 1)
    rng = np.random.default_rng(0)
    big = Variable(rng.standard_normal((50, 41)).astype(np.float32), name="big")
    small = Variable(rng.standard_normal(7).astype(np.float32), name="small")
    opt = cls(**RICH.get(cls.__name__, {}))
    for _ in range(steps):
        grads = [rng.standard_normal(v.shape).astype(np.float32) for v in (big, small)]
        opt.apply_gradients(zip(grads, [big, small]))
    return big.data.copy(), small.data.copy(), [v.data.copy() for v in opt.variables]


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_sliced_update_equals_whole(cls, monkeypatch):
    whole = run(cls, False, monkeypatch)
    sliced = run(cls, True, monkeypatch)
    np.testing.assert_array_equal(whole[0], sliced[0])
    np.testing.assert_array_equal(whole[1], sliced[1])
    for a, b in zip(whole[2], sliced[2]):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("n_threads", [1, 3])
@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_update_in_cache_blocks_equals_whole(cls, n_threads, monkeypatch):
    # each thread's slice cut into blocks of 100 elements (the last one shorter)
    whole = run(cls, False, monkeypatch)
    monkeypatch.setattr(slices, "BLOCK", 100)
    blocked = run(cls, True, monkeypatch, n_threads=n_threads)
    for a, b in zip(whole[:2] + tuple(whole[2]), blocked[:2] + tuple(blocked[2])):
        np.testing.assert_array_equal(a, b)


def run_mixed(cls, fuse_max, monkeypatch, steps=3):
    monkeypatch.setattr(base_optimizer, "FUSE_MAX_SIZE", fuse_max)
    rng = np.random.default_rng(1)
    shapes = [(3, 3, 2, 4), (4,), (50, 41), (5,), (2, 3)]
    variables = [Variable(rng.standard_normal(s).astype(np.float32), name=f"v{i}")
                 for i, s in enumerate(shapes)]
    variables.append(Variable(rng.standard_normal(6), name="f64", dtype="float64"))
    opt = cls(**RICH.get(cls.__name__, {}))
    for _ in range(steps):
        grads = [rng.standard_normal(v.shape).astype(v.dtype) for v in variables]
        opt.apply_gradients(zip(grads, variables))
    return [v.data.copy() for v in variables] + [v.data.copy() for v in opt.variables]


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_fused_small_variables_equal_separate_updates(cls, monkeypatch):
    # (50, 41) stays apart, the float64 one alone in its dtype; the rest fused
    separate = run_mixed(cls, 0, monkeypatch)
    fused = run_mixed(cls, 100, monkeypatch)
    assert len(separate) == len(fused)
    for a, b in zip(separate, fused):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)


def test_a_subclass_update_step_sees_its_own_variables():
    shapes = []

    class Logged(optimizers.SGD):
        def update_step(self, gradient, variable, learning_rate):
            shapes.append(variable.data.shape)
            super().update_step(gradient, variable, learning_rate)

    a, b = Variable(np.ones((2, 3), np.float32)), Variable(np.ones(4, np.float32))
    Logged(learning_rate=0.5).apply_gradients([(np.ones((2, 3), np.float32), a),
                                               (np.ones(4, np.float32), b)])
    assert shapes == [(2, 3), (4,)]
    np.testing.assert_array_equal(b.data, np.full(4, 0.5, np.float32))


def test_every_builtin_optimizer_is_marked_elementwise():
    for cls in ALL:
        assert cls._elementwise_update, cls.__name__
    assert not optimizers.Optimizer._elementwise_update
