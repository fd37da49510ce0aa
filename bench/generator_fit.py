"""``fit`` fed by a generator or a ``PyDataset`` against the same ``fit`` on arrays.

Issue 11 asks that a generator-fed ``fit`` run within 5% of ``fit`` on arrays: the trainer reads
and checks the next batch on a thread (``npconv.training.adapters.Prefetcher``) while the
current one trains. This trains tutorial 003's ``mnist_cnn``-shaped CNN (narrowed to 16/32
filters so a round takes seconds) on the bundled digits, one epoch per run, fed three ways:

- ``arrays``: ``fit(x, y, batch_size=64)`` on float32 arrays (shuffled each epoch);
- ``generator``: a Python generator yielding shuffled float32 batches, ``steps_per_epoch``;
- ``pydataset``: a ``PyDataset`` whose ``__getitem__`` slices uint8 images and scales them to
  float32 (the work a real loader does per batch).

Rounds alternate the three; the medians, ranges and the ratio to ``arrays`` are printed.

    python bench/generator_fit.py [--rounds 5] [--samples 2048]
"""

from __future__ import annotations

import argparse
import pathlib
import statistics
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--samples", type=int, default=2048)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()

    import numpy as np

    import npconv
    from npconv import layers

    (x_u8, y), _ = npconv.datasets.digits.load_data()
    x_u8, y = x_u8[: args.samples, :, :, None], y[: args.samples]
    x = x_u8.astype("float32") / 255
    bs = args.batch_size
    steps = -(-len(x) // bs)

    def model():
        npconv.utils.set_random_seed(0)
        m = npconv.Sequential([
            npconv.Input((28, 28, 1)),
            layers.Conv2D(16, 3, activation="relu"),
            layers.Conv2D(32, 3, activation="relu"),
            layers.MaxPooling2D(),
            layers.Dropout(0.25),
            layers.Flatten(),
            layers.Dense(64, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ])
        m.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
        m.fit(x[:bs], y[:bs], verbose=0)  # build and warm up outside the timing
        return m

    def generator():
        rng = np.random.default_rng(0)
        while True:
            order = rng.permutation(len(x))
            for i in range(0, len(x), bs):
                index = order[i:i + bs]
                yield x[index], y[index]

    class Digits(npconv.utils.PyDataset):
        def __len__(self):
            return steps

        def __getitem__(self, i):
            s = slice(i * bs, (i + 1) * bs)
            return x_u8[s].astype("float32") / 255, y[s]

    feeds = {
        "arrays": lambda m: m.fit(x, y, batch_size=bs, epochs=1, verbose=0),
        "generator": lambda m: m.fit(generator(), steps_per_epoch=steps, epochs=1, verbose=0),
        "pydataset": lambda m: m.fit(Digits(), epochs=1, verbose=0),
    }
    times = {name: [] for name in feeds}
    for _ in range(args.rounds):
        for name, fit in feeds.items():
            m = model()
            start = time.perf_counter()
            fit(m)
            times[name].append(time.perf_counter() - start)
    base = statistics.median(times["arrays"])
    print(f"{args.samples} samples, batch {bs}, {steps} steps per epoch, {args.rounds} rounds "
          "(alternated); seconds per epoch")
    for name, ts in times.items():
        med = statistics.median(ts)
        print(f"  {name:<10} median {med:.3f} s  range {min(ts):.3f}-{max(ts):.3f} s  "
              f"{med / base:.3f}x arrays")


if __name__ == "__main__":
    main()
