"""Downloads against a loopback HTTP server: verified files are cached atomically and reused;
a wrong hash, a short transfer or a missing file leaves nothing in the cache."""

from __future__ import annotations

import gzip
import os

import numpy as np
import pytest

from npconv.datasets import (
    ChecksumError,
    DatasetNotFoundError,
    DownloadError,
    _sources,
    cifar10,
    fashion_mnist,
    mnist,
)
from npconv.datasets._sources import Remote


def cache_files(home):
    """Every file under npconv's cache (temporary ones included)."""
    root = os.path.join(str(home), ".npconv", "datasets")
    return sorted(
        os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs
    )


def npz_bytes(files, tmp_path, data):
    return open(files.write_npz(tmp_path / "served" / "mnist.npz", data), "rb").read()


def publish(monkeypatch, name, data, content_sha256=None):
    """Make ``data`` the published file ``name`` (its hash the expected one)."""
    import hashlib

    old = _sources.REMOTES[name]
    new = Remote(name, old.base, hashlib.sha256(data).hexdigest(), content_sha256)
    monkeypatch.setitem(_sources.REMOTES, name, new)


def test_download_verified_cached_and_reused(tmp_path, monkeypatch, files, http_server,
                                             clean_env, capsys):  # fmt: skip
    data = files.mnist_like(seed=21)
    body = npz_bytes(files, tmp_path, data)
    http_server.routes["mnist.npz"] = (body, "ok")
    publish(monkeypatch, "mnist.npz", body)
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    np.testing.assert_array_equal(x_train, data[0][0])
    np.testing.assert_array_equal(y_test, data[1][1])
    assert cache_files(clean_env) == ["mnist.npz"]  # no temporary file left behind
    cached = os.path.join(str(clean_env), ".npconv", "datasets", "mnist.npz")
    assert open(cached, "rb").read() == body
    out = capsys.readouterr().out
    assert "Downloading data from http://127.0.0.1:" in out and "mnist.npz" in out
    mnist.load_data()  # from the cache: no second request
    assert http_server.requests == ["/mnist.npz"]


def test_download_honours_npconv_home(tmp_path, monkeypatch, files, http_server):
    body = npz_bytes(files, tmp_path, files.mnist_like(seed=22))
    http_server.routes["mnist.npz"] = (body, "ok")
    publish(monkeypatch, "mnist.npz", body)
    monkeypatch.setenv("NPCONV_HOME", str(tmp_path / "nphome"))
    mnist.load_data()
    assert (tmp_path / "nphome" / "datasets" / "mnist.npz").read_bytes() == body


def test_wrong_hash_nothing_cached(tmp_path, files, http_server, clean_env):
    body = npz_bytes(files, tmp_path, files.mnist_like(seed=23))
    http_server.routes["mnist.npz"] = (body, "ok")  # the real published hash will not match
    with pytest.raises(ChecksumError) as excinfo:
        mnist.load_data()
    message = str(excinfo.value)
    assert _sources.REMOTES["mnist.npz"].sha256 in message and "nothing was cached" in message
    assert isinstance(excinfo.value, OSError)
    assert cache_files(clean_env) == []
    assert len(http_server.requests) == 1


def test_interrupted_transfer_nothing_cached(tmp_path, monkeypatch, files, http_server,
                                             clean_env):  # fmt: skip
    body = npz_bytes(files, tmp_path, files.mnist_like(seed=24))
    http_server.routes["mnist.npz"] = (body, "short")
    publish(monkeypatch, "mnist.npz", body)
    with pytest.raises(DownloadError) as excinfo:
        mnist.load_data()
    assert not isinstance(excinfo.value, ChecksumError)
    assert f"of {len(body)} bytes" in str(excinfo.value) or "Incomplete" in str(excinfo.value)
    assert cache_files(clean_env) == []
    assert len(http_server.requests) == 1


def test_missing_on_server_is_not_found(http_server, clean_env):
    with pytest.raises(DatasetNotFoundError, match="HTTP 404") as excinfo:
        mnist.load_data()
    assert "Looked in" in str(excinfo.value)
    assert cache_files(clean_env) == []
    assert http_server.requests == ["/mnist.npz"]


def test_explicit_path_downloads_there(tmp_path, monkeypatch, files, http_server, clean_env):
    data = files.mnist_like(seed=25)
    body = npz_bytes(files, tmp_path, data)
    http_server.routes["mnist.npz"] = (body, "ok")
    publish(monkeypatch, "mnist.npz", body)
    target = tmp_path / "mine" / "digits.npz"
    np.testing.assert_array_equal(mnist.load_data(path=str(target))[0][0], data[0][0])
    assert target.read_bytes() == body and cache_files(clean_env) == []


def test_fashion_mnist_download_accepts_recompressed_mirror(tmp_path, monkeypatch, files,
                                                           http_server, clean_env):  # fmt: skip
    import hashlib

    data = files.mnist_like(seed=26)
    paths = files.write_idx_set(tmp_path / "served", data)
    for path in paths:
        name = os.path.basename(path)
        body = open(path, "rb").read()
        raw = gzip.decompress(body)
        if name.startswith("train-images"):
            # a mirror that recompressed the file: file hash differs, content hash matches
            published = gzip.compress(raw, compresslevel=1, mtime=12345)
            assert published != body
            publish(monkeypatch, name, published, hashlib.sha256(raw).hexdigest())
        else:
            publish(monkeypatch, name, body)
        http_server.routes[name] = (body, "ok")
    result = fashion_mnist.load_data()
    np.testing.assert_array_equal(result[0][0], data[0][0])
    np.testing.assert_array_equal(result[1][1], data[1][1])
    assert cache_files(clean_env) == sorted(
        os.path.join("fashion-mnist", os.path.basename(p)) for p in paths
    )
    assert len(http_server.requests) == 4


def test_cifar10_download(tmp_path, monkeypatch, files, http_server, clean_env):
    batches = files.cifar10_batches()
    members = {f"cifar-10-batches-py/{n}": files.cifar_pickle(b) for n, b in batches.items()}
    body = open(files.write_tar(tmp_path / "served" / "c.tar.gz", members), "rb").read()
    http_server.routes["cifar-10-python.tar.gz"] = (body, "ok")
    publish(monkeypatch, "cifar-10-python.tar.gz", body)
    (x_train, y_train), (x_test, y_test) = cifar10.load_data()
    assert x_train.shape == (15, 32, 32, 3) and y_train.shape == (15, 1)
    assert y_train.dtype == np.uint8 and x_test.shape == (4, 32, 32, 3)
    assert cache_files(clean_env) == ["cifar-10-python.tar.gz"]


def test_offline_switch_makes_no_request(monkeypatch, http_server):
    monkeypatch.setenv("NPCONV_OFFLINE", "1")
    with pytest.raises(DatasetNotFoundError, match="NPCONV_OFFLINE"):
        cifar10.load_data()
    assert http_server.requests == []
