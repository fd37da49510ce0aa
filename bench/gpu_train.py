"""Training and prediction samples/s on one GPU: npconv on CuPy against PyTorch CUDA, same run.

    NPCONV_BACKEND=cupy python bench/gpu_train.py [--steps 30] [--rounds 3] [--budget 300]
    python bench/gpu_train.py --torch-device cpu --steps 2 --rounds 1   # a CPU dry run

The models: the three tutorial models (``npconv.cli.tutorial_models``: mnist_simple, batch 32,
Adam; mnist_cnn, batch 128, Adadelta; cifar10_cnn, batch 512, SGD momentum 0.5) and Keras's
``cifar10_resnet`` ResNet-20 v1 (batch 128, Adam, BatchNormalization, l2 1e-4), each written
once in npconv's Keras API and once in PyTorch (NCHW, ``cudnn.benchmark``, logits into
``CrossEntropyLoss``: the softmax the Keras models end with). Data: random images of the
datasets' shapes (the machine has no internet), on the host, so both frameworks move each batch
to the GPU as a user's NumPy arrays would be moved.

Each (framework, model) pair is warmed up (kernels compiled, cuDNN autotuned), then timed for
``--steps`` batches of fit and of predict, the device synchronized before the clock stops;
frameworks alternate over ``--rounds`` rounds, and the table shows medians with [min-max]. A
framework that fails on a model is reported as FAILED with its error, and the exit status is 1.
``--budget`` seconds bounds the whole run: pairs not started in time are reported as SKIPPED.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import traceback
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

MODELS = {  # name: (input shape (H, W, C), batch size)
    "mnist_simple": ((28, 28, 1), 32),
    "mnist_cnn": ((28, 28, 1), 128),
    "cifar10_cnn": ((32, 32, 3), 512),
    "resnet20_v1": ((32, 32, 3), 128),
}


def data(name, steps, seed=0):
    (h, w, c), bs = MODELS[name]
    rng = np.random.default_rng(seed)
    n = bs * steps
    x = rng.random((n, h, w, c), dtype=np.float32)
    labels = rng.integers(0, 10, n)
    return x, np.eye(10, dtype=np.float32)[labels], labels


# --- npconv -----------------------------------------------------------------------------------


def npconv_resnet20(input_shape):
    from npconv.layers import (
        Activation,
        AveragePooling2D,
        BatchNormalization,
        Conv2D,
        Dense,
        Flatten,
        Input,
        add,
    )
    from npconv.models import Model
    from npconv.regularizers import l2

    def layer(x, filters=16, kernel_size=3, strides=1, activation="relu", bn=True):
        x = Conv2D(filters, kernel_size, strides=strides, padding="same",
                   kernel_initializer="he_normal", kernel_regularizer=l2(1e-4))(x)
        if bn:
            x = BatchNormalization()(x)
        return Activation(activation)(x) if activation else x

    inputs = Input(shape=input_shape)
    x = layer(inputs)
    filters = 16
    for stack in range(3):
        for block in range(3):
            strides = 2 if stack > 0 and block == 0 else 1
            y = layer(x, filters, strides=strides)
            y = layer(y, filters, activation=None)
            if strides == 2:
                x = layer(x, filters, kernel_size=1, strides=2, activation=None, bn=False)
            x = Activation("relu")(add([x, y]))
        filters *= 2
    x = Flatten()(AveragePooling2D(pool_size=8)(x))
    outputs = Dense(10, activation="softmax", kernel_initializer="he_normal")(x)
    return Model(inputs=inputs, outputs=outputs)


def npconv_model(name):
    import npconv
    from npconv.cli.tutorial_models import TUTORIAL_MODELS

    shape, _ = MODELS[name]
    if name == "resnet20_v1":
        model, optimizer = npconv_resnet20(shape), npconv.optimizers.Adam(learning_rate=1e-3)
    else:
        spec = TUTORIAL_MODELS[name]
        model, optimizer = spec.build(shape, 10), npconv.optimizers.get(spec.optimizer)
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def npconv_runner(name, steps):
    import npconv

    x, y, _ = data(name, steps)
    bs = MODELS[name][1]
    model = npconv_model(name)
    sync = _npconv_sync()

    def fit(n_batches):
        model.fit(x[: n_batches * bs], y[: n_batches * bs], batch_size=bs, epochs=1,
                  verbose=0, shuffle=False)
        sync()

    def predict(n_batches):
        model.predict(x[: n_batches * bs], batch_size=bs, verbose=0)
        sync()

    return fit, predict, f"npconv ({npconv.backend.backend()} backend)"


def _npconv_sync():
    from npconv import backend

    if backend.backend() == "cupy":
        import cupy

        return cupy.cuda.Device().synchronize
    return lambda: None


# --- PyTorch ----------------------------------------------------------------------------------


def torch_model(name):
    import torch
    from torch import nn

    if name == "mnist_simple":
        model = nn.Sequential(nn.Conv2d(1, 16, 3), nn.ReLU(), nn.Conv2d(16, 8, 3), nn.ReLU(),
                              nn.Flatten(), nn.Linear(8 * 24 * 24, 10))
        return model, lambda p: torch.optim.Adam(p, lr=1e-3, eps=1e-7)
    if name == "mnist_cnn":
        model = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 64, 3), nn.ReLU(),
                              nn.MaxPool2d(2), nn.Dropout(0.25), nn.Flatten(),
                              nn.Linear(64 * 12 * 12, 128), nn.ReLU(), nn.Dropout(0.5),
                              nn.Linear(128, 10))
        return model, lambda p: torch.optim.Adadelta(p, lr=1.0, rho=0.95, eps=1e-7)
    if name == "cifar10_cnn":
        model = nn.Sequential(nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.Dropout(0.2),
                              nn.Conv2d(32, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                              nn.Linear(32 * 15 * 15, 512), nn.ReLU(), nn.Dropout(0.5),
                              nn.Linear(512, 10))
        return model, lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.5)
    # Keras's l2(1e-4) on the kernels adds 2e-4 * w to their gradients: weight_decay=2e-4
    return _torch_resnet20(), lambda p: torch.optim.Adam(p, lr=1e-3, eps=1e-7,
                                                         weight_decay=2e-4)


def _torch_resnet20():
    from torch import nn

    def conv_bn(cin, cout, k=3, stride=1, bn=True):
        layers = [nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2)]
        if bn:  # Keras's BatchNormalization: momentum 0.99, epsilon 1e-3
            layers.append(nn.BatchNorm2d(cout, eps=1e-3, momentum=0.01))
        return nn.Sequential(*layers)

    class Block(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.a = conv_bn(cin, cout, stride=stride)
            self.b = conv_bn(cout, cout)
            self.short = conv_bn(cin, cout, 1, stride, bn=False) if stride == 2 else None

        def forward(self, x):
            y = self.b(nn.functional.relu(self.a(x)))
            return nn.functional.relu((x if self.short is None else self.short(x)) + y)

    class ResNet20(nn.Module):
        """Keras's cifar10_resnet v1, depth 20 (3 stacks of 3 blocks, 16/32/64 filters)."""

        def __init__(self):
            super().__init__()
            blocks, cin = [], 16
            for stack, cout in enumerate((16, 32, 64)):
                for block in range(3):
                    blocks.append(Block(cin, cout, 2 if stack > 0 and block == 0 else 1))
                    cin = cout
            self.stem = conv_bn(3, 16)
            self.blocks = nn.Sequential(*blocks)
            self.head = nn.Linear(64, 10)

        def forward(self, x):
            x = self.blocks(nn.functional.relu(self.stem(x)))
            return self.head(nn.functional.avg_pool2d(x, 8).flatten(1))

    return ResNet20()


def torch_runner(name, steps, device):
    import torch

    torch.backends.cudnn.benchmark = True
    x, _, labels = data(name, steps)
    bs = MODELS[name][1]
    model, make_opt = torch_model(name)
    model = model.to(device)
    opt = make_opt(model.parameters())
    loss_fn = torch.nn.CrossEntropyLoss()
    xt = torch.from_numpy(x).permute(0, 3, 1, 2).contiguous()  # NCHW, on the host
    yt = torch.from_numpy(labels)
    if device == "cuda":
        xt, yt = xt.pin_memory(), yt.pin_memory()
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)

    def fit(n_batches):
        model.train()
        for i in range(0, n_batches * bs, bs):
            xb = xt[i: i + bs].to(device, non_blocking=True)
            yb = yt[i: i + bs].to(device, non_blocking=True)
            opt.zero_grad(set_to_none=True)
            loss_fn(model(xb), yb).backward()
            opt.step()
        sync()

    def predict(n_batches):
        model.eval()
        with torch.no_grad():
            out = [model(xt[i: i + bs].to(device, non_blocking=True)).cpu()
                   for i in range(0, n_batches * bs, bs)]
        sync()
        return out

    return fit, predict, f"PyTorch {torch.__version__} ({device})"


# --- the run ----------------------------------------------------------------------------------


def timed(fn, n_batches, bs):
    start = time.perf_counter()
    fn(n_batches)
    return n_batches * bs / (time.perf_counter() - start)


def run(models, steps, rounds, warmup, budget, torch_device):
    deadline = time.monotonic() + budget
    results, failed = {}, False
    for name in models:
        bs = MODELS[name][1]
        runners = {}
        for fw in ("npconv", "torch"):
            key = (name, fw)
            if time.monotonic() > deadline:
                results[key] = {"status": "SKIPPED (time budget)"}
                failed = True
                continue
            try:
                fit, predict, label = (npconv_runner(name, steps) if fw == "npconv"
                                       else torch_runner(name, steps, torch_device))
                fit(warmup)  # compile kernels, autotune, allocate
                predict(warmup)
                runners[fw] = (fit, predict)
                results[key] = {"status": "ok", "label": label, "train": [], "predict": []}
            except Exception as err:  # report, and go on with the other framework
                results[key] = {"status": f"FAILED: {type(err).__name__}: {err}"}
                traceback.print_exc()
                failed = True
        for _ in range(rounds):  # alternate the frameworks, round by round
            for fw, (fit, predict) in runners.items():
                if time.monotonic() > deadline:
                    break
                entry = results[(name, fw)]
                try:
                    entry["train"].append(timed(fit, steps, bs))
                    entry["predict"].append(timed(predict, steps, bs))
                except Exception as err:
                    entry["status"] = f"FAILED: {type(err).__name__}: {err}"
                    traceback.print_exc()
                    failed = True
        print(f"  {name} done", file=sys.stderr, flush=True)
    return results, failed


def _cell(values):
    if not values:
        return "-"
    med = statistics.median(values)
    return f"{med:,.0f} [{min(values):,.0f}-{max(values):,.0f}]"


def _ratio(a, b):
    if not a or not b:
        return "-"
    return f"{statistics.median(a) / statistics.median(b):.2f}x"


def table(results, models):
    rows = [("model", "batch", "npconv train/s", "torch train/s", "train ratio",
             "npconv predict/s", "torch predict/s", "predict ratio")]
    notes = []
    for name in models:
        n = results.get((name, "npconv"), {})
        t = results.get((name, "torch"), {})
        for fw, entry in (("npconv", n), ("torch", t)):
            if entry.get("status", "ok") != "ok":
                notes.append(f"{name} / {fw}: {entry['status']}")
        rows.append((name, str(MODELS[name][1]), _cell(n.get("train")), _cell(t.get("train")),
                     _ratio(n.get("train"), t.get("train")), _cell(n.get("predict")),
                     _cell(t.get("predict")), _ratio(n.get("predict"), t.get("predict"))))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [" | ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    labels = sorted({e["label"] for e in results.values() if "label" in e})
    return "\n".join(lines + [""] + [f"frameworks: {', '.join(labels)}"] + notes)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--steps", type=int, default=30, help="timed batches per measurement")
    parser.add_argument("--warmup", type=int, default=3, help="untimed batches first")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--budget", type=float, default=300.0, help="seconds for the whole run")
    parser.add_argument("--torch-device", default="cuda")
    args = parser.parse_args(argv)
    models = [m for m in args.models.split(",") if m]
    unknown = set(models) - set(MODELS)
    if unknown:
        parser.error(f"unknown models {sorted(unknown)}; choose from {list(MODELS)}")
    print(f"NPCONV_BACKEND={os.environ.get('NPCONV_BACKEND', '')!r}, steps {args.steps}, "
          f"rounds {args.rounds}", flush=True)
    results, failed = run(models, args.steps, args.rounds, args.warmup, args.budget,
                          args.torch_device)
    print(table(results, models), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
