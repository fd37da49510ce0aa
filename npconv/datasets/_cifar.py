"""What CIFAR-10 and CIFAR-100 share: the places they lie and how their batches are assembled."""

from __future__ import annotations

import numpy as np

from ..backend import image_data_format
from ._formats import read_cifar_archive, read_cifar_folder
from ._sources import REMOTES, Layout, Spec, locate


def cifar_spec(name, title, top, members, archive, cache_names) -> Spec:
    """``top``: the folder inside the archive; ``archive``: the canonical archive name;
    ``cache_names``: the names Keras 2 and 3 give the archive in their cache."""
    files = tuple((m,) for m in members)
    return Spec(
        name,
        title,
        layouts=(
            Layout("cifar-dir", top, files),  # extracted by hand or by Keras 2
            Layout("cifar-dir", f"{top}-target/{top}", files),  # extracted by Keras 3
            Layout("cifar-tar", "", ((archive, *cache_names),)),  # read without extracting
        ),
        download=Layout("cifar-tar", "", ((archive,),)),
        remotes=(REMOTES[archive],),
    )


def load_cifar(spec, top, train, test, label_key, num_classes, label_dtype):
    """Find (or download) the batches, read them through the restricted unpickler, and lay them
    out as Keras does: ``x`` uint8 ``(N, 32, 32, 3)`` (``(N, 3, 32, 32)`` under
    ``channels_first``), ``y`` ``(N, 1)``."""
    found = locate(spec)
    members = (*train, *test)
    if found.kind == "cifar-dir":
        batches = read_cifar_folder(found.folder, members, label_key, num_classes)
    else:
        batches = read_cifar_archive(found.paths[0], top, members, label_key, num_classes)
    channels_last = image_data_format() == "channels_last"

    def assemble(names):
        total = sum(batches[m][0].shape[0] for m in names)
        x = np.empty((total, 32, 32, 3) if channels_last else (total, 3, 32, 32), np.uint8)
        y = np.empty((total, 1), label_dtype)
        start = 0
        for m in names:
            images, labels = batches[m]
            stop = start + images.shape[0]
            x[start:stop] = images.transpose(0, 2, 3, 1) if channels_last else images
            y[start:stop, 0] = labels
            start = stop
        return x, y

    return assemble(train), assemble(test)
