"""Training and prediction samples/s of the three seed models: npconv, Keras/TF and PyTorch,
each in its own subprocess, same shapes, batch sizes and optimizers (see npconv/_bench.py).

    python bench/models.py [--models mnist_cnn] [--frameworks npconv,torch] [--json out.json]
    python bench/models.py --ops-only        # conv / pooling / dense at the seed shapes

Keras runs with $NPCONV_BENCH_KERAS_PYTHON (default /tmp/tfenv/bin/python), PyTorch with
$NPCONV_BENCH_TORCH_PYTHON (default /tmp/refenv/bin/python); a missing one is skipped.
"""

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from npconv._bench import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
