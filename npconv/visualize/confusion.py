"""The confusion matrix: how often each true class was predicted as each class.

``confusion_matrix`` is pure NumPy (usable with no matplotlib); ``plot_confusion_matrix`` draws
it as a heat map with the count (or the fraction) written in each cell.
"""

from __future__ import annotations

import numpy as np

from ._figure import finish, new_figure
from ._labels import check_lengths, to_labels

# Above this many classes the per-cell numbers would be unreadable (and slow to draw).
_MAX_ANNOTATED_CLASSES = 30


def confusion_matrix(y_true, y_pred, num_classes=None) -> np.ndarray:
    """Counts ``cm[i, j]`` of samples of true class ``i`` predicted as class ``j``.

    Args:
        y_true, y_pred: ``(N,)`` integer labels, or ``(N, classes)`` one-hot / probability
            rows (their argmax is taken), in any mix.
        num_classes: size ``K`` of the matrix; by default one more than the largest label seen
            (or the width of a one-hot / probability input, if larger).

    Returns:
        an int64 array ``(K, K)``: rows are true classes, columns predicted classes (the layout
        of scikit-learn and ``tf.math.confusion_matrix``). ``cm.trace() / cm.sum()`` is the
        accuracy.
    """
    t = to_labels(y_true, "y_true")
    p = to_labels(y_pred, "y_pred")
    check_lengths(y_true=t, y_pred=p)
    seen = max(int(t.max(initial=-1)), int(p.max(initial=-1))) + 1
    if num_classes is None:
        widths = [np.ndim(y) == 2 and np.shape(y)[1] for y in (y_true, y_pred)]
        num_classes = max([seen] + [int(w) for w in widths if w and w > 1])
    num_classes = int(num_classes)
    if num_classes < 1:
        raise ValueError(f"num_classes must be at least 1, got {num_classes}")
    if seen > num_classes:
        raise ValueError(
            f"Class label {seen - 1} does not fit num_classes={num_classes} "
            f"(labels must be in 0..{num_classes - 1})"
        )
    flat = np.bincount(t * num_classes + p, minlength=num_classes * num_classes)
    return flat.reshape(num_classes, num_classes).astype(np.int64)


def plot_confusion_matrix(y_true, y_pred, class_names=None, normalize=False, path=None):
    """Draw the confusion matrix as a heat map; return the ``Figure`` (saved to ``path``).

    Args:
        y_true, y_pred: as for ``confusion_matrix``.
        class_names: names of the classes, in label order; they label the axes and fix the
            number of classes.
        normalize: if true, show each row as fractions of that true class (rows sum to 1; a
            class with no samples shows zeros), which makes per-class recall readable when
            classes are unbalanced.
        path: if given, the figure is also written there (format from the extension).

    The title gives the overall accuracy. Each cell is annotated with its count (or fraction)
    when there are at most 30 classes.
    """
    num_classes = None if class_names is None else len(class_names)
    cm = confusion_matrix(y_true, y_pred, num_classes=num_classes)
    k = cm.shape[0]
    total = int(cm.sum())
    correct = int(np.trace(cm))
    values = cm.astype(np.float64)
    if normalize:
        rows = values.sum(axis=1, keepdims=True)
        values = np.divide(values, rows, out=np.zeros_like(values), where=rows > 0)
    names = [str(c) for c in class_names] if class_names is not None else [str(i) for i in range(k)]

    side = min(max(4.0, 0.55 * k + 2.5), 20.0)
    fig = new_figure(side + 1.0, side)
    ax = fig.add_subplot(1, 1, 1)
    image = ax.imshow(values, cmap="Blues", vmin=0, vmax=1 if normalize else max(1, values.max()))
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    accuracy = f"accuracy {correct / total:.3f} ({correct}/{total})" if total else "no samples"
    ax.set_title(
        f"Confusion matrix{' (normalized per true class)' if normalize else ''}\n{accuracy}"
    )
    ax.set_xlabel("Predicted label")
    ax.set_ylabel("True label")
    ax.set_xticks(range(k))
    ax.set_yticks(range(k))
    ax.set_xticklabels(
        names,
        rotation=45 if class_names is not None else 0,
        ha="right" if class_names is not None else "center",
        rotation_mode="anchor",
    )
    ax.set_yticklabels(names)
    if k <= _MAX_ANNOTATED_CLASSES:
        threshold = (1.0 if normalize else max(1.0, values.max())) / 2
        size = 10 if k <= 10 else 7
        for i in range(k):
            for j in range(k):
                text = f"{values[i, j]:.2f}" if normalize else str(cm[i, j])
                color = "white" if values[i, j] > threshold else "black"
                ax.text(j, i, text, ha="center", va="center", color=color, fontsize=size)
    return finish(fig, path)
