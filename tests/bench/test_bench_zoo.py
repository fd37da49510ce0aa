"""The bench zoo's npconv models: each builds from the one Keras source with Keras's parameter
count (stored from Keras 3.15, tools/bench_zoo_params.py), and one training step moves its
weights with a finite loss."""

import numpy as np
import pytest

import npconv
from npconv import _bench, _bench_zoo


@pytest.mark.parametrize("name", list(_bench_zoo.ZOO))
def test_zoo_model_builds_and_trains_one_step(name):
    spec = _bench_zoo.ZOO[name]
    npconv.utils.set_random_seed(0)
    model = _bench_zoo.build_keras_style(npconv, name)
    assert model.count_params() == _bench_zoo.KERAS_PARAMS[name]
    x, y = _bench._data(name, 1)
    x, y = x[:4], y[:4]  # one small batch: the step's arithmetic, not its speed
    assert model.predict(x, verbose=0).shape == ((4, *spec["input"]) if spec["loss"] == "binary"
                                                  else (4, 10))
    before = [w.copy() for w in model.get_weights()]
    history = model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    loss = history.history["loss"][0]
    assert np.isfinite(loss) and loss > 0
    moved = [not np.array_equal(a, b) for a, b in zip(before, model.get_weights())]
    assert sum(moved) >= len(model.trainable_weights) // 2, (name, moved)


def test_zoo_names_and_settings():
    assert set(_bench_zoo.TUTORIAL) < set(_bench_zoo.ZOO) == set(_bench_zoo.KERAS_PARAMS)
    assert _bench_zoo.ZOO["resnet20_b32"]["batch"] == 32
    assert _bench_zoo.ZOO["resnet20_b128"]["batch"] == 128
    with pytest.raises(ValueError, match="unknown model 'resnet'"):
        _bench_zoo.build_keras_style(npconv, "resnet")
