"""Grad-CAM heatmaps by the Keras example's recipe, for npconv's Grad-CAM test.

Run with TensorFlow's Keras (never needed by npconv):

    CUDA_VISIBLE_DEVICES= TF_CPP_MIN_LOG_LEVEL=3 /tmp/refenv/bin/python \
        tools/keras_references/grad_cam.py

Writes ``tests/references/grad_cam.npz``: a small CNN's weights (``get_weights`` order), a batch
of inputs, and the heatmaps of keras-io's ``vision/grad_cam.py`` recipe for the predicted
classes (``heatmap_pred``) and for class 1 (``heatmap_class1``):

    last_conv_output, preds = grad_model(x)      # the last layer's softmax removed
    class_channel = preds[:, class_index]
    grads = tape.gradient(class_channel, last_conv_output)
    pooled_grads = reduce_mean(grads, axis=(0, 1, 2))
    heatmap = relu(last_conv_output @ pooled_grads) / reduce_max(heatmap)

(the example explains one image at a time; here it runs once per image). The architecture is
built again in the test from ``ARCHITECTURE`` below.
"""

from __future__ import annotations

import os
import pathlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parents[2] / "tests" / "references" / "grad_cam.npz"
INPUT_SHAPE = (12, 12, 3)
CLASSES = 4


def build():
    """Conv(6, 3x3, same, relu) - MaxPool 2 - Conv(8, 3x3, relu) - Flatten - Dense(softmax)."""
    keras.utils.set_random_seed(3)
    inputs = keras.Input(INPUT_SHAPE)
    x = keras.layers.Conv2D(6, 3, padding="same", activation="relu", name="conv_a")(inputs)
    x = keras.layers.MaxPooling2D(2, name="pool")(x)
    x = keras.layers.Conv2D(8, 3, activation="relu", name="conv_b")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    outputs = keras.layers.Dense(CLASSES, activation="softmax", name="probs")(x)
    model = keras.Model(inputs, outputs)
    # biases are zero at initialization; give them values so that they matter
    rng = np.random.default_rng(1)
    model.set_weights([w if w.ndim > 1 else rng.normal(0, 0.1, w.shape).astype("float32")
                       for w in model.get_weights()])
    return model


def make_gradcam_heatmap(img_array, model, last_conv_layer_name, pred_index=None):
    """keras-io vision/grad_cam.py, unchanged but for the comments."""
    grad_model = keras.models.Model(
        model.inputs, [model.get_layer(last_conv_layer_name).output, model.output]
    )
    with tf.GradientTape() as tape:
        last_conv_layer_output, preds = grad_model(img_array)
        if pred_index is None:
            pred_index = tf.argmax(preds[0])
        class_channel = preds[:, pred_index]
    grads = tape.gradient(class_channel, last_conv_layer_output)
    pooled_grads = tf.reduce_mean(grads, axis=(0, 1, 2))
    last_conv_layer_output = last_conv_layer_output[0]
    heatmap = last_conv_layer_output @ pooled_grads[..., tf.newaxis]
    heatmap = tf.squeeze(heatmap)
    heatmap = tf.maximum(heatmap, 0) / tf.math.reduce_max(heatmap)
    return heatmap.numpy()


def main():
    model = build()
    weights = model.get_weights()
    x = np.random.default_rng(2).random((5, *INPUT_SHAPE), dtype=np.float32)
    probabilities = model.predict(x, verbose=0)
    model.layers[-1].activation = None  # "Remove last layer's softmax", as the example does
    pred = np.stack([make_gradcam_heatmap(x[i:i + 1], model, "conv_b") for i in range(len(x))])
    one = np.stack([make_gradcam_heatmap(x[i:i + 1], model, "conv_b", pred_index=1)
                    for i in range(len(x))])
    arrays = {f"weight_{i}": w for i, w in enumerate(weights)}
    np.savez_compressed(OUT, x=x, probabilities=probabilities, heatmap_pred=pred,
                        heatmap_class1=one, **arrays)
    print(f"wrote {OUT}: heatmaps {pred.shape}, predicted {probabilities.argmax(1).tolist()}")


if __name__ == "__main__":
    main()
