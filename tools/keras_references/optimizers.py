"""Reference trajectories of real Keras 3 optimizers, for npconv's optimizer parity tests.

Run with TensorFlow's Keras in a separate virtual environment (never needed by npconv):

    python3 -m venv /tmp/tfenv && /tmp/tfenv/bin/pip install tensorflow-cpu==2.21.0
    /tmp/tfenv/bin/python tools/keras_references/optimizers.py

Writes ``tests/references/keras_optimizers.npz``. For each case: 2-3 float32 ``keras.Variable``s
with fixed random values, 5 steps of fixed random gradients through ``apply_gradients``, and
the variables after each step. Keys, for case ``c``:

- ``c/meta``: JSON: ``keras`` (``keras.optimizers.serialize`` of the optimizer), ``npconv``
  (the npconv config to use instead, when Keras has no spelling for the case, e.g. Keras 2's
  ``decay=``), ``shapes``, ``steps``, ``none`` (``[step, var]`` pairs whose gradient is None),
  ``constraints`` (per variable: ``null``, ``"non_neg"`` or ``"max_norm"``), ``state_names``.
- ``c/init`` (n,): the variables' initial values, raveled and concatenated;
- ``c/grads`` (steps, n): the gradients of each step, laid out the same way (NaN: None);
- ``c/after`` (steps, n): the variables after each step;
- ``c/lr`` (steps,): ``optimizer.learning_rate`` before each step;
- ``c/state``: ``optimizer.variables`` after the last step, in Keras's order, raveled and
  concatenated as float64 (shapes in the meta's ``state_shapes``).

Also ``schedule/{name}/meta`` (JSON serialize of the schedule) and ``schedule/{name}/values``
(the schedule at steps 0..39).
"""

from __future__ import annotations

import json
import os
import pathlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import warnings  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parents[2] / "tests" / "references"
STEPS = 5
S = keras.optimizers.schedules
O = keras.optimizers

SHAPES_3 = [(3, 4), (4,), (2, 3, 2)]
SHAPES_2 = [(5, 3), (3,)]


def case(name, make, shapes=SHAPES_3, npconv=None, scale=1.0, none=(), constraints=None):
    return {
        "name": name,
        "make": make,
        "shapes": shapes,
        "npconv": npconv,
        "scale": scale,
        "none": [list(p) for p in none],
        "constraints": constraints or [None] * len(shapes),
    }


CASES = [
    case("sgd", lambda: O.SGD(0.1)),
    case("sgd_default", lambda: O.SGD()),
    case("sgd_momentum", lambda: O.SGD(0.1, momentum=0.9)),
    case("sgd_nesterov", lambda: O.SGD(0.1, momentum=0.9, nesterov=True)),
    # Keras 2's SGD(lr, momentum, decay): Keras 3 has no decay; InverseTimeDecay(lr, 1, d) is it.
    case(
        "sgd_keras2_decay",
        lambda: O.SGD(S.InverseTimeDecay(0.1, 1, 0.05), momentum=0.5),
        npconv={"class_name": "SGD", "config": {"lr": 0.1, "momentum": 0.5, "decay": 0.05}},
    ),
    case(
        "sgd_tutorial_decay",
        lambda: O.SGD(S.InverseTimeDecay(0.01, 1, 0.0004), momentum=0.5),
        npconv={"class_name": "SGD", "config": {"momentum": 0.5, "decay": 0.0004}},
    ),
    case("adam", lambda: O.Adam(0.01)),
    case("adam_default", lambda: O.Adam()),
    case("adam_amsgrad", lambda: O.Adam(0.01, amsgrad=True), scale=2.0),
    case("adamw", lambda: O.AdamW(0.01, weight_decay=0.1)),
    case("adamw_default", lambda: O.AdamW()),
    case("adadelta_keras3_default", lambda: O.Adadelta()),
    case("adadelta_lr1", lambda: O.Adadelta(1.0)),
    case("adadelta_rho", lambda: O.Adadelta(0.5, rho=0.8, epsilon=1e-5)),
    case("rmsprop", lambda: O.RMSprop(0.01)),
    case("rmsprop_momentum", lambda: O.RMSprop(0.01, momentum=0.9)),
    case("rmsprop_centered", lambda: O.RMSprop(0.01, centered=True)),
    case("rmsprop_centered_momentum", lambda: O.RMSprop(0.01, momentum=0.5, centered=True)),
    case("adagrad", lambda: O.Adagrad(0.1)),
    case("adagrad_init", lambda: O.Adagrad(0.05, initial_accumulator_value=0.5, epsilon=1e-4)),
    case("adamax", lambda: O.Adamax(0.01)),
    case("nadam", lambda: O.Nadam(0.01)),
    case("nadam_default", lambda: O.Nadam()),
    # clipping and weight decay (gradients scaled up so the clips bite)
    case("sgd_clipnorm", lambda: O.SGD(0.1, clipnorm=1.0), scale=3.0),
    case("sgd_clipvalue", lambda: O.SGD(0.1, clipvalue=0.5), scale=3.0),
    case("sgd_global_clipnorm", lambda: O.SGD(0.1, global_clipnorm=2.0), scale=3.0),
    case("sgd_global_clipnorm_loose", lambda: O.SGD(0.1, global_clipnorm=300.0)),
    case("sgd_weight_decay", lambda: O.SGD(0.1, momentum=0.9, weight_decay=0.05)),
    case("adam_clipnorm", lambda: O.Adam(0.01, clipnorm=1.0), scale=3.0),
    case("adam_clipvalue", lambda: O.Adam(0.01, clipvalue=0.5), scale=3.0),
    case("adam_global_clipnorm", lambda: O.Adam(0.01, global_clipnorm=2.0), scale=3.0),
    case("adam_weight_decay", lambda: O.Adam(0.01, weight_decay=0.05)),
    case("rmsprop_weight_decay_clipnorm", lambda: O.RMSprop(0.01, weight_decay=0.1, clipnorm=0.7)),
    # schedules driving optimizers
    case("sgd_exponential", lambda: O.SGD(S.ExponentialDecay(0.1, 2, 0.5))),
    case("sgd_exponential_staircase", lambda: O.SGD(S.ExponentialDecay(0.1, 2, 0.5, True))),
    case("sgd_inverse_time", lambda: O.SGD(S.InverseTimeDecay(0.1, 2, 0.5))),
    case("sgd_inverse_time_staircase", lambda: O.SGD(S.InverseTimeDecay(0.1, 2, 0.5, True))),
    case("sgd_piecewise", lambda: O.SGD(S.PiecewiseConstantDecay([1, 3], [0.1, 0.05, 0.01]))),
    case("sgd_cosine", lambda: O.SGD(S.CosineDecay(0.1, 4, alpha=0.1))),
    case(
        "sgd_cosine_warmup",
        lambda: O.SGD(S.CosineDecay(0.0, 3, warmup_target=0.2, warmup_steps=2)),
    ),
    case("sgd_polynomial", lambda: O.SGD(S.PolynomialDecay(0.1, 3, 0.01, power=2.0))),
    case("sgd_cosine_restarts", lambda: O.SGD(S.CosineDecayRestarts(0.1, 2))),
    case(
        "adam_exponential_weight_decay",
        lambda: O.Adam(S.ExponentialDecay(0.05, 1, 0.8), weight_decay=0.1),
    ),
    case("nadam_exponential", lambda: O.Nadam(S.ExponentialDecay(0.05, 1, 0.8))),
    # the rest of the base class: EMA, gradient accumulation, loss scaling, None, constraints
    case("sgd_ema", lambda: O.SGD(0.1, use_ema=True, ema_momentum=0.9)),
    case(
        "adam_ema_overwrite",
        lambda: O.Adam(0.05, use_ema=True, ema_momentum=0.8, ema_overwrite_frequency=2),
    ),
    case("sgd_accumulate", lambda: O.SGD(0.1, momentum=0.5, gradient_accumulation_steps=2)),
    case("adam_accumulate", lambda: O.Adam(0.05, gradient_accumulation_steps=2)),
    case("nadam_accumulate", lambda: O.Nadam(0.05, gradient_accumulation_steps=3)),
    case("sgd_loss_scale", lambda: O.SGD(0.1, loss_scale_factor=4.0)),
    case("adam_none_grad", lambda: O.Adam(0.05), none=[(1, 1), (2, 1), (3, 0)]),
    case("sgd_momentum_none_grad", lambda: O.SGD(0.1, momentum=0.9), none=[(0, 2), (2, 0)]),
    case(
        "sgd_constraints",
        lambda: O.SGD(0.5),
        shapes=SHAPES_2,
        constraints=["max_norm", "non_neg"],
    ),
]


SCHEDULES = {
    "exponential": S.ExponentialDecay(0.1, 7, 0.9),
    "exponential_staircase": S.ExponentialDecay(0.1, 7, 0.9, staircase=True),
    "inverse_time": S.InverseTimeDecay(0.2, 3, 0.5),
    "inverse_time_staircase": S.InverseTimeDecay(0.2, 3, 0.5, staircase=True),
    "piecewise": S.PiecewiseConstantDecay([5, 12, 20], [1.0, 0.5, 0.25, 0.125]),
    "polynomial": S.PolynomialDecay(0.1, 10, 0.001, power=0.5),
    "polynomial_cycle": S.PolynomialDecay(0.1, 10, 0.001, power=2.0, cycle=True),
    "cosine": S.CosineDecay(0.1, 25),
    "cosine_alpha": S.CosineDecay(0.1, 25, alpha=0.2),
    "cosine_warmup": S.CosineDecay(0.0, 20, warmup_target=0.3, warmup_steps=8),
    "cosine_warmup_from": S.CosineDecay(0.05, 20, alpha=0.1, warmup_target=0.3, warmup_steps=8),
    "cosine_restarts": S.CosineDecayRestarts(0.1, 5),
    "cosine_restarts_mul": S.CosineDecayRestarts(0.1, 4, t_mul=1.0, m_mul=0.5, alpha=0.1),
}


def make_constraint(kind):
    if kind == "max_norm":
        return keras.constraints.MaxNorm(max_value=1.0, axis=0)
    if kind == "non_neg":
        return keras.constraints.NonNeg()
    return None


def run_case(spec, rng, arrays):
    name = spec["name"]
    opt = spec["make"]()
    inits = [rng.standard_normal(s).astype(np.float32) for s in spec["shapes"]]
    variables = [keras.Variable(x, name=f"v{i}") for i, x in enumerate(inits)]
    for v, kind in zip(variables, spec["constraints"]):
        v.constraint = make_constraint(kind)
    none = {tuple(p) for p in spec["none"]}
    grads_rows, after_rows, lrs = [], [], []
    for s in range(STEPS):
        lrs.append(np.float32(keras.ops.convert_to_numpy(opt.learning_rate)))
        grads = []
        for i, x in enumerate(inits):
            g = (spec["scale"] * rng.standard_normal(x.shape)).astype(np.float32)
            grads.append(None if (s, i) in none else g)
        grads_rows.append(
            flat(
                [
                    np.full(x.shape, np.nan, np.float32) if g is None else g
                    for g, x in zip(grads, inits)
                ]
            )
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            opt.apply_gradients(list(zip(grads, variables)))
        after_rows.append(flat([v.numpy() for v in variables]))
    state = [np.asarray(v.numpy()) for v in opt.variables]
    arrays[f"{name}/init"] = flat(inits)
    arrays[f"{name}/grads"] = np.stack(grads_rows)
    arrays[f"{name}/after"] = np.stack(after_rows)
    arrays[f"{name}/lr"] = np.asarray(lrs, dtype=np.float32)
    arrays[f"{name}/state"] = np.concatenate([x.ravel().astype(np.float64) for x in state])
    meta = {
        "keras": keras.optimizers.serialize(opt),
        "npconv": spec["npconv"],
        "shapes": [list(s) for s in spec["shapes"]],
        "steps": STEPS,
        "none": spec["none"],
        "constraints": spec["constraints"],
        "state_names": [v.name for v in opt.variables],
        "state_shapes": [list(x.shape) for x in state],
    }
    arrays[f"{name}/meta"] = np.array(json.dumps(meta))


def flat(parts):
    return np.concatenate([np.asarray(p, dtype=np.float32).ravel() for p in parts])


def main():
    rng = np.random.default_rng(20240515)
    arrays = {}
    for spec in CASES:
        run_case(spec, rng, arrays)
    for name, schedule in SCHEDULES.items():
        values = [float(keras.ops.convert_to_numpy(schedule(step))) for step in range(40)]
        arrays[f"schedule/{name}/values"] = np.asarray(values, dtype=np.float32)
        meta = {"keras": S.serialize(schedule)}
        arrays[f"schedule/{name}/meta"] = np.array(json.dumps(meta))
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "keras_optimizers.npz"
    np.savez_compressed(path, **arrays)
    print(
        f"{path}: {len(CASES)} optimizer cases, {len(SCHEDULES)} schedules, {len(arrays)} "
        f"arrays, {path.stat().st_size} bytes (keras {keras.__version__})"
    )


if __name__ == "__main__":
    main()
