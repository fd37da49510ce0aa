"""``plot_model`` and ``model_to_dot`` at Keras's path, ``keras.utils``; drawn with matplotlib by
``npconv.visualize.model_graph``, imported only when called (matplotlib is the ``[plot]``
extra)."""

from __future__ import annotations

__all__ = ["plot_model", "model_to_dot"]


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False,
               show_layer_names=True, rankdir="TB", expand_nested=False, dpi=200,
               show_layer_activations=False, show_trainable=False, **kwargs):  # fmt: skip
    """Draw ``model``'s layer graph to ``to_file``; see ``npconv.visualize.model_graph``."""
    from ..visualize.model_graph import plot_model as draw

    return draw(model, to_file=to_file, show_shapes=show_shapes, show_dtype=show_dtype,
                show_layer_names=show_layer_names, rankdir=rankdir,
                expand_nested=expand_nested, dpi=dpi,
                show_layer_activations=show_layer_activations, show_trainable=show_trainable,
                **kwargs)  # fmt: skip


def model_to_dot(model, *args, **kwargs):
    """Not provided: npconv draws with matplotlib (``plot_model``), not pydot/Graphviz."""
    from ..visualize.model_graph import model_to_dot as refuse

    return refuse(model, *args, **kwargs)
