"""Print each bench zoo model's parameter count in Keras 3 and PyTorch (run with the reference
interpreter: ``CUDA_VISIBLE_DEVICES= TF_CPP_MIN_LOG_LEVEL=3 /tmp/refenv/bin/python
tools/bench_zoo_params.py``), as the ``KERAS_PARAMS`` table of ``npconv/_bench_zoo.py`` that
the tests check npconv's counts against. It loads the zoo by path: no npconv import."""

import importlib.util
import pathlib

path = pathlib.Path(__file__).resolve().parents[1] / "npconv" / "_bench_zoo.py"
spec = importlib.util.spec_from_file_location("_npconv_bench_zoo", path)
zoo = importlib.util.module_from_spec(spec)
spec.loader.exec_module(zoo)

import keras  # noqa: E402

print("KERAS_PARAMS = {")
for name in zoo.ZOO:
    n_keras = zoo.build_keras_style(keras, name).count_params()
    n_torch = zoo.torch_param_count(zoo.build_torch(name)[0])
    note = "" if n_keras == n_torch else f"  # PyTorch: {n_torch:_}"
    print(f'    "{name}": {n_keras:_},{note}')
print("}")
