"""Keras dataset loaders on small files generated in Keras' formats (nothing downloads)."""
import gzip
import io
import json
import pickle
import tarfile
import urllib.request

import numpy as np
import pytest

from pyengine.keras import datasets


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("PYENGINE_HOME", str(tmp_path))
    d = tmp_path / "datasets"
    d.mkdir()

    def offline(*a, **k):
        raise OSError("network is unreachable")
    monkeypatch.setattr(urllib.request, "urlopen", offline)
    return d


def _obj(lists):
    a = np.empty(len(lists), dtype=object)
    a[:] = lists
    return a


def test_fashion_mnist(home):
    rng = np.random.default_rng(0)
    (home / "fashion-mnist").mkdir()
    want = {}
    for prefix, n in (("train", 6), ("t10k", 4)):
        x = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        y = rng.integers(0, 10, n, dtype=np.uint8)
        want[prefix] = (x, y)
        with gzip.open(home / "fashion-mnist" / f"{prefix}-labels-idx1-ubyte.gz", "wb") as f:
            f.write(b"\0\0\x08\x01" + n.to_bytes(4, "big") + y.tobytes())
        with gzip.open(home / "fashion-mnist" / f"{prefix}-images-idx3-ubyte.gz", "wb") as f:
            f.write(b"\0\0\x08\x03" + n.to_bytes(4, "big") + b"\0\0\0\x1c\0\0\0\x1c" + x.tobytes())
    (xt, yt), (xs, ys) = datasets.fashion_mnist.load_data()
    assert xt.shape == (6, 28, 28) and xt.dtype == np.uint8 and ys.shape == (4,)
    np.testing.assert_array_equal(xt, want["train"][0])
    np.testing.assert_array_equal(ys, want["t10k"][1])


def _cifar_tar(path, members, label_key, n, rng):
    truth = {}
    with tarfile.open(path, "w:gz") as tar:
        for m in members:
            data = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
            labels = rng.integers(0, 10, n).tolist()
            truth[m] = (data, labels)
            blob = pickle.dumps({b"data": data, label_key.encode(): labels,
                                 b"batch_label": b"x"}, protocol=2)
            info = tarfile.TarInfo(m)
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    return truth


def test_cifar10_and_cifar100(home):
    rng = np.random.default_rng(1)
    members = [f"cifar-10-batches-py/data_batch_{i}" for i in range(1, 6)] + \
        ["cifar-10-batches-py/test_batch"]
    truth = _cifar_tar(home / "cifar-10-python.tar.gz", members, "labels", 3, rng)
    (xt, yt), (xs, ys) = datasets.cifar10.load_data()
    assert xt.shape == (15, 32, 32, 3) and yt.shape == (15, 1) and yt.dtype == np.uint8
    first = truth[members[0]][0].reshape(3, 3, 32, 32).transpose(0, 2, 3, 1)
    np.testing.assert_array_equal(xt[:3], first)
    assert ys[:, 0].tolist() == truth[members[-1]][1]
    _cifar_tar(home / "cifar-100-python.tar.gz", ["cifar-100-python/train",
                                                 "cifar-100-python/test"], "coarse_labels", 2, rng)
    (xt, yt), _ = datasets.cifar100.load_data(label_mode="coarse")
    assert xt.shape == (2, 32, 32, 3)
    with pytest.raises(ValueError, match="fine_labels"):
        datasets.cifar100.load_data()
    with pytest.raises(ValueError, match="label_mode"):
        datasets.cifar100.load_data(label_mode="medium")


def test_cifar_refuses_pickled_code(home):
    blob = pickle.dumps({b"data": np.zeros((1, 3072), np.uint8), b"labels": [0],
                         b"evil": np.random.default_rng}, protocol=2)
    with tarfile.open(home / "cifar-10-python.tar.gz", "w:gz") as tar:
        info = tarfile.TarInfo("cifar-10-batches-py/data_batch_1")
        info.size = len(blob)
        tar.addfile(info, io.BytesIO(blob))
    with pytest.raises(ValueError, match="refusing to load"):
        datasets.cifar10.load_data()


def test_boston_housing(home):
    x = np.arange(50 * 13, dtype=np.float64).reshape(50, 13)
    y = np.arange(50, dtype=np.float64)
    np.savez(home / "boston_housing.npz", x=x, y=y)
    (xt, yt), (xs, ys) = datasets.boston_housing.load_data()
    assert xt.shape == (40, 13) and xs.shape == (10, 13)
    idx = np.arange(50)
    np.random.RandomState(113).shuffle(idx)
    np.testing.assert_array_equal(yt, y[idx[:40]])
    np.testing.assert_array_equal(xt[:, 0] / 13, yt)


def test_imdb_offsets_num_words_maxlen_and_word_index(home):
    train = [[0, 1, 2], [5, 6], [3, 3, 3, 3, 3]]
    test = [[9, 1], [2]]
    np.savez(home / "imdb.npz", x_train=_obj(train), y_train=np.array([1, 0, 1]),
             x_test=_obj(test), y_test=np.array([0, 1]))
    (xt, yt), (xs, ys) = datasets.imdb.load_data()
    assert xt.dtype == object and len(xt) == 3 and len(xs) == 2
    idx = np.arange(3)
    np.random.RandomState(113).shuffle(idx)
    assert xt[0] == [1] + [w + 3 for w in train[idx[0]]]
    assert yt.tolist() == [[1, 0, 1][i] for i in idx]
    (xt, _), (xs, _) = datasets.imdb.load_data(num_words=6)
    assert all(w < 6 or w == 2 for seq in list(xt) + list(xs) for w in seq)
    assert any(2 in seq[1:] for seq in xt)  # rare words became oov_char
    (xt, _), _ = datasets.imdb.load_data(maxlen=4)
    assert all(len(s) < 4 for s in xt)
    (xt, _), _ = datasets.imdb.load_data(start_char=None, index_from=0, oov_char=None,
                                         skip_top=2)
    assert all(w >= 2 for s in xt for w in s)
    with pytest.raises(ValueError, match="maxlen"):
        datasets.imdb.load_data(maxlen=1)
    (home / "imdb_word_index.json").write_text(json.dumps({"the": 1, "film": 19}))
    assert datasets.imdb.get_word_index()["film"] == 19
    with pytest.raises(TypeError, match="Unrecognized"):
        datasets.imdb.load_data(bogus=1)


def test_reuters(home):
    xs = [[i, i + 1] for i in range(10)]
    np.savez(home / "reuters.npz", x=_obj(xs), y=np.arange(10) % 46)
    (xt, yt), (xe, ye) = datasets.reuters.load_data(test_split=0.3)
    assert len(xt) == 7 and len(xe) == 3 and xt[0][0] == 1
    assert len(datasets.reuters.get_label_names()) == 46


@pytest.mark.parametrize("loader", ["fashion_mnist", "cifar10", "cifar100", "imdb", "reuters",
                                    "boston_housing"])
def test_offline_error_names_the_file(home, loader):
    with pytest.raises(OSError, match="offline"):
        getattr(datasets, loader).load_data()
    assert not any(p.name.startswith(".tmp") for p in home.rglob("*"))


def test_bad_npz_is_a_clear_error(home):
    (home / "imdb.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="not a Keras-format"):
        datasets.imdb.load_data()
