"""The explainer page in a real browser: headless Chromium opens the page of a small trained model
from disk, a convolution pixel is clicked, and the sum the page shows is read back and compared
with npconv's numbers. No console errors are allowed; a screenshot is kept in
``test-artifacts/explain_browser.png`` (ignored by git).

Skips only when no Chromium is installed (``.ci/run`` installs Debian's ``chromium``).
"""

import pathlib

import numpy as np
import pytest
from headless_chromium import Browser, find_browser  # beside this file

import npconv
from npconv.visualize import explain
from npconv.visualize.explain import arithmetic_at, page_data, value_of

ARTIFACTS = pathlib.Path(__file__).resolve().parents[2] / "test-artifacts"

READ = """(() => {
  const v = (id) => {
    const e = document.getElementById(id);
    return e ? Number(e.dataset.v) : null;
  };
  const p = document.getElementById("panel");
  return {node: Number(p.dataset.node), index: Number(p.dataset.index), sum: v("arith-sum"),
          z: v("arith-z"), act: v("arith-act"), value: v("arith-value"),
          ok: p.querySelectorAll(".ok").length, bad: p.querySelectorAll(".bad").length};
})()"""

# the kernel (or mask) table of the first input channel's block, as shown
KERNEL = """Array.from(document.querySelectorAll("#panel .block")[0].querySelectorAll("table")[1]
                  .querySelectorAll("td")).map((td) => Number(td.textContent))"""


def _box(browser, selector):
    return browser.evaluate(f"""(() => {{
      const e = document.querySelector({selector!r});
      e.scrollIntoView({{block: "center", inline: "center"}});
      const r = e.getBoundingClientRect();
      return [r.left, r.top, r.width, r.height];
    }})()""")


@pytest.fixture(scope="module")
def browser_path():
    path = find_browser()
    if path is None:
        pytest.skip("no Chromium installed (Debian: apt-get install chromium), so the "
                    "explainer page cannot be opened in a browser here")
    return path


def test_page_in_headless_chromium(browser_path, tmp_path):
    from npconv import layers as L

    (x_train, y_train), (x_test, y_test) = npconv.datasets.digits.load_data()
    npconv.utils.set_random_seed(0)
    model = npconv.models.Sequential([
        L.Input((28, 28, 1)), L.Conv2D(4, 3, activation="relu"), L.MaxPooling2D(2),
        L.Conv2D(6, 3, activation="relu"), L.Flatten(), L.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x_train[:500, ..., None] / 255.0, y_train[:500], epochs=1, verbose=0)
    x = x_test[:4, ..., None].astype(np.float32) / 255
    page = explain(model, x, tmp_path / "page.html", y=y_test[:4])
    data = page_data(model, x, y=y_test[:4])

    # the pixel to click: the strongest activation of the second convolution, input 0
    conv = 2
    out = value_of(data, data["nodes"][conv]["output"], 0)
    row, col, channel = np.unravel_index(int(out.argmax()), out.shape)
    index = int(np.ravel_multi_index((row, col, channel), out.shape))
    expected = arithmetic_at(data, 0, conv, index)
    with npconv.no_grad():
        h = x[:1]
        for layer in model.layers[:conv + 1]:
            h = layer(h)
    npconv_value = float(np.asarray(h.data)[0, row, col, channel])

    with Browser(browser_path) as browser:
        browser.open(page)
        assert browser.evaluate("document.querySelectorAll('#net .col').length") == 6
        left, top, width, height = _box(
            browser, f'canvas[data-node="{conv}"][data-channel="{channel}"]')
        rows, cols = out.shape[:2]
        browser.click(left + (col + 0.5) * width / cols, top + (row + 0.5) * height / rows)
        shown = browser.evaluate(READ)
        assert (shown["node"], shown["index"]) == (conv, index)
        assert shown["sum"] == pytest.approx(expected["sum"], abs=1e-6)
        assert shown["z"] == pytest.approx(npconv_value, rel=1e-5, abs=1e-5)  # relu(z) = z > 0
        assert shown["act"] == pytest.approx(npconv_value, rel=1e-5, abs=1e-5)
        assert shown["value"] == pytest.approx(npconv_value, rel=1e-6, abs=1e-7)
        assert shown["ok"] == 1 and shown["bad"] == 0
        kernel = expected["kernel"][..., 0].reshape(-1)
        np.testing.assert_allclose(browser.evaluate(KERNEL), kernel, atol=6e-5)  # 4 decimals

        # the arrow keys step to the neighbouring value
        browser.press("ArrowLeft" if col else "ArrowRight")
        step = index + (-1 if col else 1) * out.shape[2]
        moved = browser.evaluate(READ)
        assert moved["index"] == step
        assert moved["sum"] == pytest.approx(arithmetic_at(data, 0, conv, step)["sum"], abs=1e-6)
        browser.press("ArrowRight" if col else "ArrowLeft")
        assert browser.evaluate(READ)["sum"] == shown["sum"]

        # the tutorial's convolution: the same sum, the mask shown flipped
        browser.evaluate('document.querySelector("input[value=conv]").click()')
        flipped = browser.evaluate(READ)
        assert flipped["sum"] == shown["sum"]
        np.testing.assert_allclose(browser.evaluate(KERNEL), kernel[::-1], atol=6e-5)

        # a class bar of the softmax output: its probability, from the Dense arithmetic
        left, top, width, height = _box(browser, '.cls div[data-index="3"]')
        browser.click(left + width / 2, top + height / 2)
        bar = browser.evaluate(READ)
        assert (bar["node"], bar["index"]) == (4, 3)
        assert bar["act"] == pytest.approx(float(data["probabilities"][0, 3]), rel=1e-5,
                                           abs=1e-7)

        ARTIFACTS.mkdir(exist_ok=True)
        browser.screenshot(ARTIFACTS / "explain_browser.png")
        assert browser.errors == []
