"""Screenshots of the explainer page for the tutorials' ``mnist_cnn`` and ``cifar10_cnn``, for
``docs/`` (``docs/explain_mnist_cnn.png``, ``docs/explain_cifar10_cnn.png``).

    python3 tools/explain_screenshots.py [--out docs] [--pages /tmp/explain-pages]

Trains each model briefly, writes its page for 8 test images (misclassified ones included, as
``npconv explain --dataset`` picks them), opens it in headless Chromium, clicks the strongest
activation of the last convolution and saves a screenshot. Prints each page's size.

- ``mnist_cnn`` (tutorial 004): 3 epochs of Adadelta on the 4,000 bundled MNIST digits.
- ``cifar10_cnn`` (tutorials 001/003): CIFAR-10 cannot be downloaded here, so the model is
  trained (3 epochs, Adam) on a CIFAR-shaped stand-in: Fashion-MNIST images (Debian's
  ``dataset-fashion-mnist``) padded to 32 x 32 and tinted with a random colour each, 32 x 32 x 3
  like CIFAR-10, with Fashion-MNIST's ten class names.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "visualize"))

import npconv  # noqa: E402
from npconv.cli.data import CLASS_NAMES  # noqa: E402
from npconv.cli.explain import choose_samples  # noqa: E402
from npconv.cli.tutorial_models import cifar10_cnn, mnist_cnn  # noqa: E402
from npconv.layers.base import reset_names  # noqa: E402
from npconv.visualize import explain  # noqa: E402
from npconv.visualize.explain import page_data, value_of  # noqa: E402


def digits():
    (x_train, y_train), (x_test, y_test) = npconv.datasets.digits.load_data()
    scale = np.float32(1 / 255)
    return (x_train[..., None] * scale, y_train, x_test[..., None] * scale, y_test,
            [str(i) for i in range(10)])


def tinted_fashion(n_train=12000, n_test=2000):
    (x_train, y_train), (x_test, y_test) = npconv.datasets.fashion_mnist.load_data()
    rng = np.random.default_rng(0)

    def colour(x):
        x = np.pad(x, ((0, 0), (2, 2), (2, 2))).astype(np.float32) / 255
        tint = rng.uniform(0.35, 1.0, size=(len(x), 1, 1, 3)).astype(np.float32)
        return x[..., None] * tint

    return (colour(x_train[:n_train]), y_train[:n_train], colour(x_test[:n_test]),
            y_test[:n_test], CLASS_NAMES["fashion_mnist"])


def train(name, build, data, optimizer, epochs, batch_size, cache=None):
    x_train, y_train, x_test, y_test, names = data
    if cache is not None and cache.exists():
        return npconv.models.load_model(cache)
    npconv.utils.set_random_seed(0)
    reset_names()  # layer names as in a fresh session: conv2d, conv2d_1...
    model = build(x_train.shape[1:], 10)
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    started = time.perf_counter()
    model.fit(x_train, y_train, epochs=epochs, batch_size=batch_size, verbose=0)
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"{name}: {epochs} epochs in {time.perf_counter() - started:.0f} s, test accuracy "
          f"{accuracy:.3f}")
    if cache is not None:
        model.save(cache)
    return model


def screenshot(model, data, page, picture, width=1600, height=1100):
    from headless_chromium import Browser, find_browser

    _, _, x_test, y_test, names = data
    chosen, _ = choose_samples(model, x_test, y_test, 8)
    x, y = x_test[chosen], y_test[chosen]
    explain(model, x, page, y=y, class_names=names)
    print(f"{page}: {page.stat().st_size / 1e6:.2f} MB for {len(x)} inputs")
    info = page_data(model, x, y=y, class_names=names, with_grad_cam=False)
    conv = max(j for j, n in enumerate(info["nodes"]) if n["kind"] == "Conv2D")
    out = value_of(info, info["nodes"][conv]["output"], 0)
    row, col, channel = np.unravel_index(int(out[..., :6].argmax()), out[..., :6].shape)
    browser_path = find_browser()
    if browser_path is None:
        raise SystemExit("no Chromium found: apt-get install chromium")
    with Browser(browser_path, width=width, height=height) as browser:
        browser.open(page)
        box = browser.evaluate(f"""(() => {{
          const e = document.querySelector('canvas[data-node="{conv}"][data-channel="{channel}"]');
          e.scrollIntoView({{block: "center", inline: "center"}});
          const r = e.getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; }})()""")
        rows, cols = out.shape[:2]
        browser.click(box[0] + (col + 0.5) * box[2] / cols, box[1] + (row + 0.5) * box[3] / rows)
        browser.evaluate("window.scrollTo(0, 0); document.getElementById('net').scrollLeft = 0")
        browser.screenshot(picture)
        if browser.errors:
            raise SystemExit(f"errors on the page: {browser.errors}")
    print(f"{picture}: {picture.stat().st_size / 1e3:.0f} KB")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs"))
    parser.add_argument("--pages", default="/tmp/explain-pages")
    args = parser.parse_args()
    out, pages = pathlib.Path(args.out), pathlib.Path(args.pages)
    out.mkdir(parents=True, exist_ok=True)
    pages.mkdir(parents=True, exist_ok=True)

    data = digits()
    model = train("mnist_cnn", mnist_cnn, data, npconv.optimizers.Adadelta(learning_rate=1.0),
                  3, 128, cache=pages / "mnist_cnn.keras")
    screenshot(model, data, pages / "mnist_cnn.html", out / "explain_mnist_cnn.png")

    data = tinted_fashion()
    model = train("cifar10_cnn", cifar10_cnn, data, "adam", 3, 128,
                  cache=pages / "cifar10_cnn.keras")
    screenshot(model, data, pages / "cifar10_cnn.html", out / "explain_cifar10_cnn.png")


if __name__ == "__main__":
    main()
