"""The tutorials' lesson on image convolution (seeds 001 and 003), step by step, with npconv.

Part 1 is the worked example the tutorials take from tutorialspoint's "Concept of
convolution": the mask [[1, 2, 3], [4, 5, 6], [7, 8, 9]] on the image [[2, 4, 6], [8, 10, 12],
[14, 16, 18]]. Flip the mask horizontally, then vertically; put its centre on each pixel;
multiply the numbers that overlap and add them; write the sum at that pixel. The first pixel
comes out as 10 + 16 + 16 + 10 = 52, the sum the tutorial prints.

Part 2 applies the masks the tutorials name (blurring, sharpening, edge detection, noise
reduction) to a real photograph, examples/data/camera.npz (CC0, see examples/data/README.md),
and saves the pictures to convolution_lesson.png when matplotlib is installed.
"""

import pathlib

import numpy as np

from npconv.image import convolve, correlate, mask, median_filter, pad, sobel


def show(title, array):
    print(f"{title}\n{np.array2string(np.asarray(array))}\n")


# --- Part 1: the worked example, one step at a time ----------------------------------------------
image = np.array([[2, 4, 6], [8, 10, 12], [14, 16, 18]])
m = np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
show("image:", image)
show("mask:", m)

flipped_h = m[:, ::-1]
show("step 1a, mask flipped horizontally:", flipped_h)
flipped = flipped_h[::-1, :]
show("step 1b, then vertically:", flipped)

# outside the image the mask sees zeros (boundary='fill'), so surround the image with a border
padded = pad(image, (1, 1), (1, 1), boundary="fill")
show("the image with a border of zeros:", padded)

window = padded[0:3, 0:3]
products = flipped * window
show("step 2, the flipped mask centred on pixel (0, 0) covers:", window)
show("step 3, multiply the numbers that overlap:", products)
terms = " + ".join(f"{f}*{v}" for f, v in zip(flipped.ravel(), window.ravel()) if v)
print(f"and add them: {terms} = {products.sum()}\n")

print("step 4, repeat for every pixel:")
by_hand = np.zeros(image.shape, dtype=int)
for i in range(image.shape[0]):
    for j in range(image.shape[1]):
        by_hand[i, j] = (flipped * padded[i:i + 3, j:j + 3]).sum()
        print(f"  pixel ({i}, {j}): {by_hand[i, j]}")
print()
show("the convolution, by hand:", by_hand)

result = convolve(image, m)
show("npconv.image.convolve(image, mask), the same numbers:", result.astype(int))
assert np.array_equal(result, by_hand)
show("valid mode (mask wholly inside the image):", convolve(image, m, mode="valid").astype(int))
show("full mode (mask and image overlapping at all):", convolve(image, m, mode="full").astype(int))
show("correlate(image, mask), no flip: what a Conv2D layer computes:",
     correlate(image, m).astype(int))

# --- Part 2: the named masks on a photograph -----------------------------------------------------
photo = np.load(pathlib.Path(__file__).resolve().parent / "data" / "camera.npz")["image"]
print(f"photograph: {photo.shape} {photo.dtype}\n")

rng = np.random.default_rng(0)
noisy = photo.copy()
speckled = rng.random(photo.shape) < 0.05  # 5% of the pixels turn white or black
noisy[speckled] = rng.choice(np.array([0, 255], dtype=np.uint8), size=int(speckled.sum()))

pictures = {
    "original": photo,
    "box blur 5x5": convolve(photo, mask("box_blur", 5), boundary="symm"),
    "gaussian blur 5x5": convolve(photo, mask("gaussian_blur", 5), boundary="symm"),
    "sharpen": convolve(photo, mask("sharpen"), boundary="symm"),
    "emboss": convolve(photo, mask("emboss"), boundary="symm"),
    "laplacian": convolve(photo, mask("laplacian"), boundary="symm"),
    "sobel edges": sobel(photo),
    "salt and pepper noise": noisy,
    "median filter 3x3": median_filter(noisy, 3),
}
print(f"{'':22}{'min':>8}{'max':>8}{'mean':>9}")
for name, picture in pictures.items():
    print(f"{name:22}{picture.min():8.1f}{picture.max():8.1f}{picture.mean():9.2f}")

print("\nnoise reduction, mean absolute error against the clean photograph:")
errors = {
    "noisy": noisy,
    "gaussian blur 3x3": convolve(noisy, mask("gaussian_blur"), boundary="symm"),
    "median filter 3x3": pictures["median filter 3x3"],
}
for name, picture in errors.items():
    print(f"  {name:20}{np.abs(picture - photo.astype(float)).mean():7.2f}")

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("\npip install matplotlib to see the pictures (skipped)")
else:
    fig, axes = plt.subplots(3, 3, figsize=(9, 9.6))
    for ax, (name, picture) in zip(axes.ravel(), pictures.items()):
        if name in ("laplacian", "sobel edges"):  # signed or large: stretch to black..white
            ax.imshow(picture, cmap="gray")
        else:  # brightness kept: show 0..255, clipping sharpen's and emboss's overshoot
            ax.imshow(picture, cmap="gray", vmin=0, vmax=255)
        ax.set_title(name)
        ax.axis("off")
    fig.tight_layout()
    fig.savefig("convolution_lesson.png")
    plt.close(fig)
    print("\nsaved convolution_lesson.png")
