"""Optimizer behaviour beyond the Keras trajectories: Keras 2 spellings, errors, look-ups,
serialization, constraints, None gradients, state round trips, in-place float32 updates."""

import json
import math
import warnings

import numpy as np
import pytest

from npconv import Variable, optimizers
from npconv.optimizers import schedules

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

# non-default arguments for each class, to exercise every slot
RICH = {
    "SGD": {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True},
    "Adam": {"learning_rate": 0.01, "amsgrad": True, "beta_1": 0.8},
    "AdamW": {"learning_rate": 0.01, "weight_decay": 0.1},
    "Adadelta": {"rho": 0.9},
    "RMSprop": {"learning_rate": 0.01, "momentum": 0.5, "centered": True},
    "Adagrad": {"learning_rate": 0.1, "initial_accumulator_value": 0.3},
    "Adamax": {"learning_rate": 0.01, "beta_2": 0.99},
    "Nadam": {"learning_rate": 0.01},
}


def _variables(seed=0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    return [
        Variable(rng.standard_normal((4, 3)).astype(dtype), name="dense/kernel"),
        Variable(rng.standard_normal((3,)).astype(dtype), name="dense/bias"),
    ]


def _grads(step, variables):
    rng = np.random.default_rng(100 + step)
    return [rng.standard_normal(v.shape).astype(v.dtype) for v in variables]


def _train(opt, variables, steps, start=0):
    for step in range(start, start + steps):
        opt.apply_gradients(zip(_grads(step, variables), variables))


# ---------------------------------------------------------------------- Keras 2 spellings
def test_lr_is_an_alias_of_learning_rate():
    opt = optimizers.SGD(lr=0.05, momentum=0.5)
    assert float(opt.learning_rate) == pytest.approx(0.05)
    assert opt.get_config()["learning_rate"] == pytest.approx(0.05)
    assert "lr" not in opt.get_config()
    assert float(opt.lr) == pytest.approx(0.05)
    opt.lr = 0.01  # Keras 2 callbacks set it this way
    assert float(opt.learning_rate) == pytest.approx(0.01)
    assert float(optimizers.Adam(lr=0.3).learning_rate) == pytest.approx(0.3)


def test_decay_follows_keras2_inverse_time_formula():
    # plain SGD, w starts at 0, gradient 1: step t moves by lr / (1 + decay * t)
    w = Variable(np.zeros(2, np.float32), name="w")
    opt = optimizers.SGD(learning_rate=0.1, decay=0.5)
    for _ in range(4):
        opt.apply_gradients([(np.ones(2, np.float32), w)])
    expected = -sum(0.1 / (1 + 0.5 * t) for t in range(4))
    np.testing.assert_allclose(w.data, expected, rtol=1e-6)
    # the base rate is what learning_rate reports (Keras 2's optimizer.lr); decay on top
    assert float(opt.learning_rate) == pytest.approx(0.1)


def test_decay_with_momentum_hand_computed():
    # the tutorials' SGD(momentum=0.5, decay=...): m = 0.5 m - lr_t g; w += m
    w = Variable(np.zeros(1, np.float32), name="w")
    opt = optimizers.SGD(momentum=0.5, decay=0.25)  # lr 0.01
    m = x = 0.0
    for t, g in enumerate([1.0, -2.0, 0.5, 3.0]):
        opt.apply_gradients([(np.array([g], np.float32), w)])
        lr_t = 0.01 / (1 + 0.25 * t)
        m = 0.5 * m - lr_t * g
        x += m
        np.testing.assert_allclose(w.data, [x], rtol=1e-6, atol=1e-9)


def test_decay_round_trips_through_config():
    opt = optimizers.SGD(momentum=0.5, decay=0.0004)
    config = opt.get_config()
    assert config["decay"] == pytest.approx(0.0004)
    assert optimizers.SGD.from_config(config).decay == pytest.approx(0.0004)
    assert "decay" not in optimizers.SGD().get_config()  # Keras 3's keys otherwise


def test_keras2_config_dict_is_read():
    config = {
        "class_name": "SGD",
        "config": {
            "name": "SGD",
            "lr": 0.02,
            "decay": 0.0,
            "momentum": 0.9,
            "nesterov": False,
            "jit_compile": False,
            "is_legacy_optimizer": False,
        },
    }
    opt = optimizers.deserialize(config)
    assert isinstance(opt, optimizers.SGD)
    assert float(opt.learning_rate) == pytest.approx(0.02)
    assert opt.momentum == 0.9


def test_adadelta_default_learning_rate_is_keras2s():
    assert float(optimizers.Adadelta().learning_rate) == 1.0
    assert "1.0" in optimizers.Adadelta.__doc__


def test_keras3_defaults():
    assert float(optimizers.SGD().learning_rate) == pytest.approx(0.01)
    adam = optimizers.Adam()
    assert (adam.beta_1, adam.beta_2, adam.epsilon, adam.amsgrad) == (0.9, 0.999, 1e-7, False)
    assert optimizers.AdamW().weight_decay == 0.004
    assert optimizers.RMSprop().rho == 0.9
    assert optimizers.Adagrad().initial_accumulator_value == 0.1
    assert optimizers.Adam(epsilon=None).epsilon == 1e-7  # Keras 2's None -> K.epsilon()


# ---------------------------------------------------------------------- errors
def test_unknown_keyword_argument_names_it_and_lists_valid_ones():
    with pytest.raises(TypeError) as info:
        optimizers.SGD(momentun=0.9)
    message = str(info.value)
    assert "'momentun'" in message and "did you mean 'momentum'" in message
    for valid in ("learning_rate", "momentum", "nesterov", "clipnorm", "lr", "decay"):
        assert valid in message
    with pytest.raises(TypeError, match="beta1"):
        optimizers.Adam(beta1=0.9)


def test_unknown_name_lists_valid_names():
    with pytest.raises(ValueError) as info:
        optimizers.get("adamm")
    message = str(info.value)
    assert "'adamm'" in message and "Did you mean 'adam'" in message
    for valid in ("sgd", "adam", "adamw", "adadelta", "rmsprop", "adagrad", "adamax", "nadam"):
        assert valid in message


def test_invalid_arguments():
    with pytest.raises(ValueError, match="momentum"):
        optimizers.SGD(momentum=1.5)
    with pytest.raises(ValueError, match="weight_decay"):
        optimizers.AdamW(weight_decay=None)
    with pytest.raises(ValueError, match="Only one of"):
        optimizers.SGD(clipnorm=1.0, clipvalue=1.0)
    with pytest.raises(ValueError, match="gradient_accumulation_steps"):
        optimizers.SGD(gradient_accumulation_steps=1)
    with pytest.raises(ValueError, match="learning_rate"):
        optimizers.SGD(learning_rate="fast")
    with pytest.raises(ValueError, match="decay"):
        optimizers.SGD(decay=-1.0)


def test_gradient_shape_mismatch_is_an_error():
    w = Variable(np.zeros((2, 3), np.float32), name="w")
    with pytest.raises(ValueError, match=r"'w'.*\(3, 2\)"):
        optimizers.SGD().apply_gradients([(np.zeros((3, 2), np.float32), w)])


def test_variables_must_be_variables():
    with pytest.raises(TypeError, match="Variable"):
        optimizers.SGD().apply_gradients([(np.zeros(2), np.zeros(2))])


# ---------------------------------------------------------------------- look-up, config
@pytest.mark.parametrize(
    "name", ["sgd", "SGD", "Adam", "adamw", "ADADELTA", "rmsprop", "adagrad", "adamax", "nadam"]
)
def test_get_by_name(name):
    opt = optimizers.get(name)
    assert type(opt).__name__.lower() == name.lower()


def test_get_instance_dict_none():
    opt = optimizers.Adam()
    assert optimizers.get(opt) is opt
    assert optimizers.get(None) is None
    from_dict = optimizers.get({"class_name": "RMSprop", "config": {"learning_rate": 0.1}})
    assert isinstance(from_dict, optimizers.RMSprop)
    assert float(from_dict.learning_rate) == pytest.approx(0.1)
    with pytest.raises(ValueError, match="instance"):
        optimizers.get(optimizers.Adam)
    with pytest.raises(ValueError):
        optimizers.get(3)


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_serialize_round_trip(cls):
    opt = cls(clipnorm=2.0, **RICH[cls.__name__])
    data = json.loads(json.dumps(optimizers.serialize(opt)))  # JSON-able
    assert data["class_name"] == cls.__name__
    again = optimizers.deserialize(data)
    assert type(again) is cls
    assert again.get_config() == opt.get_config()
    assert optimizers.get(data).get_config() == opt.get_config()


def test_schedule_learning_rate_serializes():
    lr = schedules.CosineDecay(0.1, 100, alpha=0.1, warmup_target=0.2, warmup_steps=10)
    opt = optimizers.Adam(learning_rate=lr)
    again = optimizers.deserialize(json.loads(json.dumps(optimizers.serialize(opt))))
    assert isinstance(again.learning_rate_schedule, schedules.CosineDecay)
    assert again.learning_rate_schedule.get_config() == lr.get_config()


def test_names_are_unique_and_kept_by_config():
    a, b = optimizers.Nadam(), optimizers.Nadam()
    assert a.name != b.name and a.name.startswith("nadam")
    assert optimizers.Nadam(name="mine").name == "mine"
    assert optimizers.deserialize(optimizers.serialize(b)).name == b.name


# ---------------------------------------------------------------------- the update
@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_updates_in_place_keeping_float32(cls):
    variables = _variables()
    arrays = [v.data for v in variables]
    before = [a.copy() for a in arrays]
    opt = cls(**RICH[cls.__name__])
    _train(opt, variables, 3)
    for v, a, b in zip(variables, arrays, before):
        assert v.data is a  # same array, updated where it is
        assert a.dtype == np.float32
        assert not np.array_equal(a, b)
    for state in opt.variables[1:]:
        assert state.data.dtype == np.float32
    assert int(opt.iterations) == 3


def test_float64_variables_stay_float64():
    variables = _variables(dtype=np.float64)
    opt = optimizers.Adam(0.01)
    _train(opt, variables, 2)
    assert all(v.data.dtype == np.float64 for v in variables)
    assert all(s.data.dtype == np.float64 for s in opt.variables[2:])


def test_constraint_applied_after_update():
    w = Variable(np.zeros(3, np.float32), name="w", constraint=lambda a: np.clip(a, -0.1, 0.1))
    opt = optimizers.SGD(learning_rate=1.0, momentum=0.9)
    opt.apply_gradients([(np.array([-5.0, 0.05, 5.0], np.float32), w)])
    np.testing.assert_allclose(w.data, [0.1, -0.05, -0.1])
    # the slot keeps the unconstrained step
    np.testing.assert_allclose(opt._slot(w, "momentum"), [5.0, -0.05, -5.0])


def test_none_gradient_is_skipped():
    variables = _variables()
    opt = optimizers.Adam(0.1)
    _train(opt, variables, 1)
    bias = variables[1].data.copy()
    m_bias = opt._slot(variables[1], "momentum").copy()
    with pytest.warns(UserWarning, match="dense/bias"):
        opt.apply_gradients([(np.ones((4, 3), np.float32), variables[0]), (None, variables[1])])
    np.testing.assert_array_equal(variables[1].data, bias)
    np.testing.assert_array_equal(opt._slot(variables[1], "momentum"), m_bias)
    assert int(opt.iterations) == 2
    with pytest.raises(ValueError, match="No gradients"):
        opt.apply_gradients([(None, v) for v in variables])


def test_empty_gradient_list_is_a_no_op():
    opt = optimizers.SGD()
    opt.apply_gradients([])
    assert int(opt.iterations) == 0 and not opt.built


def test_variable_seen_late_gets_its_slots():
    a, b = _variables()
    opt = optimizers.Adam(0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        opt.apply_gradients([(np.ones(a.shape, np.float32), a), (None, b)])
        opt.apply_gradients([(np.ones(b.shape, np.float32), b)])
    names = [v.name for v in opt.variables]
    assert names == [
        "iteration",
        "learning_rate",
        "dense_kernel_momentum",
        "dense_kernel_velocity",
        "dense_bias_momentum",
        "dense_bias_velocity",
    ]
    assert not np.array_equal(opt._slot(b, "momentum"), 0)


def test_apply_without_variables_uses_the_built_ones():
    variables = _variables()
    opt = optimizers.SGD(0.1)
    with pytest.raises(ValueError, match="built"):
        opt.apply(_grads(0, variables))
    opt.build(variables)
    before = variables[0].data.copy()
    grads = _grads(0, variables)
    opt.apply(grads)
    np.testing.assert_allclose(variables[0].data, before - np.float32(0.1) * grads[0])


def test_gradients_in_other_dtypes_or_tensors_are_accepted():
    from npconv import Tensor

    w = Variable(np.zeros(2, np.float32), name="w")
    opt = optimizers.SGD(1.0)
    opt.apply_gradients([(np.array([1.0, 2.0]), w)])  # float64 gradient
    opt.apply_gradients([(Tensor(np.array([1.0, 1.0], np.float32)), w)])
    np.testing.assert_allclose(w.data, [-2.0, -3.0])
    assert w.data.dtype == np.float32


def test_weight_decay_and_exclusions():
    kernel, bias = _variables()
    k0, b0 = kernel.data.copy(), bias.data.copy()
    opt = optimizers.SGD(learning_rate=0.1, weight_decay=0.5)
    opt.exclude_from_weight_decay(var_names=["bias"])
    zeros = [np.zeros(kernel.shape, np.float32), np.zeros(bias.shape, np.float32)]
    opt.apply_gradients(zip(zeros, [kernel, bias]))
    np.testing.assert_allclose(kernel.data, k0 - k0 * np.float32(0.5) * np.float32(0.1))
    np.testing.assert_array_equal(bias.data, b0)
    with pytest.raises(ValueError, match="before"):
        opt.exclude_from_weight_decay(var_names=["kernel"])


def test_clipping_by_hand():
    g = np.array([3.0, 4.0], np.float32)  # norm 5
    for kwargs, expected in [
        ({"clipnorm": 1.0}, [-0.6, -0.8]),
        ({"clipvalue": 3.5}, [-3.0, -3.5]),
        ({"global_clipnorm": 10.0}, [-3.0, -4.0]),
    ]:
        w = Variable(np.zeros(2, np.float32), name="w")
        optimizers.SGD(1.0, **kwargs).apply_gradients([(g, w)])
        np.testing.assert_allclose(w.data, expected, rtol=1e-6)
    # global: both gradients scaled by the same factor
    a, b = Variable(np.zeros(1, np.float32)), Variable(np.zeros(1, np.float32))
    opt = optimizers.SGD(1.0, global_clipnorm=1.0)
    opt.apply_gradients([(np.array([3.0], np.float32), a), (np.array([4.0], np.float32), b)])
    np.testing.assert_allclose([a.data[0], b.data[0]], [-0.6, -0.8], rtol=1e-6)


def test_clipping_does_not_modify_callers_gradients():
    g = np.array([3.0, 4.0], np.float32)
    w = Variable(np.zeros(2, np.float32), name="w")
    optimizers.SGD(1.0, clipnorm=1.0).apply_gradients([(g, w)])
    np.testing.assert_array_equal(g, [3.0, 4.0])


def test_loss_scale_and_accumulation():
    opt = optimizers.SGD(1.0, loss_scale_factor=4.0)
    assert opt.scale_loss(2.0) == 8.0
    w = Variable(np.zeros(1, np.float32), name="w")
    opt.apply_gradients([(np.array([4.0], np.float32), w)])
    np.testing.assert_allclose(w.data, [-1.0])

    w = Variable(np.zeros(1, np.float32), name="w")
    opt = optimizers.SGD(1.0, gradient_accumulation_steps=2)
    opt.apply_gradients([(np.array([1.0], np.float32), w)])
    np.testing.assert_allclose(w.data, [0.0])  # accumulated, not applied
    opt.apply_gradients([(np.array([3.0], np.float32), w)])
    np.testing.assert_allclose(w.data, [-2.0])  # the mean of the two
    assert int(opt.iterations) == 1  # updates made, as Keras counts them


def test_ema_finalize():
    w = Variable(np.zeros(1, np.float32), name="w")
    opt = optimizers.SGD(1.0, use_ema=True, ema_momentum=0.5)
    for _ in range(3):
        opt.apply_gradients([(np.array([-1.0], np.float32), w)])
    # w: 1, 2, 3; average: 1, 1.5, 2.25
    np.testing.assert_allclose(w.data, [3.0])
    opt.finalize_variable_values([w])
    np.testing.assert_allclose(w.data, [2.25])


# ---------------------------------------------------------------------- learning rate
def test_learning_rate_variable_behaves_as_a_number():
    opt = optimizers.Adam(learning_rate=0.01)
    lr = opt.learning_rate
    assert float(lr) == pytest.approx(0.01)
    assert lr * 10 == pytest.approx(0.1)
    assert f"{lr:.3f}" == "0.010"
    assert lr > 0.001 and lr == np.float32(0.01)
    lr.assign(0.02)  # Keras's in-place set
    assert float(opt.learning_rate) == pytest.approx(0.02)
    opt.learning_rate = 0.5
    assert float(opt.learning_rate) == 0.5
    assert opt.get_config()["learning_rate"] == 0.5
    assert int(opt.iterations) == 0 and opt.iterations == 0


def test_learning_rate_schedule_and_callables():
    schedule = schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5)
    w = Variable(np.zeros(1, np.float32), name="w")
    opt = optimizers.SGD(learning_rate=schedule)
    assert [v.name for v in opt.variables] == ["iteration"]  # no rate variable, as Keras
    for _ in range(3):
        opt.apply_gradients([(np.ones(1, np.float32), w)])
    np.testing.assert_allclose(w.data, [-(0.1 + 0.05 + 0.025)], rtol=1e-6)
    assert float(opt.learning_rate) == pytest.approx(0.0125)
    with pytest.raises(TypeError, match="not settable"):
        opt.learning_rate = 0.1

    calls = []
    opt = optimizers.SGD(learning_rate=lambda: calls.append(1) or 0.5)  # Keras: no arguments
    opt.apply_gradients([(np.ones(1, np.float32), Variable(np.zeros(1, np.float32)))])
    assert calls
    opt = optimizers.SGD(learning_rate=lambda step: 1.0 / (step + 1))  # npconv: gets the step
    w = Variable(np.zeros(1, np.float32), name="w")
    for _ in range(2):
        opt.apply_gradients([(np.ones(1, np.float32), w)])
    np.testing.assert_allclose(w.data, [-1.5])

    opt = optimizers.SGD(0.0)  # 0.0 == iterations: removal must go by identity, not value
    opt.learning_rate = schedule  # a float optimizer can switch to a schedule
    assert [v.name for v in opt.variables] == ["iteration"]


# ---------------------------------------------------------------------- state
@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_state_round_trip_continues_identically(cls):
    variables = _variables()
    opt = cls(**RICH[cls.__name__])
    _train(opt, variables, 3)
    state = opt.get_weights()
    values = [v.data.copy() for v in variables]

    copies = [Variable(x, name=v.name) for x, v in zip(values, variables)]
    restored = optimizers.deserialize(optimizers.serialize(opt))
    restored.build(copies)
    restored.set_weights(state)
    assert int(restored.iterations) == 3

    _train(opt, variables, 3, start=3)
    _train(restored, copies, 3, start=3)
    for a, b in zip(variables, copies):
        np.testing.assert_array_equal(a.data, b.data)
    for a, b in zip(opt.get_weights(), restored.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "kwargs",
    [{"use_ema": True, "ema_overwrite_frequency": 2}, {"gradient_accumulation_steps": 2}],
)
def test_state_round_trip_with_ema_and_accumulation(kwargs):
    variables = _variables()
    opt = optimizers.Nadam(0.01, **kwargs)
    _train(opt, variables, 3)
    store = {}
    opt.save_own_variables(store)
    copies = [Variable(v.data, name=v.name) for v in variables]
    restored = optimizers.Nadam.from_config(opt.get_config())
    restored.build(copies)
    restored.load_own_variables(store)
    _train(opt, variables, 3, start=3)
    _train(restored, copies, 3, start=3)
    for a, b in zip(variables, copies):
        np.testing.assert_array_equal(a.data, b.data)


def test_set_weights_checks():
    opt = optimizers.Adam()
    with pytest.raises(ValueError, match="not yet been built"):
        opt.set_weights([])
    variables = _variables()
    _train(opt, variables, 1)
    state = opt.get_weights()
    with pytest.raises(ValueError, match="state variables"):
        opt.set_weights(state[:-1])
    state[-1] = np.zeros((7,), np.float32)
    with pytest.raises(ValueError, match="shape"):
        opt.set_weights(state)
    other = optimizers.Adam()
    with pytest.warns(UserWarning, match="Skipping"):
        other.load_own_variables({"0": np.int64(3)})


# ---------------------------------------------------------------------- schedules
def test_schedules_closed_form():
    steps = np.arange(30)
    exp = schedules.ExponentialDecay(0.1, 5, 0.5)
    np.testing.assert_allclose([exp(s) for s in steps], 0.1 * 0.5 ** (steps / 5), rtol=1e-6)
    stair = schedules.ExponentialDecay(0.1, 5, 0.5, staircase=True)
    np.testing.assert_allclose(
        [stair(s) for s in steps], 0.1 * 0.5 ** np.floor(steps / 5), rtol=1e-6
    )
    inv = schedules.InverseTimeDecay(0.1, 2, 0.3)
    np.testing.assert_allclose([inv(s) for s in steps], 0.1 / (1 + 0.3 * steps / 2), rtol=1e-6)
    inv_stair = schedules.InverseTimeDecay(0.1, 2, 0.3, staircase=True)
    np.testing.assert_allclose(
        [inv_stair(s) for s in steps], 0.1 / (1 + 0.3 * np.floor(steps / 2)), rtol=1e-6
    )
    piece = schedules.PiecewiseConstantDecay([3, 7], [1.0, 0.5, 0.1])
    assert [float(piece(s)) for s in (0, 3, 4, 7, 8, 100)] == pytest.approx(
        [1.0, 1.0, 0.5, 0.5, 0.1, 0.1]
    )
    cos = schedules.CosineDecay(0.2, 10, alpha=0.1)
    expected = [
        0.2 * ((1 - 0.1) * 0.5 * (1 + math.cos(math.pi * min(s, 10) / 10)) + 0.1) for s in steps
    ]
    np.testing.assert_allclose([cos(s) for s in steps], expected, rtol=1e-5, atol=1e-7)
    warm = schedules.CosineDecay(0.0, 10, warmup_target=0.4, warmup_steps=4)
    assert float(warm(0)) == 0.0
    assert float(warm(2)) == pytest.approx(0.2)
    assert float(warm(4)) == pytest.approx(0.4)
    assert float(warm(9)) == pytest.approx(0.4 * 0.5 * (1 + math.cos(math.pi * 5 / 10)))
    assert float(warm(50)) == pytest.approx(0.0, abs=1e-7)
    poly = schedules.PolynomialDecay(0.1, 10, 0.01, power=2.0)
    assert float(poly(5)) == pytest.approx(0.09 * 0.25 + 0.01)
    assert float(poly(20)) == pytest.approx(0.01)
    assert exp(3).dtype == np.float32


def test_inverse_time_decay_equals_keras2_decay():
    w1, w2 = Variable(np.ones(3, np.float32)), Variable(np.ones(3, np.float32))
    a = optimizers.SGD(0.1, momentum=0.5, decay=0.05)
    b = optimizers.SGD(schedules.InverseTimeDecay(0.1, 1, 0.05), momentum=0.5)
    for step in range(6):
        g = _grads(step, [w1])[0]
        a.apply_gradients([(g, w1)])
        b.apply_gradients([(g, w2)])
    np.testing.assert_array_equal(w1.data, w2.data)


def test_schedule_errors_and_config():
    with pytest.raises(ValueError, match="decay_steps"):
        schedules.ExponentialDecay(0.1, 0, 0.5)
    with pytest.raises(ValueError, match="length"):
        schedules.PiecewiseConstantDecay([1, 2], [1.0, 0.5])
    with pytest.raises(ValueError, match="Unknown learning rate schedule"):
        schedules.deserialize({"class_name": "Nope", "config": {}})
    with pytest.raises(NotImplementedError):
        schedules.LearningRateSchedule()(0)
    for schedule in [
        schedules.ExponentialDecay(0.1, 5, 0.5, staircase=True),
        schedules.InverseTimeDecay(0.1, 5, 0.5),
        schedules.PiecewiseConstantDecay([1], [0.1, 0.01]),
        schedules.PolynomialDecay(0.1, 5, cycle=True),
        schedules.CosineDecay(0.1, 5, warmup_target=0.2, warmup_steps=3),
        schedules.CosineDecayRestarts(0.1, 5, t_mul=3.0),
    ]:
        again = schedules.deserialize(json.loads(json.dumps(schedules.serialize(schedule))))
        assert type(again) is type(schedule)
        assert again.get_config() == schedule.get_config()
        assert [float(again(s)) for s in range(12)] == [float(schedule(s)) for s in range(12)]


def test_custom_schedule_via_custom_objects():
    class Halving(schedules.LearningRateSchedule):
        def __init__(self, start):
            self.start = start

        def __call__(self, step):
            return self.start / 2**step

        def get_config(self):
            return {"start": self.start}

    opt = optimizers.SGD(learning_rate=Halving(1.0))
    w = Variable(np.zeros(1, np.float32), name="w")
    for _ in range(3):
        opt.apply_gradients([(np.ones(1, np.float32), w)])
    np.testing.assert_allclose(w.data, [-1.75])
    config = optimizers.serialize(opt)
    with pytest.raises(ValueError, match="custom_objects"):
        optimizers.deserialize(config)
    again = optimizers.deserialize(config, custom_objects={"Halving": Halving})
    assert isinstance(again.learning_rate_schedule, Halving)
