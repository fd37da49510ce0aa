"""A user's loss or metric function sees targets and predictions of the same rank, as in Keras:
labels ``(n,)`` against a model's ``(n, 1)`` output become ``(n, 1)``, never an ``(n, n)``
broadcast (which trains a siamese network's contrastive loss on every pair of the batch)."""

import numpy as np

import npconv
from npconv.autograd import Tensor
from npconv.losses import squeeze_or_expand_to_same_rank


def test_keras_rule():
    def shapes(a, b):
        return [np.shape(v) for v in squeeze_or_expand_to_same_rank(np.ones(a), np.ones(b))]

    assert shapes((4,), (4, 1)) == [(4, 1), (4, 1)]
    assert shapes((4, 1), (4,)) == [(4, 1), (4, 1)]
    assert shapes((4, 3, 1), (4, 3)) == [(4, 3), (4, 3)]
    assert shapes((4, 3), (4, 3, 1)) == [(4, 3), (4, 3)]
    assert shapes((4,), (4, 10)) == [(4,), (4, 10)]  # sparse labels keep their rank


def test_custom_loss_and_metric_get_rows_not_pairs():
    seen = []

    def squared(y_true, y_pred):
        seen.append((np.shape(y_true), np.shape(y_pred)))
        return npconv.ops.mean(npconv.ops.square(y_true - y_pred), axis=-1)

    y = np.array([0.0, 1.0, 1.0, 0.0], "float32")
    p = Tensor(np.array([[0.5], [0.5], [1.0], [0.0]], "float32"))
    loss = npconv.losses.get(squared)(y, p)
    assert np.isclose(float(loss), 0.125)  # (0.25 + 0.25 + 0 + 0) / 4; the (4, 4) broadcast: 0.375
    metric = npconv.metrics.get(squared)
    metric.update_state(y, p.data)
    assert np.isclose(float(metric.result()), 0.125)
    assert set(seen) == {((4, 1), (4, 1))}
