"""The NumPy backend's kernel module: ``kernels('numpy')`` is ``npconv.backend.numpy`` with every
entry point of the generic kernels, its convolution the CPU plans (equal to the generic
convolution)."""

import numpy as np
import pytest

import npconv.backend.numpy as numpy_backend
from npconv.backend import generic, kernels, kernels_for
from npconv.functions.padding import spatial_pads

rng = np.random.default_rng(7)


def test_kernels_numpy_is_the_numpy_module_with_every_entry_point():
    k = kernels("numpy")
    assert k is numpy_backend and k.NAME == "numpy"
    assert kernels_for(np.ones(2)) is k
    for name in generic.ENTRY_POINTS:
        assert callable(getattr(k, name)), name
    assert set(generic.ENTRY_POINTS) <= set(k.__all__) and set(generic.ENTRY_POINTS) <= set(dir(k))
    with pytest.raises(AttributeError, match="no attribute 'conv_sideways'"):
        k.conv_sideways  # noqa: B018


@pytest.mark.parametrize("case", [
    # x shape, kernel size, strides, padding, dilation, groups
    ((2, 7, 6, 3), (3, 2), (1, 1), "valid", (1, 1), 1),
    ((2, 8, 7, 4), (3, 3), (2, 2), "same", (1, 1), 2),
    ((2, 9, 8, 1), (3, 3), (1, 1), "same", (1, 1), 1),  # kmajor
    ((2, 9, 8, 2), (3, 2), (1, 1), "valid", (2, 3), 1),
    ((2, 11, 6), (3,), (2,), "same", (1,), 3),
    ((1, 4, 5, 4, 2), (2, 3, 2), (1, 2, 1), "same", (1, 1, 1), 1),
], ids=str)
def test_numpy_conv_entry_points_equal_the_generic_ones(case):
    shape, ksize, strides, padding, dilation, groups = case
    c, f = shape[-1], 2 * groups
    x = rng.standard_normal(shape)
    k = rng.standard_normal((*ksize, c // groups, f))
    b = rng.standard_normal(f)
    pads = spatial_pads(shape[1:-1], ksize, padding, strides, dilation)
    y = numpy_backend.conv_forward(x, k, b, strides, dilation, pads, groups)
    want = generic.conv_forward(x, k, b, strides, dilation, pads, groups)
    np.testing.assert_allclose(y, want, rtol=1e-10, atol=1e-10)
    gy = rng.standard_normal(y.shape)
    got = numpy_backend.conv_backward(x, k, gy, strides, dilation, pads, groups)
    for g, w in zip(got, generic.conv_backward(x, k, gy, strides, dilation, pads, groups)):
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-10)
    none = numpy_backend.conv_backward(x, k, gy, strides, dilation, pads, groups,
                                       need_x=False, need_bias=False)
    assert none[0] is None and none[2] is None
