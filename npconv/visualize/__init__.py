"""Plots people look at while learning CNNs: learning curves, prediction grids, filters,
feature maps, the confusion matrix, Grad-CAM and saliency; and ``explain``, the explainer page
(one self-contained HTML file showing a model's every layer and the arithmetic of any value).

matplotlib is an optional extra (``pip install "npconv[plot]"``), imported only when a plot is
drawn; ``confusion_matrix`` needs NumPy only. Every plot function returns a
``matplotlib.figure.Figure`` (made without ``pyplot``, so no GUI is needed and no global state
changes) and, given ``path=``, also writes it there atomically, creating the folder.
"""

from .confusion import confusion_matrix, plot_confusion_matrix
from .explain import explain
from .feature_maps import show_feature_maps
from .filters import show_filters
from .grad_cam import grad_cam, saliency, show_grad_cam, show_saliency
from .history import plot_history
from .predictions import show_predictions

__all__ = [
    "confusion_matrix",
    "explain",
    "grad_cam",
    "plot_confusion_matrix",
    "plot_history",
    "saliency",
    "show_feature_maps",
    "show_filters",
    "show_grad_cam",
    "show_predictions",
    "show_saliency",
]
