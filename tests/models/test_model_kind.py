"""The small internal API the trainer, the file formats and the plots ask of a model:
``model_kind``, ``count_outputs()``, ``_output_names()``, ``_single_input_model()``."""

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
