"""examples/convolution_lesson.py runs and prints the tutorial's numbers; with matplotlib it
also saves its picture grid."""

import pathlib
import runpy
import sys

import numpy as np
import pytest

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "convolution_lesson.py"
PHOTO = EXAMPLE.parent / "data" / "camera.npz"


def run_lesson(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    namespace = runpy.run_path(str(EXAMPLE), run_name="__main__")
    return namespace, capsys.readouterr().out


def table_row(out, name):
    """The numbers printed after ``name`` at the start of a line."""
    line = next(line for line in out.splitlines() if line.strip().startswith(name))
    return [float(v) for v in line.strip()[len(name):].split()]


def test_lesson_without_matplotlib(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` now fails
    ns, out = run_lesson(tmp_path, monkeypatch, capsys)

    # the flips and the first pixel's arithmetic, as the tutorial does them
    assert "flipped horizontally:\n[[3 2 1]\n [6 5 4]\n [9 8 7]]" in out
    assert "then vertically:\n[[9 8 7]\n [6 5 4]\n [3 2 1]]" in out
    assert "and add them: 5*2 + 4*4 + 2*8 + 1*10 = 52" in out
    hand = {(0, 0): 52, (0, 1): 112, (0, 2): 108, (1, 0): 168, (1, 1): 330, (1, 2): 288,
            (2, 0): 268, (2, 1): 472, (2, 2): 372}
    for (i, j), value in hand.items():
        assert f"pixel ({i}, {j}): {value}\n" in out
    assert "[[ 52 112 108]\n [168 330 288]\n [268 472 372]]" in out
    assert "valid mode (mask wholly inside the image):\n[[330]]" in out
    assert "[[188 308 212]\n [372 570 372]\n [212 308 188]]" in out  # correlation
    np.testing.assert_array_equal(ns["result"], np.reshape(list(hand.values()), (3, 3)))

    # part 2: the real photograph and what the masks did to it
    photo = np.load(PHOTO)["image"]
    assert photo.shape == (128, 128) and photo.dtype == np.uint8
    assert table_row(out, "original") == [photo.min(), photo.max(), round(photo.mean(), 2)]
    for name in ("box blur 5x5", "gaussian blur 5x5", "sharpen", "median filter 3x3"):
        assert table_row(out, name)[2] == pytest.approx(photo.mean(), abs=0.05), name
    assert table_row(out, "laplacian")[2] == pytest.approx(0.0, abs=0.01)
    assert table_row(out, "sobel edges")[0] == 0.0 and table_row(out, "sobel edges")[1] > 500
    errors = out.split("mean absolute error against the clean photograph:")[1]
    noisy, blurred, median = (table_row(errors, name)[0] for name in
                              ("noisy", "gaussian blur 3x3", "median filter 3x3"))
    assert median < 0.75 * noisy and median < blurred, (noisy, blurred, median)

    assert "pip install matplotlib to see the pictures (skipped)" in out
    assert not (tmp_path / "convolution_lesson.png").exists()


def test_lesson_saves_the_pictures(tmp_path, monkeypatch, capsys):
    pytest.importorskip("matplotlib")
    _, out = run_lesson(tmp_path, monkeypatch, capsys)
    assert "saved convolution_lesson.png" in out
    assert (tmp_path / "convolution_lesson.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
