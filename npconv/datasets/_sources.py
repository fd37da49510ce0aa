"""Where data sets are looked for, where they are downloaded from, and what was found.

Search order (DESIGN.md, "Data"), first match wins:

1. ``$NPCONV_DATA`` (one folder, or several separated by ``os.pathsep``);
2. npconv's cache, ``$NPCONV_HOME/datasets`` or ``~/.npconv/datasets``;
3. Keras's cache, ``$KERAS_HOME/datasets`` or ``~/.keras/datasets`` (files Keras 2 or 3 already
   downloaded are used as they are);
4. system packages: ``/usr/share/datasets/fashion-mnist`` (Debian's ``dataset-fashion-mnist``);
5. a download from the canonical address (or from ``$NPCONV_DATASETS_URL``, a mirror folder
   holding the same file names), verified by SHA-256 and cached in npconv's cache.

Other environment variables: ``NPCONV_OFFLINE=1`` disables step 5.

Local files are checked by structure when read (magic numbers, shapes, counts), not by hash, so
a copy recompressed by a distribution is accepted; downloads are checked by hash.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from ._errors import DatasetNotFoundError, DownloadError

GOOGLE = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
TORONTO = "https://www.cs.toronto.edu/~kriz/"
DEBIAN_FASHION_MNIST = "/usr/share/datasets/fashion-mnist"


@dataclass(frozen=True)
class Remote:
    """A file at a canonical address: ``base + name``, with its published SHA-256 (and, for gzip
    files, the SHA-256 of the uncompressed bytes, so a recompressed mirror copy passes too)."""

    name: str
    base: str
    sha256: str
    content_sha256: str | None = None
    algorithm: str = "sha256"  # Keras publishes MD5 for a few small files (the word indices)

    @property
    def url(self) -> str:
        mirror = os.environ.get("NPCONV_DATASETS_URL", "").strip()
        base = mirror if mirror else self.base
        return base.rstrip("/") + "/" + self.name


# Hashes: mnist.npz, imdb, reuters and the CIFAR archives from Keras's own loaders (MD5 where
# Keras gives MD5); the Fashion-MNIST files
# are Zalando's originals (Keras publishes no hash for them), the content hashes those of the
# uncompressed IDX data.
REMOTES = {
    "mnist.npz": Remote(
        "mnist.npz", GOOGLE, "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
    ),
    "train-images-idx3-ubyte.gz": Remote(
        "train-images-idx3-ubyte.gz",
        GOOGLE,
        "08dc20ab1689590a0bcd66e874647b6ee8464e2d501b5a3f1f78831db19a3fdc",
        "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    ),
    "train-labels-idx1-ubyte.gz": Remote(
        "train-labels-idx1-ubyte.gz",
        GOOGLE,
        "b0197879cbda89f3dc7b894f9fd52b858e68ea4182b6947c9d8c2b67e5f18dcc",
        "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    ),
    "t10k-images-idx3-ubyte.gz": Remote(
        "t10k-images-idx3-ubyte.gz",
        GOOGLE,
        "78dcbbfb5a27efaf1b6c1d616caca68560be8766c5bffcb2791df9273a534229",
        "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    ),
    "t10k-labels-idx1-ubyte.gz": Remote(
        "t10k-labels-idx1-ubyte.gz",
        GOOGLE,
        "42bd18137a62d5998cdeae52bf3a0676ac6b706f5cf8439b47bb5b151ae3dccf",
        "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    ),
    "imdb.npz": Remote(
        "imdb.npz", GOOGLE, "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
    ),
    "imdb_word_index.json": Remote(
        "imdb_word_index.json", GOOGLE, "bfafd718b763782e994055a2d397834f", algorithm="md5"
    ),
    "reuters.npz": Remote(
        "reuters.npz", GOOGLE, "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"
    ),
    "reuters_word_index.json": Remote(
        "reuters_word_index.json", GOOGLE, "4d44cc38712099c9e383dc6e5f11a921", algorithm="md5"
    ),
    "cifar-10-python.tar.gz": Remote(
        "cifar-10-python.tar.gz",
        TORONTO,
        "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
    ),
    "cifar-100-python.tar.gz": Remote(
        "cifar-100-python.tar.gz",
        TORONTO,
        "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7",
    ),
}

IDX_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)


def idx_alternatives(stem: str) -> tuple[str, ...]:
    """The names one IDX file goes by: gzipped, plain, and the ``train-images.idx3-ubyte``
    spelling some unzip tools produce."""
    dotted = stem.replace("-idx", ".idx")
    return (f"{stem}.gz", stem, dotted)


# ---------------------------------------------------------------------------------- locations


def npconv_cache_dir() -> str:
    """``$NPCONV_HOME/datasets``, or ``~/.npconv/datasets``: where downloads are cached."""
    home = os.environ.get("NPCONV_HOME")
    base = os.path.expanduser(home) if home else os.path.join(os.path.expanduser("~"), ".npconv")
    return os.path.join(base, "datasets")


def keras_cache_dir() -> str:
    """``$KERAS_HOME/datasets``, or ``~/.keras/datasets``: files Keras already downloaded."""
    home = os.environ.get("KERAS_HOME")
    base = os.path.expanduser(home) if home else os.path.join(os.path.expanduser("~"), ".keras")
    return os.path.join(base, "datasets")


def search_roots() -> list[tuple[str, str]]:
    """``[(label, folder), ...]`` in search order (the user-level roots; system folders belong
    to the data set that uses them)."""
    roots = []
    for folder in os.environ.get("NPCONV_DATA", "").split(os.pathsep):
        if folder.strip():
            roots.append(("$NPCONV_DATA", os.path.abspath(os.path.expanduser(folder.strip()))))
    roots.append(("npconv cache", npconv_cache_dir()))
    roots.append(("Keras cache", keras_cache_dir()))
    seen, unique = set(), []
    for label, folder in roots:
        if folder not in seen:
            seen.add(folder)
            unique.append((label, folder))
    return unique


def downloads_enabled() -> bool:
    return os.environ.get("NPCONV_OFFLINE", "").strip().lower() not in ("1", "true", "yes", "on")


# ------------------------------------------------------------------------------------- search


@dataclass(frozen=True)
class Layout:
    """A way a data set can lie in a folder: ``kind`` (how to read it), ``subdir`` under a
    search root, and the files needed, each as a tuple of alternative names."""

    kind: str
    subdir: str
    files: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Spec:
    name: str  # module name: "mnist"
    title: str  # "MNIST"
    layouts: tuple[Layout, ...]
    download: Layout  # what a download produces, under npconv's cache
    remotes: tuple[Remote, ...]  # one per file of ``download``
    system: tuple[tuple[str, str, Layout], ...] = ()  # (label, folder, layout)
    hint: str = ""


@dataclass(frozen=True)
class Found:
    source: str  # "$NPCONV_DATA", "npconv cache", "Keras cache", a package name, "download"
    folder: str
    kind: str
    paths: tuple[str, ...]


@dataclass
class Search:
    found: Found | None
    searched: list[str] = field(default_factory=list)


def _match(folder: str, layout: Layout):
    paths, missing = [], []
    for alternatives in layout.files:
        for name in alternatives:
            path = os.path.join(folder, name)
            if os.path.isfile(path):
                paths.append(path)
                break
        else:
            missing.append(alternatives[0])
    return paths, missing


def search(spec: Spec) -> Search:
    """Look for ``spec`` in every location, in order; never downloads."""
    result = Search(None)
    if not os.environ.get("NPCONV_DATA", "").strip():
        result.searched.append("$NPCONV_DATA (not set)")
    places = [
        (label, os.path.join(root, layout.subdir) if layout.subdir else root, layout)
        for label, root in search_roots()
        for layout in spec.layouts
    ]
    places += list(spec.system)
    for label, folder, layout in places:
        paths, missing = _match(folder, layout)
        if not missing:
            result.found = Found(label, folder, layout.kind, tuple(paths))
            return result
        if len(layout.files) == 1:
            where = os.path.join(folder, layout.files[0][0])
            result.searched.append(f"{label}: {where} (missing)")
        elif not os.path.isdir(folder):
            result.searched.append(f"{label}: {folder}{os.sep} (missing)")
        else:
            result.searched.append(
                f"{label}: {folder}{os.sep} (incomplete: no {', '.join(missing)})"
            )
    return result


def _how_to(spec: Spec, target_folder: str) -> str:
    names = ", ".join(r.name for r in spec.remotes)
    lines = [
        f"To supply {spec.title}: on a machine with network access download {names} from "
        f"{', '.join(sorted({r.base for r in spec.remotes}))}, then put "
        f"{'it' if len(spec.remotes) == 1 else 'them'} in {target_folder}{os.sep} "
        "(or in a folder named by $NPCONV_DATA"
        + (f", under {spec.download.subdir}{os.sep}" if spec.download.subdir else "")
        + "), or set NPCONV_DATASETS_URL to a mirror folder holding the same file names.",
    ]
    if spec.hint:
        lines.append(spec.hint)
    return "\n".join(lines)


def not_found(spec: Spec, searched, reason: str, folder=None) -> DatasetNotFoundError:
    folder = folder or os.path.join(npconv_cache_dir(), spec.download.subdir)
    message = (
        f"{spec.title} was not found. Looked in:\n"
        + "".join(f"  {line}\n" for line in searched)
        + f"{reason}\n"
        + _how_to(spec, folder.rstrip(os.sep))
    )
    return DatasetNotFoundError(message, spec.name, searched)


def fetch(spec: Spec, remote: Remote, target: str, searched, explicit=False) -> str:
    """Download ``remote`` to ``target``; an unreachable host becomes a
    :class:`DatasetNotFoundError` saying where else was looked. ``explicit``: the caller named
    ``target`` itself, so that is where the user should put the file."""
    from ._download import download

    folder = os.path.dirname(target) if explicit else None
    if not downloads_enabled():
        raise not_found(spec, searched, "Downloads are disabled (NPCONV_OFFLINE is set).", folder)
    url = remote.url
    try:
        return download(
            url, target, remote.sha256, remote.content_sha256, algorithm=remote.algorithm
        )
    except DownloadError as exc:
        if exc.started:
            raise
        reason = f"Could not download {url}: {exc.detail}."
        raise not_found(spec, searched, reason, folder) from exc


def locate(spec: Spec) -> Found:
    """Find ``spec`` locally, or download it into npconv's cache."""
    result = search(spec)
    if result.found is not None:
        return result.found
    folder = os.path.join(npconv_cache_dir(), spec.download.subdir)
    paths = []
    for remote, alternatives in zip(spec.remotes, spec.download.files):
        target = os.path.join(folder, alternatives[0])
        if not os.path.isfile(target):
            fetch(spec, remote, target, result.searched)
        paths.append(target)
    return Found("download", folder, spec.download.kind, tuple(paths))


# ----------------------------------------------------------------------------------- describe


@dataclass(frozen=True)
class DatasetStatus:
    """What :func:`describe` reports for one data set."""

    name: str
    title: str
    available: bool
    source: str | None  # where it was found: "$NPCONV_DATA", "npconv cache", ..., "bundled"
    location: str | None  # the folder or file it will be read from
    detail: str  # what will happen on load_data(), or why it cannot
    searched: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()

    def __str__(self) -> str:
        state = f"{self.source}: {self.location}" if self.available else "not found"
        return f"{self.name:<14} {state}" + ("" if self.available else f" ({self.detail})")


def status_of(spec: Spec) -> DatasetStatus:
    result = search(spec)
    urls = tuple(r.url for r in spec.remotes)
    if result.found is not None:
        f = result.found
        location = f.paths[0] if len(f.paths) == 1 else f.folder
        return DatasetStatus(
            spec.name,
            spec.title,
            True,
            f.source,
            location,
            f"read from {location}",
            tuple(result.searched),
            urls,
        )
    if downloads_enabled():
        detail = f"downloaded on first use from {', '.join(urls)}"
    else:
        detail = "downloads disabled (NPCONV_OFFLINE); supply the files by hand"
    return DatasetStatus(
        spec.name, spec.title, False, None, None, detail, tuple(result.searched), urls
    )
