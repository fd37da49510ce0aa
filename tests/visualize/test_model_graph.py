"""plot_model: the graph it draws (boxes, labels, arrows) for Sequential and functional models
with branches, merges and several inputs/outputs; the files it writes by extension; its
errors (no graph, no matplotlib, model_to_dot)."""

from __future__ import annotations

import sys

import pytest

import npconv
from npconv import layers
from npconv.utils import model_to_dot, plot_model
from npconv.visualize.model_graph import _layout, layer_graph


def small_cnn():
    return npconv.Sequential([
        layers.Input((12, 12, 1)),
        layers.Conv2D(4, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dense(3, activation="softmax"),
    ])  # fmt: skip


def residual_two_heads():
    x = layers.Input((8, 8, 3), name="image")
    h = layers.Conv2D(4, 3, padding="same", name="c1")(x)
    y = layers.Conv2D(4, 3, padding="same", name="c2")(h)
    z = layers.add([h, y], name="sum")
    g = layers.GlobalAveragePooling2D(name="gap")(z)
    meta = layers.Input((2,), name="meta")
    c = layers.concatenate([g, meta], name="cat")
    return npconv.Model([x, meta], [layers.Dense(5, name="cls")(g), layers.Dense(1, name="reg")(c)])


def edges(boxes):
    return {(boxes[p].layer.name, b.layer.name) for b in boxes for p in b.preds}


def test_sequential_chain_labels():
    boxes = layer_graph(small_cnn(), show_shapes=True, show_layer_activations=True,
                        show_trainable=True)  # fmt: skip
    names = [b.layer.name for b in boxes]
    assert names[0].startswith("input_layer") and len(names) == 5
    assert edges(boxes) == set(zip(names, names[1:]))
    conv = boxes[1].lines
    assert conv == [f"{boxes[1].layer.name} (Conv2D)", "Input shape: (None, 12, 12, 1)",
                    "Output shape: (None, 10, 10, 4)", "Activation: relu", "Trainable: True"]
    assert layer_graph(small_cnn(), show_layer_names=False)[1].lines == ["Conv2D"]


def test_functional_merges_and_ranks():
    boxes = layer_graph(residual_two_heads())
    assert edges(boxes) == {
        ("image", "c1"), ("c1", "c2"), ("c1", "sum"), ("c2", "sum"), ("sum", "gap"),
        ("gap", "cls"), ("gap", "cat"), ("meta", "cat"), ("cat", "reg"),
    }
    _layout(boxes, "TB")
    rank = {b.layer.name: b.rank for b in boxes}
    # the longest path sets the rank; the second input sits just above the layer it feeds
    assert rank == {"image": 0, "c1": 1, "c2": 2, "sum": 3, "gap": 4, "meta": 4, "cls": 5,
                    "cat": 5, "reg": 6}  # fmt: skip
    by = {b.layer.name: b for b in boxes}
    assert by["image"].y > by["c1"].y > by["sum"].y  # top to bottom
    assert abs(by["cls"].x - by["cat"].x) > (by["cls"].w + by["cat"].w) / 2  # no overlap
    _layout(boxes, "LR")
    assert by["image"].x < by["c1"].x < by["sum"].x


def test_expand_nested():
    inner = npconv.Sequential([layers.Input((6,)), layers.Dense(4, name="d1"),
                               layers.Dense(2, name="d2")], name="block")  # fmt: skip
    x = layers.Input((6,), name="x")
    out = layers.Dense(1, name="head")(inner(x))
    model = npconv.Model(x, out)
    assert edges(layer_graph(model)) == {("x", "block"), ("block", "head")}
    assert edges(layer_graph(model, expand_nested=True)) == {
        ("x", "d1"), ("d1", "d2"), ("d2", "head")}  # fmt: skip


@pytest.mark.parametrize("ext, magic", [(".png", b"\x89PNG"), (".pdf", b"%PDF"),
                                        (".svg", b"<?xml")])  # fmt: skip
def test_writes_by_extension(tmp_path, ext, magic):
    target = tmp_path / "sub" / f"model{ext}"
    plot_model(residual_two_heads(), to_file=str(target), show_shapes=True, dpi=40)
    assert target.read_bytes().startswith(magic)
    assert [p.name for p in target.parent.iterdir()] == [target.name]  # no temporary left


def test_png_orientation(tmp_path):
    from PIL import Image

    plot_model(small_cnn(), to_file=str(tmp_path / "tb.png"), dpi=30)
    plot_model(small_cnn(), to_file=str(tmp_path / "lr.png"), rankdir="LR", dpi=30)
    w, h = Image.open(tmp_path / "tb.png").size
    assert h > 1.3 * w
    w, h = Image.open(tmp_path / "lr.png").size
    assert w > 3 * h


def test_errors(tmp_path, monkeypatch):
    class Sub(npconv.Model):
        def __init__(self):
            super().__init__()
            self.d = layers.Dense(2)

        def call(self, x):
            return self.d(x)

    with pytest.raises(ValueError, match="subclassed"):
        plot_model(Sub(), to_file=str(tmp_path / "s.png"))
    with pytest.raises(ValueError, match="rankdir"):
        plot_model(small_cnn(), to_file=str(tmp_path / "s.png"), rankdir="BT")
    with pytest.raises(NotImplementedError, match="plot_model"):
        model_to_dot(small_cnn())
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"npconv\[plot\]"):
        plot_model(small_cnn(), to_file=str(tmp_path / "m.png"))
    assert not (tmp_path / "m.png").exists()
