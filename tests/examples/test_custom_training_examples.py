"""The custom-training examples (keras-io's VAE, DCGAN and knowledge distillation with
``keras`` -> ``npconv``) learn on the bundled digits in a few steps. Run as scripts they train
longer and save pictures; here each trains on a slice for a few batches."""

import importlib.util
import pathlib

import numpy as np

import npconv

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"


def _load(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_vae_loss_falls_and_reconstructions_have_the_digits_shape():
    vae_example = _load("vae")
    npconv.utils.set_random_seed(0)
    digits, _ = vae_example.load_digits()
    vae, history = vae_example.train(digits[:256], epochs=3, batch_size=32, verbose=0)
    losses = history.history["loss"]
    assert set(history.history) == {"loss", "reconstruction_loss", "kl_loss"}
    assert losses[-1] < 0.8 * losses[0], losses
    recon = vae.predict(digits[:4], verbose=0)
    assert recon.shape == (4, 28, 28, 1) and 0 <= recon.min() and recon.max() <= 1
    # the keras-io decoder: 7x7 -> 14x14 -> 28x28 through Conv2DTranspose
    upsamplers = [layer for layer in vae.decoder.layers
                  if isinstance(layer, npconv.layers.Conv2DTranspose)]
    assert [layer.output_shape[1] for layer in upsamplers] == [14, 28, 28]


def test_dcgan_trains_both_players():
    dcgan = _load("dcgan")
    npconv.utils.set_random_seed(0)
    digits = dcgan.load_digits()[:96]
    gan = dcgan.make_gan()
    assert any(isinstance(layer, npconv.layers.Conv2DTranspose) for layer in gan.generator.layers)
    d_before = gan.discriminator.get_weights()
    g_before = gan.generator.get_weights()
    z = npconv.random.normal((32, dcgan.latent_dim), seed=3).numpy()
    mean_before = gan.generator.predict(z, verbose=0).mean()
    history = gan.fit(digits, epochs=2, batch_size=16, verbose=0)
    d_loss = history.history["d_loss"]
    assert d_loss[1] < d_loss[0], d_loss  # the discriminator learns to tell them apart
    assert all(not np.array_equal(a, b) for a, b in zip(gan.discriminator.get_weights(), d_before))
    assert all(not np.array_equal(a, b) for a, b in zip(gan.generator.get_weights(), g_before))
    # the generator's images move from the sigmoid's 0.5 toward the digits' dark background
    assert gan.generator.predict(z, verbose=0).mean() < mean_before - 0.01


def test_knowledge_distillation_student_learns_from_a_fixed_teacher():
    kd = _load("knowledge_distillation")
    npconv.utils.set_random_seed(0)
    (x, y), (x_test, y_test) = kd.load_digits()
    x, y = x[:512], y[:512]
    teacher = kd.train_teacher(kd.build_teacher(), x, y, epochs=1, verbose=0)
    teacher_weights = teacher.get_weights()
    distiller = kd.make_distiller(kd.build_student(), teacher, learning_rate=0.005)
    history = distiller.fit(x, y, epochs=2, batch_size=32, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.8 * losses[0], losses
    for a, b in zip(teacher.get_weights(), teacher_weights):  # frozen: only the student moved
        np.testing.assert_array_equal(a, b)
    logs = distiller.evaluate(x_test[:200], y_test[:200], verbose=0, return_dict=True)
    assert logs["sparse_categorical_accuracy"] > 0.5  # chance is 0.1
