"""The ``npconv`` command: ``npconv train | evaluate | predict | summary | explain | datasets |
bench``.

``npconv train`` with no arguments trains tutorial 004's CNN on the bundled digits sample (about
a minute on two cores) and writes the model, its history and pictures into
``runs/<timestamp>/``. Every subcommand has ``--help``. Bad arguments print a message and exit
with status 2; a failure while running (a missing or broken file) exits with status 1.
"""

from __future__ import annotations

import argparse
import os
import sys

from .. import __version__

EXIT_FAILURE, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130


def _number(parse, accept, expected):
    """An argparse ``type=`` that parses with ``parse`` and keeps values ``accept`` allows,
    saying ``expected ..., got ...`` otherwise."""
    def check(text):
        try:
            value = parse(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
        if not accept(value):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text}")
        return value
    return check


_positive_int = _number(int, lambda v: v >= 1, "a positive integer")
_non_negative_int = _number(int, lambda v: v >= 0, "an integer >= 0")
_positive_float = _number(float, lambda v: 0 < v < float("inf"), "a positive number")
_fraction = _number(float, lambda v: 0 <= v < 1, "a number in [0, 1)")


def _model_choice(text):
    from .tutorial_models import TUTORIAL_MODELS

    if text in TUTORIAL_MODELS or text.endswith(".py"):
        return text
    raise argparse.ArgumentTypeError(
        f"expected one of {', '.join(TUTORIAL_MODELS)} or a Python file defining "
        f"build_model(), got {text!r}")


def _dataset_choice(text):
    from .data import DATASETS

    if text in DATASETS or text.endswith(".npz") or os.path.isdir(text):
        return text
    raise argparse.ArgumentTypeError(
        f"expected one of {', '.join(DATASETS)}, an .npz file with x_train, y_train, "
        f"x_test, y_test, or a folder of class sub-folders of images, got {text!r}")


def _optimizer_choice(text):
    from .. import optimizers

    try:
        optimizers.get(text)
    except (ValueError, TypeError):
        raise argparse.ArgumentTypeError(
            f"expected an optimizer name (sgd, adam, adamw, adadelta, rmsprop, adagrad, "
            f"adamax, nadam), got {text!r}") from None
    return text


def build_parser():
    parser = argparse.ArgumentParser(
        prog="npconv", description="Train, evaluate and use small CNNs on NumPy.")
    parser.add_argument("--version", action="version", version=f"npconv {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    train = sub.add_parser(
        "train", help="train a tutorial model and save it with its pictures",
        description="Train a model (default: tutorial 004's CNN on the bundled digits) and "
                    "write the model, history.json, report.json and PNGs into OUT/<timestamp>/.")
    train.add_argument("--model", type=_model_choice, default="mnist_cnn",
                       help="mnist_simple (002), mnist_cnn (004, default), cifar10_cnn "
                            "(001/003), or a .py file defining build_model()")
    train.add_argument("--dataset", type=_dataset_choice, default="digits",
                       help="digits (bundled, default), mnist, fashion_mnist, cifar10, an "
                            ".npz with x_train, y_train, x_test, y_test, or a FOLDER of class "
                            "sub-folders of images (FOLDER/cat/*.png, ...; a fifth held out "
                            "for testing unless FOLDER/train and FOLDER/test exist)")
    train.add_argument("--epochs", type=_positive_int,
                       help="epochs (default: the tutorial's; 12 for mnist_cnn)")
    train.add_argument("--batch-size", type=_positive_int,
                       help="batch size (default: the tutorial's; 128 for mnist_cnn)")
    train.add_argument("--optimizer", type=_optimizer_choice,
                       help="optimizer name (default: the tutorial's; adadelta for mnist_cnn)")
    train.add_argument("--learning-rate", type=_positive_float,
                       help="learning rate (default: the optimizer's)")
    train.add_argument("--validation-split", type=_fraction, default=0.1,
                       help="fraction of the training data held out for validation "
                            "(default 0.1)")
    train.add_argument("--early-stopping", type=_non_negative_int, metavar="PATIENCE",
                       help="stop when val_loss has not improved for PATIENCE epochs and "
                            "keep the best weights")
    train.add_argument("--seed", type=_non_negative_int, default=0,
                       help="random seed (default 0: a run repeats exactly)")
    train.add_argument("--out", default="runs", help="folder for the runs (default: runs)")

    evaluate = sub.add_parser("evaluate", help="test accuracy of a saved model",
                              description="Evaluate a saved model on a data set's test split.")
    evaluate.add_argument("model", help="a model file written by npconv train or model.save")
    evaluate.add_argument("--dataset", type=_dataset_choice, default="digits",
                          help="digits (default), mnist, fashion_mnist, cifar10 or an .npz")
    evaluate.add_argument("--batch-size", type=_positive_int, default=256)
    evaluate.add_argument("--verbose", type=int, choices=(0, 1), default=1)

    predict = sub.add_parser(
        "predict", help="classify images or .npy arrays with a saved model",
        description="Print the most likely classes for each file: images (PNG, JPEG, ...; "
                    "needs Pillow: pip install \"npconv[image]\") or .npy arrays.")
    predict.add_argument("model", help="a model file written by npconv train or model.save")
    predict.add_argument("files", nargs="+", metavar="FILE", help="images or .npy files")
    predict.add_argument("--top", type=_positive_int, default=3,
                         help="how many classes to show per file (default 3)")
    predict.add_argument("--invert", action="store_true",
                         help="invert the images (dark digits on a light background)")
    predict.add_argument("--batch-size", type=_positive_int, default=256)

    summary = sub.add_parser("summary", help="print a saved model's layers",
                             description="Print a saved model's summary table.")
    summary.add_argument("model", help="a model file written by npconv train or model.save")

    explain = sub.add_parser(
        "explain", help="write an HTML page showing the model at work, layer by layer",
        description="Write one self-contained HTML page (open it from disk, no network) with "
                    "every layer's activation maps for the chosen inputs, the arithmetic of "
                    "any value on a click, and Grad-CAM and saliency maps.")
    explain.add_argument("model", help="a model file (npconv's .keras, or a Keras .keras/.h5)")
    explain.add_argument("files", nargs="*", metavar="IMAGE",
                         help="inputs: images (needs Pillow) or .npy arrays")
    explain.add_argument("--dataset", type=_dataset_choice,
                         help="add test images of this data set (misclassified ones included)")
    explain.add_argument("--count", type=_positive_int, default=8,
                         help="how many test images of --dataset (default 8)")
    explain.add_argument("--invert", action="store_true",
                         help="invert the images (dark digits on a light background)")
    explain.add_argument("--out", default="explain.html",
                         help="the page to write (default: explain.html)")

    datasets = sub.add_parser("datasets", help="where each data set is found, or why not",
                              description="Report where each data set would be loaded from, "
                                          "without downloading anything.")
    datasets.add_argument("--verbose", "-v", action="store_true",
                          help="list the places searched for missing data sets")

    # `npconv bench ARGS...` hands ARGS to the benchmark's own parser (see main())
    sub.add_parser("bench", help="training and prediction speed of the tutorial models and a "
                                 "model zoo against Keras and PyTorch, in steady state "
                                 "(npconv bench --help)", add_help=False)
    return parser


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["bench"]:
        return _bench(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "train":
            from .train import train

            train(args)
        elif args.command == "explain":
            from .explain import explain

            explain(args)
        else:
            from . import commands

            getattr(commands, args.command)(args)
    except KeyboardInterrupt:
        print("npconv: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except (OSError, ValueError, ImportError) as error:
        print(f"npconv {args.command}: error: {error}", file=sys.stderr)
        return EXIT_FAILURE
    return 0


def _bench(argv):
    try:
        from .. import _bench as bench
    except ImportError:
        print("npconv bench: error: the benchmark is not part of this installation",
              file=sys.stderr)
        return EXIT_FAILURE
    return bench.main(argv) or 0
