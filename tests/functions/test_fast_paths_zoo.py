"""The fast paths made for the bench zoo's models (embedding, pooling, activations), each held to
the plain reference beside it."""

import numpy as np
import pytest

from npconv import layers
from npconv.autograd import Tensor, no_grad
from npconv.autograd.gradcheck import gradcheck
from npconv.functions import activations as A
from npconv.functions import conv as ops_conv
from npconv.functions import conv_transpose as CT
from npconv.functions import embedding as E
from npconv.functions import pooling as P
from npconv.models import Sequential

rng = np.random.default_rng(7)


def test_embedding_table_gradient_matches_add_at_with_many_repeats():
    # a few very frequent ids (many rounds), ids used once, and ids never used
    ids = np.concatenate([rng.integers(0, 3, 40), rng.integers(0, 50, 60)])
    ids = rng.permutation(ids).reshape(4, 25)
    gy = rng.standard_normal((4, 25, 5)).astype(np.float32)
    got = E.table_gradient(ids, gy, (60, 5))
    np.testing.assert_array_equal(got, E.table_gradient_reference(ids, gy, (60, 5)))
    assert got.dtype == np.float32
    assert np.all(got[50:] == 0)
    distinct = np.arange(12).reshape(3, 4)  # every id once: the one-round path
    gy = rng.standard_normal((3, 4, 2))
    np.testing.assert_array_equal(E.table_gradient(distinct, gy, (15, 2)),
                                  E.table_gradient_reference(distinct, gy, (15, 2)))
    empty = np.zeros((0, 3), np.int64)
    assert not E.table_gradient(empty, np.zeros((0, 3, 2)), (4, 2)).any()


@pytest.mark.parametrize("case", [
    dict(strides=2, padding="same"),
    dict(strides=3, padding="valid", output_padding=1),  # trailing outputs: bias only
    dict(strides=(1, 2), padding="valid", data_format="channels_first"),
])
def test_conv_transpose_fused_relu_is_relu_of_conv_transpose(case):
    x = rng.standard_normal((2, 4, 3, 3))
    kernel = rng.standard_normal((3, 3, 2, 3))
    if case.get("data_format") == "channels_first":
        x = x.transpose(0, 3, 1, 2)
    bias = rng.standard_normal(2)
    fused = CT.conv_transpose(x, kernel, bias, **case, activation="relu")
    plain = A.relu(CT.conv_transpose(x, kernel, bias, **case))
    np.testing.assert_array_equal(fused.data, plain.data)
    assert (fused.data == 0).any() and (fused.data > 0).any()
    gradcheck(lambda a, k, b: CT.conv_transpose(a, k, b, **case, activation="relu"),
              x, kernel, bias)


def test_conv2d_transpose_layer_relu_matches_separate_activation():
    x = rng.standard_normal((2, 5, 5, 3)).astype(np.float32)
    fused = layers.Conv2DTranspose(4, 3, strides=2, padding="same", activation="relu")
    plain = layers.Conv2DTranspose(4, 3, strides=2, padding="same")
    fused(x), plain(x)  # build
    plain.set_weights(fused.get_weights())
    np.testing.assert_array_equal(fused(x).data, np.maximum(plain(x).data, 0))
    with pytest.raises(ValueError, match="activation must be None or 'relu'"):
        CT.conv_transpose(x, fused.kernel, activation="tanh")


@pytest.mark.parametrize("shape,pool,strides,padding", [
    ((3, 6, 4), 2, None, "valid"),
    ((2, 5, 7, 3), (2, 2), None, "same"),  # odd sizes: border windows with fewer inputs
    ((2, 4, 5, 4, 2), (2, 2, 2), None, "valid"),  # a remainder left out
    ((2, 7, 7, 2), (2, 3), (3, 3), "same"),  # strides longer than the window
])
def test_max_pool_disjoint_backward_matches_reference_with_ties(shape, pool, strides, padding):
    # small integers: many tied maxima, whose gradient must reach the first in window order
    x = rng.integers(0, 3, shape).astype(np.float64)
    gy_shape = P.max_pool(x, pool, strides, padding).shape
    gy = rng.standard_normal(gy_shape)
    got, want = Tensor(x, requires_grad=True), Tensor(x, requires_grad=True)
    (P.max_pool(got, pool, strides, padding) * Tensor(gy)).sum().backward()
    (P.max_pool_reference(want, pool, strides, padding) * Tensor(gy)).sum().backward()
    np.testing.assert_array_equal(got.grad, want.grad)
    assert np.count_nonzero(got.grad) == np.count_nonzero(gy)  # one element per window


@pytest.mark.parametrize("size, fused", [(8, 1), (7, 0)])  # 'same' pools tile only even sizes
def test_predict_fuses_conv_with_same_max_pooling_where_the_windows_tile(size, fused,
                                                                        monkeypatch):
    m = Sequential([
        layers.Input((size, size, 2)),
        layers.Conv2D(4, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(2, padding="same"),
        layers.Flatten(),
        layers.Dense(3),
    ])
    calls = []
    original = ops_conv.conv_max_pool
    monkeypatch.setattr(ops_conv, "conv_max_pool",
                        lambda *a, **k: calls.append(1) or original(*a, **k))
    x = rng.standard_normal((6, size, size, 2)).astype(np.float32)
    out = m.predict(x, batch_size=6, verbose=0)
    assert len(calls) == fused
    with no_grad():
        expected = x
        for layer in m.layers:
            expected = layer(expected, training=False)
    np.testing.assert_array_equal(out, expected.data)


@pytest.mark.parametrize("shape,pool,data_format,padding", [
    ((3, 8, 2), 2, "channels_last", "valid"),
    ((2, 6, 4, 3), (2, 2), "channels_last", "valid"),
    ((2, 6, 9, 3), (3, 3), "channels_last", "valid"),
    ((2, 3, 6, 4), (3, 2), "channels_first", "valid"),
    ((2, 4, 6, 2, 3), (2, 3, 1), "channels_last", "valid"),
    ((2, 5, 6, 3), (3, 3), "channels_last", "same"),  # padded windows: the general loop
])
def test_avg_pool_tiled_backward_matches_reference(shape, pool, data_format, padding):
    kw = dict(data_format=data_format, padding=padding)
    x = rng.standard_normal(shape)
    gy = rng.standard_normal(P.avg_pool(x, pool, **kw).shape)
    got, want = Tensor(x, requires_grad=True), Tensor(x, requires_grad=True)
    (P.avg_pool(got, pool, **kw) * Tensor(gy)).sum().backward()
    (P.avg_pool_reference(want, pool, **kw) * Tensor(gy)).sum().backward()
    np.testing.assert_allclose(got.grad, want.grad, rtol=1e-15, atol=0)
    gradcheck(lambda a: P.avg_pool(a, pool, **kw), x)
