"""``Optimizer.built_variables``: the variables an optimizer holds slots for, which
``npconv.io`` records so that a loaded model's optimizer is rebuilt on the same weights."""

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
