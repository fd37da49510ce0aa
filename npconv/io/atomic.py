"""``atomic_write``: write a file so that readers see the old version or the new, never half.

The bytes go to a temporary file in the destination's folder (same filesystem, so the final
rename is atomic), are flushed and ``fsync``-ed, and only then renamed over the destination with
``os.replace``. If anything fails on the way — an exception in the writer, a full disk, an
interrupt — the temporary file is removed and the old file is left exactly as it was. This is
what ``model.save`` and ``ModelCheckpoint`` rely on when a long run is killed mid-save.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile

__all__ = ["atomic_write"]


@contextlib.contextmanager
def atomic_write(path, overwrite=True):
    """Yield a binary file object; on a clean exit its content replaces ``path`` atomically.

    With ``overwrite=False`` an existing ``path`` raises ``FileExistsError`` (checked again at
    the rename, by a hard link that fails if the file appeared meanwhile).
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not overwrite and os.path.lexists(path):
        raise FileExistsError(f"'{path}' exists; pass overwrite=True to replace it")
    if os.path.isdir(path):
        raise IsADirectoryError(f"'{path}' is a folder, not a file name")
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w+b") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _mode_for(path))
        _publish(tmp, path, overwrite)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_folder(folder)


def _publish(tmp, path, overwrite):
    if overwrite:
        os.replace(tmp, path)
        return
    try:
        os.link(tmp, path)  # fails if path exists: no race between check and rename
    except FileExistsError:
        raise FileExistsError(f"'{path}' exists; pass overwrite=True to replace it") from None
    except (OSError, NotImplementedError):  # a filesystem without hard links
        if os.path.lexists(path):
            raise FileExistsError(f"'{path}' exists; pass overwrite=True to replace it") from None
        os.replace(tmp, path)
        return
    os.unlink(tmp)


def _mode_for(path):
    """Keep an existing file's permissions; a new file gets ``0o666`` less the umask, as
    ``open()`` would have given it (``mkstemp`` makes ``0o600``)."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return 0o666 & ~_umask()


def _umask():
    try:  # Linux exposes it without changing it (os.umask would, process-wide)
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o022


def _fsync_folder(folder):
    """Make the rename itself durable (POSIX); a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
