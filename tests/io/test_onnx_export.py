"""ONNX export: every supported layer kind, checked by onnxruntime against ``model.predict``.

Each model is exported with ``npconv.io.export_onnx`` (or ``model.export``), validated by
``onnx.checker.check_model``, run by onnxruntime on a batch of 7 (the export fixes no batch
size; one model declares ``batch_size=2`` and still runs on 7), and compared with npconv's
``predict``: the largest absolute difference must be at most 1e-5 (float32 arithmetic done in
another order by another library; what is measured is printed, ``pytest -s`` shows it).
Also: the exported graph keeps npconv's channels_last input and output, unsupported layers and
activations are refused with the layer named, a failed export leaves an existing file alone,
and a missing ``onnx`` says how to install it.
"""

import os
import sys

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from npconv import layers as L  # noqa: E402
from npconv.io import export_onnx  # noqa: E402
from npconv.io.onnx_export import to_onnx  # noqa: E402
from npconv.layers import Input  # noqa: E402
from npconv.models import Model, Sequential  # noqa: E402
from npconv.utils import set_random_seed  # noqa: E402

ATOL = 1e-5
BATCH = 7
RNG = np.random.default_rng(6)


def data(*shape, scale=1.0):
    return (RNG.standard_normal((BATCH, *shape)) * scale).astype(np.float32)


def check(model, xs, tmp_path, atol=ATOL, opset=17):
    """Export ``model``, check the file, run it on ``xs`` and compare with ``predict``;
    returns the exported ``ModelProto`` and the largest absolute difference."""
    xs = xs if isinstance(xs, list) else [xs]
    path = tmp_path / f"{model.name}.onnx"
    proto = export_onnx(model, path, opset=opset)
    loaded = onnx.load(str(path))
    onnx.checker.check_model(loaded, full_check=True)
    assert loaded.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    feeds = {i.name: x for i, x in zip(session.get_inputs(), xs)}
    got = session.run(None, feeds)
    want = model.predict(xs if len(xs) > 1 else xs[0], verbose=0)
    want = want if isinstance(want, list) else [want]
    assert len(got) == len(want)
    worst = size = 0.0
    for g, w in zip(got, want):
        assert g.shape == w.shape, (g.shape, w.shape)
        assert g.dtype == np.float32
        assert np.isfinite(g).all()
        worst = max(worst, float(np.max(np.abs(g - w.astype(np.float32)))))
        size = max(size, float(np.max(np.abs(w))))
    print(f"\nmax |onnxruntime - predict| for {model.name}: {worst:.3g} (max |output| {size:.3g})")
    assert worst <= atol, f"{model.name}: max abs difference {worst:.3g} > {atol}"
    return proto, worst


def randomize(model, low=-0.5, high=0.5):
    """Non-trivial weights everywhere: biases, BN gamma/beta, and moving statistics (means of
    either sign, variances in [0.5, 2])."""
    for layer in model.layers:
        if isinstance(layer, L.BatchNormalization):
            n = layer.moving_mean.data.shape
            values = []
            if layer.gamma is not None:
                values.append(RNG.uniform(0.5, 1.5, n))
            if layer.beta is not None:
                values.append(RNG.uniform(-1, 1, n))
            values += [RNG.uniform(-1, 1, n), RNG.uniform(0.5, 2.0, n)]
            layer.set_weights(values)
        elif isinstance(layer, Model):
            randomize(layer, low, high)
        elif layer.weights:
            layer.set_weights([RNG.uniform(low, high, w.shape) for w in layer.get_weights()])


def op_types(proto):
    return [n.op_type for n in proto.graph.node]


@pytest.fixture(autouse=True)
def _seed():
    set_random_seed(6)


# ------------------------------------------------------------------ the tutorials' models
def test_tutorial_002_simple_cnn(tmp_path):
    model = Sequential(name="tutorial_002")
    model.add(L.Conv2D(16, kernel_size=3, activation="relu", input_shape=(28, 28, 1)))
    model.add(L.Conv2D(8, kernel_size=3, activation="relu"))
    model.add(L.Flatten())
    model.add(L.Dense(10, activation="softmax"))
    x = RNG.random((BATCH, 28, 28, 1), dtype=np.float32)
    proto, _ = check(model, x, tmp_path)
    # channels_last in and out; one Transpose in (before the convs), one back (before Flatten)
    dims = [d.dim_value or d.dim_param for d in proto.graph.input[0].type.tensor_type.shape.dim]
    assert dims == ["batch", 28, 28, 1]
    assert op_types(proto).count("Transpose") == 2
    assert op_types(proto).index("Transpose", 1) < op_types(proto).index("Flatten")


def test_tutorial_004_mnist_cnn(tmp_path):
    model = Sequential(name="tutorial_004")
    model.add(L.Conv2D(32, kernel_size=(3, 3), activation="relu", input_shape=(28, 28, 1)))
    model.add(L.Conv2D(64, (3, 3), activation="relu"))
    model.add(L.MaxPooling2D(pool_size=(2, 2)))
    model.add(L.Dropout(0.25))
    model.add(L.Flatten())
    model.add(L.Dense(128, activation="relu"))
    model.add(L.Dropout(0.5))
    model.add(L.Dense(10, activation="softmax"))
    proto, _ = check(model, RNG.random((BATCH, 28, 28, 1), dtype=np.float32), tmp_path)
    assert "Dropout" not in op_types(proto)


def test_tutorial_cifar10_cnn(tmp_path):
    model = Sequential(name="tutorial_cifar10")
    model.add(L.Conv2D(32, (3, 3), input_shape=(32, 32, 3), padding="same", activation="relu"))
    model.add(L.Dropout(0.2))
    model.add(L.Conv2D(32, (3, 3), activation="relu", padding="valid"))
    model.add(L.MaxPooling2D(pool_size=(2, 2)))
    model.add(L.Flatten())
    model.add(L.Dense(512, activation="relu"))
    model.add(L.Dropout(0.3))
    model.add(L.Dense(10, activation="softmax"))
    check(model, RNG.random((BATCH, 32, 32, 3), dtype=np.float32), tmp_path)


def test_trained_model_exports_the_same_predictions(tmp_path):
    """After fit (moving statistics and weights changed by training), the export follows."""
    model = Sequential(
        [
            Input((8, 8, 1)),
            L.Conv2D(4, 3, padding="same"),
            L.BatchNormalization(),
            L.Activation("relu"),
            L.MaxPooling2D(),
            L.Flatten(),
            L.Dense(3, activation="softmax"),
        ],
        name="trained",
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x = RNG.random((32, 8, 8, 1), dtype=np.float32)
    model.fit(x, RNG.integers(0, 3, 32), epochs=2, batch_size=8, verbose=0)
    assert np.any(model.layers[1].moving_mean.data != 0)
    check(model, x[:BATCH], tmp_path)


# --------------------------------------------------------------------------- convolutions
CONV_CASES = [
    # rank, kwargs, spatial size
    (1, dict(filters=4, kernel_size=3), (11,)),
    (1, dict(filters=4, kernel_size=4, padding="same"), (11,)),
    (1, dict(filters=4, kernel_size=3, padding="same", strides=2), (10,)),
    (1, dict(filters=4, kernel_size=3, padding="causal", dilation_rate=2), (12,)),
    (1, dict(filters=6, kernel_size=2, groups=3, use_bias=False), (9,)),
    (2, dict(filters=5, kernel_size=(3, 2)), (9, 8)),
    (2, dict(filters=5, kernel_size=3, padding="same", strides=(2, 3)), (9, 10)),
    (2, dict(filters=5, kernel_size=4, padding="same", strides=2), (9, 8)),
    (2, dict(filters=4, kernel_size=3, padding="same", dilation_rate=(2, 3)), (11, 12)),
    (2, dict(filters=6, kernel_size=3, padding="same", groups=3, activation="tanh"), (7, 7)),
    (2, dict(filters=4, kernel_size=2, strides=2, data_format="channels_first"), (9, 8)),
    (2, dict(filters=4, kernel_size=3, padding="same", data_format="channels_first"), (6, 7)),
    (3, dict(filters=3, kernel_size=2), (5, 6, 4)),
    (3, dict(filters=3, kernel_size=3, padding="same", strides=2), (5, 6, 7)),
    (3, dict(filters=4, kernel_size=(2, 3, 2), padding="same", dilation_rate=2), (6, 6, 6)),
    (3, dict(filters=4, kernel_size=2, groups=2, data_format="channels_first"), (4, 5, 4)),
]


@pytest.mark.parametrize("rank, kwargs, spatial", CONV_CASES)
def test_convolutions(rank, kwargs, spatial, tmp_path):
    conv = {1: L.Conv1D, 2: L.Conv2D, 3: L.Conv3D}[rank]
    channels = 6 if kwargs.get("groups", 1) > 1 else 3
    first = kwargs.get("data_format") == "channels_first"
    shape = (channels, *spatial) if first else (*spatial, channels)
    model = Sequential([Input(shape), conv(**kwargs)], name=f"conv{rank}d")
    randomize(model)
    check(model, data(*shape), tmp_path)


def test_grouped_kernel_layout_is_not_trivially_symmetric(tmp_path):
    """Groups with different input and output widths per group, in a deeper stack."""
    model = Sequential(
        [
            Input((10, 10, 4)),
            L.Conv2D(8, 3, groups=2, activation="relu"),
            L.Conv2D(4, 3, groups=4, strides=2, padding="same"),
            L.Conv2D(6, 1, groups=2),
        ],
        name="groups",
    )
    randomize(model)
    check(model, data(10, 10, 4), tmp_path)


# ------------------------------------------------------------------------------- pooling
POOLS = {
    "max": (L.MaxPooling1D, L.MaxPooling2D, L.MaxPooling3D),
    "avg": (L.AveragePooling1D, L.AveragePooling2D, L.AveragePooling3D),
    "stochastic": (L.StochasticPooling1D, L.StochasticPooling2D, L.StochasticPooling3D),
}
POOL_ARGS = [
    dict(),
    dict(pool_size=3, strides=2),
    dict(pool_size=2, padding="same"),
    dict(pool_size=3, strides=2, padding="same"),
    dict(pool_size=2, strides=1, padding="same"),
]
SPATIAL = {1: (11,), 2: (9, 8), 3: (5, 7, 6)}


@pytest.mark.parametrize("kind", sorted(POOLS))
@pytest.mark.parametrize("rank", [1, 2, 3])
@pytest.mark.parametrize("args", POOL_ARGS, ids=lambda a: "-".join(map(str, a.values())) or "d")
def test_pooling(kind, rank, args, tmp_path):
    shape = (*SPATIAL[rank], 3)
    x = data(*shape)
    if kind == "stochastic":  # it pools non-negative activations; zeros included
        x = np.maximum(x, 0)
    model = Sequential([Input(shape), POOLS[kind][rank - 1](**args)], name=f"{kind}{rank}d")
    check(model, x, tmp_path)


def test_pooling_channels_first_after_conv(tmp_path):
    model = Sequential(
        [
            Input((3, 9, 9)),
            L.Conv2D(4, 3, activation="relu", data_format="channels_first"),
            L.MaxPooling2D(3, strides=2, padding="same", data_format="channels_first"),
            L.AveragePooling2D(2, padding="same", data_format="channels_first"),
            L.Flatten(data_format="channels_first"),
            L.Dense(3),
        ],
        name="pool_cf",
    )
    randomize(model)
    check(model, data(3, 9, 9), tmp_path)


GLOBALS = [
    L.GlobalMaxPooling1D,
    L.GlobalMaxPooling2D,
    L.GlobalMaxPooling3D,
    L.GlobalAveragePooling1D,
    L.GlobalAveragePooling2D,
    L.GlobalAveragePooling3D,
]


@pytest.mark.parametrize("cls", GLOBALS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_global_pooling(cls, keepdims, data_format, tmp_path):
    rank = int(cls.__name__[-2])
    shape = (*SPATIAL[rank], 4) if data_format == "channels_last" else (4, *SPATIAL[rank])
    model = Sequential(
        [Input(shape), cls(keepdims=keepdims, data_format=data_format)], name="global"
    )
    check(model, data(*shape), tmp_path)


# ---------------------------------------------------------------------------- activations
ACTIVATIONS = [
    "linear", "relu", "relu6", "sigmoid", "tanh", "softmax", "log_softmax", "leaky_relu",
    "elu", "selu", "gelu", "softplus", "softsign", "silu", "swish", "hard_sigmoid",
    "hard_silu", "hard_swish", "exponential",
]  # fmt: skip


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activations(name, tmp_path):
    """Each Keras activation, as an ``Activation`` layer on NHWC conv output (softmax then
    runs on ONNX axis 1) and as a ``Dense`` activation, on values from -40 to 40 (overflow
    territory for softplus and sigmoid) — ``exponential`` on a tamer range."""
    scale = 0.3 if name == "exponential" else 8.0
    model = Sequential(
        [
            Input((5, 5, 2)),
            L.Conv2D(3, 2, padding="same"),
            L.Activation(name),
            L.Flatten(),
            L.Dense(4, activation=name),
        ],
        name=f"act_{name}",
    )
    randomize(model, -scale / 8, scale / 8)
    x = data(5, 5, 2, scale=scale)
    if name != "exponential":
        x[0, 0, 0] = [40.0, -40.0]
    # outputs reach the hundreds here, where a float32 ulp is 1.5e-5: the bound is 1e-5 of
    # the output's magnitude (at least 1e-5 absolute)
    want = model.predict(x, verbose=0)
    check(model, x, tmp_path, atol=ATOL * max(1.0, float(np.abs(want).max())))


RELU_ARGS = [
    dict(),
    dict(max_value=6.0),
    dict(max_value=1.0, negative_slope=0.1),
    dict(negative_slope=0.2),
    dict(negative_slope=1.5),
    dict(threshold=0.5),
    dict(threshold=-0.5),
    dict(max_value=2.0, negative_slope=0.3, threshold=1.0),
    dict(negative_slope=0.1, threshold=-1.0),
]


@pytest.mark.parametrize("kwargs", RELU_ARGS, ids=lambda k: str(k))
def test_relu_layer_options(kwargs, tmp_path):
    model = Sequential([Input((6, 4)), L.ReLU(**kwargs)], name="relu_layer")
    check(model, data(6, 4, scale=3.0), tmp_path)


def test_activation_layers(tmp_path):
    model = Sequential(
        [
            Input((6, 5, 3)),
            L.Conv2D(4, 3, padding="same"),
            L.LeakyReLU(),
            L.Conv2D(4, 1),
            L.LeakyReLU(negative_slope=1.7),
            L.ELU(alpha=0.7),
            L.Softmax(axis=1),  # over rows, in an NCHW graph: ONNX axis 2
            L.Conv2D(2, 1),
            L.Softmax(),
        ],
        name="activation_layers",
    )
    randomize(model, -1, 1)
    check(model, data(6, 5, 3, scale=2.0), tmp_path)


# ---------------------------------------------------------------------- core and shaping
def test_dense_on_sequences_and_reshape_permute(tmp_path):
    model = Sequential(
        [
            Input((6, 5)),
            L.Dense(4, activation="tanh"),  # rank 3: MatMul + Add
            L.Dense(3, use_bias=False),
            L.Permute((2, 1)),
            L.Reshape((2, -1)),
            L.Flatten(),
            L.Dense(2),
        ],
        name="dense_seq",
    )
    randomize(model)
    check(model, data(6, 5), tmp_path)


def test_permute_between_convolutions_and_as_output(tmp_path):
    """Permute changes only the bookkeeping; the Transposes around it must still be right."""
    model = Sequential(
        [
            Input((5, 7, 3)),
            L.Conv2D(4, 2),
            L.Permute((2, 1, 3)),  # swap rows and columns, then convolve again
            L.Conv2D(3, (3, 2), padding="same"),
            L.Permute((3, 1, 2)),  # channels first, as the model's output
        ],
        name="permute",
    )
    randomize(model)
    check(model, data(5, 7, 3), tmp_path)


def test_zero_padding_and_dropouts(tmp_path):
    model = Sequential(
        [
            Input((7, 6, 2)),
            L.ZeroPadding2D(((1, 2), (0, 3))),  # on the channels_last input
            L.Conv2D(3, 3),
            L.SpatialDropout2D(0.5),
            L.ZeroPadding2D(1),  # on the NCHW conv output
            L.Conv2D(2, 2),
            L.Dropout(0.4),
            L.Reshape((-1, 2)),
            L.ZeroPadding1D((2, 1)),
            L.SpatialDropout1D(0.3),
            L.Conv1D(3, 2),
        ],
        name="padding",
    )
    randomize(model)
    proto, _ = check(model, data(7, 6, 2), tmp_path)
    assert "Dropout" not in op_types(proto)


def test_zero_padding_3d_and_conv3d(tmp_path):
    model = Sequential(
        [
            Input((4, 5, 3, 2)),
            L.ZeroPadding3D(((1, 0), (0, 2), (1, 1))),
            L.Conv3D(3, 2, activation="relu"),
            L.SpatialDropout3D(0.2),
            L.MaxPooling3D(2, padding="same"),
            L.GlobalAveragePooling3D(),
            L.Dense(2),
        ],
        name="volumes",
    )
    randomize(model)
    check(model, data(4, 5, 3, 2), tmp_path)


def test_batch_normalization_on_every_axis(tmp_path):
    model = Sequential(
        [
            Input((3, 8, 8)),
            L.Conv2D(4, 3, data_format="channels_first"),
            L.BatchNormalization(axis=1),  # channels_first: no Transpose needed
            L.Permute((2, 3, 1)),
            L.Conv2D(5, 3, padding="same"),
            L.BatchNormalization(epsilon=0.1),  # channels_last axis on an NCHW value
            L.BatchNormalization(axis=1, center=False),  # rows
            L.BatchNormalization(axis=2, scale=False),  # columns
            L.Flatten(),
            L.Dense(6),
            L.BatchNormalization(),
            L.Dense(3, activation="softmax"),
        ],
        name="batchnorm",
    )
    randomize(model)
    proto, _ = check(model, data(3, 8, 8), tmp_path)
    assert "BatchNormalization" not in op_types(proto)  # folded into Mul + Add


def test_dropconnect_layers_use_the_whole_kernel(tmp_path):
    model = Sequential(
        [
            Input((6, 6, 2)),
            L.Conv2D(3, 3, dropconnect=0.5, activation="relu"),
            L.Flatten(),
            L.DropConnectDense(4, rate=0.5),
        ],
        name="dropconnect",
    )
    randomize(model)
    check(model, data(6, 6, 2), tmp_path)


# --------------------------------------------------------------------- functional graphs
def test_functional_two_inputs_every_merge(tmp_path):
    a = Input((8, 8, 3), name="image_a")
    b = Input((8, 8, 3), name="image_b")
    shared = L.Conv2D(4, 3, padding="same", activation="relu", name="shared_conv")
    ca, cb = shared(a), shared(b)
    added = L.Add()([ca, cb])
    merged = [
        added,
        L.Subtract()([ca, cb]),
        L.Multiply()([ca, cb, added]),
        L.Average()([ca, cb, added]),
        L.Maximum()([ca, cb]),
        L.Minimum()([ca, cb]),
    ]
    features = L.Concatenate()(merged)  # channels axis, which is ONNX axis 1 here
    rows = L.Concatenate(axis=1)([ca, cb])  # rows
    mixed = L.Add()([a, L.Conv2D(3, 1)(b)])  # an NHWC input plus an NCHW conv output
    first = L.Dense(5, activation="softmax", name="classes")(L.GlobalAveragePooling2D()(features))
    pooled_rows = L.MaxPooling2D(pool_size=(2, 1))(rows)  # back to 8 x 8
    second = L.Dense(2, name="regression")(L.Flatten()(L.Concatenate()([pooled_rows, mixed])))
    model = Model([a, b], [first, second], name="two_inputs")
    randomize(model)
    proto, _ = check(model, [data(8, 8, 3), data(8, 8, 3)], tmp_path)
    assert [i.name for i in proto.graph.input] == ["image_a", "image_b"]
    assert [o.name for o in proto.graph.output] == ["classes", "regression"]
    # the shared layer's weights are stored once
    kernels = [i for i in proto.graph.initializer if i.name.startswith("shared_conv/kernel")]
    assert len(kernels) == 1


def test_nested_models_and_fixed_batch_input(tmp_path):
    """A Sequential inside a functional model; the Input declares batch_size=2, the export
    runs any batch size."""
    block = Sequential(
        [Input((6, 6, 2)), L.Conv2D(3, 3, activation="elu"), L.GlobalMaxPooling2D()],
        name="block",
    )
    x = Input((6, 6, 2), batch_size=2, name="x")
    out = L.Dense(2)(L.Concatenate()([block(x), L.Flatten()(x)]))
    model = Model(x, out, name="nested")
    randomize(model)
    check(model, data(6, 6, 2), tmp_path)


def test_unknown_image_size_uses_same_upper(tmp_path):
    """With rows and columns unknown at export, 'same' becomes ONNX's SAME_UPPER (TensorFlow's
    rule: the odd pad at the end), so one file serves every image size."""
    model = Sequential(
        [
            Input((None, None, 3)),
            L.Conv2D(4, 3, strides=2, padding="same", activation="relu"),
            L.MaxPooling2D(3, strides=2, padding="same"),
            L.AveragePooling2D(2, padding="same"),
            L.GlobalAveragePooling2D(),
            L.Dense(2),
        ],
        name="any_size",
    )
    randomize(model)
    proto, _ = check(model, data(9, 11, 3), tmp_path)
    check(model, data(16, 7, 3), tmp_path)
    assert not any(
        a.name == "pads" for n in proto.graph.node if n.op_type == "Conv" for a in n.attribute
    )


@pytest.mark.parametrize("opset", [13, 17, 19])
def test_opsets(opset, tmp_path):
    model = Sequential(
        [
            Input((9, 2)),
            L.Conv1D(4, 3, padding="same", activation="gelu"),
            L.StochasticPooling1D(padding="same"),
            L.ZeroPadding1D(1),
            L.Activation("hard_swish"),
            L.Flatten(),
            L.Dense(3, activation="log_softmax"),
        ],
        name=f"opset{opset}",
    )
    randomize(model)
    proto, _ = check(model, data(9, 2), tmp_path, opset=opset)
    assert proto.opset_import[0].version == opset


def test_model_export_method(tmp_path, capsys):
    model = Sequential([L.Conv2D(2, 2, input_shape=(4, 4, 1)), L.Flatten()], name="method")
    path = tmp_path / "m.onnx"
    assert model.export(str(path)) is None
    assert capsys.readouterr().out == ""
    model.export(path, format="onnx", verbose=True)
    assert "Saved artifact" in capsys.readouterr().out
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x = data(4, 4, 1)
    got = session.run(None, {"input": x})[0]  # no Input layer: the input is called "input"
    np.testing.assert_allclose(got, model.predict(x, verbose=0), rtol=0, atol=ATOL)
    with pytest.raises(ValueError, match="'onnx'"):
        model.export(tmp_path / "m2", format="tf_saved_model")


# ----------------------------------------------------------------------- refusals, errors
class Double(L.Layer):
    def call(self, inputs, training=False):
        return inputs * 2

    def compute_output_shape(self, input_shape):
        return input_shape


class MyDense(L.Dense):
    def call(self, inputs, training=False):
        return super().call(inputs, training) * 2


def test_unsupported_layer_is_named(tmp_path):
    model = Sequential([Input((4,)), L.Dense(3), Double(name="doubler")])
    path = tmp_path / "x.onnx"
    with pytest.raises(NotImplementedError, match=r"'doubler' \(Double\)"):
        export_onnx(model, path)
    assert not path.exists()


def test_subclass_that_replaces_call_is_refused():
    model = Sequential([Input((4,)), MyDense(3, name="my_dense")])
    with pytest.raises(NotImplementedError, match=r"'my_dense' \(MyDense\)"):
        to_onnx(model)


def test_custom_activation_is_refused():
    model = Sequential([Input((4,)), L.Dense(3, activation=lambda t: t, name="odd")])
    with pytest.raises(NotImplementedError, match="Dense 'odd'"):
        to_onnx(model)


def test_subclassed_model_is_refused():
    class Net(Model):
        def __init__(self):
            super().__init__(name="net")
            self.dense = L.Dense(2)

        def call(self, inputs, training=False):
            return self.dense(inputs)

    net = Net()
    net.build((None, 3))
    net.built = True
    with pytest.raises(NotImplementedError, match="subclassed model"):
        to_onnx(net)


def test_unbuilt_model_and_bad_opset():
    with pytest.raises(ValueError, match="not built"):
        to_onnx(Sequential([L.Dense(2)]))
    model = Sequential([Input((3,)), L.Dense(2)])
    with pytest.raises(ValueError, match="opset must be between 13"):
        to_onnx(model, opset=11)
    with pytest.raises(TypeError, match="npconv Model"):
        to_onnx(L.Dense(2))


def test_failed_export_keeps_the_old_file(tmp_path):
    path = tmp_path / "model.onnx"
    path.write_bytes(b"old")
    model = Sequential([Input((4,)), Double(name="doubler")])
    with pytest.raises(NotImplementedError):
        export_onnx(model, path)
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["model.onnx"]


def test_missing_onnx_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "onnx", None)  # import onnx now raises ImportError
    model = Sequential([Input((3,)), L.Dense(2)])
    with pytest.raises(ImportError, match=r'pip install "npconv\[onnx\]"'):
        export_onnx(model, tmp_path / "m.onnx")
    with pytest.raises(ImportError, match=r'pip install "npconv\[onnx\]"'):
        model.export(tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()
