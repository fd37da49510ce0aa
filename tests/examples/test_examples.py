"""The tutorials' programs in examples/ run as written, for one short epoch.

Each program is executed from its source with only the epoch count (and, for 002, its
hard-coded 60000/10000 sample counts) replaced. MNIST comes from the bundled real digits
sample saved as a Keras ``mnist.npz``; CIFAR-10 from a small archive in the real format.
"""

import pathlib

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"


def run_example(name, replacements, capsys):
    source = (EXAMPLES / name).read_text()
    for old, new in replacements.items():
        assert old in source, f"{name} no longer contains {old!r}"
        source = source.replace(old, new)
    namespace = {"__name__": "__main__"}
    exec(compile(source, str(EXAMPLES / name), "exec"), namespace)  # noqa: S102
    return namespace, capsys.readouterr().out


def test_mnist_simple_tutorial_002(data_dir, capsys):
    ns, out = run_example("mnist_simple.py", {
        "reshape(60000": f"reshape({data_dir['n_train']}",
        "reshape(10000": f"reshape({data_dir['n_test']}",
        "epochs=5": "epochs=1",
    }, capsys)
    assert "Epoch 1/1" in out and "val_accuracy" in out
    history = ns["history"].history
    assert history["val_accuracy"][-1] > 0.7  # real digits: one epoch already learns
    assert ns["prediction"].shape == (3, 10)


def test_mnist_cnn_tutorial_004(data_dir, capsys):
    # Adadelta needs ~30 steps to leave chance on 1,200 digits (10 steps: 0.37-0.63 by seed)
    ns, out = run_example("mnist_cnn.py", {"epochs = 12": "epochs = 3"}, capsys)
    assert "x_train shape: (1200, 28, 28, 1)" in out
    assert "Test accuracy:" in out
    assert ns["score"][1] > 0.7


def test_cifar10_cnn_tutorial_001_003(data_dir, capsys):
    ns, out = run_example("cifar10_cnn.py", {"epochs=25": "epochs=1"}, capsys)
    assert ns["X"].shape == (200, 32, 32, 3) and ns["y"].shape == (200, 10)
    assert "Accuracy: " in out
    assert ns["model"].count_params() == 32 * 27 + 32 + 32 * 32 * 9 + 32 + 7200 * 512 + 512 + 5130
