"""The optimizer's state in a model file, so a loaded model trains on exactly as it would have.

An optimizer's variables (``iterations``, a float ``learning_rate``, then its slots: momenta,
velocities, ...) are written with its ``save_own_variables``, in order, with the indices of the
model weights it was built on. Loading rebuilds the optimizer on those same weights in that same
order — which recreates its slots in the same order — then ``load_own_variables``.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..backend import to_numpy

__all__ = ["optimizer_state", "restore_optimizer_state"]


def optimizer_state(model):
    """``{"built", "variables", "state": [(path, array), ...]}`` for ``model.optimizer``, or
    ``None`` (with a warning) when it also updates variables that are not the model's."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return None
    index = {id(v): i for i, v in enumerate(model.weights)}
    tracked = optimizer.built_variables
    if any(id(v) not in index for v in tracked):
        warnings.warn(
            f"Optimizer '{optimizer.name}' updates variables outside model '{model.name}'; its "
            "state is not saved (the loaded model's optimizer starts afresh)",
            stacklevel=3,
        )
        return None
    store = {}
    optimizer.save_own_variables(store)
    paths = [
        getattr(v, "path", None) or v.name or f"variable_{i}"
        for i, v in enumerate(optimizer.variables)
    ]
    return {
        "built": bool(optimizer.built),
        "variables": [index[id(v)] for v in tracked],
        "state": [(p, to_numpy(store[str(i)])) for i, p in enumerate(paths)],
    }


def restore_optimizer_state(model, info, arrays):
    """Rebuild ``model.optimizer`` on the recorded weights and load ``arrays`` into it."""
    optimizer = model.optimizer
    if not isinstance(info.get("built"), bool):
        raise ValueError("the optimizer entry needs a boolean 'built'")
    if info["built"]:
        weights = model.weights
        optimizer.build([weights[i] for i in info["variables"]])
    own = optimizer.variables
    if len(arrays) != len(own):
        raise ValueError(
            f"the file holds {len(arrays)} state arrays for optimizer '{optimizer.name}', which "
            f"has {len(own)} variables once built on the same weights"
        )
    for variable, array in zip(own, arrays):
        if tuple(variable.data.shape) != array.shape or not np.can_cast(
            array.dtype, variable.data.dtype, casting="same_kind"
        ):
            raise ValueError(
                f"optimizer variable '{variable.path}' is {variable.data.shape} "
                f"{variable.data.dtype}, the file's is {array.shape} {array.dtype}"
            )
    optimizer.load_own_variables({str(i): a for i, a in enumerate(arrays)})
