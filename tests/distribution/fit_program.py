"""The program the data-parallel tests run, on one process or under ``mpiexec``.

    python fit_program.py OUT.npz [--optimizer sgd|adam|adadelta] [--batch N] [--epochs N]
        [--early-stopping] [--backup DIR] [--kill-at EPOCH] [--files DIR]

It trains a small CNN (Conv2D with an L2 regularizer, synchronized BatchNormalization, Dense)
on fixed random data with sample weights, then evaluates and predicts; rank 0 saves the
weights, optimizer slots, history, evaluation and predictions to OUT.npz, and every rank
checks that its weights and slots equal rank 0's. Under ``mpiexec`` it sets ``DataParallel``.
"""

import argparse
import json
import os
import signal

import numpy as np

import npconv
from npconv import distribution as D
from npconv import layers as L

parser = argparse.ArgumentParser()
parser.add_argument("out")
parser.add_argument("--optimizer", default="sgd")
parser.add_argument("--batch", type=int, default=16)
parser.add_argument("--epochs", type=int, default=3)
parser.add_argument("--early-stopping", action="store_true")
parser.add_argument("--backup")
parser.add_argument("--kill-at", type=int)
parser.add_argument("--files")
args = parser.parse_args()

if D.launched_by_mpi():
    D.set_distribution(D.DataParallel())
npconv.utils.set_random_seed(0)
rng = np.random.default_rng(0)
x = rng.random((50, 8, 8, 1)).astype("float32")
y = rng.integers(0, 3, 50)
sw = rng.random(50).astype("float32") + 0.5

model = npconv.Sequential([
    L.Input((8, 8, 1)),
    L.Conv2D(4, 3, activation="relu", kernel_regularizer="l2"),
    L.BatchNormalization(synchronized=True),
    L.Flatten(),
    L.Dense(3, activation="softmax"),
])
optimizer = {
    "sgd": lambda: npconv.optimizers.SGD(0.1, momentum=0.9),
    "adam": lambda: npconv.optimizers.Adam(0.01),
    "adadelta": lambda: npconv.optimizers.Adadelta(1.0),
}[args.optimizer]()
model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])

callbacks = []
if args.early_stopping:  # stops when the loss stops falling by 0.05: both ranks at once
    callbacks.append(npconv.callbacks.EarlyStopping(monitor="loss", min_delta=0.05, patience=0))
if args.backup:
    callbacks.append(npconv.callbacks.BackupAndRestore(args.backup))
if args.kill_at is not None:
    def kill(epoch, logs):
        if epoch == args.kill_at and D.rank() == 0:
            os.kill(os.getpid(), signal.SIGKILL)  # as a crashed machine: no clean-up at all
    callbacks.append(npconv.callbacks.LambdaCallback(on_epoch_begin=kill))
if args.files:
    callbacks += [npconv.callbacks.CSVLogger(os.path.join(args.files, f"log-{D.rank()}.csv")),
                  npconv.callbacks.ModelCheckpoint(
                      os.path.join(args.files, f"model-{D.rank()}.keras"))]

history = model.fit(x, y, sample_weight=sw, batch_size=args.batch, epochs=args.epochs,
                    verbose=0, callbacks=callbacks)
scores = model.evaluate(x, y, sample_weight=sw, batch_size=args.batch, verbose=0)
predictions = model.predict(x, batch_size=args.batch, verbose=0)

state = [*model.get_weights(), *[v.data for v in model.optimizer.variables]]
flat = np.concatenate([a.ravel().astype(np.float64) for a in state])
if D.size() > 1:
    every = D.distribution().comm.allgather(flat)
    assert all(np.array_equal(f, every[0]) for f in every), "the ranks' weights differ"
if D.is_chief():
    np.savez(args.out, *state, scores=np.asarray(scores), predictions=predictions,
             history=json.dumps(history.history), epochs=len(history.epoch))
D.barrier()
