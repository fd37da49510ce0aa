"""The errors the data loaders raise. All are ``OSError`` or ``ValueError`` subclasses, so code
written for Keras's loaders (which raise those) keeps working."""

from __future__ import annotations

__all__ = [
    "DatasetNotFoundError",
    "DatasetFormatError",
    "UnsafePickleError",
    "DownloadError",
    "ChecksumError",
]


class DatasetNotFoundError(FileNotFoundError):
    """The data set is in none of the places searched and could not be downloaded.

    ``searched`` lists the places looked in; the message says how to supply the files.
    """

    def __init__(self, message: str, dataset: str = "", searched=()):
        super().__init__(message)
        self.dataset = dataset
        self.searched = tuple(searched)

    def __str__(self) -> str:  # FileNotFoundError would print "[Errno None]" otherwise
        return self.args[0]


class DatasetFormatError(ValueError):
    """A local data file is not what its name promises (bad magic number, wrong dimensions or
    counts, truncated, not an archive). ``path`` names the file."""

    def __init__(self, path, detail: str = ""):
        self.path = str(path)
        self.detail = detail
        super().__init__(f"{self.path}: {detail}" if detail else self.path)


class UnsafePickleError(DatasetFormatError):
    """A pickled data file asked for something other than NumPy arrays and plain containers
    (for instance ``os.system``): it was refused before anything in it ran."""


class DownloadError(OSError):
    """A download did not complete (short transfer, connection dropped, HTTP error). Nothing
    was written to the cache. ``started`` is False when no response came at all (offline)."""

    def __init__(self, url: str, detail: str = "", started: bool = False):
        self.url = url
        self.detail = detail
        self.started = started
        super().__init__(f"download of {url} failed: {detail}" if detail else url)

    def __str__(self) -> str:
        return self.args[0]


class ChecksumError(DownloadError):
    """A downloaded file's SHA-256 is not the published one. Nothing was written to the
    cache."""
