"""pe.save / pe.load: round trips, atomic writes, corrupt and foreign files, no pickle."""
import io
import os
import pickle

import numpy as np
import pytest

import pyengine as pe
import pyengine.io as peio


def sample():
    return {
        "model": {"fc1.weight": pe.randn(6, 11), "fc1.bias": pe.zeros(6),
                  "w64": pe.tensor([1.5, -2.0], dtype=pe.float64, requires_grad=True)},
        "optim": {"state": {0: {"step": 3, "exp_avg": np.arange(4, dtype=np.float32)}},
                  "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "amsgrad": False,
                                    "params": [0], "name": None}]},
        "epoch": 7, "best": float("inf"), "labels": np.array([1, 0, 2], dtype=np.int64),
        "mask": np.array([True, False]), "empty": np.zeros((0, 3), np.float32),
        "scalar": np.float32(0.5), "zero_d": np.asarray(2.0),
    }


def assert_same(a, b):
    assert type(a) is type(b) or (isinstance(a, np.generic) and isinstance(b, float)), (a, b)
    if isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            assert_same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    elif isinstance(a, (pe.Tensor, np.ndarray)):
        da, db = (a.data, b.data) if isinstance(a, pe.Tensor) else (a, b)
        assert da.dtype == db.dtype and da.shape == db.shape
        np.testing.assert_array_equal(da, db)
        if isinstance(a, pe.Tensor):
            assert a.requires_grad == b.requires_grad
    else:
        assert a == b


def test_round_trip(tmp_path):
    obj = sample()
    pe.save(obj, tmp_path / "ckpt.pe")
    back = pe.load(tmp_path / "ckpt.pe")
    obj["scalar"] = 0.5  # NumPy scalars come back as Python numbers
    assert_same(obj, back)
    w = back["model"]["fc1.weight"]
    w.data += 1  # loaded arrays are writeable
    assert w._data.flags.c_contiguous


def test_file_objects_and_non_contiguous():
    buf = io.BytesIO()
    a = np.arange(12.0).reshape(3, 4).T
    pe.save([a, (1, "x")], buf)
    buf.seek(0)
    back = pe.load(buf)
    np.testing.assert_array_equal(back[0], a)
    assert back[1] == (1, "x")


def test_failure_mid_write_keeps_old_file(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.pe"
    pe.save({"v": 1}, path)

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OSError, match="disk full"):
        pe.save({"v": 2, "big": np.zeros(1000)}, path)
    monkeypatch.undo()
    assert pe.load(path) == {"v": 1}
    assert os.listdir(tmp_path) == ["ckpt.pe"]  # the temp file is gone


def test_unsupported_objects_are_refused(tmp_path):
    with pytest.raises(TypeError, match="cannot save an object of type object"):
        pe.save({"x": object()}, tmp_path / "a.pe")
    with pytest.raises(TypeError, match="dtype object"):
        pe.save({"x": np.array([None, 1])}, tmp_path / "a.pe")
    with pytest.raises(TypeError, match=r"save its .state_dict\(\) instead"):
        pe.save(pe.nn.Linear(2, 3), tmp_path / "a.pe")
    with pytest.raises(TypeError, match="dict keys"):
        pe.save({(1, 2): 3}, tmp_path / "a.pe")
    assert not (tmp_path / "a.pe").exists()


def test_pickle_and_foreign_files_are_refused(tmp_path):
    evil = tmp_path / "evil.pkl"
    evil.write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(ValueError, match="not a pyengine file.*pickle"):
        pe.load(evil)
    npz = tmp_path / "w.npz"
    np.savez(npz, a=np.zeros(3))
    with pytest.raises(ValueError, match="not a pyengine file.*zip"):
        pe.load(npz)
    (tmp_path / "empty").write_bytes(b"")
    with pytest.raises(ValueError, match="not a pyengine file"):
        pe.load(tmp_path / "empty")


def test_corrupt_files_raise_value_error(tmp_path):
    path = tmp_path / "ckpt.pe"
    pe.save(sample(), path)
    raw = path.read_bytes()
    hlen = int.from_bytes(raw[len(peio.MAGIC):len(peio.MAGIC) + 8], "little")
    start = len(peio.MAGIC) + 8
    variants = {
        "truncated data": raw[:-10],
        "truncated header": raw[:start + hlen // 2],
        "short": raw[:len(peio.MAGIC) + 3],
        "garbage header": raw[:start] + b"\xff" * hlen + raw[start + hlen:],
        "huge header length": raw[:len(peio.MAGIC)] + (2 ** 60).to_bytes(8, "little") + raw[start:],
        "wrong json": raw[:start] + b'{"t":"nope"}'.ljust(hlen) + raw[start + hlen:],
        "bad dtype": raw.replace(b'"<f4"', b'"|O8"', 1),
    }
    for name, data in variants.items():
        path.write_bytes(data)
        with pytest.raises(ValueError, match=r"\[load\]"):
            pe.load(path)
