"""Run the corpus in examples/keras_programs/ under real Keras and store what npconv's run of
each program is compared with: the parameter counts of its models.

    CUDA_VISIBLE_DEVICES= TF_CPP_MIN_LOG_LEVEL=3 python tools/keras_references/keras_programs.py

Needs tensorflow-cpu==2.21.0 (Keras 3) and tf_keras==2.21.0 (Keras 2, for the programs that use
Keras 2's backend functions), in an environment of their own. Each program runs for one epoch
on small data: the 1,200 bundled digits as MNIST, 200 random images as CIFAR-10, a folder of
160 PNG digits; only the parameter counts are kept, which do not depend on the data.
Writes tests/references/keras_programs.json; with program names as arguments, reruns those
and keeps the others' entries.
"""

import json
import os
import pathlib
import sys
import tempfile
import traceback

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "examples" / "keras_programs"))
from _runner import run_program  # noqa: E402

# Programs written for Keras 2 (its backend functions, and ImageDataGenerator, which Keras 3.15
# no longer has): run under tf_keras.
KERAS2 = {"mnist_siamese.py", "mnist_denoising_autoencoder.py", "cifar10_resnet.py",
          "cifar10_cnn_augmentation.py", "imdb_cnn.py"}
# The models whose parameter counts are compared, by the program's variable names.
MODELS = {
    "cifar10_resnet.py": ["model"],
    "cifar10_cnn_augmentation.py": ["model"],
    "conv_autoencoder.py": ["autoencoder"],
    "dcgan.py": ["generator", "discriminator"],
    "image_classification_from_folder.py": ["model"],
    "knowledge_distillation.py": ["teacher", "student"],
    "imdb_cnn.py": ["model"],
    "lenet5.py": ["model"],
    "mnist_acgan.py": ["generator", "discriminator"],
    "mnist_convnet.py": ["model"],
    "mnist_denoising_autoencoder.py": ["encoder", "decoder"],
    "mnist_siamese.py": ["base_network"],
    "mnist_transfer_cnn.py": ["model"],
    "metric_learning.py": ["model"],
    "pixelcnn.py": ["pixel_cnn"],
    "residual_convnet.py": ["model"],
    "timeseries_conv1d.py": ["model"],
    "vae.py": ["encoder", "decoder"],
    "vgg_batchnorm_cifar10.py": ["model"],
}


def small_data():
    with np.load(ROOT / "npconv" / "datasets" / "data" / "digits.npz") as f:
        x_train, y_train = f["x_train"][:1200], f["y_train"][:1200]
        x_test, y_test = f["x_test"][:300], f["y_test"][:300]
    rng = np.random.default_rng(0)
    cifar = ((rng.integers(0, 256, (200, 32, 32, 3), dtype=np.uint8),
              rng.integers(0, 10, (200, 1)).astype(np.uint8)),
             (rng.integers(0, 256, (40, 32, 32, 3), dtype=np.uint8),
              rng.integers(0, 10, (40, 1)).astype(np.uint8)))
    return ((x_train, y_train), (x_test, y_test)), cifar


def small_imdb(num_words=5000, seed=0):
    """Reviews as Keras's imdb.load_data returns them (object arrays of lists, start char 1,
    indices shifted by 3, rarer words than num_words as 2), the shape of the test fixture's."""
    rng = np.random.default_rng(seed)

    def split(n):
        reviews = np.empty(n, dtype=object)
        for i in range(n):
            words = rng.integers(90, 6000, rng.integers(20, 80)) + 3
            reviews[i] = [1] + [int(w) if w < num_words else 2 for w in words]
        return reviews, rng.integers(0, 2, n).astype(np.int64)

    return split(480), split(80)


def patch_loaders(module, mnist, cifar, imdb):
    module.datasets.mnist.load_data = lambda *a, **k: mnist
    module.datasets.cifar10.load_data = lambda *a, **k: cifar
    module.datasets.imdb.load_data = lambda *a, **k: imdb


def write_folder(root, images, labels):
    from PIL import Image

    for i, (image, label) in enumerate(zip(images, labels)):
        folder = root / ("low" if label < 5 else "high")
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.stack([image] * 3, axis=-1)).save(folder / f"{i:04d}.png")


def main():
    import keras
    import tf_keras

    mnist, cifar = small_data()
    imdb = small_imdb()
    for module in (keras, tf_keras):
        patch_loaders(module, mnist, cifar, imdb)
    out = ROOT / "tests" / "references" / "keras_programs.json"
    only = set(sys.argv[1:])
    results = json.loads(out.read_text()) if only and out.exists() else {}
    for path in sorted((ROOT / "examples" / "keras_programs").glob("[!_]*.py")):
        if only and path.name not in only:
            continue
        package = "tf_keras" if path.name in KERAS2 else "keras"
        with tempfile.TemporaryDirectory() as tmp:
            os.chdir(tmp)
            write_folder(pathlib.Path(tmp) / "images", mnist[0][0][:160], mnist[0][1][:160])
            try:
                ns = run_program(path, package=package)
            except Exception:  # noqa: BLE001 - report and go on to the next program
                traceback.print_exc()
                results[path.name] = {"keras": package, "error": traceback.format_exc(limit=2)}
                continue
        counts = {name: int(ns[name].count_params()) for name in MODELS[path.name]}
        results[path.name] = {"keras": package, "count_params": counts}
        print(path.name, package, counts, flush=True)
    out.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
    print("wrote", out)


if __name__ == "__main__":
    main()
