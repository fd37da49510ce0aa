"""``get_file``: Keras's download-and-cache helper, which tutorials use for their data
(``get_file('flower_photos', origin=URL, untar=True)``).

The file goes to ``cache_dir/cache_subdir/fname`` (Keras's ``~/.keras/datasets`` by default,
or ``$KERAS_HOME``), is downloaded only when missing or when its hash does not match, is
written atomically (a partial download never takes the file's name) and, when asked, is
extracted from its tar or zip archive without letting a member write outside the folder.
``NPCONV_OFFLINE=1`` forbids the download: then a missing file is an error that says where to
put it.
"""

from __future__ import annotations

import hashlib
import os
import tarfile
import urllib.parse
import zipfile

__all__ = ["get_file"]


def _hash(path, algorithm):
    h = hashlib.sha256() if algorithm == "sha256" else hashlib.md5()  # noqa: S324 - Keras's
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def validate_file(fpath, file_hash, algorithm="auto"):
    """Whether ``fpath``'s SHA-256 (or MD5: ``algorithm``, or a 32-character hash) matches."""
    if algorithm == "auto":
        algorithm = "sha256" if len(str(file_hash)) == 64 else "md5"
    return _hash(fpath, algorithm) == str(file_hash)


def _inside(root, name):
    target = os.path.realpath(os.path.join(root, name))
    return target == os.path.realpath(root) or target.startswith(os.path.realpath(root) + os.sep)


def extract_archive(path, to, archive_format="auto"):
    """Extract a tar (any compression) or zip archive into ``to``; a member whose path leads
    outside ``to`` (``../``, an absolute path, a link) is refused. Returns whether ``path`` was
    an archive of an accepted format."""
    formats = ("tar", "zip") if archive_format == "auto" else (
        (archive_format,) if isinstance(archive_format, str) else tuple(archive_format))
    if "tar" in formats and tarfile.is_tarfile(path):
        with tarfile.open(path) as archive:
            for member in archive.getmembers():
                if not _inside(to, member.name) or member.issym() or member.islnk():
                    raise ValueError(f"get_file: archive member {member.name!r} of {path} "
                                     "would be written outside the folder; nothing extracted")
            archive.extractall(to, filter="data")
        return True
    if "zip" in formats and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                if not _inside(to, name):
                    raise ValueError(f"get_file: archive member {name!r} of {path} would be "
                                     "written outside the folder; nothing extracted")
            archive.extractall(to)
        return True
    return False


def get_file(fname=None, origin=None, untar=False, md5_hash=None, file_hash=None,
             cache_subdir="datasets", hash_algorithm="auto", extract=False,
             archive_format="auto", cache_dir=None, force_download=False):
    """The local path of ``fname``, downloaded from ``origin`` into the cache when missing.

    As Keras's: ``file_hash`` (SHA-256, or MD5 with ``hash_algorithm='md5'`` or a 32-character
    hash; ``md5_hash`` is Keras 2's name) is checked and a mismatch downloads again;
    ``untar=True`` (Keras 2) extracts ``fname + '.tar.gz'`` and returns the folder ``fname``;
    ``extract=True`` extracts the archive next to it and returns the folder it went into (the
    file name without its archive extension).
    """
    from ..datasets._download import download
    from ..datasets._sources import downloads_enabled, keras_cache_dir

    if origin is None:
        raise ValueError('get_file needs origin= (the URL of the file to download)')
    if cache_dir is None:
        cache_dir = os.path.dirname(keras_cache_dir())
    datadir = os.path.join(os.path.expanduser(cache_dir), cache_subdir)
    if not fname:
        fname = os.path.basename(urllib.parse.urlparse(origin).path)
        if not fname:
            raise ValueError(f"get_file could not take a file name from origin={origin!r}: "
                             "pass fname=")
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    fpath = os.path.join(datadir, fname + ".tar.gz" if untar else fname)
    fresh = (not force_download and os.path.exists(fpath)
             and (file_hash is None or validate_file(fpath, file_hash, hash_algorithm)))
    if not fresh:
        if not downloads_enabled():
            raise OSError(
                f"get_file: {fpath} is not there and downloads are disabled (NPCONV_OFFLINE is "
                f"set). Download {origin} on a machine with network access and put it at {fpath}")
        download(origin, fpath, None)
        if file_hash is not None and not validate_file(fpath, file_hash, hash_algorithm):
            os.unlink(fpath)
            raise ValueError(f"get_file: the file from {origin} does not match file_hash="
                             f"{file_hash!r} (the download was removed); check the hash")
    if untar:
        folder = os.path.join(datadir, fname)
        if not os.path.exists(folder):
            extract_archive(fpath, datadir, "tar")
        return folder
    if extract:
        stem = fname
        for ext in (".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tar", ".zip"):
            if stem.endswith(ext):
                stem = stem[: -len(ext)]
                break
        if not extract_archive(fpath, datadir, archive_format):
            raise ValueError(f"get_file: {fpath} is not a {archive_format} archive")
        return os.path.join(datadir, stem)
    return fpath
