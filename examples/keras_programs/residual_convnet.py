"""A small residual convnet with Keras 3's functional idioms, in the shape of Keras's
examples/demo_functional.py and the residual blocks of "Deep Learning with Python"
(chapter 9, modern convnet architecture patterns).

Corpus program: written for npconv after the public examples (keras-team/keras,
`examples/demo_functional.py`; fchollet/deep-learning-with-python-notebooks,
`chapter09_part02_modern-convnet-architecture-patterns.ipynb`), on MNIST, keeping their Keras 3
API use: `keras.config.disable_traceback_filtering()`, tensor arithmetic on Keras tensors
(`x += residual`, `x * 0.5`), `keras.ops` on Keras tensors (`ops.mean` as the global pooling,
`ops.concatenate`), residual blocks with a strided 1x1 projection, the images fed as
(N, 28, 28) to an `Input((28, 28, 1))` (Keras adds the channels axis), metrics objects with
names, `evaluate(return_dict=True)` and a `.keras` save and load.
"""
import numpy as np

import keras
from keras import layers, ops

keras.config.disable_traceback_filtering()

(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train = x_train.astype("float32") / 255.0  # (N, 28, 28): no channels axis
x_test = x_test.astype("float32") / 255.0


def residual_block(x, filters, pooling=False):
    residual = x
    x = layers.Conv2D(filters, 3, activation="relu", padding="same")(x)
    x = layers.Conv2D(filters, 3, activation="relu", padding="same")(x)
    if pooling:
        x = layers.MaxPooling2D(2, padding="same")(x)
        residual = layers.Conv2D(filters, 1, strides=2)(residual)
    elif filters != residual.shape[-1]:
        residual = layers.Conv2D(filters, 1)(residual)
    x += residual
    return x


inputs = keras.Input(shape=(28, 28, 1))
x = layers.Rescaling(2.0, offset=-1.0)(inputs)
x = residual_block(x, filters=16, pooling=True)
x = residual_block(x, filters=32, pooling=True)
x = residual_block(x, filters=32, pooling=False)
x = layers.BatchNormalization()(x) * 0.5
features = ops.concatenate([ops.mean(x, axis=[1, 2]), ops.max(x, axis=[1, 2])], axis=-1)
outputs = layers.Dense(10, activation="softmax")(features)
model = keras.Model(inputs=inputs, outputs=outputs)
model.summary()

model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=0.001),
    loss=keras.losses.SparseCategoricalCrossentropy(),
    metrics=[keras.metrics.SparseCategoricalAccuracy(name="acc")],
)
history = model.fit(x_train, y_train, batch_size=32, epochs=5, validation_split=0.2)
scores = model.evaluate(x_test, y_test, return_dict=True)
print(scores)

model.save("residual_convnet.keras")
reloaded = keras.models.load_model("residual_convnet.keras")
pred = model.predict(x_test[:16])
reloaded_pred = reloaded.predict(x_test[:16])
print("reloaded model agrees:", np.allclose(pred, reloaded_pred, atol=1e-5))
