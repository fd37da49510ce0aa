"""The learned kernels of a convolution layer, one small image per filter.

A first-layer ``Conv2D`` kernel has Keras's layout ``(kh, kw, in_channels, filters)``. Each
filter is drawn as a ``kh x kw`` image: its RGB kernel when the layer reads 3 channels (a colour
image), otherwise its weights on input channel 0 in grey. Each filter is scaled on its own to
[0, 1] (``(w - min) / (max - min)``), so the pattern shows whatever the weights' magnitude; a
constant filter is drawn mid-grey (0.5).
"""

from __future__ import annotations

import math

import numpy as np

from ._figure import finish, new_figure
from ._layers import describe_layers, is_conv2d, model_layers, resolve_layer


def normalize_filter(w: np.ndarray) -> np.ndarray:
    """``w`` scaled to [0, 1] by its own min and max (0.5 everywhere if constant)."""
    w = np.asarray(w, dtype=np.float64)
    lo, hi = float(w.min()), float(w.max())
    if hi == lo:
        return np.full(w.shape, 0.5)
    return (w - lo) / (hi - lo)


def filter_images(kernel: np.ndarray) -> list[np.ndarray]:
    """One normalised image per filter of a ``(kh, kw, in, filters)`` kernel: ``(kh, kw, 3)``
    when ``in == 3``, else ``(kh, kw)`` from input channel 0."""
    kernel = np.asarray(kernel)
    rgb = kernel.shape[2] == 3
    return [
        normalize_filter(kernel[:, :, :, f] if rgb else kernel[:, :, 0, f])
        for f in range(kernel.shape[3])
    ]


def _find_kernel(model_or_layer, layer):
    """(name, kernel) of the layer to draw."""
    from ..layers.base import Layer

    if isinstance(model_or_layer, np.ndarray):
        if layer is not None:
            raise ValueError("layer= is for models; a kernel array was given directly")
        target, name = None, "kernel"
        kernel = model_or_layer
    else:
        if hasattr(model_or_layer, "layers") and not is_conv2d(model_or_layer):
            if layer is not None:
                target = resolve_layer(model_or_layer, layer)
            else:
                layers = model_layers(model_or_layer)
                target = next((x for x in layers if is_conv2d(x)), None)
                if target is None:
                    raise ValueError(
                        f"show_filters expected a Conv2D layer in model '{model_or_layer.name}' "
                        f"(kernel (kh, kw, in_channels, filters)), found none; its layers are "
                        f"{describe_layers(layers)}"
                    )
        elif isinstance(model_or_layer, Layer):
            if layer is not None:
                raise ValueError("layer= is for models; a layer was given directly")
            target = model_or_layer
        else:
            raise TypeError(
                "show_filters expects a model, a Conv2D layer or a (kh, kw, in, filters) kernel "
                f"array, got {type(model_or_layer)!r}"
            )
        kernel_var = getattr(target, "kernel", None)
        if kernel_var is None:
            built = getattr(target, "built", True)
            why = "it is not built yet (call it on data first)" if not built else "it has none"
            raise ValueError(
                f"show_filters expected a Conv2D layer with a kernel; {type(target).__name__} "
                f"'{target.name}' has no kernel: {why}"
            )
        name = target.name
        kernel = np.asarray(getattr(kernel_var, "data", kernel_var))
    if kernel.ndim != 4:
        raise ValueError(
            f"show_filters draws 2-D kernels of shape (kh, kw, in_channels, filters); "
            f"'{name}' has a kernel of shape {kernel.shape}"
        )
    return name, kernel


def show_filters(model_or_layer, layer=None, path=None, max_filters=64):
    """Draw the kernels of a ``Conv2D`` layer as a grid; return the ``Figure``.

    Args:
        model_or_layer: a model (its first ``Conv2D`` layer is used, unless ``layer`` names
            another), a ``Conv2D`` layer, or a kernel array ``(kh, kw, in_channels, filters)``.
        layer: with a model, the layer to draw: its name, its index in ``model.layers``, or the
            layer object.
        path: if given, the figure is also written there (format from the extension).
        max_filters: draw at most this many filters (the first ones).

    Each axes shows one filter (normalised on its own, see the module docstring) titled with
    its index; the figure title gives the layer name, the kernel size and the channel drawn.
    """
    name, kernel = _find_kernel(model_or_layer, layer)
    if int(max_filters) < 1:
        raise ValueError(f"max_filters must be at least 1, got {max_filters}")
    kh, kw, channels, filters = kernel.shape
    images = filter_images(kernel[..., : int(max_filters)])
    count = len(images)
    cols = math.ceil(math.sqrt(count))
    rows = math.ceil(count / cols)
    cell = 1.1
    fig = new_figure(max(3.5, cell * cols), cell * rows * kh / kw + 0.6)
    for f, image in enumerate(images):
        ax = fig.add_subplot(rows, cols, f + 1)
        if image.ndim == 3:
            ax.imshow(image, interpolation="nearest")
        else:
            ax.imshow(image, cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(str(f), fontsize=7)
    drawn = {1: "grey", 3: "RGB"}.get(channels, f"input channel 0 of {channels}")
    fig.suptitle(f"{name}: {count} of {filters} filters, {kh}x{kw}, {drawn}", fontsize=10)
    return finish(fig, path)
