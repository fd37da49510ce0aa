"""TensorFlow 2.11-2.15's ``keras.optimizers.legacy``: the same optimizers under the old path
(``keras.optimizers.legacy.Adam(lr=0.001)``), which Keras 3 removed."""

from . import SGD, Adadelta, Adagrad, Adam, Adamax, Nadam, RMSprop

__all__ = ["SGD", "Adam", "Adadelta", "RMSprop", "Adagrad", "Adamax", "Nadam"]


def __getattr__(name):
    from .._missing import not_provided

    raise not_provided(__name__, name, globals())
