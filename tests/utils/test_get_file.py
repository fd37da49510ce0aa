"""``get_file`` downloads into Keras's cache layout, checks hashes, extracts archives safely and
says where to put the file when downloads are off (file:// URLs stand in for the network)."""

import hashlib
import io
import os
import tarfile

import pytest

import npconv


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.delenv("NPCONV_OFFLINE", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    return tmp_path


def test_download_cache_and_hash(cache):
    source = cache / "data.bin"
    source.write_bytes(b"npconv" * 100)
    sha = hashlib.sha256(source.read_bytes()).hexdigest()
    path = npconv.utils.get_file("data.bin", origin=source.as_uri(), file_hash=sha)
    assert path == str(cache / "keras" / "datasets" / "data.bin")
    assert open(path, "rb").read() == source.read_bytes()
    source.write_bytes(b"changed")  # cached and valid: not fetched again
    assert open(npconv.utils.get_file("data.bin", origin=source.as_uri(), file_hash=sha),
                "rb").read() == b"npconv" * 100
    with pytest.raises(ValueError, match="does not match file_hash"):
        npconv.utils.get_file("other.bin", origin=source.as_uri(), md5_hash="0" * 32)
    assert not os.path.exists(cache / "keras" / "datasets" / "other.bin")


def test_untar_and_extract(cache):
    archive = cache / "photos.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for name in ("photos/a/1.txt", "photos/b/2.txt"):
            data = name.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    folder = npconv.utils.get_file("photos", origin=archive.as_uri(), untar=True)
    assert sorted(os.listdir(folder)) == ["a", "b"]
    other = npconv.utils.get_file("photos.tar.gz", origin=archive.as_uri(), extract=True,
                                  cache_subdir="x")
    assert os.path.isfile(os.path.join(other, "b", "2.txt"))


def test_hostile_archive_is_refused(cache):
    archive = cache / "evil.tar"
    with tarfile.open(archive, "w") as tar:
        info = tarfile.TarInfo("../outside.txt")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    with pytest.raises(ValueError, match="outside the folder"):
        npconv.utils.get_file("evil.tar", origin=archive.as_uri(), extract=True)
    assert not (cache / "keras" / "outside.txt").exists()


def test_offline_says_where_to_put_the_file(cache, monkeypatch):
    monkeypatch.setenv("NPCONV_OFFLINE", "1")
    with pytest.raises(OSError, match=r"put it at .*datasets.*absent\.bin"):
        npconv.utils.get_file("absent.bin", origin="https://example.invalid/absent.bin")
