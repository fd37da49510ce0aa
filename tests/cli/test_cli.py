"""The ``npconv`` command, run in-process through ``npconv.cli.main`` on real digits."""

import json

import numpy as np
import pytest

import npconv
from npconv.cli import main
from npconv.datasets import digits


@pytest.fixture(scope="module")
def small_npz(tmp_path_factory):
    """600/200 real digits in the ``--dataset file.npz`` format."""
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    path = tmp_path_factory.mktemp("data") / "small.npz"
    np.savez(path, x_train=x_train[:600], y_train=y_train[:600], x_test=x_test[:200],
             y_test=y_test[:200])
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory, small_npz):
    """One ``npconv train`` run of tutorial 002's model, shared by the tests that use its files."""
    out = tmp_path_factory.mktemp("runs")
    code = main(["train", "--model", "mnist_simple", "--dataset", str(small_npz),
                 "--epochs", "3", "--batch-size", "32", "--out", str(out), "--seed", "1"])
    assert code == 0
    (folder,) = out.iterdir()
    return folder


def test_train_writes_the_run(trained):
    names = {p.name for p in trained.iterdir()}
    assert {"model.keras", "history.json", "report.json"} <= names
    history = json.loads((trained / "history.json").read_text())
    assert set(history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert len(history["loss"]) == 3 and history["loss"][-1] < history["loss"][0]
    report = json.loads((trained / "report.json").read_text())
    assert report["model"] == "mnist_simple" and report["epochs_run"] == 3
    assert report["test"]["accuracy"] > 0.6  # 540 real digits, 3 epochs: well above chance
    assert report["class_names"] == [str(i) for i in range(10)]


def test_train_draws_the_pictures(trained):
    pytest.importorskip("matplotlib")
    import matplotlib.image

    for name in npconv.cli.train.PICTURES:
        picture = matplotlib.image.imread(trained / name)
        assert picture.ndim == 3 and min(picture.shape[:2]) > 100, name


def test_evaluate_matches_the_report(trained, small_npz, capsys):
    report = json.loads((trained / "report.json").read_text())
    capsys.readouterr()
    assert main(["evaluate", str(trained / "model.keras"), "--dataset", str(small_npz),
                 "--verbose", "0"]) == 0
    out = capsys.readouterr().out
    assert "200 test images" in out
    assert f"accuracy: {report['test']['accuracy']:.4f}" in out


def test_summary(trained, capsys):
    assert main(["summary", str(trained / "model.keras")]) == 0
    out = capsys.readouterr().out
    assert "Total params: 2,344" in out or "Total params" in out
    assert "conv2d" in out.lower() and "dense" in out.lower()


def test_predict_npy_batch_and_single(trained, tmp_path, capsys):
    (_, _), (x_test, y_test) = digits.load_data()
    np.save(tmp_path / "batch.npy", x_test[:20])
    np.save(tmp_path / "one.npy", x_test[0].astype(np.float32) / 255)
    capsys.readouterr()
    assert main(["predict", str(trained / "model.keras"), str(tmp_path / "batch.npy"),
                 str(tmp_path / "one.npy"), "--top", "2"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 21
    assert lines[0].startswith(f"{tmp_path / 'batch.npy'}[0]: ")
    assert lines[-1].startswith(f"{tmp_path / 'one.npy'}: ")
    assert lines[0].split(": ", 1)[1] == lines[-1].split(": ", 1)[1]  # same digit, same answer
    firsts = [int(line.split(": ", 1)[1].split(" ")[0]) for line in lines[:20]]
    assert np.mean(np.array(firsts) == y_test[:20]) >= 0.6
    assert all(line.count("%") == 2 for line in lines)


def test_predict_png(trained, tmp_path, capsys):
    Image = pytest.importorskip("PIL.Image")
    (_, _), (x_test, y_test) = digits.load_data()
    # a 56x56 dark-on-light drawing of a test digit: resized and inverted back by the command
    big = np.kron(255 - x_test[3], np.ones((2, 2), dtype=np.uint8))
    Image.fromarray(big).save(tmp_path / "digit.png")
    np.save(tmp_path / "digit.npy", x_test[3])
    capsys.readouterr()
    assert main(["predict", str(trained / "model.keras"), str(tmp_path / "digit.png"),
                 "--invert", "--top", "1"]) == 0
    png_answer = capsys.readouterr().out.split(": ", 1)[1].split(" ")[0]
    assert main(["predict", str(trained / "model.keras"), str(tmp_path / "digit.npy"),
                 "--top", "1"]) == 0
    npy_answer = capsys.readouterr().out.split(": ", 1)[1].split(" ")[0]
    assert png_answer == npy_answer


def test_train_with_a_model_file_and_early_stopping(tmp_path, small_npz, capsys):
    source = tmp_path / "my_model.py"
    source.write_text(
        "import npconv\n"
        "def build_model(input_shape, num_classes):\n"
        "    return npconv.Sequential([\n"
        "        npconv.layers.Input(input_shape),\n"
        "        npconv.layers.Flatten(),\n"
        "        npconv.layers.Dense(num_classes, activation='softmax', name='only')])\n")
    code = main(["train", "--model", str(source), "--dataset", str(small_npz), "--epochs", "2",
                 "--optimizer", "sgd", "--learning-rate", "0.05", "--early-stopping", "1",
                 "--out", str(tmp_path / "runs")])
    assert code == 0
    (folder,) = (tmp_path / "runs").iterdir()
    report = json.loads((folder / "report.json").read_text())
    assert report["optimizer"] == "SGD" and report["test"]["accuracy"] > 0.5
    model = npconv.models.load_model(folder / "model.keras")
    assert [layer.name for layer in model.layers] == ["flatten", "only"] or \
        model.layers[-1].name == "only"
    assert float(model.optimizer.learning_rate) == pytest.approx(0.05)


def test_datasets_lists_every_data_set(capsys):
    assert main(["datasets"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == ["digits", "mnist", "fashion_mnist",
                                                   "cifar10", "cifar100", "imdb", "reuters"]
    assert "bundled" in lines[0]


def test_help_everywhere(capsys):
    for command in ([], ["train"], ["evaluate"], ["predict"], ["summary"], ["datasets"]):
        with pytest.raises(SystemExit) as exit_:
            main([*command, "--help"])
        assert exit_.value.code == 0
        assert "usage: npconv" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    ([], "required: COMMAND"),
    (["fly"], "invalid choice: 'fly'"),
    (["train", "--epochs", "0"], "--epochs: expected a positive integer, got 0"),
    (["train", "--epochs", "two"], "--epochs: expected a positive integer, got 'two'"),
    (["train", "--batch-size", "-4"], "--batch-size: expected a positive integer, got -4"),
    (["train", "--learning-rate", "0"], "--learning-rate: expected a positive number"),
    (["train", "--learning-rate", "nan"], "--learning-rate: expected a positive number"),
    (["train", "--validation-split", "1"], "--validation-split: expected a number in [0, 1)"),
    (["train", "--model", "resnet"], "--model: expected one of mnist_simple, mnist_cnn"),
    (["train", "--dataset", "imagenet"], "--dataset: expected one of digits, mnist"),
    (["train", "--optimizer", "newton"], "--optimizer: expected an optimizer name"),
    (["train", "--early-stopping", "-1"], "--early-stopping: expected an integer >= 0"),
    (["train", "--seed", "x"], "--seed: expected an integer >= 0"),
    (["train", "--colour", "red"], "unrecognized arguments: --colour red"),
    (["evaluate"], "required: model"),
    (["predict", "model.keras"], "required: FILE"),
    (["predict", "m.keras", "a.npy", "--top", "0"], "--top: expected a positive integer"),
    (["evaluate", "m.keras", "--verbose", "3"], "--verbose: invalid choice: 3"),
])
def test_bad_arguments_exit_2_with_a_message(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "usage: npconv" in err


def test_failures_exit_1_with_the_file_named(tmp_path, trained, small_npz, capsys):
    model = str(trained / "model.keras")
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    np.savez(tmp_path / "partial.npz", x_train=np.zeros((2, 28, 28), np.uint8))
    np.save(tmp_path / "wrong.npy", np.zeros((5, 5)))
    np.savez(tmp_path / "words.npz", x_train=np.zeros((2, 28, 28), np.uint8),
             y_train=np.array(["cat", "dog"]), x_test=np.zeros((1, 28, 28), np.uint8),
             y_test=np.array(["cat"]))
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "fake.keras").write_bytes(b"garbage")
    cases = [
        (["evaluate", str(tmp_path / "missing.keras")], "missing.keras: no such model file"),
        (["evaluate", str(tmp_path / "fake.keras")], "fake.keras"),
        (["summary", str(tmp_path / "missing.keras")], "no such model file"),
        (["train", "--dataset", str(tmp_path / "none.npz"), "--out", str(tmp_path)],
         "none.npz: no such file"),
        (["train", "--dataset", str(tmp_path / "bad.npz"), "--out", str(tmp_path)],
         "bad.npz: not a readable .npz file"),
        (["train", "--dataset", str(tmp_path / "partial.npz"), "--out", str(tmp_path)],
         "missing arrays y_train, x_test, y_test"),
        (["train", "--dataset", str(tmp_path / "words.npz"), "--out", str(tmp_path)],
         "expected integer class labels"),
        (["train", "--model", str(tmp_path / "none.py"), "--dataset", str(small_npz),
          "--out", str(tmp_path)], "none.py: no such file"),
        (["predict", model, str(tmp_path / "wrong.npy")], "expected an array shaped (28, 28, 1)"),
        (["predict", model, str(tmp_path / "notes.txt")], "expected a .npy file or an image"),
        (["predict", model, str(tmp_path / "nothing.npy")], "nothing.npy: no such file"),
    ]
    for argv, message in cases:
        assert main(argv) == 1, argv
        err = capsys.readouterr().err
        assert err.startswith(f"npconv {argv[0]}: error: ") and message in err, (argv, err)


def test_bench_subcommand_is_wired(monkeypatch, capsys):
    calls = []
    module = type("FakeBench", (), {"main": staticmethod(lambda argv: calls.append(argv))})
    monkeypatch.setitem(__import__("sys").modules, "npconv._bench", module)
    monkeypatch.setattr(npconv, "_bench", module, raising=False)
    assert main(["bench", "--models", "mnist_cnn"]) == 0
    assert calls == [["--models", "mnist_cnn"]]


def test_python_dash_m_npconv(tmp_path):
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "npconv", "--version"], capture_output=True,
                          text=True, check=True)
    assert done.stdout.strip() == f"npconv {npconv.__version__}"


def test_bench_help_and_bad_model(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["bench", "--help"])
    assert exit_.value.code == 0
    assert "usage: npconv bench" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_:
        main(["bench", "--models", "resnet"])
    assert exit_.value.code == 2
    assert "resnet" in capsys.readouterr().err
