"""npconv.image: the tutorial's worked example by hand, SciPy's numbers (from the .npz written by
tools/make_image_references.py), the fast path against the per-pixel loops, colour images,
the flip relation, the named masks, edge strength, the median filter on real digits, errors."""

import itertools
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from npconv.image import (
    MASKS,
    convolve,
    correlate,
    mask,
    median_filter,
    pad,
    prewitt,
    sobel,
)
from npconv.image._reference import convolve_reference, median_reference

REFERENCES = pathlib.Path(__file__).resolve().parents[1] / "references" / "image.npz"
MODES = ("same", "valid", "full")
ALL_BOUNDARIES = ("fill", "wrap", "symm", "reflect", "edge")
OPS = {"convolve": (convolve, True), "correlate": (correlate, False)}

# The tutorial's example (tutorialspoint's "Concept of convolution", cited by seed 001)
TUTORIAL_IMAGE = np.array([[2, 4, 6], [8, 10, 12], [14, 16, 18]])
TUTORIAL_MASK = np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]])


# --- the worked example, by hand -----------------------------------------------------------------

def test_tutorial_worked_example_by_hand():
    # Flipped horizontally and vertically the mask is [[9, 8, 7], [6, 5, 4], [3, 2, 1]].
    # Its centre (5) on pixel (0, 0) = 2, zeros outside the image:
    #   5*2 + 4*4 (right neighbour) + 2*8 (below) + 1*10 (diagonal) = 10 + 16 + 16 + 10 = 52
    # On the centre pixel every entry overlaps:
    #   9*2 + 8*4 + 7*6 + 6*8 + 5*10 + 4*12 + 3*14 + 2*16 + 1*18
    #   = 18 + 32 + 42 + 48 + 50 + 48 + 42 + 32 + 18 = 330
    # On pixel (2, 2) = 18 the top-left 2x2 of the flipped mask overlaps:
    #   9*10 + 8*12 + 6*16 + 5*18 = 90 + 96 + 96 + 90 = 372
    # The edge middles: (0, 1): 6*2 + 5*4 + 4*6 + 3*8 + 2*10 + 1*12 = 12+20+24+24+20+12 = 112
    #                   (1, 0): 8*2 + 7*4 + 5*8 + 4*10 + 2*14 + 1*16 = 16+28+40+40+28+16 = 168
    out = convolve(TUTORIAL_IMAGE, TUTORIAL_MASK)
    assert out[0, 0] == 52 and out[1, 1] == 330 and out[2, 2] == 372
    assert out[0, 1] == 112 and out[1, 0] == 168
    np.testing.assert_array_equal(out, [[52, 112, 108], [168, 330, 288], [268, 472, 372]])
    # valid: only the centre position fits; full: the corner sees mask[0, 0] * image[0, 0] only
    np.testing.assert_array_equal(convolve(TUTORIAL_IMAGE, TUTORIAL_MASK, mode="valid"), [[330]])
    full = convolve(TUTORIAL_IMAGE, TUTORIAL_MASK, mode="full")
    assert full.shape == (5, 5) and full[0, 0] == 1 * 2 and full[4, 4] == 9 * 18
    # correlation (no flip) on the centre: 1*2 + 2*4 + 3*6 + 4*8 + 5*10 + 6*12 + 7*14 + 8*16
    # + 9*18 = 2 + 8 + 18 + 32 + 50 + 72 + 98 + 128 + 162 = 570
    assert correlate(TUTORIAL_IMAGE, TUTORIAL_MASK)[1, 1] == 570


def test_fill_value_and_wrap_by_hand():
    x = np.array([[1, 2], [3, 4]])
    ones = np.ones((3, 3))
    # fill with 10: the window on pixel (0, 0) holds the four pixels and five 10s
    assert convolve(x, ones, fillvalue=10)[0, 0] == (1 + 2 + 3 + 4) + 5 * 10
    # wrap: around (0, 0) the window covers rows -1, 0, 1 = rows 1, 0, 1 (period 2), and the
    # same columns: 4 3 4 / 2 1 2 / 4 3 4, which sums to 27
    assert convolve(x, ones, boundary="wrap")[0, 0] == 4 + 3 + 4 + 2 + 1 + 2 + 4 + 3 + 4 == 27
    # symm: rows 0, 0, 1 and columns 0, 0, 1: 1 1 2 / 1 1 2 / 3 3 4, which sums to 18
    assert convolve(x, ones, boundary="symm")[0, 0] == 1 + 1 + 2 + 1 + 1 + 2 + 3 + 3 + 4 == 18


# --- SciPy's numbers -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def refs():
    with np.load(REFERENCES) as data:
        return {k: data[k] for k in data.files}


def test_against_scipy_references(refs):
    boundaries = list(zip(refs["boundary"].tolist(), refs["fillvalue"].tolist()))
    checked = 0
    for key, expected in refs.items():
        if not key.startswith(("convolve/", "correlate/")):
            continue
        op, iname, mname, mode = key.split("/")
        image, m = refs[f"image/{iname}"], refs[f"mask/{mname}"]
        for (boundary, fillvalue), want in zip(boundaries, expected):
            got = OPS[op][0](image, m, mode=mode, boundary=boundary, fillvalue=fillvalue)
            assert got.dtype == np.float64 and got.shape == want.shape, key
            exact = np.array_equal(want, np.round(want)) and "real" not in key
            if exact:  # integer inputs: every sum is exact in float64
                np.testing.assert_array_equal(got, want, err_msg=f"{key} {boundary}")
            else:
                np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12,
                                           err_msg=f"{key} {boundary}")
            checked += 1
    assert checked > 500  # 2 ops x 26 image/mask pairs x modes x 4 boundaries


def test_loop_reference_agrees_with_scipy(refs):
    # the loops are the judge of the fast path, so they are checked against SciPy too
    boundaries = list(zip(refs["boundary"].tolist(), refs["fillvalue"].tolist()))
    for key in ("convolve/grey_7x8/int_4x3/same", "correlate/thin_2x3/real_2x5/full",
                "correlate/colour_6x5x3/int_2x2/same", "convolve/uint8_6x7/int_1x4/valid"):
        op, iname, mname, mode = key.split("/")
        for (boundary, fillvalue), want in zip(boundaries, refs[key]):
            got = convolve_reference(refs[f"image/{iname}"], refs[f"mask/{mname}"], mode,
                                     boundary, fillvalue, flip=OPS[op][1])
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_tutorial_reference_is_the_hand_computed_one(refs):
    np.testing.assert_array_equal(refs["convolve/tutorial/tutorial/same"][0],
                                  convolve(TUTORIAL_IMAGE, TUTORIAL_MASK))


# --- the fast path against the loops -------------------------------------------------------------

@pytest.mark.parametrize("op", sorted(OPS))
@pytest.mark.parametrize("boundary", ALL_BOUNDARIES)
def test_fast_matches_loops(op, boundary):
    rng = np.random.default_rng(1)
    func, flip = OPS[op]
    for image_shape, mask_shape in [((6, 7), (3, 3)), ((5, 4), (2, 3)), ((4, 6), (4, 2)),
                                    ((3, 2), (5, 4)), ((5, 5, 2), (3, 2)), ((1, 3), (1, 1))]:
        x = rng.normal(size=image_shape)
        m = rng.normal(size=mask_shape)
        for mode in MODES:
            if mode == "valid" and any(k > n for k, n in zip(mask_shape, image_shape)):
                continue
            got = func(x, m, mode=mode, boundary=boundary, fillvalue=-1.5)
            want = convolve_reference(x, m, mode, boundary, -1.5, flip=flip)
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12,
                                       err_msg=f"{image_shape} {mask_shape} {mode}")


@pytest.mark.parametrize("boundary", ALL_BOUNDARIES)
def test_pad_matches_the_table(boundary):
    # the rows of npconv.image.boundary's table, for "a b c d" = 1 2 3 4 padded by two
    table = {"fill": [0, 0, 1, 2, 3, 4, 0, 0], "wrap": [3, 4, 1, 2, 3, 4, 1, 2],
             "symm": [2, 1, 1, 2, 3, 4, 4, 3], "reflect": [3, 2, 1, 2, 3, 4, 3, 2],
             "edge": [1, 1, 1, 2, 3, 4, 4, 4]}
    row = np.array([[1, 2, 3, 4]])
    np.testing.assert_array_equal(pad(row, (0, 0), (2, 2), boundary)[0], table[boundary])
    np.testing.assert_array_equal(pad(row.T, (2, 2), (0, 0), boundary)[:, 0], table[boundary])


def test_boundary_aliases_are_scipys():
    rng = np.random.default_rng(2)
    x, m = rng.normal(size=(5, 6)), rng.normal(size=(3, 4))
    for alias, name in (("pad", "fill"), ("circular", "wrap"), ("symmetric", "symm")):
        np.testing.assert_array_equal(convolve(x, m, boundary=alias),
                                      convolve(x, m, boundary=name))


def test_borders_wider_than_the_image_repeat():
    # a 3-pixel row 1 2 8 and a 9-wide mask of ones: around pixel 0 the window covers offsets
    # -4..4, a border of 4 on each side, wider than the image
    x = np.array([[1, 2, 8]])
    ones = np.ones((1, 9))
    expected = {
        "fill": 1 + 2 + 8,                             # zeros outside
        "wrap": 8 + 1 + 2 + 8 + 1 + 2 + 8 + 1 + 2,     # period 3: 1 2 8
        "symm": 8 + 8 + 2 + 1 + 1 + 2 + 8 + 8 + 2,     # period 6: 1 2 8 8 2 1
        "reflect": 1 + 2 + 8 + 2 + 1 + 2 + 8 + 2 + 1,  # period 4: 1 2 8 2
        "edge": 1 + 1 + 1 + 1 + 1 + 2 + 8 + 8 + 8,     # 1 ... 1 2 8 ... 8
    }
    assert sorted(expected.values()) == [11, 27, 31, 33, 40]
    for boundary, value in expected.items():
        assert convolve(x, ones, boundary=boundary)[0, 0] == value, boundary


# --- colour, dtypes, the flip --------------------------------------------------------------------

@pytest.mark.parametrize("boundary", ("fill", "wrap", "symm"))
def test_colour_is_per_channel_grey(boundary):
    rng = np.random.default_rng(3)
    x = rng.integers(0, 256, (9, 8, 3), dtype=np.uint8)
    m = rng.normal(size=(3, 4))
    for func, mode in itertools.product((convolve, correlate), MODES):
        colour = func(x, m, mode=mode, boundary=boundary)
        for c in range(3):
            np.testing.assert_array_equal(colour[..., c],
                                          func(x[..., c], m, mode=mode, boundary=boundary))


def test_dtypes():
    rng = np.random.default_rng(4)
    u8 = rng.integers(0, 256, (6, 6), dtype=np.uint8)
    m = np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]])
    out = convolve(u8, m)
    assert out.dtype == np.float64  # uint8 in -> float out; no wrap-around at 255
    np.testing.assert_array_equal(out, convolve(u8.astype(np.int64), m))
    assert out.max() > 255
    assert convolve(u8.astype(np.float32), m).dtype == np.float32
    assert convolve(u8.astype(np.float16), m).dtype == np.float32
    assert convolve(u8 > 128, m).dtype == np.float64
    np.testing.assert_allclose(convolve(u8.astype(np.float32), m / 16), out / 16, rtol=1e-6)


def test_flip_relation():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(7, 8))
    for shape in [(3, 3), (5, 3), (2, 2), (4, 3), (1, 4)]:
        m = rng.normal(size=shape)
        for mode in ("full", "valid"):
            np.testing.assert_array_equal(convolve(x, m, mode=mode),
                                          correlate(x, m[::-1, ::-1], mode=mode))
        if all(k % 2 for k in shape):
            for boundary in ALL_BOUNDARIES:
                np.testing.assert_array_equal(convolve(x, m, boundary=boundary),
                                              correlate(x, m[::-1, ::-1], boundary=boundary))
    # an even axis: SciPy's 'same' correlation window starts one pixel later along it
    m = rng.normal(size=(2, 3))
    np.testing.assert_allclose(correlate(x, m[::-1, ::-1])[:-1],
                               convolve(x, m)[1:], rtol=1e-12, atol=1e-12)
    assert not np.allclose(correlate(x, m[::-1, ::-1]), convolve(x, m))


def test_convolution_is_not_correlation():
    # the whole difference on one pixel: a mask with a single 1 moves the image one way when
    # correlated and the other way when convolved (flipped)
    x = np.arange(25.0).reshape(5, 5)
    right = np.zeros((3, 3))
    right[1, 2] = 1  # "take the pixel to the right"
    np.testing.assert_array_equal(correlate(x, right)[:, :-1], x[:, 1:])
    np.testing.assert_array_equal(convolve(x, right)[:, 1:], x[:, :-1])


# --- named masks ---------------------------------------------------------------------------------

def test_mask_values_and_sums():
    assert set(MASKS) >= {"box_blur", "gaussian_blur", "sharpen", "emboss", "identity",
                          "sobel_x", "sobel_y", "prewitt_x", "prewitt_y", "laplacian"}
    for name in ("box_blur", "gaussian_blur", "sharpen", "emboss", "identity"):
        assert mask(name).sum() == pytest.approx(1.0), name
    for name in ("sobel_x", "sobel_y", "prewitt_x", "prewitt_y", "laplacian", "laplacian_8"):
        assert mask(name).sum() == 0, name
    np.testing.assert_array_equal(mask("gaussian_blur") * 16, [[1, 2, 1], [2, 4, 2], [1, 2, 1]])
    np.testing.assert_array_equal(mask("gaussian_blur", 5)[0] * 256, [1, 4, 6, 4, 1])
    np.testing.assert_array_equal(mask("box_blur", 5), np.full((5, 5), 1 / 25))
    np.testing.assert_array_equal(mask("sharpen"), [[0, -1, 0], [-1, 5, -1], [0, -1, 0]])
    np.testing.assert_array_equal(mask("sobel_y"), mask("sobel_x").T)
    np.testing.assert_array_equal(mask("laplacian"), [[0, 1, 0], [1, -4, 1], [0, 1, 0]])
    np.testing.assert_array_equal(mask("box"), mask("box_blur"))
    assert mask("box_blur", (3, 5)).shape == (3, 5)


def test_gaussian_with_sigma():
    # size 3, sigma 1: the 1-D weights are e^-0.5, 1, e^-0.5 over their sum 2.21306;
    # the centre is 1 / 2.21306**2 = 0.204180, a corner e^-1 / 2.21306**2 = 0.075114
    g = mask("gaussian_blur", 3, sigma=1.0)
    assert g[1, 1] == pytest.approx(0.204180, abs=1e-6)
    assert g[0, 0] == pytest.approx(0.075114, abs=1e-6)
    assert g.sum() == pytest.approx(1.0)
    wide = mask("gaussian_blur", 7, sigma=3.0)
    narrow = mask("gaussian_blur", 7, sigma=0.5)
    assert wide[3, 3] < narrow[3, 3] and wide[0, 0] > narrow[0, 0]


def test_symmetric_masks_are_flip_invariant():
    for name in ("box_blur", "gaussian_blur", "sharpen", "laplacian", "laplacian_8", "identity"):
        np.testing.assert_array_equal(mask(name), mask(name)[::-1, ::-1])
    for name in ("sobel_x", "sobel_y", "prewitt_x", "prewitt_y"):
        np.testing.assert_array_equal(mask(name)[::-1, ::-1], -mask(name))


def test_masks_are_safe_to_modify():
    with pytest.raises(ValueError):
        MASKS["sharpen"][1, 1] = 9
    m = mask("sharpen")
    m[1, 1] = 9
    assert mask("sharpen")[1, 1] == 5 and MASKS["sharpen"][1, 1] == 5


def test_identity_blur_and_flat_areas():
    rng = np.random.default_rng(6)
    x = rng.integers(0, 256, (10, 12, 3), dtype=np.uint8)
    np.testing.assert_array_equal(convolve(x, mask("identity")), x)
    flat = np.full((8, 8), 77, dtype=np.uint8)
    for name in ("box_blur", "gaussian_blur", "sharpen", "emboss"):  # sum 1: brightness kept
        np.testing.assert_allclose(convolve(flat, mask(name), boundary="symm"), 77, atol=1e-12)
    for name in ("sobel_x", "laplacian", "laplacian_8"):  # sum 0: no change, no response
        np.testing.assert_allclose(convolve(flat, mask(name), boundary="edge"), 0, atol=1e-12)


# --- edges ---------------------------------------------------------------------------------------

def test_sobel_on_a_step_edge():
    # dark (10) on the left, bright (30) from column 4: a step of 20
    x = np.full((6, 8), 10, dtype=np.uint8)
    x[:, 4:] = 30
    gx = correlate(x, mask("sobel_x"), boundary="symm")
    # beside the edge (columns 3 and 4) (1 + 2 + 1) * (30 - 10) = 80; elsewhere 0
    np.testing.assert_array_equal(gx[:, [3, 4]], 80)
    np.testing.assert_array_equal(np.delete(gx, [3, 4], axis=1), 0)
    # correlation: positive where it gets brighter to the right; convolution: flipped sign
    np.testing.assert_array_equal(convolve(x, mask("sobel_x"), boundary="symm"), -gx)
    np.testing.assert_array_equal(correlate(x, mask("sobel_y"), boundary="symm"), 0)
    np.testing.assert_array_equal(correlate(x.T, mask("sobel_y"), boundary="symm"), gx.T)
    np.testing.assert_array_equal(sobel(x), np.abs(gx))
    np.testing.assert_array_equal(prewitt(x)[:, [3, 4]], 3 * 20)


def test_sobel_magnitude_on_a_diagonal():
    # brighter below the anti-diagonal: gx and gy both respond; magnitude is their hypot
    x = (np.add.outer(np.arange(7), np.arange(7)) >= 7).astype(np.float64)
    gx = correlate(x, mask("sobel_x"), boundary="symm")
    gy = correlate(x, mask("sobel_y"), boundary="symm")
    np.testing.assert_allclose(sobel(x), np.sqrt(gx**2 + gy**2))
    assert sobel(x)[3, 3] == pytest.approx(np.hypot(gx[3, 3], gy[3, 3])) and gx[3, 3] > 0
    colour = np.stack([x, 2 * x], axis=-1)
    np.testing.assert_allclose(sobel(colour)[..., 1], 2 * sobel(x))


# --- the median filter ---------------------------------------------------------------------------

def test_median_by_hand():
    x = np.array([[1, 2, 3], [4, 100, 6], [7, 8, 9]], dtype=np.uint8)
    out = median_filter(x)
    # centre: sorted 1 2 3 4 6 7 8 9 100 -> the fifth, 6; the outlier is gone
    assert out[1, 1] == 6 and out.dtype == np.uint8
    # corner (0, 0) with 'symm': rows 1 1 2 / cols 1 1 2 mirrored -> window
    # 1 1 2 / 1 1 2 / 4 4 100 -> sorted 1 1 1 1 2 2 4 4 100 -> 2
    assert out[0, 0] == 2
    np.testing.assert_array_equal(out, median_reference(x, (3, 3)))


@pytest.mark.parametrize("boundary", ALL_BOUNDARIES)
def test_median_matches_loops(boundary):
    rng = np.random.default_rng(7)
    for shape, size in [((7, 9), 3), ((6, 5, 3), (3, 5)), ((4, 4), 5), ((5, 6), (1, 3))]:
        x = rng.integers(0, 256, shape).astype(np.uint8)
        got = median_filter(x, size, boundary=boundary, fillvalue=9)
        size2 = (size, size) if isinstance(size, int) else size
        np.testing.assert_array_equal(got, median_reference(x, size2, boundary, 9))


def test_median_works_in_bands(monkeypatch):
    from npconv.image import median as median_module

    rng = np.random.default_rng(8)
    x = rng.normal(size=(23, 17, 2)).astype(np.float32)
    whole = median_filter(x, 3)
    monkeypatch.setattr(median_module, "_CHUNK_ELEMENTS", 50)  # a few rows per band
    np.testing.assert_array_equal(median_filter(x, 3), whole)
    assert whole.dtype == np.float32


def test_median_removes_salt_and_pepper_on_real_digits():
    from npconv.datasets import digits

    (_, _), (x_test, _) = digits.load_data()
    clean = x_test[:20]
    rng = np.random.default_rng(9)
    noisy = clean.copy()
    hit = rng.random(clean.shape) < 0.10
    noisy[hit] = rng.choice(np.array([0, 255], dtype=np.uint8), size=int(hit.sum()))

    def error(images):
        return np.abs(np.asarray(images, dtype=np.float64) - clean).mean()

    median = np.stack([median_filter(d, 3) for d in noisy])
    blurred = np.stack([convolve(d, mask("box_blur"), boundary="symm") for d in noisy])
    assert median.dtype == np.uint8
    assert error(median) < 0.5 * error(noisy), (error(median), error(noisy))
    assert error(median) < error(blurred), (error(median), error(blurred))
    # the specks themselves: on the flat background almost every salt pixel is gone
    background_salt = hit & (noisy == 255) & (clean == 0)
    assert background_salt.sum() > 100
    assert (median[background_salt] == 0).mean() > 0.95


# --- errors --------------------------------------------------------------------------------------

@pytest.mark.parametrize("func", [convolve, correlate])
def test_errors(func):
    x, m = np.ones((5, 5)), np.ones((3, 3))
    name = func.__name__
    with pytest.raises(ValueError, match=rf"{name} expects a 2-D mask .* got shape \(3,\)"):
        func(x, np.ones(3))
    with pytest.raises(ValueError, match=r"got shape \(3, 3, 3\).*every channel"):
        func(x, np.ones((3, 3, 3)))
    with pytest.raises(ValueError, match=r"rank 2 \(rows, cols\) or 3 .* got shape \(5,\)"):
        func(np.ones(5), m)
    with pytest.raises(ValueError, match=r"got shape \(1, 5, 5, 3\)"):
        func(np.ones((1, 5, 5, 3)), m)
    with pytest.raises(ValueError, match=r"non-empty image, got shape \(0, 5\)"):
        func(np.ones((0, 5)), m)
    with pytest.raises(ValueError, match=r"non-empty mask, got shape \(3, 0\)"):
        func(x, np.ones((3, 0)))
    with pytest.raises(ValueError, match=r"mode to be one of 'same', 'valid', 'full', got 'sam'"):
        func(x, m, mode="sam")
    with pytest.raises(ValueError, match=r"boundary to be one of .*'symm'.*got 'zero'"):
        func(x, m, boundary="zero")
    with pytest.raises(ValueError, match=r"mode='valid' needs a mask no larger than the image: "
                       r"got a mask of 3 rows for an image of 2 rows"):
        func(np.ones((2, 5)), m, mode="valid")
    with pytest.raises(TypeError, match=r"real-valued image .* got dtype complex128"):
        func(x + 1j, m)
    with pytest.raises(TypeError, match=r"real-valued mask .* got dtype <U1"):
        func(x, np.array([["a"]]))
    with pytest.raises(TypeError, match=r"mode as a string, got int"):
        func(x, m, mode=3)
    with pytest.raises(TypeError, match=r"fillvalue as a real number, got 'a'"):
        func(x, m, fillvalue="a")


def test_mask_and_median_errors():
    with pytest.raises(ValueError, match=r"expects one of identity, box_blur, .*got 'blurr'"):
        mask("blurr")
    with pytest.raises(ValueError, match=r"'sobel_x' exists only at size 3 .*size=5"):
        mask("sobel_x", size=5)
    with pytest.raises(ValueError, match=r"'sharpen' takes no sigma"):
        mask("sharpen", sigma=1.0)
    with pytest.raises(ValueError, match=r"sigma > 0 .*got -1"):
        mask("gaussian_blur", 3, sigma=-1)
    with pytest.raises(ValueError, match=r"size as a positive int or \(rows, cols\), got 0"):
        mask("box_blur", 0)
    with pytest.raises(TypeError, match=r"name as a string, got int"):
        mask(3)
    x = np.ones((5, 5), dtype=np.uint8)
    with pytest.raises(ValueError, match=r"median_filter expects an odd size .* got 4"):
        median_filter(x, 4)
    with pytest.raises(ValueError, match=r"fillvalue 300 does not fit .* uint8"):
        median_filter(x, 3, boundary="fill", fillvalue=300)
    with pytest.raises(ValueError, match=r"median_filter expects an image of rank 2"):
        median_filter(np.ones(4), 3)
    with pytest.raises(ValueError, match=r"pad expects non-negative widths"):
        pad(x, (-1, 0), (0, 0))


def test_import_npconv_does_not_load_image():
    code = ("import sys, npconv; assert 'npconv.image' not in sys.modules; "
            "import numpy as np; print(npconv.image.convolve(np.eye(2), np.ones((1, 1))).sum())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "2.0"
