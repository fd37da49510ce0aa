"""A grid of test images, each titled with the model's guess and the truth.

Tutorial 002's picture: ``'Prediction: {} - Actual: {}'`` over each MNIST digit. Wrong guesses
are titled in red so they stand out.
"""

from __future__ import annotations

import numpy as np

from ._figure import finish, new_figure
from ._labels import check_lengths, class_name, to_labels

TITLE = "Prediction: {} - Actual: {}"
WRONG_COLOR = "red"
RIGHT_COLOR = "black"


def as_images(images, name: str = "images") -> np.ndarray:
    """``images`` as ``(N, H, W)`` (grey) or ``(N, H, W, 3)`` (RGB); a channel axis of 1 is
    dropped. Anything else is a ``ValueError`` naming the shapes expected."""
    arr = np.asarray(getattr(images, "data", images))
    if arr.ndim == 4 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    if not (arr.ndim == 3 or (arr.ndim == 4 and arr.shape[-1] == 3)):
        raise ValueError(
            f"{name} must have shape (N, H, W), (N, H, W, 1) or (N, H, W, 3) "
            f"(channels last), got {arr.shape}"
        )
    if arr.dtype.kind not in "uif" or arr.dtype.kind == "b":
        raise ValueError(f"{name} must be numeric (uint8 or float), got dtype {arr.dtype}")
    return arr


def imshow_args(image: np.ndarray) -> tuple[np.ndarray, dict]:
    """Data and ``imshow`` keywords that draw ``image`` faithfully.

    uint8 grey: 0..255 fixed; float grey in [0, 1]: 0..1 fixed; other grey: the image's own
    range. RGB: uint8 as is; float in [0, 1] as is, float above 1 taken as 0..255 and scaled.
    """
    if image.ndim == 3:
        if image.dtype.kind == "f":
            image = image / 255.0 if image.max(initial=0) > 1.0 else image
            image = np.clip(image, 0.0, 1.0)
        else:
            image = np.clip(image, 0, 255).astype(np.uint8)
        return image, {}
    if image.dtype.kind in "ui":
        return image, {"cmap": "gray", "vmin": 0, "vmax": 255}
    if image.size and image.min() >= 0.0 and image.max() <= 1.0:
        return image, {"cmap": "gray", "vmin": 0.0, "vmax": 1.0}
    return image, {"cmap": "gray"}


def show_predictions(images, y_true, y_pred, class_names=None, n=16, cols=4, path=None):
    """Draw the first ``n`` images in a grid titled ``Prediction: X - Actual: Y``.

    Args:
        images: ``(N, H, W)``, ``(N, H, W, 1)`` or ``(N, H, W, 3)``, uint8 or float (as the
            dataset loaders return them, or scaled to [0, 1]).
        y_true, y_pred: ``(N,)`` integer labels, or ``(N, classes)`` one-hot / probability
            rows such as ``model.predict`` returns (their argmax is taken).
        class_names: names to print instead of label numbers (CIFAR-10's 'cat', ...).
        n: how many images to show (at most ``N``); ``cols``: images per row.
        path: if given, the figure is also written there (format from the extension).

    Returns the ``Figure``: one axes per image, titled in red where the prediction is wrong.
    """
    arr = as_images(images)
    t = to_labels(y_true, "y_true")
    p = to_labels(y_pred, "y_pred")
    total = check_lengths(images=arr, y_true=t, y_pred=p)
    if int(n) < 1 or int(cols) < 1:
        raise ValueError(f"n and cols must be at least 1, got n={n}, cols={cols}")
    count = min(int(n), total)
    if count == 0:
        raise ValueError("No images to show: images is empty")
    cols = min(int(cols), count)
    rows = -(-count // cols)
    titles = [
        TITLE.format(class_name(p[i], class_names), class_name(t[i], class_names))
        for i in range(count)
    ]
    # room for the longest title at 9 pt (about 0.075 inch a character), never under 2 inches
    cell = max(2.0, 0.075 * max(len(s) for s in titles))
    height, width = arr.shape[1:3]
    fig = new_figure(cell * cols, (cell * height / width + 0.35) * rows)
    for i in range(count):
        ax = fig.add_subplot(rows, cols, i + 1)
        data, kwargs = imshow_args(arr[i])
        ax.imshow(data, **kwargs)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(titles[i], fontsize=9, color=RIGHT_COLOR if p[i] == t[i] else WRONG_COLOR)
    return finish(fig, path)
