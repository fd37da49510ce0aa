"""Finding the files of the word-index data sets (``imdb``, ``reuters``), as ``mnist.load_data``
finds ``mnist.npz``: a ``path`` with a folder in it is used as is (downloaded there if missing);
a bare name is looked for in every search folder, then downloaded into npconv's cache."""

from __future__ import annotations

import os

from ._sources import REMOTES, Layout, Spec, fetch, locate


def spec(name, title, path, canonical) -> Spec:
    layout = Layout("file", "", ((path,),))
    return Spec(name, title, layouts=(layout,), download=layout, remotes=(REMOTES[canonical],))


def find(name, title, path, canonical) -> str:
    """The local path of ``path`` (the file Keras calls ``canonical``), downloading it if
    needed."""
    path = os.fspath(path)
    if os.path.dirname(path):
        target = os.path.abspath(os.path.expanduser(path))
        if not os.path.isfile(target):
            s = spec(name, title, os.path.basename(path), canonical)
            fetch(s, REMOTES[canonical], target, [f"{target} (missing)"], explicit=True)
        return target
    return locate(spec(name, title, path, canonical)).paths[0]
