"""What other packages ask of an optimizer by name: ``built_variables`` (the variables it holds
slots for, which ``npconv.io`` records so that a loaded model's optimizer is rebuilt on the same
weights) and ``learning_rate_schedule`` (which the learning-rate callbacks check)."""

import numpy as np

import npconv


def test_built_variables_follow_build_order_once_each():
    a = npconv.Variable(np.zeros(3, np.float32))
    b = npconv.Variable(np.zeros((2, 2), np.float32))
    opt = npconv.optimizers.SGD(momentum=0.9)
    assert opt.built_variables == []
    opt.build([b, a])
    opt.build([a, b])  # nothing new
    assert [id(v) for v in opt.built_variables] == [id(b), id(a)]
    opt.built_variables.clear()  # a copy
    assert len(opt.built_variables) == 2
    slots = [v for v in opt.variables if v.name.endswith("_momentum")]
    assert [tuple(v.shape) for v in slots] == [(2, 2), (3,)]  # the slots in the same order


def test_learning_rate_schedule_is_the_schedule_or_none():
    schedule = npconv.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5)
    assert npconv.optimizers.Adam(learning_rate=schedule).learning_rate_schedule is schedule
    opt = npconv.optimizers.Adam(learning_rate=0.1)
    assert opt.learning_rate_schedule is None
    opt.learning_rate = schedule  # a schedule set later replaces the float rate
    assert opt.learning_rate_schedule is schedule
