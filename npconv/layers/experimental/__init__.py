"""TensorFlow 2.3-2.5's ``keras.layers.experimental`` path: ``from
npconv.layers.experimental.preprocessing import RandomFlip`` as tutorials of that time wrote."""

from . import preprocessing

__all__ = ["preprocessing"]
