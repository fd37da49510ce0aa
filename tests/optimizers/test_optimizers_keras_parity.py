"""Every optimizer against real Keras 3.15: same variables, same gradients, 5 steps.

References: tests/references/keras_optimizers.npz, written by tools/keras_references/optimizers.py.
Each case rebuilds the optimizer from Keras's own ``serialize`` output (so Keras's config
format is exercised too) and must follow Keras's trajectory within 2e-6 after every step.
"""

import json
import pathlib
import warnings

import numpy as np
import pytest

from npconv import Variable, optimizers
from npconv.optimizers import schedules

REF = np.load(pathlib.Path(__file__).parents[1] / "references" / "keras_optimizers.npz")
CASES = sorted({k.split("/")[0] for k in REF.files if k.split("/")[0] != "schedule"})
SCHEDULES = sorted({k.split("/")[1] for k in REF.files if k.startswith("schedule/")})
TOL = 2e-6


def _meta(name):
    return json.loads(str(REF[f"{name}/meta"]))


def _split(flat, shapes):
    out, start = [], 0
    for shape in shapes:
        n = int(np.prod(shape, dtype=np.int64))
        out.append(flat[start : start + n].reshape(shape))
        start += n
    return out


def _max_norm(w, max_value=1.0, axis=0):
    # keras.constraints.MaxNorm
    norms = np.sqrt(np.sum(np.square(w), axis=axis, keepdims=True))
    desired = np.clip(norms, 0, max_value)
    return w * (desired / (np.float32(1e-7) + norms))


def _non_neg(w):
    return w * (w >= 0).astype(w.dtype)


CONSTRAINTS = {None: None, "max_norm": _max_norm, "non_neg": _non_neg}


def _run(name):
    meta = _meta(name)
    config = meta["npconv"] or meta["keras"]
    opt = optimizers.deserialize(json.loads(json.dumps(config)))
    shapes = [tuple(s) for s in meta["shapes"]]
    variables = [
        Variable(x, name=f"v{i}", constraint=CONSTRAINTS[c])
        for i, (x, c) in enumerate(zip(_split(REF[f"{name}/init"], shapes), meta["constraints"]))
    ]
    return meta, opt, shapes, variables


@pytest.mark.parametrize("name", CASES)
def test_trajectory_matches_keras(name):
    meta, opt, shapes, variables = _run(name)
    grads_rows, after_rows, lrs = REF[f"{name}/grads"], REF[f"{name}/after"], REF[f"{name}/lr"]
    initial = [v.data.copy() for v in variables]
    for step in range(meta["steps"]):
        if meta["npconv"] is None:
            assert float(opt.learning_rate) == pytest.approx(float(lrs[step]), rel=1e-6)
        grads = [None if np.isnan(g).any() else g for g in _split(grads_rows[step], shapes)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            opt.apply_gradients(list(zip(grads, variables)))
        for i, (v, expected) in enumerate(zip(variables, _split(after_rows[step], shapes))):
            assert v.data.dtype == np.float32
            np.testing.assert_allclose(
                v.data, expected, rtol=TOL, atol=TOL, err_msg=f"{name}: step {step}, var {i}"
            )
            # the displacement too, for cases that move less than TOL (Keras 3's Adadelta)
            np.testing.assert_allclose(
                v.data - initial[i],
                expected - initial[i],
                rtol=1e-3,
                atol=5e-7,
                err_msg=f"{name}: step {step}, var {i} (displacement)",
            )


@pytest.mark.parametrize("name", [c for c in CASES if _meta(c)["npconv"] is None])
def test_state_and_config_match_keras(name):
    meta, opt, shapes, variables = _run(name)
    grads_rows = REF[f"{name}/grads"]
    for step in range(meta["steps"]):
        grads = [None if np.isnan(g).any() else g for g in _split(grads_rows[step], shapes)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            opt.apply_gradients(list(zip(grads, variables)))
    # the state: same variables in the same order with the same values
    expected = _split(REF[f"{name}/state"], [tuple(s) for s in meta["state_shapes"]])
    ours = opt.get_weights()
    assert len(ours) == len(expected)
    for k, (a, b, keras_name) in enumerate(zip(ours, expected, meta["state_names"])):
        assert a.shape == b.shape, (k, keras_name)
        np.testing.assert_allclose(a, b, rtol=TOL, atol=TOL, err_msg=f"{name}: {keras_name}")
        if not keras_name.startswith("variable"):  # Keras leaves Nadam's product unnamed
            assert opt.variables[k].name == keras_name
    # the config: what Keras's get_config gives
    assert optimizers.serialize(opt) == meta["keras"]


@pytest.mark.parametrize("name", SCHEDULES)
def test_schedule_matches_keras(name):
    meta = json.loads(str(REF[f"schedule/{name}/meta"]))
    schedule = schedules.deserialize(meta["keras"])
    expected = REF[f"schedule/{name}/values"]
    ours = np.array([schedule(step) for step in range(len(expected))])
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours, expected, rtol=1e-6, atol=1e-7)
    assert schedules.serialize(schedule) == meta["keras"]
