"""``Layer``: the Keras layer contract — weights, build on first call, config, shape checks.

A layer is thin: it owns its weights (``Variable``s created by ``add_weight`` in ``build``) and
its configuration, and its ``call`` hands the arithmetic to ``npconv.functions``. Calling a layer on
a symbolic ``KerasTensor`` (from ``Input``) records a node of a functional graph instead of
computing; calling it on an array or Tensor computes.

Shapes include the batch axis, written ``None`` when unknown, as in Keras:
``(None, 28, 28, 1)``.
"""

from __future__ import annotations

import builtins
import contextlib
import functools
import inspect
import threading

from .. import backend
from .._naming import UniqueNames, to_snake_case
from ..autograd import Tensor, Variable, as_tensor
from .symbolic import KerasTensor, Node

_LAYER_NAMES = UniqueNames()  # layers and metrics; optimizers count theirs apart


def unique_name(base: str) -> str:
    """``base`` the first time, then ``base_1``, ``base_2``, ... (Keras's naming)."""
    return _LAYER_NAMES(base)


def reset_names() -> None:
    _LAYER_NAMES.reset()


def format_shape(shape) -> str:
    return (
        "("
        + ", ".join("None" if d is None else str(d) for d in shape)
        + ("," if len(shape) == 1 else "")
        + ")"
    )


class Layer:
    """Base class of every layer (see the module docstring).

    Subclasses set ``input_rank`` (or ``None`` for any rank) and ``rank_hint`` (the axes named
    in error messages), implement ``build(input_shape)``, ``call(inputs, training=False)`` and
    ``compute_output_shape(input_shape)``, and list their arguments in ``get_config``.
    """

    input_rank: int | None = None
    rank_hint: str = ""
    min_input_rank: int | None = None
    # a model passes training=None on to its layers, each applying its own default
    _passes_training = False

    # a Model's build() decides for itself when it is built (it traces the graph)
    _build_sets_built = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        build = cls.__dict__.get("build")
        if build is not None and not cls._build_sets_built:
            cls.build = _marks_built(build)

    def __init__(
        self,
        trainable=True,
        name=None,
        dtype=None,
        input_shape=None,
        batch_input_shape=None,
        batch_size=None,
        input_dim=None,
        activity_regularizer=None,
        weights=None,
        input_length=None,
        **kwargs,
    ):
        if kwargs:
            raise TypeError(
                f"{type(self).__name__}: unexpected keyword argument(s) {sorted(kwargs)}"
            )
        self.name = name or unique_name(to_snake_case(type(self).__name__))
        self.trainable = trainable
        self.dtype = dtype or backend.floatx()
        self.built = False
        self._weights: list[Variable] = []
        self._losses: list[Tensor] = []
        self.input_shape_arg = None
        if batch_input_shape is not None:
            self.input_shape_arg = tuple(batch_input_shape)
        elif input_shape is not None:
            self.input_shape_arg = (batch_size, *tuple(input_shape))
        elif input_dim is not None or input_length is not None:
            self.input_shape_arg = _keras2_input_shape(self, batch_size, input_dim, input_length)
        # Keras 2's weights=[...]: set once the layer is built (see _maybe_build)
        self._initial_weights = None if weights is None else list(weights)
        from .. import regularizers

        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.built_input_shape = None
        self.built_output_shape = None
        self.inbound_nodes: list[Node] = []

    # weights
    def add_weight(
        self,
        shape,
        initializer="glorot_uniform",
        dtype=None,
        trainable=True,
        regularizer=None,
        constraint=None,
        name=None,
    ) -> Variable:
        """Create a weight, remember it in Keras's order, return the ``Variable``."""
        from .. import constraints, initializers, regularizers

        init = initializers.get(initializer)
        dtype = dtype or self.dtype
        value = backend.to_backend(init(tuple(shape), dtype=dtype))  # on the GPU under cupy
        var = Variable(
            value,
            name=f"{self.name}/{name}" if name else self.name,
            trainable=trainable and self.trainable,
            dtype=dtype,
            constraint=constraints.get(constraint),
        )
        var.regularizer = regularizers.get(regularizer)
        var.path = name
        var.layer_trainable = trainable
        self._weights.append(var)
        return var

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)
        for v in getattr(self, "_weights", []):
            v.requires_grad = self._trainable and v.layer_trainable
        for layer in getattr(self, "_sublayers", lambda: [])():
            layer.trainable = value

    def __setattr__(self, key, value):
        # A layer set as an attribute (alone or in a list) is this layer's sublayer, as in
        # Keras: its weights are this layer's too (trained, saved, counted), and its losses.
        if isinstance(value, Layer) or (type(value) in (list, tuple) and any(
                isinstance(v, Layer) for v in value)):
            children = self.__dict__.setdefault("_children", [])
            for v in value if type(value) in (list, tuple) else (value,):
                if isinstance(v, Layer) and v is not self and all(v is not c for c in children):
                    children.append(v)
        object.__setattr__(self, key, value)

    def _sublayers(self):
        """The layers set as this layer's attributes, in the order they were set."""
        return list(self.__dict__.get("_children", ()))

    @property
    def weights(self) -> list[Variable]:
        """Trainable then non-trainable weights, as Keras orders them."""
        return self.trainable_weights + self.non_trainable_weights

    @property
    def trainable_weights(self) -> list[Variable]:
        return [v for v in self._all_weights() if v.requires_grad]

    @property
    def non_trainable_weights(self) -> list[Variable]:
        return [v for v in self._all_weights() if not v.requires_grad]

    @property
    def trainable_variables(self) -> list[Variable]:
        """Keras's other name for ``trainable_weights``."""
        return self.trainable_weights

    @property
    def non_trainable_variables(self) -> list[Variable]:
        return self.non_trainable_weights

    @property
    def variables(self) -> list[Variable]:
        return list(self._all_weights())

    def _all_weights(self) -> list[Variable]:
        """This layer's own weights, then its sublayers' (each once)."""
        children = self.__dict__.get("_children")
        if not children:
            return list(self._weights)
        out, seen = list(self._weights), {id(v) for v in self._weights}
        for layer in children:
            for v in layer._all_weights():
                if id(v) not in seen:
                    seen.add(id(v))
                    out.append(v)
        return out

    def get_weights(self) -> list:
        """Copies of the weights' arrays, in creation order (Keras's ``get_weights`` order);
        NumPy arrays whatever the backend."""
        return [backend.to_numpy(v.data, copy=True) for v in self._all_weights()]

    def set_weights(self, weights) -> None:
        """Set the weights from arrays in ``get_weights`` order, checking count and shapes."""
        own = self._all_weights()
        weights = list(weights)
        if len(weights) != len(own):
            raise ValueError(
                f"Layer '{self.name}' expects {len(own)} weight arrays "
                f"({[v.data.shape for v in own]}), got {len(weights)}"
            )
        for var, value in zip(own, weights):
            value = value.data if isinstance(value, Tensor) else backend.xp.asarray(value)
            if value.shape != var.data.shape:
                raise ValueError(
                    f"Layer '{self.name}' weight '{var.name}' has shape {var.data.shape}, "
                    f"got an array of shape {value.shape}"
                )
        for var, value in zip(own, weights):
            var.assign(value)

    def count_params(self) -> int:
        if not self.built:
            raise ValueError(
                f"Layer '{self.name}' is not built yet: call it on data or give the model an "
                "input shape before counting its parameters"
            )
        return int(sum(v.data.size for v in self._all_weights()))

    @property
    def losses(self) -> list[Tensor]:
        """Regularization penalties of the last call (weight and activity regularizers)."""
        out = [v.regularizer(v) for v in self._weights if v.regularizer is not None]
        for layer in self.__dict__.get("_children", ()):
            out.extend(layer.losses)
        return out + list(self._losses)

    # building and calling
    def build(self, input_shape) -> None:
        self.built = True

    def call(self, inputs, training=False):
        raise NotImplementedError(f"{type(self).__name__} must implement call()")

    def compute_output_shape(self, input_shape):
        """The output shape for ``input_shape`` (batch axis included). Layers that know it
        override this; the default finds it by running ``call`` on one sample of zeros
        (``trace_output_shape``), so a custom layer or subclassed model never reports a shape it
        does not produce."""
        if self.built_output_shape is not None and _same_shape(input_shape,
                                                               self.built_input_shape):
            return self.built_output_shape  # traced when built
        return trace_output_shape(self, input_shape)

    def add_loss(self, loss, inputs=None) -> None:
        """Add a loss term (a scalar Tensor computed in ``call``) to ``losses``, which the
        training step adds to the compiled loss. Cleared at each call. (``inputs``: Keras 2's
        argument, which changes nothing.)

        A loss made of Keras tensors (Keras 2's ``model.add_loss(K.mean(...))`` outside any
        layer) has no values to add: npconv, as Keras 3, refuses it and says where to compute
        it instead."""
        if type(loss).__name__ == "KerasTensor" or (
                isinstance(loss, (list, tuple)) and builtins.any(
                    type(v).__name__ == "KerasTensor" for v in loss)):
            raise NotImplementedError(
                f"add_loss on '{self.name}' got a symbolic loss (made of keras.Input tensors, "
                "Keras 2's idiom): npconv computes eagerly, as Keras 3 does, and cannot add it. "
                "Compute the loss inside a layer's call() from its inputs and call "
                "self.add_loss(...) there, or override the model's train_step/compute_loss"
            )
        for term in loss if isinstance(loss, (list, tuple)) else [loss]:
            self._losses.append(term)

    def check_input_shape(self, shape) -> None:
        """Raise a clear error when ``shape`` (with batch axis) does not fit this layer."""
        shape = tuple(shape)
        expected = self.built_input_shape
        rank = self.input_rank
        if rank is not None and len(shape) != rank:
            hint = f" {self.rank_hint}" if self.rank_hint else ""
            raise ValueError(
                f"{type(self).__name__} '{self.name}' expects input of rank {rank}{hint}, "
                f"got shape {format_shape(shape)}"
            )
        if self.min_input_rank is not None and len(shape) < self.min_input_rank:
            raise ValueError(
                f"{type(self).__name__} '{self.name}' expects input of rank at least "
                f"{self.min_input_rank}, got shape {format_shape(shape)}"
            )
        if expected is not None and self._checks_built_shape():
            ok = len(shape) == len(expected) and all(
                e is None or s is None or e == s for e, s in zip(expected[1:], shape[1:])
            )
            if not ok:
                raise ValueError(
                    f"{type(self).__name__} '{self.name}' expects input of shape "
                    f"{format_shape(expected)}, got {format_shape(shape)}"
                )

    _checked_input = None  # (input shape less batch, built shape) last passed by __call__

    def _checks_built_shape(self) -> bool:
        return True

    def _maybe_build(self, input_shape) -> None:
        if not self.built:
            self.check_input_shape(input_shape)
            self.build(input_shape)
            self.built = True
            self.built_input_shape = tuple(input_shape)
            self.built_output_shape = self.compute_output_shape(input_shape)
            self._set_initial_weights()

    def _set_initial_weights(self) -> None:
        """Keras 2's ``weights=[...]`` argument, set once the weights exist."""
        if getattr(self, "_initial_weights", None) is not None:
            weights, self._initial_weights = self._initial_weights, None
            try:
                self.set_weights(weights)
            except ValueError as e:
                raise ValueError(f"{type(self).__name__} weights=[...]: {e}") from None

    def __call__(self, inputs=None, *args, training=None, **kwargs):
        if kwargs and (inputs is None or _has_tensor_values(kwargs)):
            inputs, args = self._keyword_tensors(inputs, args, kwargs)
        if args:
            inputs, training = self._positional(inputs, args, training, kwargs)
        if _is_symbolic(inputs):
            return self._call_symbolic(inputs, **kwargs)
        if isinstance(inputs, (list, tuple)):
            inputs = [as_tensor(x) for x in inputs]
        elif isinstance(inputs, dict):  # a subclassed model's call may read a dict of inputs
            inputs = {k: as_tensor(x) for k, x in inputs.items()}
        else:
            inputs = as_tensor(inputs)
        shapes = _shapes(inputs)
        self._maybe_build(_batchless(shapes))
        if isinstance(shapes, tuple):
            # checked once per input shape (and built shape): a model's step calls every layer
            # on the shape it checked at the previous step
            checked = (shapes[1:], self.built_input_shape)
            if checked != self._checked_input:
                self.check_input_shape(_batchless(shapes))
                self._checked_input = checked
        self._losses = []
        training = resolve_training(self, training)
        if _takes_training(type(self)):
            kwargs["training"] = training if self._passes_training else bool(training)
        previous = getattr(_CALL, "training", None)  # training_context, inlined
        _CALL.training = training
        try:
            if self._star_call:
                outputs = self.call(*inputs, **kwargs)
            else:
                outputs = self.call(inputs, **kwargs)
        finally:
            _CALL.training = previous
        if self.activity_regularizer is not None:
            from ..functions import array

            n = outputs.shape[0] if outputs.ndim else 1
            self._losses.append(array.div(self.activity_regularizer(outputs), float(n)))
        return outputs

    # a call with several positional tensors, ``Sampler()(z_mean, z_log_var)`` for
    # ``call(self, z_mean, z_log_var)``: Keras forwards positional arguments to ``call``. They
    # travel as one list (the graph's node holds it) and ``call`` gets them spread out.
    _star_call = False

    def _positional(self, inputs, args, training, kwargs):
        """``(inputs, training)`` for ``layer(inputs, *args)``: each extra positional argument
        goes to the parameter of ``call`` at its place, as in Keras; tensors for parameters
        other than ``training`` and ``mask`` become further inputs."""
        names = _positional_names(type(self))
        extra = []
        for i, value in enumerate(args):
            name = names[i] if i < len(names) else None
            if name == "training":
                training = value
            elif name == "mask":
                continue  # npconv has no masking
            elif name is None:
                raise TypeError(
                    f"{type(self).__name__} '{self.name}': call() takes {len(names) + 1} "
                    f"positional argument(s), got {len(args) + 1}"
                )
            else:
                extra.append(value)
        if not extra:
            return inputs, training
        self._star_call = True
        return [inputs, *extra], training

    def _keyword_tensors(self, inputs, args, kwargs):
        """``(inputs, args)`` with the tensors given by keyword for ``call``'s positional
        parameters moved to their places (``layer(query=q, value=v)``, ``layer(x, value=v)``),
        as Keras binds them; other keyword arguments stay in ``kwargs``."""
        names = _call_parameters(type(self))
        given = ([] if inputs is None else [inputs]) + list(args)
        for name in names[len(given):]:
            if name in ("training", "mask") or not _is_tensor_like(kwargs.get(name)):
                break
            given.append(kwargs.pop(name))
        if not given:
            raise TypeError(f"{type(self).__name__} '{self.name}' was called without inputs")
        return given[0], tuple(given[1:])

    def _call_symbolic(self, inputs, **kwargs):
        shapes = _shapes(inputs)
        self._maybe_build(shapes)
        if not isinstance(shapes, list):
            self.check_input_shape(shapes)
        out_shape = self.compute_output_shape(shapes)
        node = Node(self, inputs, kwargs)
        self.inbound_nodes.append(node)
        if _several_shapes(out_shape):  # a layer or model with several outputs
            node.outputs = [KerasTensor(s, dtype=self.dtype, node=node) for s in out_shape]
            return list(node.outputs)
        output = KerasTensor(out_shape, dtype=self.dtype, node=node)
        node.outputs = [output]
        return output

    # the Keras tensors of the layer's one call in a model (Keras's layer.input/layer.output)
    @property
    def input(self):
        """The Keras tensor(s) this layer was called on in its model, for models that read a
        layer's activations: ``Model(model.inputs, model.get_layer('conv').output)``."""
        return self._only_node("input").inputs

    @property
    def output(self):
        """The Keras tensor(s) this layer produced in its model (see ``input``)."""
        outs = self._only_node("output").outputs
        return outs[0] if len(outs) == 1 else list(outs)

    def _only_node(self, what):
        nodes = self.inbound_nodes
        if not nodes:
            raise AttributeError(
                f"Layer '{self.name}' has never been called on a Keras tensor, so it has no "
                f"{what}: build the model with an Input (or an input_shape on its first layer)"
            )
        if len(nodes) > 1:
            raise AttributeError(
                f"Layer '{self.name}' was called {len(nodes)} times in models, so its {what} is "
                "ambiguous: use the tensor each call returned"
            )
        return nodes[0]

    # shapes, as Keras 2 exposed them
    @property
    def input_shape(self):
        if self.built_input_shape is None:
            raise AttributeError(f"Layer '{self.name}' has not been built: no input shape yet")
        return self.built_input_shape

    @property
    def output_shape(self):
        if self.built_output_shape is None:
            raise AttributeError(f"Layer '{self.name}' has not been built: no output shape yet")
        return self.built_output_shape

    # config
    def get_config(self) -> dict:
        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}
        if self.input_shape_arg is not None:
            config["batch_input_shape"] = self.input_shape_arg
        if self.activity_regularizer is not None:
            from .. import regularizers

            config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return config

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


def _keras2_input_shape(layer, batch_size, input_dim, input_length):
    """Keras 2's ``input_dim`` / ``input_length``: ``Dense(64, input_dim=784)`` takes
    ``(784,)``; a sequence layer (``Conv1D``, inputs of rank 3) takes ``(input_length,
    input_dim)``, either may be ``None``."""
    if input_length is not None or getattr(layer, "input_rank", None) == 3:
        length = None if input_length is None else int(input_length)
        dim = None if input_dim is None else int(input_dim)
        return (batch_size, length, dim)
    return (batch_size, int(input_dim))


def _several_shapes(shape):
    return isinstance(shape, list) and bool(shape) and all(
        isinstance(s, (tuple, list)) for s in shape)


def _is_symbolic(inputs) -> bool:
    if isinstance(inputs, (list, tuple)):
        return any(isinstance(x, KerasTensor) for x in inputs)
    if isinstance(inputs, dict):
        return any(isinstance(x, KerasTensor) for x in inputs.values())
    return isinstance(inputs, KerasTensor)


def _shapes(inputs):
    if isinstance(inputs, (list, tuple)):
        return [tuple(x.shape) for x in inputs]
    if isinstance(inputs, dict):
        return {k: tuple(x.shape) for k, x in inputs.items()}
    return tuple(inputs.shape)


def _marks_built(build):
    """``build`` that marks the layer built when it returns, whoever called it, as Keras 3's
    build wrapper does: a layer built by hand (``layer.build((None, 8, 8, 2))``, as custom
    layers and tests do) keeps its weights on its first call instead of being built again."""

    @functools.wraps(build)
    def build_wrapper(self, *args, **kwargs):
        out = build(self, *args, **kwargs)
        self.built = True
        self._set_initial_weights()
        return out

    return build_wrapper


def _batchless(shapes):
    """Replace the concrete batch size by ``None``, so a layer is built batch-agnostic."""
    if isinstance(shapes, list):
        return [(None, *s[1:]) for s in shapes]
    if isinstance(shapes, dict):
        return {k: (None, *s[1:]) for k, s in shapes.items()}
    return (None, *shapes[1:]) if shapes else shapes


def _same_shape(a, b) -> bool:
    if isinstance(a, list) or isinstance(b, list):
        return isinstance(a, list) and isinstance(b, list) and [tuple(s) for s in a] == [
            tuple(s) for s in b]
    return a is not None and b is not None and tuple(a) == tuple(b)


def _takes_training(cls) -> bool:
    """Whether ``cls.call`` accepts ``training=`` (Keras passes it only then: a custom layer
    may define ``call(self, inputs)``)."""
    known = _TAKES_TRAINING.get(cls)
    if known is None:
        try:
            params = inspect.signature(cls.call).parameters
        except (TypeError, ValueError):
            params = {"training": None}
        known = "training" in params or any(
            p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()
        )
        _TAKES_TRAINING[cls] = known
    return known


def _call_parameters(cls):
    """The names of ``cls.call``'s parameters after ``self``: the first (its inputs, named
    ``"inputs"`` when the signature cannot be read), then the other positional ones."""
    known = _CALL_PARAMETERS.get(cls)
    if known is None:
        try:
            params = list(inspect.signature(cls.call).parameters.values())[1:]  # self
        except (TypeError, ValueError):
            params = []
        first = params[0].name if params else "inputs"
        known = _CALL_PARAMETERS[cls] = [first] + [
            p.name for p in params[1:]
            if p.kind in (inspect.Parameter.POSITIONAL_ONLY,
                          inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    return known


def _positional_names(cls):
    """The names of ``cls.call``'s positional parameters after the first (the inputs)."""
    return _call_parameters(cls)[1:]


_CALL_PARAMETERS: dict[type, list] = {}


def _is_tensor_like(value) -> bool:
    return isinstance(value, (Tensor, KerasTensor)) or type(value).__name__ == "ndarray"


def _has_tensor_values(kwargs) -> bool:
    return builtins.any(_is_tensor_like(v) for v in kwargs.values())


_TAKES_TRAINING: dict[type, bool] = {}
_TRAINING_DEFAULT: dict[type, bool] = {}  # the default of cls.call's training argument
_CALL = threading.local()  # .training: the training flag of the call being run on this thread


def current_training():
    """The ``training`` flag of the enclosing layer call (None outside any, or when it was
    not given)."""
    return getattr(_CALL, "training", None)


def resolve_training(layer, training):
    """Keras 3's rule for ``training=None``: the enclosing call's flag; at the top, the
    default of the layer's own ``call`` (False for most, True for random augmentation
    layers). A model keeps None, so each of its layers applies its own default."""
    if training is None:
        training = current_training()
    if training is None and not layer._passes_training:
        cls = type(layer)
        training = _TRAINING_DEFAULT.get(cls)
        if training is None:
            try:
                default = inspect.signature(cls.call).parameters["training"].default
            except (KeyError, TypeError, ValueError):
                default = False
            training = _TRAINING_DEFAULT[cls] = default if isinstance(default, bool) else False
    return training


@contextlib.contextmanager
def training_context(training):
    """Run the block with ``current_training()`` answering ``training``: a layer's call and a
    functional model's direct run (``npconv.models``), so that nested calls inherit the flag."""
    previous = current_training()
    _CALL.training = training
    try:
        yield
    finally:
        _CALL.training = previous


def trace_output_shape(layer, input_shape):
    """``layer``'s output shape(s) for ``input_shape``, found by calling it (inference mode,
    no graph recorded) on one sample of zeros. The batch axis comes back as ``None``. A list
    (or dict) when the layer returns several outputs.

    Sizes the input leaves unknown (``Input((None, None, 3))``, the "any image size" models)
    are tried twice, at two sizes (8 and 12, or larger when the layer refuses them): an output
    axis that follows them comes back ``None``, one that does not (the channels) keeps its
    size.

    Why: Keras's default ``compute_output_shape`` traces ``call`` symbolically; echoing the
    input shape instead made a subclassed model claim its input's shape as its output's.
    """
    shapes = (list(input_shape.values()) if isinstance(input_shape, dict)
              else input_shape if isinstance(input_shape, list) else [input_shape])
    unknown = any(d is None for s in shapes for d in tuple(s)[1:])
    if not unknown:
        return _traced(layer, input_shape, 1)
    error = None
    for fill in (8, 16, 32):
        try:
            first, second = _traced(layer, input_shape, fill), _traced(
                layer, input_shape, fill + fill // 2)
        except ValueError as e:
            error = e
            continue
        return _merge_traced(first, second)
    raise error


def _traced(layer, input_shape, fill):
    """The output shape(s) of ``layer.call`` on zeros of ``input_shape``, unknown sizes
    ``fill``."""
    from ..autograd import no_grad

    def zeros(shape):
        return backend.xp.zeros(
            [1] + [fill if d is None else int(d) for d in tuple(shape)[1:]], dtype=layer.dtype
        )

    multi = isinstance(input_shape, list)
    if isinstance(input_shape, dict):
        sample = {k: as_tensor(zeros(s)) for k, s in input_shape.items()}
    else:
        sample = [zeros(s) for s in input_shape] if multi else zeros(input_shape)
    kwargs = {"training": False} if _takes_training(type(layer)) else {}
    try:
        with no_grad():
            if isinstance(sample, dict):
                out = layer.call(sample, **kwargs)
            elif multi and layer._star_call:
                out = layer.call(*[as_tensor(a) for a in sample], **kwargs)
            else:
                out = layer.call(
                    [as_tensor(a) for a in sample] if multi else as_tensor(sample), **kwargs
                )
    except Exception as e:
        raise ValueError(
            f"{type(layer).__name__} '{layer.name}': cannot find its output shape for input "
            f"{input_shape}: it defines no compute_output_shape, and calling it on zeros of "
            f"that shape failed ({type(e).__name__}: {e})"
        ) from e

    def shape_of(t):
        return (None, *tuple(getattr(t, "shape", ()))[1:])

    if isinstance(out, (list, tuple)):
        return [shape_of(t) for t in out]
    if isinstance(out, dict):
        return {k: shape_of(t) for k, t in out.items()}
    return shape_of(out)


def _merge_traced(a, b):
    """Two traced shapes (or lists/dicts of them) merged: ``None`` where they differ."""
    if isinstance(a, dict):
        return {k: _merge_traced(a[k], b[k]) for k in a}
    if isinstance(a, list):
        return [_merge_traced(x, y) for x, y in zip(a, b)]
    if len(a) != len(b):
        raise ValueError(f"output rank depends on the input size: {a} against {b}")
    return tuple(None if x != y else x for x, y in zip(a, b))
