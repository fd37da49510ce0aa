"""Download one file: progress bar, SHA-256 verification, atomic write.

The file is streamed into a temporary file in the target's own folder while its SHA-256 is
computed; only when the transfer is complete (every byte ``Content-Length`` promised) and the
hash matches is it renamed into place with ``os.replace``. On any failure the temporary file is
removed, so the cache never holds a partial or unverified file.
"""

from __future__ import annotations

import hashlib
import os
import sys

from ._errors import ChecksumError, DownloadError

__all__ = ["download", "DEFAULT_TIMEOUT"]

DEFAULT_TIMEOUT = 60.0  # seconds without a byte before giving up
_CHUNK = 1 << 16


def _progress_bar(total_bytes, stream):
    """Keras's bar, counting KiB (MiB for files of a MiB or more); ``(bar, bytes per unit)``."""
    try:
        from ..training.progbar import Progbar
    except ImportError:  # pragma: no cover - the download still works without a bar
        return None, 1
    scale, unit = (1 << 20, "MiB") if total_bytes and total_bytes >= 1 << 20 else (1024, "KiB")
    target = -(-total_bytes // scale) if total_bytes else None
    return Progbar(target, stream=stream, unit=unit), scale


def _gunzip_sha256(path) -> str | None:
    import gzip
    import zlib

    h = hashlib.sha256()
    try:
        with gzip.open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    except (OSError, EOFError, zlib.error):
        return None
    return h.hexdigest()


def download(url, target, sha256, content_sha256=None, *, timeout=DEFAULT_TIMEOUT, stream=None,
             algorithm="sha256"):  # fmt: skip
    """Fetch ``url`` into the file ``target``, verified against ``sha256`` (hex; an MD5 digest
    when ``algorithm='md5'``, for the few files Keras publishes only an MD5 for; None: not
    verified here, the caller checks another hash, as ``utils.get_file`` does).

    ``content_sha256``, for gzip files, is the SHA-256 of the uncompressed bytes: a mirror that
    recompressed the same data is accepted too. Raises :class:`DownloadError` (``.started``
    tells whether any byte arrived) or :class:`ChecksumError`; on error nothing is written.
    """
    import http.client
    import tempfile
    import urllib.error
    import urllib.request

    from .. import __version__

    stream = stream if stream is not None else sys.stdout
    target = os.path.abspath(os.fspath(target))
    folder = os.path.dirname(target)
    os.makedirs(folder, exist_ok=True)
    stream.write(f"Downloading data from {url}\n")
    stream.flush()
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", suffix=".part", dir=folder)
    started = False
    bar = None
    try:
        with os.fdopen(fd, "wb") as f:
            digest = hashlib.new(algorithm)
            got = 0
            try:
                headers = {"User-Agent": f"npconv/{__version__}"}
                request = urllib.request.Request(url, headers=headers)
                with urllib.request.urlopen(request, timeout=timeout) as response:
                    started = True
                    length = response.headers.get("Content-Length", "")
                    total = int(length) if length.strip().isdigit() else None
                    bar, scale = _progress_bar(total, stream)
                    while True:
                        chunk = response.read(_CHUNK)
                        if not chunk:
                            break
                        f.write(chunk)
                        digest.update(chunk)
                        got += len(chunk)
                        if bar is not None:
                            bar.update(got // scale)
            except urllib.error.HTTPError as exc:
                raise DownloadError(url, f"HTTP {exc.code} {exc.reason}") from exc
            except (OSError, http.client.HTTPException, ValueError) as exc:
                reason = getattr(exc, "reason", None) or exc
                detail = f"{type(exc).__name__}: {reason}"
                raise DownloadError(url, detail, started=started) from exc
            if total is not None and got != total:
                raise DownloadError(
                    url,
                    f"transfer ended after {got} of {total} bytes; nothing was cached",
                    started=True,
                )
            if bar is not None:
                bar.update(-(-got // scale), finalize=True)
            f.flush()
            os.fsync(f.fileno())
        actual = digest.hexdigest()
        if sha256 is not None and actual != sha256 and not (
                content_sha256 and _gunzip_sha256(tmp) == content_sha256):
            raise ChecksumError(
                url,
                f"{algorithm.upper()} {actual} does not match the published {sha256} "
                f"({got} bytes received); "
                "the file was discarded and nothing was cached",
                started=True,
            )
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if bar is not None and bar.dynamic and not bar.finished:
            stream.write("\n")  # end a bar that a failure left mid-line
    return target
