"""npconv.functions.losses: per-sample values and gradients against PyTorch (Keras's clipping
emulated there), finite-difference gradient checks, shapes, dtypes and errors."""

import json
import pathlib

import numpy as np
import pytest

from npconv.autograd import Tensor
from npconv.autograd.gradcheck import gradcheck
from npconv.functions import activations as A
from npconv.functions import losses as L

REF = np.load(pathlib.Path(__file__).resolve().parents[1] / "references" / "losses.npz")
TORCH_CASES = sorted({k.split("/")[0] for k in REF.files})
FUSED = ("softmax_cross_entropy", "sparse_softmax_cross_entropy")

rng = np.random.default_rng(0)
N, C = 4, 5
LABELS = np.array([0, 3, 4, 1])
ONEHOT = np.eye(C)[LABELS]
SOFT = rng.dirichlet(np.ones(C), size=N)
PROBS = rng.dirichlet(np.ones(C) * 3, size=N) * rng.uniform(0.5, 2, size=(N, 1))
LOGITS = rng.standard_normal((N, C)) * 2
BIN_TRUE = (rng.random((N, 3)) > 0.5).astype(float)
BIN_PROBS = rng.uniform(0.05, 0.95, size=(N, 3))
REG_TRUE = rng.standard_normal((2, 3, 4))
REG_PRED = rng.standard_normal((2, 3, 4))
# C-contiguous transposes: gradcheck perturbs inputs through reshape(-1), a copy for F-order
PROBS_T, LOGITS_T, ONEHOT_T = (np.ascontiguousarray(a.T) for a in (PROBS, LOGITS, ONEHOT))


@pytest.mark.parametrize("case", TORCH_CASES)
def test_matches_pytorch(case):
    name = str(REF[f"{case}/fn"])
    kwargs = json.loads(str(REF[f"{case}/kwargs"]))
    y_true = REF[f"{case}/y_true"]
    y_pred = Tensor(REF[f"{case}/y_pred"].copy(), requires_grad=True)
    fn = getattr(L, name)
    loss = fn(y_pred, y_true, **kwargs) if name in FUSED else fn(y_true, y_pred, **kwargs)
    assert loss.shape == REF[f"{case}/loss"].shape
    loss.backward(REF[f"{case}/gy"])
    np.testing.assert_allclose(loss.data, REF[f"{case}/loss"], rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(y_pred.grad, REF[f"{case}/grad"], rtol=1e-10, atol=1e-10)


GRADCHECKS = {
    "cce_probs_onehot": (lambda p: L.categorical_crossentropy(ONEHOT, p), PROBS),
    "cce_probs_soft": (lambda p: L.categorical_crossentropy(SOFT, p), PROBS),
    "cce_probs_smoothing": (
        lambda p: L.categorical_crossentropy(ONEHOT, p, label_smoothing=0.2), PROBS
    ),
    "cce_probs_axis0": (lambda p: L.categorical_crossentropy(ONEHOT_T, p, axis=0), PROBS_T),
    "cce_logits": (lambda z: L.categorical_crossentropy(SOFT, z, from_logits=True), LOGITS),
    "cce_logits_axis0": (
        lambda z: L.categorical_crossentropy(ONEHOT_T, z, from_logits=True, axis=0), LOGITS_T
    ),
    "softmax_cross_entropy": (lambda z: L.softmax_cross_entropy(z, SOFT * 0.7), LOGITS),
    "scce_probs": (lambda p: L.sparse_categorical_crossentropy(LABELS, p), PROBS),
    "scce_logits": (
        lambda z: L.sparse_categorical_crossentropy(LABELS, z, from_logits=True), LOGITS
    ),
    "scce_logits_axis0": (
        lambda z: L.sparse_categorical_crossentropy(LABELS, z, from_logits=True, axis=0),
        LOGITS_T,
    ),
    "sparse_softmax_cross_entropy": (
        lambda z: L.sparse_softmax_cross_entropy(z, LABELS), LOGITS
    ),
    "bce_probs": (lambda p: L.binary_crossentropy(BIN_TRUE, p), BIN_PROBS),
    "bce_probs_smoothing": (
        lambda p: L.binary_crossentropy(BIN_TRUE, p, label_smoothing=0.1), BIN_PROBS
    ),
    "bce_logits": (
        lambda z: L.binary_crossentropy(BIN_TRUE, z, from_logits=True), LOGITS[:, :3] * 3
    ),
    "bce_rank1": (lambda p: L.binary_crossentropy(BIN_TRUE[:, 0], p), BIN_PROBS[:, :1]),
    "mse": (lambda p: L.mean_squared_error(REG_TRUE, p), REG_PRED),
    "mae": (lambda p: L.mean_absolute_error(REG_TRUE, p), REG_PRED),
    "huber": (lambda p: L.huber(REG_TRUE, p), REG_PRED),
    "huber_delta": (lambda p: L.huber(REG_TRUE, p, delta=0.3), REG_PRED),
}


@pytest.mark.parametrize("name", sorted(GRADCHECKS))
def test_gradcheck(name):
    fn, y_pred = GRADCHECKS[name]
    gradcheck(fn, y_pred)


def test_fused_backward_is_softmax_minus_target():
    z = Tensor(LOGITS.copy(), requires_grad=True)
    gy = rng.standard_normal(N)
    L.softmax_cross_entropy(z, ONEHOT).backward(gy)
    p = A.softmax(LOGITS).data
    np.testing.assert_allclose(z.grad, (p - ONEHOT) * gy[:, None], rtol=1e-12, atol=1e-15)
    z2 = Tensor(LOGITS.copy(), requires_grad=True)
    L.sparse_softmax_cross_entropy(z2, LABELS).backward(gy)
    np.testing.assert_allclose(z2.grad, z.grad, rtol=1e-12, atol=1e-15)


def test_logits_and_probabilities_agree_away_from_the_clip():
    p = A.softmax(LOGITS).data
    for t in (ONEHOT, SOFT):
        np.testing.assert_allclose(
            L.categorical_crossentropy(t, p).data,
            L.categorical_crossentropy(t, LOGITS, from_logits=True).data,
            rtol=1e-12,
        )
    np.testing.assert_allclose(
        L.sparse_categorical_crossentropy(LABELS, p).data,
        L.categorical_crossentropy(ONEHOT, p).data,
        rtol=1e-12,
    )
    sig = A.sigmoid(LOGITS).data
    np.testing.assert_allclose(
        L.binary_crossentropy(BIN_TRUE, sig[:, :3]).data,
        L.binary_crossentropy(BIN_TRUE, LOGITS[:, :3], from_logits=True).data,
        rtol=1e-12,
    )


def test_keras_docstring_values():
    # keras.losses docstrings: categorical / sparse / binary cross-entropy, huber
    y_pred = np.array([[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
    cce = L.categorical_crossentropy(np.array([[0, 1, 0], [0, 0, 1.0]]), y_pred).data
    np.testing.assert_allclose(cce, [0.0513, 2.303], atol=1e-3)
    scce = L.sparse_categorical_crossentropy(np.array([1, 2]), y_pred).data
    np.testing.assert_allclose(scce, [0.0513, 2.303], atol=1e-3)
    bce = L.binary_crossentropy(np.array([[0, 1], [0, 0.0]]), np.array([[0.6, 0.4], [0.4, 0.6]]))
    np.testing.assert_allclose(bce.data, [0.916, 0.714], atol=1e-3)
    h = L.huber(np.array([[0, 1], [0, 0.0]]), np.array([[0.6, 0.4], [0.4, 0.6]]))
    np.testing.assert_allclose(h.data.mean(), 0.155, atol=1e-3)


def test_clipping_at_epsilon():
    # a zero probability for the true class costs -log(1e-7), and its gradient is zero
    p = Tensor(np.array([[0.0, 1.0]]), requires_grad=True)
    loss = L.categorical_crossentropy(np.array([[1.0, 0.0]]), p)
    np.testing.assert_allclose(loss.data, [-np.log(1e-7)])
    loss.backward(np.ones(1))
    np.testing.assert_array_equal(p.grad, [[0.0, 0.0]])
    b = L.binary_crossentropy(np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]]))
    np.testing.assert_allclose(b.data, [-np.log(1e-7)])


def test_per_sample_shapes():
    x4 = rng.random((2, 3, 3, C))
    assert L.categorical_crossentropy(np.eye(C)[rng.integers(0, C, (2, 3, 3))], x4).shape == (
        2, 3, 3)
    assert L.sparse_categorical_crossentropy(rng.integers(0, C, (2, 3, 3)), x4).shape == (2, 3, 3)
    assert L.sparse_categorical_crossentropy(LABELS[:, None], PROBS).shape == (N,)
    assert L.binary_crossentropy(BIN_TRUE, BIN_PROBS).shape == (N,)
    assert L.binary_crossentropy(BIN_TRUE[:, 0], BIN_PROBS[:, :1]).shape == (N,)
    assert L.binary_crossentropy(BIN_TRUE[:, :1], BIN_PROBS[:, 0]).shape == (N,)
    assert L.mean_squared_error(REG_TRUE, REG_PRED).shape == (2, 3)
    assert L.mean_absolute_error(REG_TRUE[..., :1], REG_PRED[..., 0]).shape == (2,)


@pytest.mark.parametrize(
    "call",
    [
        lambda p: L.categorical_crossentropy(ONEHOT.astype(np.float32), p),
        lambda p: L.categorical_crossentropy(ONEHOT, p, from_logits=True),
        lambda p: L.sparse_categorical_crossentropy(LABELS, p),
        lambda p: L.sparse_categorical_crossentropy(LABELS, p, from_logits=True),
        lambda p: L.binary_crossentropy(ONEHOT, p),
        lambda p: L.binary_crossentropy(ONEHOT, p, from_logits=True),
        lambda p: L.mean_squared_error(ONEHOT, p),
        lambda p: L.mean_absolute_error(ONEHOT, p),
        lambda p: L.huber(ONEHOT, p),
    ],
)
def test_float32_stays_float32(call):
    p = Tensor(PROBS.astype(np.float32), requires_grad=True)
    loss = call(p)
    assert loss.dtype == np.float32
    loss.backward(np.ones(loss.shape, dtype=np.float32))
    assert p.grad.dtype == np.float32


def test_shape_mismatch_names_both_shapes():
    for fn in (L.categorical_crossentropy, L.binary_crossentropy, L.mean_squared_error,
               L.mean_absolute_error, L.huber):
        with pytest.raises(ValueError, match=r"y_true of shape \(4, 3\).*y_pred of shape \(4, 5\)"):
            fn(np.zeros((4, 3)), PROBS)
    with pytest.raises(ValueError, match=r"y_true of shape \(4, 2\).*y_pred of shape \(4, 5\)"):
        L.softmax_cross_entropy(LOGITS, np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"shape \(4,\).*\(4, 5\).*got y_true of shape \(3,\)"):
        L.sparse_categorical_crossentropy(np.zeros(3, dtype=int), PROBS)


def test_sparse_labels_out_of_range():
    with pytest.raises(ValueError, match="label 5 is out of range for 5 classes"):
        L.sparse_categorical_crossentropy(np.array([0, 1, 2, 5]), PROBS)
    with pytest.raises(ValueError, match="label -1"):
        L.sparse_softmax_cross_entropy(LOGITS, np.array([0, -1, 2, 3]))


def test_sparse_accepts_float_labels():
    loss = L.sparse_categorical_crossentropy(LABELS.astype(np.float32), PROBS)
    np.testing.assert_allclose(loss.data, L.sparse_categorical_crossentropy(LABELS, PROBS).data)


def test_huber_rejects_bad_delta():
    with pytest.raises(ValueError, match="delta"):
        L.huber(REG_TRUE, REG_PRED, delta=0.0)


def test_y_true_gets_no_gradient():
    t = Tensor(ONEHOT.copy(), requires_grad=True)
    p = Tensor(PROBS.copy(), requires_grad=True)
    L.categorical_crossentropy(t, p).backward(np.ones(N))
    assert t.grad is None and p.grad is not None
