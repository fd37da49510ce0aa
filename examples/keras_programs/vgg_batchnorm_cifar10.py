"""A VGG-style CIFAR-10 classifier with BatchNormalization, as the popular blog tutorials
write it ("How to develop a CNN for CIFAR-10 photo classification").

Corpus program: written for npconv after the style of those public tutorials (three VGG
blocks of Conv2D(padding="same", kernel_initializer="he_uniform") + BatchNormalization +
MaxPooling2D + Dropout, SGD with momentum, EarlyStopping and ModelCheckpoint on a `.h5`
file with save_best_only, then `keras.models.load_model` of that file and `evaluate`).
"""
from keras.callbacks import EarlyStopping, ModelCheckpoint
from keras.datasets import cifar10
from keras.layers import BatchNormalization, Conv2D, Dense, Dropout, Flatten, MaxPooling2D
from keras.models import Sequential, load_model
from keras.optimizers import SGD
from keras.utils import to_categorical


def load_dataset():
    (trainX, trainY), (testX, testY) = cifar10.load_data()
    trainY = to_categorical(trainY)
    testY = to_categorical(testY)
    return trainX, trainY, testX, testY


def prep_pixels(train, test):
    train_norm = train.astype("float32")
    test_norm = test.astype("float32")
    train_norm = train_norm / 255.0
    test_norm = test_norm / 255.0
    return train_norm, test_norm


def define_model():
    model = Sequential()
    model.add(Conv2D(32, (3, 3), activation="relu", kernel_initializer="he_uniform",
                     padding="same", input_shape=(32, 32, 3)))
    model.add(BatchNormalization())
    model.add(Conv2D(32, (3, 3), activation="relu", kernel_initializer="he_uniform",
                     padding="same"))
    model.add(BatchNormalization())
    model.add(MaxPooling2D((2, 2)))
    model.add(Dropout(0.2))
    model.add(Conv2D(64, (3, 3), activation="relu", kernel_initializer="he_uniform",
                     padding="same"))
    model.add(BatchNormalization())
    model.add(Conv2D(64, (3, 3), activation="relu", kernel_initializer="he_uniform",
                     padding="same"))
    model.add(BatchNormalization())
    model.add(MaxPooling2D((2, 2)))
    model.add(Dropout(0.3))
    model.add(Conv2D(128, (3, 3), activation="relu", kernel_initializer="he_uniform",
                     padding="same"))
    model.add(BatchNormalization())
    model.add(Conv2D(128, (3, 3), activation="relu", kernel_initializer="he_uniform",
                     padding="same"))
    model.add(BatchNormalization())
    model.add(MaxPooling2D((2, 2)))
    model.add(Dropout(0.4))
    model.add(Flatten())
    model.add(Dense(128, activation="relu", kernel_initializer="he_uniform"))
    model.add(BatchNormalization())
    model.add(Dropout(0.5))
    model.add(Dense(10, activation="softmax"))
    opt = SGD(learning_rate=0.001, momentum=0.9)
    model.compile(optimizer=opt, loss="categorical_crossentropy", metrics=["accuracy"])
    return model


trainX, trainY, testX, testY = load_dataset()
trainX, testX = prep_pixels(trainX, testX)
model = define_model()
callbacks = [
    EarlyStopping(monitor="val_loss", patience=10, restore_best_weights=True),
    ModelCheckpoint("best_model.h5", monitor="val_accuracy", save_best_only=True, verbose=1),
]
history = model.fit(trainX, trainY, epochs=100, batch_size=64,
                    validation_data=(testX, testY), callbacks=callbacks, verbose=2)
best = load_model("best_model.h5")
_, acc = best.evaluate(testX, testY, verbose=0)
print("> %.3f" % (acc * 100.0))
