"""BatchNormalization's config carries its regularizers and constraints through a save."""

import numpy as np

import npconv
from npconv.layers import BatchNormalization, Dense


def test_regularizers_and_constraints_survive_save_and_load(tmp_path):
    model = npconv.Sequential([
        npconv.layers.Input((4,)),
        BatchNormalization(gamma_regularizer=npconv.regularizers.l2(0.1),
                           beta_regularizer=npconv.regularizers.l1(0.5),
                           beta_constraint=npconv.constraints.max_norm(2.0)),
        Dense(2),
    ])
    model.save(tmp_path / "bn.keras")
    loaded = npconv.models.load_model(tmp_path / "bn.keras")
    config = loaded.layers[0].get_config()
    assert config["gamma_regularizer"]["config"] == {"l2": 0.1}
    assert config["beta_constraint"]["config"]["max_value"] == 2.0
    loaded(np.ones((2, 4), "float32"))
    # gamma starts at ones, beta at zeros: 0.1 * 4 + 0.5 * 0
    assert float(sum(float(np.asarray(t.data)) for t in loaded.losses)) == np.float32(0.4)
