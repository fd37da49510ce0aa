"""Merge layers on inputs of different rank or broadcasting sizes, as Keras's."""

import numpy as np
import pytest


def test_inputs_of_lower_rank_get_axes_after_the_batch_axis_as_in_keras():
    """Keras 2's mnist_acgan: a (None, 100) latent code times an Embedding's (None, 1, 100)."""
    import npconv

    latent, label = npconv.Input((100,)), npconv.Input((1,), dtype="int32")
    embedded = npconv.layers.Embedding(10, 100)(label)
    joined = npconv.layers.multiply([latent, embedded])
    assert joined.shape == (None, 1, 100)
    model = npconv.Model([latent, label], joined)
    z = np.random.default_rng(0).random((3, 100)).astype("float32")
    ids = np.array([[1], [2], [7]])
    table = embedded.node.layer.get_weights()[0]
    np.testing.assert_allclose(model.predict([z, ids], verbose=0), z[:, None, :] * table[ids],
                               rtol=1e-6)
    a, b = npconv.Input((1, 5)), npconv.Input((4, 5))
    assert npconv.layers.add([a, b]).shape == (None, 4, 5)
    assert npconv.layers.average([npconv.Input((5,)), b]).shape == (None, 4, 5)
    with pytest.raises(ValueError, match="same shape .or sizes of 1 that broadcast"):
        npconv.layers.add([npconv.Input((3,)), npconv.Input((4,))])
