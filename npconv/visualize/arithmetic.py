"""The arithmetic behind one output value of a layer: what the explainer page shows on a click.

``layer_spec(layer, ...)`` describes what a layer computes in terms the page can replay (an
``op`` name and the numbers it needs: kernel, bias, strides, pads...). ``pixel_arithmetic(spec,
inputs, output, index)`` then replays it for one output element of one sample, returning the
input window, the kernel, the element-wise products, their sum, the bias and the activation,
as plain NumPy arrays. The page's script does the same gathering and summing on the same
numbers (inlined in the page), so the Python function is the tested statement of what a click
shows; the tests hold its ``value`` to the layer's real output for every ``op``.

Every array here is one sample in channels-last layout, without the batch axis: ``(rows, cols,
channels)``, ``(steps, channels)``, ``(depth, rows, cols, channels)`` or ``(features,)``;
channels-first models are moved to channels last when recorded (``to_channels_last``). An
output element is named by its flat index in that layout, so ``index = (row * cols + col) *
channels + channel`` for a 2-D map.

Ops: ``conv`` (any rank, strides, dilation, ``same``/``causal`` padding, groups), ``max`` and
``avg`` pooling (``same`` windows skip the padding), ``gmax``/``gavg`` (global pooling),
``dense``, ``bn`` (batch normalization at inference), ``act`` (an element-wise activation
layer), ``softmax`` (over the last axis), ``copy`` (Dropout, Flatten, Reshape: the value at the
same flat index), ``pad`` (ZeroPadding), ``merge`` (Add, Subtract, Multiply, Average, Maximum,
Minimum), ``concat`` (Concatenate on the channel axis) and ``none`` (shown without arithmetic).
"""

from __future__ import annotations

import itertools

import numpy as np

DENSE_TOP = 8  # how many of a Dense unit's products the page lists; the rest are summed


def to_channels_last(a: np.ndarray, channels_first: bool) -> np.ndarray:
    """A batch ``(N, C, *spatial)`` -> ``(N, *spatial, C)`` when ``channels_first``."""
    if channels_first and a.ndim >= 3:
        return np.moveaxis(a, 1, -1)
    return a


def model_is_channels_first(layers) -> bool:
    return any(getattr(x, "data_format", None) == "channels_first" for x in layers)


def activation_name(fn) -> str:
    from .. import activations

    return activations.serialize(fn)


def layer_spec(layer, in_shapes, out_shape, channels_first=False) -> dict:
    """What ``layer`` computes, for ``pixel_arithmetic`` and the page.

    ``in_shapes``/``out_shape``: the channels-last shapes of one sample (no batch axis).
    Weights are float32 arrays (the layer's own values, kernels in Keras's layout).
    """
    from ..functions.padding import spatial_pads
    from ..layers import core, merging, normalization, pooling
    from ..layers.activation_layers import ELU, LeakyReLU, ReLU, Softmax
    from ..layers.convolutional import BaseConv, BaseZeroPadding

    def w(v):
        return None if v is None else np.asarray(getattr(v, "data", v), np.float32)

    if isinstance(layer, BaseConv) and layer.built:
        spatial = in_shapes[0][:-1]
        pads = spatial_pads(spatial, layer.kernel_size, layer.padding, layer.strides,
                            layer.dilation_rate)
        return {"op": "conv", "kernel": w(layer.kernel), "bias": w(layer.bias),
                "strides": list(layer.strides), "dilation": list(layer.dilation_rate),
                "pads": [p[0] for p in pads], "groups": layer.groups,
                "activation": activation_name(layer.activation)}
    if isinstance(layer, pooling.BasePooling) and layer.pool_mode in ("max", "average"):
        pads = spatial_pads(in_shapes[0][:-1], layer.pool_size, layer.padding, layer.strides)
        return {"op": "max" if layer.pool_mode == "max" else "avg",
                "pool": list(layer.pool_size), "strides": list(layer.strides),
                "pads": [p[0] for p in pads]}
    if isinstance(layer, pooling.BaseGlobalPooling):
        return {"op": "gmax" if layer.pool_mode == "max" else "gavg"}
    if isinstance(layer, core.Dense) and layer.built:
        return {"op": "dense", "kernel": w(layer.kernel), "bias": w(layer.bias),
                "activation": activation_name(layer.activation)}
    if isinstance(layer, normalization.BatchNormalization) and layer.built:
        rank = len(in_shapes[0]) + 1
        axis = layer.axis % rank
        if channels_first and rank >= 3:
            axis = rank - 1 if axis == 1 else (axis - 1 if axis > 1 else axis)
        if axis != rank - 1:
            return {"op": "none"}
        n = in_shapes[0][-1]
        ones, zeros = np.ones(n, np.float32), np.zeros(n, np.float32)
        return {"op": "bn", "gamma": w(layer.gamma) if layer.gamma is not None else ones,
                "beta": w(layer.beta) if layer.beta is not None else zeros,
                "mean": w(layer.moving_mean), "variance": w(layer.moving_variance),
                "epsilon": float(layer.epsilon)}
    if isinstance(layer, core.Activation):
        name = activation_name(layer.activation)
        return {"op": "softmax"} if name == "softmax" else {"op": "act", "activation": name}
    if isinstance(layer, Softmax):
        return {"op": "softmax"} if layer.axis in (-1, len(out_shape)) else {"op": "none"}
    if isinstance(layer, ReLU):
        return {"op": "act", "activation": "relu", "params": {
            "max_value": None if layer.max_value is None else float(layer.max_value),
            "negative_slope": float(layer.negative_slope), "threshold": float(layer.threshold)}}
    if isinstance(layer, LeakyReLU):
        return {"op": "act", "activation": "leaky_relu",
                "params": {"negative_slope": float(layer.negative_slope)}}
    if isinstance(layer, ELU):
        return {"op": "act", "activation": "elu", "params": {"alpha": float(layer.alpha)}}
    shape_kept = tuple(in_shapes[0]) == tuple(out_shape)
    if isinstance(layer, core.Dropout) and shape_kept:  # SpatialDropout too: identity at inference
        return {"op": "copy"}
    if isinstance(layer, (core.Flatten, core.Reshape)) and not channels_first:
        return {"op": "copy"}
    if isinstance(layer, BaseZeroPadding):
        return {"op": "pad", "pads": [p[0] for p in layer.padding]}
    if isinstance(layer, merging.Concatenate):
        rank = len(out_shape) + 1
        if layer.axis % rank == rank - 1 or (channels_first and layer.axis % rank == 1):
            return {"op": "concat", "sizes": [s[-1] for s in in_shapes]}
        return {"op": "none"}
    if isinstance(layer, merging.Merge):
        kind = {merging.Add: "add", merging.Subtract: "sub", merging.Multiply: "mul",
                merging.Average: "avg", merging.Maximum: "max", merging.Minimum: "min"}
        op = kind.get(type(layer))
        return {"op": "merge", "merge": op} if op else {"op": "none"}
    return {"op": "none"}


def _unravel(index, shape):
    return tuple(int(i) for i in np.unravel_index(int(index), tuple(shape)))


def _window(x, out_pos, kernel, strides, dilation, pads):
    """The input positions a window at ``out_pos`` covers: a list of (kernel offset, input
    position or None where it falls in the padding)."""
    spatial = x.shape[:-1]
    cells = []
    for offset in itertools.product(*(range(k) for k in kernel)):
        pos = tuple(o * s + k * d - p for o, s, k, d, p in
                    zip(out_pos, strides, offset, dilation, pads))
        inside = all(0 <= q < n for q, n in zip(pos, spatial))
        cells.append((offset, pos if inside else None))
    return cells


def apply_activation(name: str, z, params=None):
    """An element-wise activation by its serialized name on ``z``; ``params`` are those of the
    ReLU/LeakyReLU/ELU layers, applied as Keras defines them."""
    from .. import activations

    z = np.asarray(z, dtype=np.float32)
    if params:
        z64 = z.astype(np.float64)
        if name == "relu":  # Keras's ReLU layer
            top = params["max_value"]
            out = np.where(z64 >= params["threshold"], z64,
                           params["negative_slope"] * (z64 - params["threshold"]))
            return np.minimum(out, top) if top is not None else out
        if name == "leaky_relu":
            return np.where(z64 >= 0, z64, params["negative_slope"] * z64)
        if name == "elu":
            return np.where(z64 > 0, z64, params["alpha"] * np.expm1(z64))
    y = activations.get(name)(z.reshape(1))  # 1-D: the functions write into arrays in place
    return np.asarray(getattr(y, "data", y)).reshape(z.shape)


def pixel_arithmetic(spec: dict, inputs, output, index) -> dict:
    """The arithmetic that made element ``index`` of ``output`` from ``inputs`` (see the module
    docstring for the layouts).

    Returns a dict with ``op``, ``position`` (the output element's coordinates), ``value`` (the
    output element itself) and, by op:

    - ``conv``: ``window`` ``(*kernel_size, channels_in)`` (0 where the window hangs over the
      padding), ``inside`` (bool, same shape), ``kernel`` (the layer's weights for this filter,
      same shape), ``mask`` (``kernel`` flipped on every spatial axis: the tutorial's
      convolution mask), ``products`` (``window * kernel``), ``channel_sums``, ``sum``,
      ``bias``, ``z = sum + bias`` and ``activated`` (the activation of ``z``);
    - ``max``/``avg``/``gmax``/``gavg``: ``window`` (the real inputs of the window), ``argmax``
      (max) and ``result``;
    - ``dense``: ``top_index``/``top_input``/``top_weight``/``top_product`` (the ``DENSE_TOP``
      largest products by magnitude), ``rest`` (the sum of all other products), ``sum``,
      ``bias``, ``z``, ``activated``; for a softmax Dense ``activated`` is the softmax over all
      units, and ``z_all`` holds every unit's ``z``;
    - ``bn``: ``input``, ``mean``, ``variance``, ``epsilon``, ``gamma``, ``beta`` and
      ``result = gamma * (input - mean) / sqrt(variance + epsilon) + beta``;
    - ``act``/``softmax``/``copy``/``pad``/``merge``/``concat``: ``sources`` (the input
      values used) and ``result``.
    """
    output = np.asarray(output)
    pos = _unravel(index, output.shape)
    value = float(output.reshape(-1)[int(index)])
    op = spec["op"]
    out = {"op": op, "position": pos, "value": value}
    x = np.asarray(inputs[0]) if inputs else None
    if op == "conv":
        kernel = spec["kernel"]
        ksize = kernel.shape[:-2]
        cin_g, filters = kernel.shape[-2], kernel.shape[-1]
        f = pos[-1]
        group = f // (filters // spec["groups"])
        channels = slice(group * cin_g, (group + 1) * cin_g)
        window = np.zeros((*ksize, cin_g), np.float32)
        inside = np.zeros((*ksize, cin_g), bool)
        for offset, p in _window(x, pos[:-1], ksize, spec["strides"], spec["dilation"],
                                 spec["pads"]):
            if p is not None:
                window[offset] = x[p][channels]
                inside[offset] = True
        k = kernel[..., f]
        products = window.astype(np.float64) * k
        total = float(products.sum())
        bias = float(spec["bias"][f]) if spec["bias"] is not None else 0.0
        z = total + bias
        out.update(window=window, inside=inside, kernel=k,
                   mask=np.flip(k, axis=tuple(range(len(ksize)))), products=products,
                   channel_sums=products.reshape(-1, cin_g).sum(axis=0), sum=total,
                   bias=bias, z=z, activation=spec["activation"],
                   activated=float(apply_activation(spec["activation"], np.float32(z))),
                   channels=(channels.start, channels.stop))
    elif op in ("max", "avg"):
        c = pos[-1]
        cells = _window(x, pos[:-1], spec["pool"], spec["strides"], [1] * len(spec["pool"]),
                        spec["pads"])
        window = np.full(tuple(spec["pool"]), np.nan, np.float32)
        for offset, p in cells:
            if p is not None:
                window[offset] = x[(*p, c)]
        real = window[~np.isnan(window)]
        if op == "max":
            result = float(real.max())
            out["argmax"] = _unravel(int(np.nanargmax(window)), window.shape)
        else:
            result = float(real.astype(np.float64).mean())
        out.update(window=window, result=result, count=int(real.size))
    elif op in ("gmax", "gavg"):
        c = pos[-1]
        window = x[..., c]
        result = float(window.max()) if op == "gmax" else float(window.astype(np.float64).mean())
        out.update(window=window, result=result, count=int(window.size))
    elif op == "dense":
        table = dense_table(spec, x)
        unit = int(index) % spec["kernel"].shape[1]
        row = int(index) // spec["kernel"].shape[1]
        n = table["z"].shape[-1]
        z_row = table["z"][row]
        out.update({key: table[key][row, unit] for key in
                    ("top_index", "top_input", "top_weight", "top_product")})
        out.update(rest=float(table["rest"][row, unit]), sum=float(table["sum"][row, unit]),
                   bias=float(spec["bias"][unit]) if spec["bias"] is not None else 0.0,
                   z=float(z_row[unit]), activation=spec["activation"], unit=unit)
        if spec["activation"] == "softmax":
            e = np.exp(z_row.astype(np.float64) - z_row.max())
            out.update(activated=float(e[unit] / e.sum()), z_all=z_row, units=n)
        else:
            out["activated"] = float(apply_activation(spec["activation"], np.float32(out["z"])))
    elif op == "bn":
        c = pos[-1]
        v = float(x.reshape(-1)[int(index)])
        g, b = float(spec["gamma"][c]), float(spec["beta"][c])
        m, var, eps = float(spec["mean"][c]), float(spec["variance"][c]), spec["epsilon"]
        out.update(input=v, gamma=g, beta=b, mean=m, variance=var, epsilon=eps,
                   result=g * (v - m) / np.sqrt(var + eps) + b)
    elif op == "act":
        v = float(x.reshape(-1)[int(index)])
        out.update(sources=[v], activation=spec["activation"],
                   result=float(apply_activation(spec["activation"], np.float32(v),
                                                 spec.get("params"))))
    elif op == "softmax":
        row = x.reshape(-1, x.shape[-1])[int(index) // x.shape[-1]].astype(np.float64)
        e = np.exp(row - row.max())
        out.update(sources=row.tolist(), result=float(e[pos[-1]] / e.sum()))
    elif op == "copy":
        v = float(x.reshape(-1)[int(index)])
        out.update(sources=[v], source_index=int(index), result=v)
    elif op == "pad":
        src = tuple(p - b for p, b in zip(pos[:-1], spec["pads"]))
        inside = all(0 <= q < n for q, n in zip(src, x.shape[:-1]))
        v = float(x[(*src, pos[-1])]) if inside else 0.0
        out.update(sources=[v], source=src if inside else None, result=v)
    elif op == "merge":
        vals = [float(np.asarray(a).reshape(-1)[int(index)]) for a in inputs]
        fold = {"add": sum, "mul": np.prod, "max": max, "min": min,
                "avg": lambda v: sum(v) / len(v), "sub": lambda v: v[0] - v[1]}[spec["merge"]]
        out.update(sources=vals, merge=spec["merge"], result=float(fold(vals)))
    elif op == "concat":
        c, start = pos[-1], 0
        for k, size in enumerate(spec["sizes"]):
            if c < start + size:
                v = float(np.asarray(inputs[k])[(*pos[:-1], c - start)])
                out.update(sources=[v], input=k, channel=c - start, result=v)
                break
            start += size
    return out


def dense_table(spec, x, top=DENSE_TOP) -> dict:
    """Every unit's arithmetic for a Dense layer on one sample ``x`` ``(..., features)``.

    Arrays shaped ``(rows, units, top)`` (``rows`` = positions before the last axis, 1 for a
    flat input): the indices, inputs, weights and products of the ``top`` largest products by
    magnitude; ``rest`` ``(rows, units)`` the sum of the others; ``sum`` of all products and
    ``z`` = sum + bias, ``(rows, units)``. Sums are taken in float64.
    """
    kernel = spec["kernel"]
    rows = np.asarray(x, np.float32).reshape(-1, kernel.shape[0])
    weights = np.ascontiguousarray(kernel.T)  # (units, features)
    products = rows[:, None, :].astype(np.float64) * weights[None]  # (rows, units, features)
    total = products.sum(axis=2)
    top = min(top, kernel.shape[0])
    magnitude = np.abs(products)
    if top < kernel.shape[0]:  # the top candidates by partition, then sorted (largest first)
        order = np.argpartition(-magnitude, top - 1, axis=2)[:, :, :top]
    else:
        order = np.broadcast_to(np.arange(top), products.shape[:2] + (top,))
    by_size = np.argsort(-np.take_along_axis(magnitude, order, axis=2), axis=2, kind="stable")
    order = np.take_along_axis(order, by_size, axis=2)
    top_products = np.take_along_axis(products, order, axis=2)
    top_inputs = rows[np.arange(len(rows))[:, None, None], order]
    top_weights = np.take_along_axis(np.broadcast_to(weights[None], products.shape), order,
                                     axis=2)
    bias = spec["bias"] if spec["bias"] is not None else np.zeros(kernel.shape[1], np.float32)
    return {"top_index": order.astype(np.int32), "top_input": top_inputs.astype(np.float32),
            "top_weight": top_weights.astype(np.float32), "top_product": top_products,
            "rest": total - top_products.sum(axis=2), "sum": total, "z": total + bias}
