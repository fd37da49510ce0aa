"""Reference outputs of Keras 2's ``ImageDataGenerator`` (kept in Keras 3 as
``keras.src.legacy.preprocessing.image``, SciPy underneath), for npconv's parity tests.

    CUDA_VISIBLE_DEVICES= TF_CPP_MIN_LOG_LEVEL=3 /tmp/refenv/bin/python \
        tools/keras_references/image_data_generator.py

Writes ``tests/references/keras_image_data_generator.npz``:

- ``transform/<i>``: Keras's ``apply_transform`` of ``image`` (or ``image_cf``, channels first)
  for the parameters and generator arguments in ``transform/<i>/spec`` (JSON), over rotation,
  shift, shear, zoom, flips, every fill mode, channel shift and brightness (in and out of
  [0, 255]).
- ``fit/<name>/...``: ``fit`` statistics (mean, std, ZCA matrix) and ``standardize`` of a batch
  for feature-wise, sample-wise and ZCA generators.
"""

from __future__ import annotations

import json
import os
import pathlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras.src.legacy.preprocessing.image import ImageDataGenerator  # noqa: E402

OUT = (pathlib.Path(__file__).resolve().parents[2] / "tests" / "references"
       / "keras_image_data_generator.npz")
RNG = np.random.default_rng(11)

PARAMS = [
    {"theta": 23.0},
    {"theta": -90.0},
    {"tx": 2.3, "ty": -1.7},
    {"tx": -3.0, "ty": 4.0},
    {"shear": 15.0},
    {"zx": 0.8, "zy": 1.3},
    {"zx": 1.6, "zy": 1.6},
    {"theta": -40.0, "tx": 1.5, "ty": 2.0, "shear": 10.0, "zx": 1.2, "zy": 0.9,
     "flip_horizontal": True},
    {"theta": 12.0, "flip_vertical": True, "flip_horizontal": True},
    {"flip_horizontal": True},
    {"flip_vertical": True},
]
COLOUR_PARAMS = [
    {"channel_shift_intensity": 30.0, "theta": 5.0},
    {"channel_shift_intensity": -50.0},
    {"brightness": 1.4},
    {"brightness": 0.6, "theta": 10.0},
]


def transform_references(out):
    image = (RNG.random((9, 11, 3)) * 255).astype(np.float32)
    out["image"] = image
    out["image_cf"] = np.ascontiguousarray(image.transpose(2, 0, 1))
    wide = (RNG.standard_normal((9, 11, 3)) * 300).astype(np.float32)  # outside [0, 255]
    out["image_wide"] = wide
    i = 0
    for fill_mode in ("nearest", "constant", "reflect", "wrap"):
        for data_format in ("channels_last", "channels_first"):
            for params in PARAMS:
                gen = ImageDataGenerator(fill_mode=fill_mode, cval=7.0, data_format=data_format)
                x = out["image"] if data_format == "channels_last" else out["image_cf"]
                spec = {"fill_mode": fill_mode, "cval": 7.0, "data_format": data_format,
                        "input": "image" if data_format == "channels_last" else "image_cf",
                        "params": params}
                out[f"transform/{i}/spec"] = np.array(json.dumps(spec))
                out[f"transform/{i}"] = gen.apply_transform(x.copy(), params)
                i += 1
    # Keras's brightness ignores data_format (it calls array_to_img with the default), so
    # colour cases are channels last only.
    for source in ("image", "image_wide"):
        for params in COLOUR_PARAMS:
            gen = ImageDataGenerator(fill_mode="nearest")
            spec = {"fill_mode": "nearest", "cval": 0.0, "data_format": "channels_last",
                    "input": source, "params": params}
            out[f"transform/{i}/spec"] = np.array(json.dumps(spec))
            out[f"transform/{i}"] = gen.apply_transform(out[source].copy(), params)
            i += 1
    out["transform/count"] = np.array(i)


def fit_references(out):
    x = (RNG.random((40, 6, 5, 3)) * 255).astype(np.float32)
    batch = (RNG.random((4, 6, 5, 3)) * 255).astype(np.float32)
    out["fit/x"] = x
    out["fit/batch"] = batch
    cases = {
        "featurewise": {"featurewise_center": True, "featurewise_std_normalization": True,
                        "rescale": 1.0 / 255},
        "center_only": {"featurewise_center": True},
        "zca": {"zca_whitening": True, "zca_epsilon": 0.1},
        "samplewise": {"samplewise_center": True, "samplewise_std_normalization": True},
    }
    for name, kwargs in cases.items():
        gen = ImageDataGenerator(**kwargs)
        gen.fit(x)
        out[f"fit/{name}/spec"] = np.array(json.dumps(kwargs))
        for attr in ("mean", "std", "zca_whitening_matrix"):
            value = getattr(gen, attr)
            if value is not None:
                out[f"fit/{name}/{attr}"] = np.asarray(value)
        # The iterators standardize image by image (sample-wise statistics per image).
        out[f"fit/{name}/standardized"] = np.stack([gen.standardize(img.copy())
                                                    for img in batch])


def main():
    out = {}
    transform_references(out)
    fit_references(out)
    out["versions"] = np.array(json.dumps({"keras": keras.__version__}))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    tmp = OUT.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, **out)
    os.replace(tmp, OUT)
    print(f"wrote {OUT} ({len(out)} arrays, {OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
