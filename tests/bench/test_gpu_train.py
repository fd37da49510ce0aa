"""bench/gpu_train.py's table and its PyTorch ResNet-20 (no timing: the GPU check measures)."""

import importlib.util
import pathlib

import pytest

PATH = pathlib.Path(__file__).resolve().parents[2] / "bench" / "gpu_train.py"
spec = importlib.util.spec_from_file_location("gpu_train", PATH)
gpu_train = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gpu_train)


def test_table_medians_ranges_ratios_and_failures():
    results = {
        ("mnist_cnn", "npconv"): {"status": "ok", "label": "npconv (cupy backend)",
                                  "train": [900.0, 1000.0, 1300.0], "predict": [4000.0]},
        ("mnist_cnn", "torch"): {"status": "ok", "label": "PyTorch 2.x (cuda)",
                                 "train": [2000.0, 1900.0, 2100.0], "predict": [5000.0]},
        ("resnet20_v1", "npconv"): {"status": "FAILED: TypeError: boom"},
        ("resnet20_v1", "torch"): {"status": "ok", "label": "PyTorch 2.x (cuda)",
                                   "train": [10.0], "predict": [20.0]},
    }
    text = gpu_train.table(results, ["mnist_cnn", "resnet20_v1"])
    row = next(line for line in text.splitlines() if line.startswith("mnist_cnn"))
    cells = [c.strip() for c in row.split("|")]
    assert cells == ["mnist_cnn", "128", "1,000 [900-1,300]", "2,000 [1,900-2,100]", "0.50x",
                     "4,000 [4,000-4,000]", "5,000 [5,000-5,000]", "0.80x"]
    resnet = next(line for line in text.splitlines() if line.startswith("resnet20_v1"))
    assert [c.strip() for c in resnet.split("|")][2:5] == ["-", "10 [10-10]", "-"]
    assert "resnet20_v1 / npconv: FAILED: TypeError: boom" in text


def test_npconv_resnet20_is_keras_cifar10_resnet_v1():
    model = gpu_train.npconv_resnet20((32, 32, 3))
    # Keras's cifar10_resnet ResNet-20 v1: 274,442 parameters (summary of the Keras example)
    assert model.count_params() == 274_442
    assert model.output_shape == (None, 10)


def test_torch_resnet20_has_the_same_parameters():
    pytest.importorskip("torch", reason="PyTorch is not installed here")
    model = gpu_train.torch_model("resnet20_v1")[0]
    # torch counts BatchNorm's moving statistics as buffers, Keras as (non-trainable) weights
    bn = sum(m.num_features * 2 for m in model.modules() if hasattr(m, "num_features"))
    assert sum(p.numel() for p in model.parameters()) + bn == 274_442
    for name, count in (("mnist_simple", 47_410), ("mnist_cnn", 1_199_882),
                        ("cifar10_cnn", 3_702_186)):  # the npconv/Keras models' counts
        model = gpu_train.torch_model(name)[0]
        assert sum(p.numel() for p in model.parameters()) == count, name


def test_npconv_tutorial_models_parameter_counts():
    for name, count in (("mnist_simple", 47_410), ("mnist_cnn", 1_199_882),
                        ("cifar10_cnn", 3_702_186)):
        assert gpu_train.npconv_model(name).count_params() == count, name
