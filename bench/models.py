"""Training and prediction samples/s of the tutorial models and the bench zoo (ResNet-20 v1 at
batch 32 and 128, a VGG-style net with BatchNormalization, a convolutional autoencoder,
LeNet-5, Conv1D and Conv3D nets) in npconv, Keras 3 / TensorFlow and PyTorch, same layers,
shapes, batch sizes, loss and optimizer (npconv/_bench_zoo.py), in steady state: passes of at
least 50 batches and 10 s after a warm-up, each (framework, model, round) in its own process,
3 rounds with the framework order rotated, median and range reported (see npconv/_bench.py).

    python bench/models.py --json bench/results.json         # everything (the README's table)
    python bench/models.py --models resnet20_b32 --frameworks npconv,torch
    python bench/models.py --quick --models mnist_simple      # a pipeline check, not a measure
    python bench/models.py --min-seconds 5 --min-batches 30   # shorter passes
    python bench/models.py --ops-only        # conv / pooling / dense at the tutorial shapes

Keras runs with $NPCONV_BENCH_KERAS_PYTHON, PyTorch with $NPCONV_BENCH_TORCH_PYTHON (default
/tmp/refenv/bin/python for both); a missing one is skipped with a note.
"""

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from npconv._bench import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
