"""Write ``tests/references/image.npz``: SciPy's ``convolve2d``/``correlate2d`` outputs that
``tests/image`` compares ``npconv.image.convolve``/``correlate`` against.

SciPy is needed here only, never by npconv or its tests (they read the ``.npz``):

    python3 -m pip install scipy      # any recent SciPy; written with 1.17.1
    python3 tools/make_image_references.py

Inputs are small random arrays, mostly integer-valued so that every output is an exact
integer in float64 (a test then compares exactly); a few are real-valued or uint8. Mask shapes
include even sizes (where 'same' centring matters), masks longer than the image along an axis
(borders wider than the image) and the tutorial's worked example. For each operation, image,
mask and mode one array stacks the outputs of every boundary in ``BOUNDARIES`` (same shape);
'valid' is written only where the mask fits inside the image. Keys:

    image/<name>, mask/<name>                       the inputs
    boundary, fillvalue                             the stacking order (names, fill constants)
    <op>/<image>/<mask>/<mode>                      (len(BOUNDARIES), rows, cols[, C]) float64

``op`` is ``convolve`` or ``correlate``. A colour image ``(H, W, C)`` is computed by SciPy one
channel at a time (SciPy has no channel axis), which is what npconv's per-channel rule means.
"""

from __future__ import annotations

import pathlib
import sys

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "references" / "image.npz"
MODES = ("same", "valid", "full")
BOUNDARIES = (("fill", 0.0), ("fill", 2.5), ("wrap", 0.0), ("symm", 0.0))


def inputs():
    rng = np.random.default_rng(20240604)
    images = {
        "tutorial": np.array([[2, 4, 6], [8, 10, 12], [14, 16, 18]], dtype=np.float64),
        "grey_7x8": rng.integers(0, 10, (7, 8)).astype(np.float64),
        "real_5x6": rng.normal(size=(5, 6)),
        "thin_2x3": rng.integers(-5, 6, (2, 3)).astype(np.float64),
        "uint8_6x7": rng.integers(0, 256, (6, 7), dtype=np.uint8),
        "colour_6x5x3": rng.integers(0, 10, (6, 5, 3)).astype(np.float64),
    }
    masks = {
        "tutorial": np.arange(1, 10, dtype=np.float64).reshape(3, 3),
        "int_3x3": rng.integers(-3, 4, (3, 3)).astype(np.float64),
        "int_2x2": rng.integers(-3, 4, (2, 2)).astype(np.float64),
        "int_4x3": rng.integers(-3, 4, (4, 3)).astype(np.float64),
        "real_2x5": rng.normal(size=(2, 5)),
        "int_1x4": rng.integers(-3, 4, (1, 4)).astype(np.float64),
    }
    return images, masks


def scipy_2d(op, image, mask, mode, boundary, fillvalue):
    from scipy import signal

    func = signal.convolve2d if op == "convolve" else signal.correlate2d
    if image.ndim == 3:
        return np.stack([scipy_2d(op, image[..., c], mask, mode, boundary, fillvalue)
                         for c in range(image.shape[2])], axis=-1)
    return np.asarray(func(image, mask, mode=mode, boundary=boundary, fillvalue=fillvalue),
                      dtype=np.float64)


def make():
    images, masks = inputs()
    arrays = {f"image/{k}": v for k, v in images.items()}
    arrays.update({f"mask/{k}": v for k, v in masks.items()})
    arrays["boundary"] = np.array([b for b, _ in BOUNDARIES])
    arrays["fillvalue"] = np.array([f for _, f in BOUNDARIES])
    for op in ("convolve", "correlate"):
        for iname, image in images.items():
            for mname, mask in masks.items():
                if (iname == "tutorial") != (mname == "tutorial"):
                    continue
                for mode in MODES:
                    if mode == "valid" and any(k > n for k, n in zip(mask.shape, image.shape)):
                        continue  # SciPy would swap image and mask; npconv refuses
                    arrays[f"{op}/{iname}/{mname}/{mode}"] = np.stack(
                        [scipy_2d(op, image, mask, mode, b, f) for b, f in BOUNDARIES])
    return arrays


def main():
    import scipy

    arrays = make()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, **arrays)
    print(f"{OUT.relative_to(ROOT)}: {len(arrays)} arrays, {OUT.stat().st_size} bytes "
          f"(scipy {scipy.__version__})")


if __name__ == "__main__":
    sys.exit(main())
