"""The corpus of Keras CNN programs (examples/keras_programs/) runs with `keras` replaced by
`npconv`, one epoch each, and builds the same models as real Keras.

Each program is run as a user would run it after the one-word change (`tensorflow` too, for
the programs whose `train_step` uses `tf.GradientTape`); only the epoch counts are set to 1.
The parameter counts of each program's models are compared with those real Keras printed
for the same program (tests/references/keras_programs.json, made by
tools/keras_references/keras_programs.py), and each program's own results are checked.
"""

import json
import pathlib
import sys

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
PROGRAMS = ROOT / "examples" / "keras_programs"
KERAS = json.loads((ROOT / "tests" / "references" / "keras_programs.json").read_text())
sys.path.insert(0, str(PROGRAMS))
from _runner import run_program  # noqa: E402


def check_mnist_convnet(ns):
    assert ns["score"][1] > 0.5  # one epoch of 1,080 real digits; chance is 0.1


def check_cifar10_resnet(ns):
    saved = list(pathlib.Path("saved_models").glob("cifar10_ResNet20v1_model.*.h5"))
    assert saved, "ModelCheckpoint wrote no .h5 file"
    assert np.isfinite(ns["scores"][0])


def check_cifar10_cnn_augmentation(ns):
    assert pathlib.Path(ns["model_path"]).is_file()
    assert np.isfinite(ns["scores"][0])


def check_vgg_batchnorm_cifar10(ns):
    assert pathlib.Path("best_model.h5").is_file()
    assert 0.0 <= ns["acc"] <= 1.0


def check_conv_autoencoder(ns):
    assert ns["predictions"].shape == (300, 28, 28, 1)
    assert ns["predictions"].min() >= 0.0 and ns["predictions"].max() <= 1.0


def check_mnist_denoising_autoencoder(ns):
    assert ns["x_decoded"].shape == (300, 28, 28, 1)
    assert ns["history"].history["loss"][-1] < 0.25  # mse of a constant 0.5 guess is ~0.19+


def check_mnist_transfer_cnn(ns):
    assert ns["first_score"][1] > 0.5  # digits 0-4, chance 0.2
    assert all(np.array_equal(a, b)
               for a, b in zip(ns["frozen"], ns["model"].layers[0].get_weights()))


def check_mnist_siamese(ns):
    assert ns["te_acc"] > 0.6  # 3 epochs; real Keras 2 gets 0.73 on these pairs, chance 0.5


def check_lenet5(ns):
    assert len(ns["predicted"]) == 10
    assert "val_accuracy" in ns["history"].history


def check_vae(ns):
    losses = ns["history"].history
    assert {"loss", "reconstruction_loss", "kl_loss"} <= set(losses)
    assert ns["decoded"].shape == (16, 28, 28, 1)


def check_dcgan(ns):
    assert {"d_loss", "g_loss"} <= set(ns["history"].history)
    assert ns["monitor"].samples[-1].shape == (10, 28, 28, 1)


def check_knowledge_distillation(ns):
    assert ns["distiller_scores"] is not None and ns["scratch_scores"] is not None


def check_timeseries_conv1d(ns):
    assert pathlib.Path("best_model.keras").is_file()
    assert 0.0 <= ns["test_acc"] <= 1.0


def check_image_classification_from_folder(ns):
    assert 0.0 <= ns["score"] <= 1.0
    assert pathlib.Path("save_at_1.keras").is_file()


def check_mnist_acgan(ns):
    assert len(ns["history"]["test"]) == 1
    assert np.all(np.isfinite(ns["history"]["generator"][-1]))


def check_imdb_cnn(ns):
    assert ns["x_train"].shape == (480, 400) and ns["x_train"].dtype == np.int32
    assert int(ns["x_train"].max()) < ns["max_features"]  # num_words cut the rarer words
    assert ns["history"].history["val_accuracy"][-1] > 0.75  # chance is about 0.5


def check_metric_learning(ns):
    # one epoch of 200 anchor/positive batches; a random embedding finds the class of a test
    # digit's nearest neighbour about a tenth of the time
    assert ns["neighbour_accuracy"] > 0.6
    assert np.allclose(np.linalg.norm(ns["embeddings"], axis=1), 1.0, atol=1e-5)


def check_residual_convnet(ns):
    assert ns["reloaded_pred"].shape == (16, 10)
    np.testing.assert_allclose(ns["reloaded_pred"], ns["pred"], atol=1e-5)
    assert {"loss", "acc", "val_loss", "val_acc"} <= set(ns["history"].history)
    assert ns["scores"]["acc"] > 0.2  # one epoch on 960 digits; chance is 0.1


def check_pixelcnn(ns):
    # the masked convolutions' weights are the custom layers' (61,057 as in Keras) and learn:
    # below the 0.693 of predicting 0.5 for every pixel
    assert ns["history"].history["val_loss"][-1] < 0.68
    assert set(np.unique(ns["pixels"][:, :3])) <= {0.0, 1.0}


# Epochs where one is too few to check that the program learns.
EPOCHS = {"mnist_siamese.py": 3, "imdb_cnn.py": 2}  # imdb_cnn: its own count
PROGRAM_NAMES = sorted(p.name for p in PROGRAMS.glob("[!_]*.py"))


def test_every_program_has_a_check_and_a_keras_reference():
    assert len(PROGRAM_NAMES) >= 10
    for name in PROGRAM_NAMES:
        assert f"check_{name[:-3]}" in globals(), name
        assert "count_params" in KERAS[name], f"real Keras did not run {name}"


@pytest.mark.parametrize("name", PROGRAM_NAMES)
def test_program_runs_under_npconv(name, data_dir):
    ns = run_program(PROGRAMS / name, package="npconv", epochs=EPOCHS.get(name, 1))
    for model, count in KERAS[name]["count_params"].items():
        assert ns[model].count_params() == count, model
    globals()[f"check_{name[:-3]}"](ns)


def test_runner_makes_the_one_word_change_of_tf_keras_programs(tmp_path):
    from _runner import source_for

    program = tmp_path / "p.py"
    program.write_text("from tensorflow import keras\nimport tensorflow as tf\n"
                       "from tensorflow.keras import layers\nNUM_EPOCHS = 10\n"
                       "initial_epoch = 3\nmodel.fit(x, epochs=20)\n")
    assert source_for(program) == ("import npconv\nimport npconv as tf\nfrom npconv import layers\n"
                                    "NUM_EPOCHS = 1\ninitial_epoch = 3\nmodel.fit(x, epochs=1)\n")
