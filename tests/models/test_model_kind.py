"""The small internal API the trainer, the file formats and the plots ask of a model:
``model_kind``, ``count_outputs()``, ``_output_names()``, ``_single_input_model()``,
``graph_nodes()``, ``input_is_list``/``output_is_list``, ``walk_graph`` and
``Sequential.input_layer``."""

import numpy as np
import pytest

import npconv
from npconv import layers


class _Twice(npconv.Model):
    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(3)

    def call(self, x):
        return self.dense(x) * 2


def test_the_three_kinds_answer():
    seq = npconv.Sequential([npconv.Input((4,)), layers.Dense(2, name="head")])
    inp = npconv.Input((4,), name="x")
    a = layers.Dense(2, name="a")(inp)
    b = layers.Dense(1, name="b")(inp)
    functional = npconv.Model(inp, [a, b])
    subclassed = _Twice()
    assert seq.model_kind == "sequential"
    assert functional.model_kind == "functional"
    assert subclassed.model_kind == "subclassed"
    assert [m.count_outputs() for m in (seq, functional, subclassed)] == [1, 2, 1]
    assert seq._output_names() == ["head"] and functional._output_names() == ["a", "b"]
    assert seq._single_input_model() and functional._single_input_model()
    assert not subclassed._single_input_model()


def test_repeated_and_nested_output_names():
    inp = npconv.Input((4,))
    d = layers.Dense(2, name="d")
    twice = npconv.Model(inp, [d(inp), d(inp)])
    assert twice._output_names() == ["d_0", "d_1"]
    outer_in = npconv.Input((4,))
    first, second = twice(outer_in)
    outer = npconv.Model(outer_in, [second, first])
    assert outer._output_names() == ["d_1", "d_0"]


def test_a_list_of_one_input_stays_a_list():
    inp = npconv.Input((4,))
    listed = npconv.Model([inp], layers.Dense(1)(inp))
    plain = npconv.Model(inp, layers.Dense(1)(inp))
    xs = ["array"]
    assert listed._model_input(xs) == ["array"]
    assert plain._model_input(xs) == "array"


def test_graph_nodes_run_in_order_and_only_functional_models_have_them():
    inp = npconv.Input((4,), name="x")
    a = layers.Dense(2, name="a")(inp)
    b = layers.Dense(1, name="b")(a)
    model = npconv.Model(inp, b)
    nodes = model.graph_nodes()
    assert [n.layer.name for n in nodes] == ["x", "a", "b"]
    nodes.clear()  # a copy: the model's graph is untouched
    assert len(model.graph_nodes()) == 3
    for other in (npconv.Sequential([npconv.Input((4,)), layers.Dense(2)]), _Twice()):
        with pytest.raises(ValueError, match="not functional"):
            other.graph_nodes()


def test_input_and_output_lists_are_told_apart_from_bare_tensors():
    inp = npconv.Input((4,))
    out = layers.Dense(1)(inp)
    cases = {
        (False, False): npconv.Model(inp, out),
        (True, False): npconv.Model([inp], out),
        (False, True): npconv.Model(inp, [out]),
        (True, True): npconv.Model([inp], [out]),
    }
    for (listed_in, listed_out), model in cases.items():
        assert (model.input_is_list, model.output_is_list) == (listed_in, listed_out)
    seq = npconv.Sequential([npconv.Input((4,)), layers.Dense(1)])
    assert not seq.input_is_list and not seq.output_is_list
    assert not _Twice().input_is_list


def test_walk_graph_feeds_each_call_its_inputs():
    inp = npconv.Input((3,))
    d = layers.Dense(2, use_bias=False, kernel_initializer="ones")
    model = npconv.Model(inp, layers.Add()([d(inp), d(inp)]))
    seen = []

    def apply(node, args):
        seen.append(node.layer.name)
        return node.layer(args)

    y = model.walk_graph([np.ones((1, 3), np.float32)], apply)
    assert seen == [d.name, d.name, model.layers[-1].name]
    np.testing.assert_allclose(np.asarray(getattr(y, "data", y)), [[6.0, 6.0]])


def test_sequential_input_layer_is_the_one_it_started_with():
    first = layers.InputLayer(shape=(4,))
    assert npconv.Sequential([first, layers.Dense(2)]).input_layer is first
    assert npconv.Sequential([layers.Dense(2, input_shape=(4,))]).input_layer is None


def test_metric_specs_hold_compile_metrics_per_output_and_setting_them_takes_effect():
    inp = npconv.Input((4,), name="x")
    model = npconv.Model(inp, [layers.Dense(2, name="a")(inp), layers.Dense(1, name="b")(inp)])
    model.compile("sgd", "mse", metrics={"b": "mae"})
    assert model.metric_specs == [None, ["mae"]]
    model.metric_specs = [["mse"], None]  # as loading a model file does
    x = np.ones((2, 4), np.float32)
    logs = model.evaluate(x, [np.zeros((2, 2)), np.zeros((2, 1))], verbose=0, return_dict=True)
    assert "a_mse" in logs and "b_mae" not in logs
