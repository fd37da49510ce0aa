"""Where a CNN looked: Grad-CAM (Selvaraju et al. 2017) and gradient saliency (Simonyan et al.
2014), computed with npconv's autograd.

Grad-CAM follows the Keras example (keras-io ``vision/grad_cam.py``) step by step:

1. the class score is the model's output *before* its final softmax (the logit), as the
   example gets by setting the last layer's activation to ``None``;
2. its gradient with respect to the last convolution layer's output ``A`` ``(rows, cols, K)``;
3. channel weights ``alpha_k`` = the spatial mean of that gradient;
4. ``relu(sum_k alpha_k * A_k)``, divided by its maximum so that it lies in [0, 1] (a map that
   is zero everywhere stays zero; Keras's recipe would divide by zero there).

The saliency map is ``max over channels of |d score / d input|``, divided by its maximum.

Both take a batch and return one map per sample, for the predicted class (default) or for the
classes asked for; the samples are independent (the model runs in inference mode), so one
backward pass serves the whole batch. ``show_grad_cam`` draws a grid of inputs with the
Grad-CAM overlaid, like the other pictures of ``npconv.visualize``.
"""

from __future__ import annotations

import math

import numpy as np

from . import _trace
from ._figure import finish, new_figure


def last_conv_call(model, call_list, layer=None):
    """The call whose output Grad-CAM weighs: the call of ``layer`` (a name or Layer) or else
    the last convolution in running order."""
    from ..layers.convolutional import BaseConv

    if layer is not None:
        name = layer if isinstance(layer, str) else getattr(layer, "name", None)
        for call in call_list:
            if call.layer.name == name:
                return call
        raise ValueError(f"grad_cam: model '{model.name}' has no layer named {name!r}; its "
                         f"layers are {[c.layer.name for c in call_list]}")
    convs = [c for c in call_list if isinstance(c.layer, BaseConv)]
    if not convs:
        raise ValueError(f"grad_cam needs a convolution layer in model '{model.name}', found "
                         f"none among {[type(c.layer).__name__ for c in call_list]}")
    return convs[-1]


def _classes(class_index, n, predicted):
    if class_index is None:
        return predicted
    if np.ndim(class_index) == 0:
        return np.full(n, int(class_index), np.int64)
    classes = np.asarray(class_index, np.int64).reshape(-1)
    if len(classes) != n:
        raise ValueError(f"class_index names {len(classes)} classes for {n} samples")
    return classes


def class_gradients(model, x, class_index=None, layer=None, wrt_input=False):
    """One forward and one backward pass for the class scores of a batch.

    Returns ``(activations, gradients, classes, probabilities, call)``: the output of the
    Grad-CAM layer's ``call`` (or of the model's first input when ``wrt_input``) and the
    gradient of each sample's class score (pre-softmax) with respect to it, both as the layer
    gives them (channels first stays channels first), the classes used, and the model's
    output.
    """
    from ..autograd import Tensor, enable_grad

    xs = _trace.as_inputs(model, x)
    call_list = _trace.calls(model)
    target = "input:0" if wrt_input else last_conv_call(model, call_list, layer).output
    call = None if wrt_input else next(c for c in call_list if c.output == target)
    leaf = {}

    def watch(y):
        leaf["t"] = Tensor(np.array(_trace.to_array(y), dtype=np.float32), requires_grad=True)
        return leaf["t"]

    # only the watched tensor needs a gradient: the weights' would be work thrown away
    weights = list(getattr(model, "weights", []))
    saved = [(w.grad, w.requires_grad) for w in weights]
    for w in weights:
        w.requires_grad = False
    try:
        with enable_grad():
            values = _trace.run(call_list, xs, replace={target: watch})
            out = values[_trace.output_names(model, call_list)[0]]
            probabilities = _trace.to_array(out)
            logits = out.keras_logits[0] if getattr(out, "keras_logits", None) else out
            scores = np.asarray(_trace.to_array(logits))
            if scores.ndim != 2:
                raise ValueError(f"grad_cam expects a model that outputs class scores (batch, "
                                 f"classes); model '{model.name}' outputs {scores.shape}")
            classes = _classes(class_index, len(scores), scores.argmax(axis=1))
            if classes.min() < 0 or classes.max() >= scores.shape[1]:
                raise ValueError(f"class_index must be in [0, {scores.shape[1]}), got "
                                 f"{classes.tolist()}")
            pick = np.zeros(scores.shape, np.float32)
            pick[np.arange(len(scores)), classes] = 1.0
            (logits * Tensor(pick)).sum().backward()
    finally:
        for w, (g, needed) in zip(weights, saved):
            w.grad, w.requires_grad = g, needed
    grads = leaf["t"].grad
    if grads is None:
        grads = np.zeros_like(leaf["t"].data)
    return leaf["t"].data, np.asarray(grads), classes, probabilities, call


def _normalize(maps):
    top = maps.reshape(len(maps), -1).max(axis=1)
    top = np.where(top > 0, top, 1.0).reshape(-1, *[1] * (maps.ndim - 1))
    return (maps / top).astype(np.float32)


def grad_cam(model, x, class_index=None, layer=None, normalize=True):
    """Grad-CAM heatmaps of a batch: ``(batch, *spatial)`` at the resolution of the chosen
    convolution's output (e.g. ``(batch, rows, cols)``), in [0, 1] when ``normalize``.

    Args:
        model: an npconv model (Sequential, functional or imported from a Keras file) whose
            output is class probabilities or scores ``(batch, classes)``.
        x: a batch shaped like the model's input (one sample without the batch axis is
            accepted), or a list of batches for a model with several inputs.
        class_index: ``None`` for each sample's predicted class, one int for all, or one per
            sample.
        layer: the convolution layer to explain (name or Layer); default the last one.
    """
    return _grad_cam(model, x, class_index, layer, normalize)[0]


def _grad_cam(model, x, class_index, layer, normalize):
    """``(heatmaps, the classes explained)``."""
    acts, grads, classes, _, call = class_gradients(model, x, class_index, layer)
    if getattr(call.layer, "data_format", "channels_last") == "channels_first":
        acts, grads = np.moveaxis(acts, 1, -1), np.moveaxis(grads, 1, -1)
    if acts.ndim < 3:
        raise ValueError(f"grad_cam needs a layer with spatial axes; '{call.layer.name}' "
                         f"outputs {acts.shape}")
    spatial = tuple(range(1, acts.ndim - 1))
    alpha = grads.astype(np.float64).mean(axis=spatial, keepdims=True)
    cam = np.maximum((acts * alpha).sum(axis=-1), 0.0).astype(np.float32)
    return (_normalize(cam) if normalize else cam), classes


def saliency(model, x, class_index=None, normalize=True):
    """Gradient saliency of a batch: ``max over channels |d score / d input|``, shaped like the
    model's (first) input without its channel axis, in [0, 1] when ``normalize``."""
    _, grads, _, _, _ = class_gradients(model, x, class_index, wrt_input=True)
    first = _channels_first_input(model)
    sal = np.abs(grads).max(axis=1 if first else -1) if grads.ndim >= 3 else np.abs(grads)
    return _normalize(sal) if normalize else sal.astype(np.float32)


def _channels_first_input(model) -> bool:
    calls = _trace.calls(model)
    return bool(calls) and getattr(calls[0].layer, "data_format", None) == "channels_first"


def upsample(heatmap: np.ndarray, shape) -> np.ndarray:
    """A 2-D ``heatmap`` resized to ``shape`` (rows, cols) by bilinear interpolation with
    aligned corners' centres (pixel centres map onto pixel centres)."""
    h = np.asarray(heatmap, np.float64)
    rows, cols = shape

    def axis(n_in, n_out):
        pos = (np.arange(n_out) + 0.5) * n_in / n_out - 0.5
        pos = np.clip(pos, 0, n_in - 1)
        lo = np.floor(pos).astype(int)
        hi = np.minimum(lo + 1, n_in - 1)
        return lo, hi, pos - lo

    r0, r1, rf = axis(h.shape[0], rows)
    c0, c1, cf = axis(h.shape[1], cols)
    top = h[r0][:, c0] * (1 - cf) + h[r0][:, c1] * cf
    bottom = h[r1][:, c0] * (1 - cf) + h[r1][:, c1] * cf
    return (top * (1 - rf[:, None]) + bottom * rf[:, None]).astype(np.float32)


def _colormap(name):
    from ._figure import require_matplotlib

    return require_matplotlib().colormaps[name]


def _display_image(x):
    """A sample ``(rows, cols, channels)`` as something ``imshow`` draws: grey or RGB in
    [0, 1]."""
    img = np.asarray(x, np.float64)
    if img.ndim == 3 and img.shape[-1] == 1:
        img = img[..., 0]
    if img.ndim == 3 and img.shape[-1] != 3:
        img = img.mean(axis=-1)
    lo, hi = float(img.min()), float(img.max())
    return (img - lo) / (hi - lo) if hi > lo else np.zeros_like(img)


def show_grad_cam(model, x, y=None, class_names=None, class_index=None, layer=None,
                  max_images=16, alpha=0.6, path=None):
    """A grid of images with their Grad-CAM overlaid; return the ``Figure``.

    The heatmap is drawn in jet colours with an opacity of ``alpha`` times its value, so that
    the image shows through where the class has no evidence. Each panel is titled with the
    class explained (``Prediction: 7 - Actual: 7`` when labels ``y`` are given; ``Class: ...``
    with ``class_index``); a map that is zero everywhere says so. ``x`` holds images ``(N,
    rows, cols, channels)`` for a one-input 2-D model.
    """
    from ._labels import class_name, to_labels

    xs = _trace.as_inputs(model, x)
    if len(xs) != 1 or xs[0].ndim != 4:
        raise ValueError("show_grad_cam draws images: a model with one 2-D image input "
                         f"(batch, rows, cols, channels); got inputs {[a.shape for a in xs]}")
    images = xs[0][: int(max_images)]
    if _channels_first_input(model):
        images_cl = np.moveaxis(images, 1, -1)
    else:
        images_cl = images
    cams, classes = _grad_cam(model, images, class_index, layer, normalize=True)
    labels = None if y is None else to_labels(y)[: len(images)]
    n = len(images)
    cols = min(n, 8)
    rows = math.ceil(n / cols)
    fig = new_figure(1.6 * cols, 1.8 * rows + 0.5)
    layer_name = last_conv_call(model, _trace.calls(model), layer).layer.name
    fig.suptitle(f"Grad-CAM at '{layer_name}' for the "
                 + ("predicted class" if class_index is None else "class named in each title")
                 + " (red: most evidence)", fontsize=9)
    jet = _colormap("jet")
    for i in range(n):
        ax = fig.add_subplot(rows, cols, i + 1)
        img = _display_image(images_cl[i])
        ax.imshow(img, cmap="gray" if img.ndim == 2 else None, interpolation="nearest")
        if cams[i].ndim == 2:
            heat = upsample(cams[i], img.shape[:2])
            overlay = jet(heat)
            overlay[..., 3] = alpha * heat  # transparent where there is no evidence
            ax.imshow(overlay, interpolation="bilinear")
        name = class_name(int(classes[i]), class_names)
        title = f"Prediction: {name}" if class_index is None else f"Class: {name}"
        if labels is not None:
            title += f" - Actual: {class_name(int(labels[i]), class_names)}"
        if not cams[i].any():
            title += "\n(zero everywhere)"
        ax.set_title(title, fontsize=7)
        ax.set_xticks([])
        ax.set_yticks([])
    return finish(fig, path)


def show_saliency(model, x, class_index=None, max_images=16, path=None):
    """A grid of images above their gradient saliency maps; return the ``Figure``."""
    xs = _trace.as_inputs(model, x)
    if len(xs) != 1 or xs[0].ndim != 4:
        raise ValueError("show_saliency draws images: a model with one 2-D image input; got "
                         f"inputs {[a.shape for a in xs]}")
    images = xs[0][: int(max_images)]
    images_cl = np.moveaxis(images, 1, -1) if _channels_first_input(model) else images
    sal = saliency(model, images, class_index=class_index)
    n = len(images)
    fig = new_figure(1.4 * n, 3.0)
    for i in range(n):
        for row, (picture, cmap) in enumerate(((_display_image(images_cl[i]), "gray"),
                                              (sal[i], "hot"))):
            ax = fig.add_subplot(2, n, row * n + i + 1)
            ax.imshow(picture, cmap=cmap if picture.ndim == 2 else None,
                      interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_ylabel("input" if row == 0 else "saliency", fontsize=8)
    return finish(fig, path)
