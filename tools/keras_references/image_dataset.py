"""Reference output of Keras 3's ``image_dataset_from_directory``, for npconv's parity test.

    CUDA_VISIBLE_DEVICES= TF_CPP_MIN_LOG_LEVEL=3 /tmp/refenv/bin/python \
        tools/keras_references/image_dataset.py

Writes ``tests/references/keras_image_dataset.npz``: small RGB pictures (``image/<i>`` with
their relative paths in ``paths``, JSON), which the test writes back as PNG files (lossless);
Keras's images and labels for the whole folder unshuffled, resized (bilinear) to 4x6 and,
with crop_to_aspect_ratio, to 5x5; and the file order of a seeded training/validation split.
"""

from __future__ import annotations

import json
import os
import pathlib
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

OUT = (pathlib.Path(__file__).resolve().parents[2] / "tests" / "references"
       / "keras_image_dataset.npz")
RNG = np.random.default_rng(5)


def main():
    out = {}
    paths = []
    with tempfile.TemporaryDirectory() as tmp:
        k = 0
        for name, count in (("cats", 4), ("dogs", 3), ("owls", 2)):
            os.makedirs(os.path.join(tmp, name))
            for j in range(count):
                image = (RNG.random((7, 9, 3)) * 255).astype(np.uint8)
                rel = os.path.join(name, f"img{j}.png")
                Image.fromarray(image).save(os.path.join(tmp, rel))
                out[f"image/{k}"] = image
                paths.append(rel)
                k += 1
        out["paths"] = np.array(json.dumps(paths))
        for key, kwargs in (("plain", {"image_size": (4, 6)}),
                            ("crop", {"image_size": (5, 5), "crop_to_aspect_ratio": True}),
                            ("nearest", {"image_size": (3, 4), "interpolation": "nearest"})):
            ds = keras.utils.image_dataset_from_directory(
                tmp, batch_size=None, shuffle=False, label_mode="categorical", **kwargs)
            xs, ys = zip(*[(x.numpy(), y.numpy()) for x, y in ds])
            out[f"{key}/x"] = np.stack(xs)
            out[f"{key}/y"] = np.stack(ys)
        train, val = keras.utils.image_dataset_from_directory(
            tmp, image_size=(7, 9), seed=3, validation_split=0.34, subset="both")
        out["split/train"] = np.array(json.dumps(
            [os.path.relpath(p, tmp) for p in train.file_paths]))
        out["split/val"] = np.array(json.dumps([os.path.relpath(p, tmp) for p in val.file_paths]))
    out["versions"] = np.array(json.dumps({"keras": keras.__version__}))
    tmp_out = OUT.with_suffix(".tmp.npz")
    np.savez_compressed(tmp_out, **out)
    os.replace(tmp_out, OUT)
    print(f"wrote {OUT} ({len(out)} arrays, {OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
