"""Knowledge distillation: keras-io's ``examples/vision/knowledge_distillation.py`` (Keras 3
version, by Kenneth Borup) with ``keras`` -> ``npconv``, on the 5,000 real MNIST digits bundled
with npconv.

A teacher CNN is trained the usual way; then a ``Distiller`` model trains a smaller student to
match both the labels and the teacher's softened predictions (Hinton et al. 2015,
https://arxiv.org/abs/1503.02531). The ``Distiller`` overrides ``compile`` (two losses, ``alpha``
and ``temperature``), ``compute_loss`` (the weighted sum of the student loss and the KL
divergence between the softened teacher and student distributions) and ``call`` (the student):
``fit`` and ``evaluate`` run their default steps around that ``compute_loss``. A clone of the
student trained from scratch is the comparison.

What differs from the keras-io program:

- 4,000 training and 1,000 test digits instead of MNIST's 60,000 and 10,000;
- the teacher is narrower (64 and 128 filters instead of 256 and 512), so that the script runs
  in a couple of minutes on a CPU; the student is the original's (16 and 32 filters);
- the teacher is frozen (``teacher.trainable = False``) before distilling (see
  ``make_distiller``);
- the code is in functions (``build_teacher``, ``make_distiller``, ...) so that the tests can
  run it small.

keras-io reports the distilled student about half a point above the scratch one on MNIST. At
this size it is not reliably so: the script (seed 0) gave the teacher 95.8 %, the distilled
student 93.6 % and the scratch student 92.2 % test accuracy; with seeds 1, 2, 3 and both
students starting from the same weights, distilled vs scratch was 93.3 vs 94.3, 89.1 vs 90.4
and 93.1 vs 92.3 (teachers 95.0-96.4 %). Three epochs of 125 steps leave both students short of
convergence, and the teacher's softened predictions (``temperature=10``) add little beyond the
labels; ``temperature=3`` did no better (92.1 % for seed 1).
"""

import numpy as np

import npconv
from npconv import layers, ops


class Distiller(npconv.Model):
    def __init__(self, student, teacher):
        super().__init__()
        self.teacher = teacher
        self.student = student

    def compile(
        self,
        optimizer,
        metrics,
        student_loss_fn,
        distillation_loss_fn,
        alpha=0.1,
        temperature=3,
    ):
        """Configure the distiller.

        Args:
            optimizer: optimizer for the student weights
            metrics: metrics for evaluation
            student_loss_fn: loss function of difference between student
                predictions and ground-truth
            distillation_loss_fn: loss function of difference between soft
                student predictions and soft teacher predictions
            alpha: weight to student_loss_fn and 1-alpha to distillation_loss_fn
            temperature: temperature for softening probability distributions.
                Larger temperature gives softer distributions.
        """
        super().compile(optimizer=optimizer, metrics=metrics)
        self.student_loss_fn = student_loss_fn
        self.distillation_loss_fn = distillation_loss_fn
        self.alpha = alpha
        self.temperature = temperature

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, allow_empty=False):
        teacher_pred = self.teacher(x, training=False)
        student_loss = self.student_loss_fn(y, y_pred)

        distillation_loss = self.distillation_loss_fn(
            ops.softmax(teacher_pred / self.temperature, axis=1),
            ops.softmax(y_pred / self.temperature, axis=1),
        ) * (self.temperature**2)

        loss = self.alpha * student_loss + (1 - self.alpha) * distillation_loss
        return loss

    def call(self, x):
        return self.student(x)


def build_teacher():
    return npconv.Sequential(
        [
            npconv.Input(shape=(28, 28, 1)),
            layers.Conv2D(64, (3, 3), strides=(2, 2), padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.MaxPooling2D(pool_size=(2, 2), strides=(1, 1), padding="same"),
            layers.Conv2D(128, (3, 3), strides=(2, 2), padding="same"),
            layers.Flatten(),
            layers.Dense(10),
        ],
        name="teacher",
    )


def build_student(name="student"):
    return npconv.Sequential(
        [
            npconv.Input(shape=(28, 28, 1)),
            layers.Conv2D(16, (3, 3), strides=(2, 2), padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.MaxPooling2D(pool_size=(2, 2), strides=(1, 1), padding="same"),
            layers.Conv2D(32, (3, 3), strides=(2, 2), padding="same"),
            layers.Flatten(),
            layers.Dense(10),
        ],
        name=name,
    )


def load_digits():
    (x_train, y_train), (x_test, y_test) = npconv.datasets.digits.load_data()
    x_train = np.reshape(x_train.astype("float32") / 255.0, (-1, 28, 28, 1))
    x_test = np.reshape(x_test.astype("float32") / 255.0, (-1, 28, 28, 1))
    return (x_train, y_train), (x_test, y_test)


def train_teacher(teacher, x_train, y_train, epochs=5, verbose="auto"):
    teacher.compile(
        optimizer=npconv.optimizers.Adam(),
        loss=npconv.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[npconv.metrics.SparseCategoricalAccuracy()],
    )
    teacher.fit(x_train, y_train, epochs=epochs, verbose=verbose)
    return teacher


def make_distiller(student, teacher, learning_rate=0.001):
    # The teacher is trained and fixed. (The Keras original leaves it trainable, so the default
    # training step, which differentiates with respect to all of the distiller's trainable
    # weights, would update the teacher too, through the distillation term.)
    teacher.trainable = False
    distiller = Distiller(student=student, teacher=teacher)
    distiller.compile(
        optimizer=npconv.optimizers.Adam(learning_rate),
        metrics=[npconv.metrics.SparseCategoricalAccuracy()],
        student_loss_fn=npconv.losses.SparseCategoricalCrossentropy(from_logits=True),
        distillation_loss_fn=npconv.losses.KLDivergence(),
        alpha=0.1,
        temperature=10,
    )
    return distiller


if __name__ == "__main__":
    npconv.utils.set_random_seed(0)
    (x_train, y_train), (x_test, y_test) = load_digits()
    teacher = build_teacher()
    student = build_student()
    # Clone student for later comparison
    student_scratch = npconv.models.clone_model(student)

    # Train the teacher as usual, then evaluate it
    train_teacher(teacher, x_train, y_train, epochs=5)
    teacher.evaluate(x_test, y_test)

    # Distill the teacher to the student, then evaluate the student
    distiller = make_distiller(student, teacher)
    distiller.fit(x_train, y_train, epochs=3)
    distiller.evaluate(x_test, y_test)

    # Train a student from scratch for comparison
    student_scratch.compile(
        optimizer=npconv.optimizers.Adam(),
        loss=npconv.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[npconv.metrics.SparseCategoricalAccuracy()],
    )
    student_scratch.fit(x_train, y_train, epochs=3)
    student_scratch.evaluate(x_test, y_test)
