"""Reference outputs of Keras 3's image preprocessing layers, for npconv's parity tests.

    CUDA_VISIBLE_DEVICES= TF_CPP_MIN_LOG_LEVEL=3 /tmp/refenv/bin/python \
        tools/keras_references/preprocessing_layers.py

Writes ``tests/references/keras_preprocessing_layers.npz``. Random layers are made deterministic
by a factor range of width zero (``RandomRotation((0.1, 0.1))`` always turns by 36 degrees), so
their outputs can be compared (``RandomContrast`` cannot be pinned so: its test recovers the
factor Keras drew and checks the formula); each case stores the layer's arguments (JSON),
whether it was called with ``training=True``, the input and Keras's output.

The Keras here runs on TensorFlow, whose 'wrap' fill mixes ``fill_value`` into pixels sampled
across the seam; npconv's 'wrap' is periodic as Keras's numpy and JAX backends are, so it has no
case here (its test is by hand).
"""

from __future__ import annotations

import json
import os
import pathlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

OUT = (pathlib.Path(__file__).resolve().parents[2] / "tests" / "references"
       / "keras_preprocessing_layers.npz")
RNG = np.random.default_rng(7)

# (case, layer class, arguments, training, input shape)
CASES = [
    ("rescaling", "Rescaling", {"scale": 1 / 255, "offset": -0.5}, False, (2, 5, 6, 3)),
    ("resizing_up", "Resizing", {"height": 9, "width": 7}, False, (2, 5, 6, 3)),
    ("resizing_down", "Resizing", {"height": 3, "width": 4}, False, (2, 8, 9, 3)),
    ("resizing_nearest", "Resizing", {"height": 7, "width": 4, "interpolation": "nearest"},
     False, (2, 5, 6, 2)),
    ("resizing_crop", "Resizing", {"height": 4, "width": 4, "crop_to_aspect_ratio": True},
     False, (2, 6, 9, 3)),
    ("center_crop", "CenterCrop", {"height": 3, "width": 4}, False, (2, 6, 7, 3)),
    ("center_crop_small", "CenterCrop", {"height": 8, "width": 6}, False, (2, 5, 6, 3)),
    ("random_crop_inference", "RandomCrop", {"height": 3, "width": 4}, False, (2, 6, 7, 3)),
    ("rotation", "RandomRotation", {"factor": (0.1, 0.1)}, True, (2, 7, 8, 3)),
    ("rotation_constant", "RandomRotation",
     {"factor": (-0.2, -0.2), "fill_mode": "constant", "fill_value": 3.0}, True, (2, 7, 8, 3)),
    ("rotation_nearest_fill", "RandomRotation", {"factor": (0.15, 0.15), "fill_mode": "nearest"},
     True, (2, 7, 8, 1)),
    ("rotation_nearest", "RandomRotation", {"factor": (0.1, 0.1), "interpolation": "nearest"},
     True, (2, 7, 8, 1)),
    ("rotation_inference", "RandomRotation", {"factor": 0.3}, False, (2, 7, 8, 3)),
    ("zoom_out", "RandomZoom", {"height_factor": (0.3, 0.3)}, True, (2, 7, 8, 3)),
    ("zoom_in_wh", "RandomZoom", {"height_factor": (-0.2, -0.2), "width_factor": (0.1, 0.1),
                                  "fill_mode": "constant"}, True, (2, 7, 8, 3)),
    ("translation", "RandomTranslation", {"height_factor": (0.2, 0.2),
                                          "width_factor": (-0.25, -0.25)}, True, (2, 7, 8, 3)),
    ("translation_constant", "RandomTranslation",
     {"height_factor": (-0.1, -0.1), "width_factor": (0.3, 0.3), "fill_mode": "constant"}, True,
     (2, 7, 8, 3)),
    ("brightness", "RandomBrightness", {"factor": (0.2, 0.2)}, True, (2, 5, 6, 3)),
    ("brightness_range", "RandomBrightness", {"factor": (-0.3, -0.3), "value_range": (0, 1)},
     True, (2, 5, 6, 3)),
    ("contrast", "RandomContrast", {"factor": (0.5, 0.5)}, True, (2, 5, 6, 3)),
    ("normalization", "Normalization", {"mean": [1.0, 2.0, 3.0], "variance": [4.0, 0.25, 9.0]},
     False, (2, 5, 6, 3)),
    ("normalization_invert", "Normalization",
     {"mean": [1.0, 2.0, 3.0], "variance": [4.0, 0.25, 9.0], "invert": True}, False,
     (2, 5, 6, 3)),
]


def main():
    out = {}
    for name, cls, kwargs, training, shape in CASES:
        x = (RNG.random(shape) * 255).astype(np.float32)
        if cls == "RandomBrightness" and kwargs.get("value_range") == (0, 1):
            x = x / 255
        layer = getattr(keras.layers, cls)(**kwargs)
        y = keras.ops.convert_to_numpy(layer(x, training=training))
        out[f"{name}/spec"] = np.array(json.dumps({"class": cls, "kwargs": kwargs,
                                                   "training": training}))
        out[f"{name}/x"] = x
        out[f"{name}/y"] = y
    adapt_data = (RNG.standard_normal((50, 4, 3)) * [1.0, 5.0, 0.1] + [0.0, 3.0, -2.0])
    adapt_data = adapt_data.astype(np.float32)
    layer = keras.layers.Normalization()
    layer.adapt(adapt_data)
    out["adapt/x"] = adapt_data
    out["adapt/mean"] = np.asarray(layer.mean)
    out["adapt/variance"] = np.asarray(layer.variance)
    out["adapt/y"] = keras.ops.convert_to_numpy(layer(adapt_data[:5]))
    out["cases"] = np.array(json.dumps([c[0] for c in CASES]))
    out["versions"] = np.array(json.dumps({"keras": keras.__version__}))
    tmp = OUT.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, **out)
    os.replace(tmp, OUT)
    print(f"wrote {OUT} ({len(out)} arrays, {OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
