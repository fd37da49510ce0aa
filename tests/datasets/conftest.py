"""Fixtures for the data-set tests: a clean environment (no real caches, no network), writers
for small files in the real formats, and a loopback HTTP server."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import io
import os
import pickle
import socket
import struct
import tarfile
import threading
import types

import numpy as np
import pytest

from npconv.datasets import _sources


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    """HOME in a temporary folder (so ~/.npconv and ~/.keras are empty), every npconv variable
    unset, downloads pointed at a closed loopback port, no proxies, no Debian folder."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for name in ("NPCONV_DATA", "NPCONV_HOME", "KERAS_HOME", "NPCONV_OFFLINE"):
        monkeypatch.delenv(name, raising=False)
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "*")
    monkeypatch.setenv("NO_PROXY", "*")
    monkeypatch.setenv("NPCONV_DATASETS_URL", f"http://127.0.0.1:{_closed_port()}/")
    monkeypatch.setattr(_sources, "DEBIAN_FASHION_MNIST", str(tmp_path / "no-debian"))
    return home


# ------------------------------------------------------------------------------ file writers


def idx_bytes(array, dtype_code=0x08) -> bytes:
    array = np.asarray(array)
    head = struct.pack(">BBBB", 0, 0, dtype_code, array.ndim)
    head += struct.pack(f">{array.ndim}I", *array.shape)
    return head + array.astype(">u1" if dtype_code == 0x08 else array.dtype).tobytes()


def write_idx(path, array, gz=True):
    data = idx_bytes(array)
    path = os.fspath(path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(gzip.compress(data, mtime=0) if gz else data)
    return path


def mnist_like(n_train=12, n_test=5, seed=0):
    rng = np.random.default_rng(seed)
    return (
        (
            rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
            rng.integers(0, 10, n_train, dtype=np.uint8),
        ),
        (
            rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
            rng.integers(0, 10, n_test, dtype=np.uint8),
        ),
    )


def write_idx_set(folder, data, gz=True):
    """The four IDX files of ``data`` (as returned by ``mnist_like``) in ``folder``."""
    (xtr, ytr), (xte, yte) = data
    suffix = ".gz" if gz else ""
    names = {
        "train-images-idx3-ubyte": xtr,
        "train-labels-idx1-ubyte": ytr,
        "t10k-images-idx3-ubyte": xte,
        "t10k-labels-idx1-ubyte": yte,
    }
    return [write_idx(os.path.join(folder, n + suffix), a, gz) for n, a in names.items()]


def write_npz(path, data):
    (xtr, ytr), (xte, yte) = data
    os.makedirs(os.path.dirname(os.fspath(path)), exist_ok=True)
    with open(path, "wb") as f:
        np.savez_compressed(f, x_train=xtr, y_train=ytr, x_test=xte, y_test=yte)
    return os.fspath(path)


def cifar_batch(n, seed=0, label_keys=("labels",), num_classes=10):
    rng = np.random.default_rng(seed)
    d = {
        b"batch_label": b"testing batch",
        b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
        b"filenames": [f"img_{i}.png".encode() for i in range(n)],
    }
    for key in label_keys:
        d[key.encode()] = [int(v) for v in rng.integers(0, num_classes, n)]
    return d


def cifar_pickle(obj) -> bytes:
    return pickle.dumps(obj, protocol=2)


class Py2Pickler(pickle._Pickler):
    """Writes ``bytes`` as Python 2 ``str`` (SHORT_BINSTRING/BINSTRING), as the real CIFAR
    files (made with Python 2's cPickle) do."""

    def save_bytes(self, obj):
        n = len(obj)
        if n < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([n]) + obj)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", n) + obj)
        self.memoize(obj)

    dispatch = dict(pickle._Pickler.dispatch)
    dispatch[bytes] = save_bytes


def py2_pickle(obj) -> bytes:
    buffer = io.BytesIO()
    Py2Pickler(buffer, protocol=2).dump(obj)
    return buffer.getvalue()


def write_tar(path, members: dict, mode="w:gz"):
    """A tar archive of ``{member name: bytes}``."""
    os.makedirs(os.path.dirname(os.fspath(path)), exist_ok=True)
    with tarfile.open(path, mode) as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return os.fspath(path)


CIFAR10_MEMBERS = ("data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4")
CIFAR10_MEMBERS += ("data_batch_5", "test_batch")


def cifar10_batches(n=3):
    return {m: cifar_batch(n if m != "test_batch" else n + 1, seed=i)
            for i, m in enumerate(CIFAR10_MEMBERS)}  # fmt: skip


def cifar100_batches(n=4):
    keys = ("fine_labels", "coarse_labels")
    return {
        "train": cifar_batch(n, 1, keys, 20),
        "test": cifar_batch(n - 1, 2, keys, 20),
    }


@pytest.fixture
def files():
    """The writers, as one namespace."""
    return types.SimpleNamespace(
        idx_bytes=idx_bytes,
        write_idx=write_idx,
        write_idx_set=write_idx_set,
        mnist_like=mnist_like,
        write_npz=write_npz,
        cifar_batch=cifar_batch,
        cifar_pickle=cifar_pickle,
        py2_pickle=py2_pickle,
        write_tar=write_tar,
        cifar10_batches=cifar10_batches,
        cifar100_batches=cifar100_batches,
        CIFAR10_MEMBERS=CIFAR10_MEMBERS,
        sha256=lambda data: hashlib.sha256(data).hexdigest(),
    )


# ------------------------------------------------------------------------------ HTTP server


class _Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep test output quiet
        pass

    def do_GET(self):
        server = self.server
        with server.lock:
            server.requests.append(self.path)
            if len(server.requests) > server.max_requests:
                self.send_error(429, "too many requests in one test")
                return
        route = server.routes.get(self.path.lstrip("/"))
        if route is None:
            self.send_error(404, "not found")
            return
        body, mode = route
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if mode == "short":  # promise the whole body, send half, hang up
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)


@pytest.fixture
def http_server(monkeypatch):
    """A loopback HTTP server serving ``server.routes = {name: (bytes, mode)}`` (mode ``"ok"``
    or ``"short"``); NPCONV_DATASETS_URL points at it; ``server.requests`` records paths."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.routes = {}
    server.requests = []
    server.max_requests = 20
    server.lock = threading.Lock()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    host, port = server.server_address[:2]
    monkeypatch.setenv("NPCONV_DATASETS_URL", f"http://{host}:{port}/")
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
