"""``predict`` streams: memory holds the inputs as given, the outputs and one batch of
activations — never a float32 copy of all the inputs (issue 5: a million images)."""

import tracemalloc

import numpy as np

import npconv
from npconv.layers import Conv2D, Dense, GlobalAveragePooling2D


def test_predict_on_many_uint8_images_never_copies_them_all():
    model = npconv.Sequential([npconv.layers.Input((28, 28, 1)), Conv2D(4, 3, activation="relu"),
                               GlobalAveragePooling2D(), Dense(2, activation="softmax")])
    x = np.random.default_rng(0).integers(0, 256, (20_000, 28, 28, 1), dtype=np.uint8)
    float_copy = x.size * 4  # 62.7 MB: what converting the whole input would cost
    expected = model.predict(x[:300].astype(np.float32), batch_size=100, verbose=0)
    tracemalloc.start()
    try:
        out = model.predict(x, batch_size=256, verbose=0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert out.shape == (20_000, 2)
    np.testing.assert_allclose(out[:300], expected, rtol=1e-6, atol=1e-7)
    assert peak < float_copy / 4, f"peak {peak / 1e6:.1f} MB during predict"
