"""npconv.utils.Progbar (Keras's: averaged and stateful values, add(), one line without a
terminal), to_list, the custom-object registry and its scope."""

import io

import pytest

from npconv import utils
from npconv.utils import generic_utils


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progbar_without_a_terminal_prints_one_line_with_averaged_values():
    out = io.StringIO()
    bar = utils.Progbar(10, stream=out, stateful_metrics=["acc"])
    bar.update(5, [("loss", 1.0), ("acc", 0.5)])
    assert out.getvalue() == ""
    bar.add(5, [("loss", 3.0), ("acc", 0.75)])
    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    # loss is averaged over the steps (5 at 1.0, 5 at 3.0); acc, stateful, is shown as given
    assert lines[0].startswith("10/10 ") and lines[0].endswith("- loss: 2.0000 - acc: 0.7500")
    assert "/step" in lines[0]


def test_progbar_weights_values_by_the_steps_each_update_covers():
    out = io.StringIO()
    bar = utils.Progbar(None, stream=out, verbose=2, unit_name="batch")
    bar.update(3, [("x", 1.0)])
    bar.update(4, [("x", 2.0)], finalize=True)
    (line,) = out.getvalue().splitlines()
    assert line.startswith("4 ") and "/batch" in line and line.endswith("x: 1.2500")


def test_progbar_on_a_terminal_redraws_in_place():
    out = Terminal()
    bar = utils.Progbar(4, stream=out, interval=0.0)
    for step in range(1, 5):
        bar.update(step, [("loss", float(step))])
    text = out.getvalue()
    assert text.count("\r") == 4 and text.endswith("loss: 2.5000\n")


def test_progbar_verbose_0_is_silent():
    out = io.StringIO()
    bar = utils.Progbar(2, stream=out, verbose=0)
    bar.add(2, [("loss", 1.0)])
    assert out.getvalue() == ""


def test_keras2_generic_utils_path():
    assert generic_utils.Progbar is utils.Progbar
    assert utils.to_list((1, 2)) == [1, 2] and utils.to_list(3) == [3]
    x = [1]
    assert generic_utils.to_list(x) is x


def test_custom_objects_registry_is_live_and_scoped():
    def swish(x):
        return x

    assert "swish" not in utils.get_custom_objects()
    with utils.custom_object_scope({"swish": swish}):
        assert utils.get_custom_objects()["swish"] is swish
    assert "swish" not in utils.get_custom_objects()
    utils.get_custom_objects().update({"swish": swish})  # the Keras idiom registers
    try:
        from npconv.io import get_custom_objects

        assert get_custom_objects()["swish"] is swish
    finally:
        del utils.get_custom_objects()["swish"]


def test_unknown_utils_name():
    with pytest.raises(AttributeError, match="npconv does not provide npconv.utils.to_categorcal"):
        utils.to_categorcal  # noqa: B018
