"""Time-series classification with a fully convolutional Conv1D network, in the shape of
keras-io's examples/timeseries/timeseries_classification_from_scratch.py.

Corpus program: written for npconv after the public example (keras-team/keras-io,
`examples/timeseries/timeseries_classification_from_scratch.py`, which reads the FordA
archive from the web; here the same network on noisy sine/square waves made with NumPy, so
that it runs offline), keeping its Keras 3 API use: `keras.layers.Input`, Conv1D +
BatchNormalization + ReLU blocks, GlobalAveragePooling1D, a functional `keras.models.Model`,
`keras.utils.plot_model`-free summary, ModelCheckpoint on `best_model.keras`,
ReduceLROnPlateau and EarlyStopping on val_loss, `validation_split`, and
`keras.models.load_model` of the best checkpoint.
"""
import numpy as np

import keras


def make_waves(n, length=200, seed=0):
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 4 * np.pi, length)
    y = rng.integers(0, 2, n)
    phase = rng.uniform(0, 2 * np.pi, (n, 1))
    x = np.where(y[:, None] == 0, np.sin(t + phase), np.sign(np.sin(t + phase)))
    x = x + rng.normal(0, 0.3, x.shape)
    return x.astype("float32"), y


x_train, y_train = make_waves(600, seed=1)
x_test, y_test = make_waves(200, seed=2)
x_train = x_train.reshape((x_train.shape[0], x_train.shape[1], 1))
x_test = x_test.reshape((x_test.shape[0], x_test.shape[1], 1))
num_classes = len(np.unique(y_train))

idx = np.random.permutation(len(x_train))
x_train = x_train[idx]
y_train = y_train[idx]


def make_model(input_shape):
    input_layer = keras.layers.Input(input_shape)

    conv1 = keras.layers.Conv1D(filters=64, kernel_size=3, padding="same")(input_layer)
    conv1 = keras.layers.BatchNormalization()(conv1)
    conv1 = keras.layers.ReLU()(conv1)

    conv2 = keras.layers.Conv1D(filters=64, kernel_size=3, padding="same")(conv1)
    conv2 = keras.layers.BatchNormalization()(conv2)
    conv2 = keras.layers.ReLU()(conv2)

    conv3 = keras.layers.Conv1D(filters=64, kernel_size=3, padding="same")(conv2)
    conv3 = keras.layers.BatchNormalization()(conv3)
    conv3 = keras.layers.ReLU()(conv3)

    gap = keras.layers.GlobalAveragePooling1D()(conv3)

    output_layer = keras.layers.Dense(num_classes, activation="softmax")(gap)

    return keras.models.Model(inputs=input_layer, outputs=output_layer)


model = make_model(input_shape=x_train.shape[1:])
model.summary()

epochs = 500
batch_size = 32

callbacks = [
    keras.callbacks.ModelCheckpoint("best_model.keras", save_best_only=True,
                                    monitor="val_loss"),
    keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=20,
                                      min_lr=0.0001),
    keras.callbacks.EarlyStopping(monitor="val_loss", patience=50, verbose=1),
]
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
              metrics=["sparse_categorical_accuracy"])
history = model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs,
                    callbacks=callbacks, validation_split=0.2, verbose=1)

model = keras.models.load_model("best_model.keras")

test_loss, test_acc = model.evaluate(x_test, y_test)
print("Test accuracy", test_acc)
print("Test loss", test_loss)
