"""Image classification from a folder of class sub-folders, with augmentation layers and a
small Xception-style network, in the shape of keras-io's
examples/vision/image_classification_from_scratch.py.

Corpus program: written for npconv after the public example (keras-team/keras-io,
`examples/vision/image_classification_from_scratch.py`, which trains on the Cats vs Dogs
download; here any folder `images/<class>/*.png`), keeping its Keras 3 API use:
`keras.utils.image_dataset_from_directory` with validation_split/subset/seed, a
`data_augmentation` Sequential of RandomFlip and RandomRotation, `layers.Rescaling`,
SeparableConv2D residual blocks with BatchNormalization and `layers.add`, a strided 1x1
Conv2D shortcut, GlobalAveragePooling2D, ModelCheckpoint with an `{epoch}` name,
`keras.utils.load_img`/`img_to_array` and `ops.expand_dims`, and `keras.ops.sigmoid` on the
prediction.
"""
import keras
from keras import layers

image_size = (64, 64)
batch_size = 16

train_ds, val_ds = keras.utils.image_dataset_from_directory(
    "images",
    validation_split=0.2,
    subset="both",
    seed=1337,
    image_size=image_size,
    batch_size=batch_size,
)

data_augmentation_layers = [
    layers.RandomFlip("horizontal"),
    layers.RandomRotation(0.1),
]


def data_augmentation(images):
    for layer in data_augmentation_layers:
        images = layer(images)
    return images


def make_model(input_shape, num_classes):
    inputs = keras.Input(shape=input_shape)

    x = layers.Rescaling(1.0 / 255)(inputs)
    x = layers.Conv2D(32, 3, strides=2, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)

    previous_block_activation = x

    for size in [64, 128]:
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)

        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)

        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)

        residual = layers.Conv2D(size, 1, strides=2, padding="same")(previous_block_activation)
        x = layers.add([x, residual])
        previous_block_activation = x

    x = layers.SeparableConv2D(256, 3, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)

    x = layers.GlobalAveragePooling2D()(x)
    if num_classes == 2:
        units = 1
    else:
        units = num_classes

    x = layers.Dropout(0.25)(x)
    outputs = layers.Dense(units, activation=None)(x)
    return keras.Model(inputs, outputs)


model = make_model(input_shape=image_size + (3,), num_classes=2)

epochs = 25
callbacks = [keras.callbacks.ModelCheckpoint("save_at_{epoch}.keras")]
model.compile(
    optimizer=keras.optimizers.Adam(3e-4),
    loss=keras.losses.BinaryCrossentropy(from_logits=True),
    metrics=[keras.metrics.BinaryAccuracy(name="acc")],
)
model.fit(train_ds, epochs=epochs, callbacks=callbacks, validation_data=val_ds)

img = keras.utils.load_img(val_ds.file_paths[0], target_size=image_size)
img_array = keras.utils.img_to_array(img)
img_array = keras.ops.expand_dims(img_array, 0)
predictions = model.predict(img_array)
score = float(keras.ops.sigmoid(predictions[0][0]))
print(f"This image is {100 * (1 - score):.2f}% class 0 and {100 * score:.2f}% class 1.")
