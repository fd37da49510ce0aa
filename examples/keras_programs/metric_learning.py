"""Metric learning for image similarity search, in the shape of keras-io's
examples/vision/metric_learning.py (TensorFlow backend).

Corpus program: written for npconv after the public example (keras-team/keras-io,
`examples/vision/metric_learning.py`), on MNIST digits instead of CIFAR-10, keeping its Keras
3 API use: a `keras.utils.PyDataset` (its `num_batches` renamed `num_batchs`: Keras 3.15 made
`num_batches` a read-only property of PyDataset) whose every batch is ONE array of shape
(2, num_classes, ...) holding anchors and positives, a subclassed `keras.Model` whose
`train_step` splits that array itself (so the batch is not the model's input shape), an
embedding that ends in `UnitNormalization`, `keras.ops.einsum` similarities scaled by a
temperature, `compile(loss=SparseCategoricalCrossentropy(from_logits=True))` read back through
`self.compute_loss`, the metrics updated by hand, and a nearest-neighbour check of the
embeddings of the test digits.
"""
import random
from collections import defaultdict

import numpy as np
import tensorflow as tf

import keras
from keras import layers

(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train = np.expand_dims(x_train.astype("float32") / 255.0, -1)
x_test = np.expand_dims(x_test.astype("float32") / 255.0, -1)

class_idx_to_train_idxs = defaultdict(list)
for y_train_idx, y in enumerate(y_train):
    class_idx_to_train_idxs[y].append(y_train_idx)

num_classes = 10
height_width = 28


class AnchorPositivePairs(keras.utils.PyDataset):
    def __init__(self, num_batchs, **kwargs):
        super().__init__(**kwargs)
        self.num_batchs = num_batchs

    def __len__(self):
        return self.num_batchs

    def __getitem__(self, _idx):
        x = np.empty((2, num_classes, height_width, height_width, 1), dtype=np.float32)
        for class_idx in range(num_classes):
            examples_for_class = class_idx_to_train_idxs[class_idx]
            anchor_idx = random.choice(examples_for_class)
            positive_idx = random.choice(examples_for_class)
            while positive_idx == anchor_idx:
                positive_idx = random.choice(examples_for_class)
            x[0, class_idx] = x_train[anchor_idx]
            x[1, class_idx] = x_train[positive_idx]
        return x


class EmbeddingModel(keras.Model):
    def train_step(self, data):
        # Note: Workaround for open issue, to be removed.
        if isinstance(data, tuple):
            data = data[0]
        anchors, positives = data[0], data[1]

        with tf.GradientTape() as tape:
            # Run both anchors and positives through model.
            anchor_embeddings = self(anchors, training=True)
            positive_embeddings = self(positives, training=True)

            # Calculate cosine similarity between anchors and positives. As they have
            # been normalised this is just the pair wise dot products.
            similarities = keras.ops.einsum(
                "ae,pe->ap", anchor_embeddings, positive_embeddings
            )

            # Since we intend to use these as logits we scale them by a temperature.
            # This value would normally be chosen as a hyper parameter.
            temperature = 0.2
            similarities /= temperature

            # We use these similarities as logits for a softmax. The labels for
            # this call are just the sequence [0, 1, 2, ..., num_classes] since we
            # want the main diagonal values, which correspond to the anchor/positive
            # pairs, to be high. This loss will move embeddings for the
            # anchor/positive pairs together and move all other pairs apart.
            sparse_labels = keras.ops.arange(num_classes)
            loss = self.compute_loss(y=sparse_labels, y_pred=similarities)

        # Calculate gradients and apply via optimizer.
        gradients = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_variables))

        # Update and return metrics (specifically the one for the loss value).
        for metric in self.metrics:
            # Calling `self.compile` will by default add a `keras.metrics.Mean` loss
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(sparse_labels, similarities)

        return {m.name: m.result() for m in self.metrics}


inputs = layers.Input(shape=(height_width, height_width, 1))
x = layers.Conv2D(filters=32, kernel_size=3, strides=2, activation="relu")(inputs)
x = layers.Conv2D(filters=64, kernel_size=3, strides=2, activation="relu")(x)
x = layers.Conv2D(filters=128, kernel_size=3, strides=2, activation="relu")(x)
x = layers.GlobalAveragePooling2D()(x)
embeddings = layers.Dense(units=8, activation=None)(x)
embeddings = layers.UnitNormalization()(embeddings)

model = EmbeddingModel(inputs, embeddings)

model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=1e-3),
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
)

history = model.fit(AnchorPositivePairs(num_batchs=200), epochs=20)

# Near-neighbour check: for each test digit, the class of its nearest other test digit in
# the embedding space.
near_neighbours_per_example = 10

embeddings = model.predict(x_test)
gram_matrix = np.einsum("ae,be->ab", embeddings, embeddings)
near_neighbours = np.argsort(gram_matrix.T)[:, -(near_neighbours_per_example + 1):]

nearest = near_neighbours[:, -2]  # the last is the example itself
neighbour_accuracy = float(np.mean(y_test[nearest] == y_test))
print("nearest-neighbour accuracy:", neighbour_accuracy)
