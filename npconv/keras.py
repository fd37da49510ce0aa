"""``from tensorflow import keras`` with one word changed: ``from npconv import keras`` gives
npconv itself, so ``keras.layers.Conv2D``, ``keras.Model`` and ``from npconv.keras import
layers`` read the same names as ``import npconv as keras``."""

import npconv as _npconv


def __getattr__(name):
    return getattr(_npconv, name)


def __dir__():
    return dir(_npconv)
