"""Interop: NumPy 2's __array__ protocol, DLPack, safetensors (against the package when
installed)."""
import json
import struct

import numpy as np
import pytest

import pyengine as pe


def test_array_protocol_copy_semantics():
    t = pe.tensor([1.0, 2.0])
    a = np.array(t)  # a copy, as NumPy 2 asks for
    a[0] = 5.0
    assert t.tolist() == [1.0, 2.0]
    b = np.asarray(t)  # shares memory
    b[0] = 7.0
    assert t.tolist() == [7.0, 2.0]
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    with pytest.raises(ValueError, match="copy=False"):
        np.asarray(t, dtype=np.float64, copy=False)
    assert np.shares_memory(np.asarray(t, copy=False), t.numpy())


def test_dlpack_zero_copy_numpy():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    t = pe.from_dlpack(a)
    t[0, 0] = 42.0
    assert a[0, 0] == 42.0
    back = np.from_dlpack(t)
    assert np.shares_memory(back, a)
    assert t.__dlpack_device__() == (1, 0)
    with pytest.raises(TypeError, match="from_dlpack"):
        pe.from_dlpack([1, 2])


def test_dlpack_zero_copy_torch():
    torch = pytest.importorskip("torch")
    x = torch.arange(4, dtype=torch.float32)
    t = pe.from_dlpack(x)
    t[1] = 9.0
    assert x[1].item() == 9.0
    y = torch.from_dlpack(pe.ones(3))
    assert y.tolist() == [1.0, 1.0, 1.0]


def _sample():
    return {"w": pe.tensor(np.arange(6, dtype=np.float32).reshape(2, 3)),
            "b": pe.tensor(np.array([1, 2], dtype=np.int64)),
            "m": pe.tensor(np.array([True, False])), "s": pe.tensor(np.float64(3.5))}


def test_safetensors_round_trip_and_module(tmp_path):
    p = tmp_path / "w.safetensors"
    pe.save_safetensors(_sample(), p, metadata={"format": "pt"})
    got, meta = pe.load_safetensors(p, return_metadata=True)
    assert meta == {"format": "pt"} and list(got) == ["w", "b", "m", "s"]
    for k, v in _sample().items():
        assert got[k].dtype == v.dtype and np.array_equal(got[k].numpy(), v.numpy())
    (n,) = struct.unpack("<Q", p.read_bytes()[:8])
    assert n % 8 == 0
    model = pe.nn.Sequential(pe.nn.Linear(3, 2), pe.nn.ReLU(), pe.nn.Linear(2, 1))
    pe.save_safetensors(model, tmp_path / "m.safetensors")
    other = pe.nn.Sequential(pe.nn.Linear(3, 2), pe.nn.ReLU(), pe.nn.Linear(2, 1))
    other.load_state_dict(pe.load_safetensors(tmp_path / "m.safetensors"))
    x = pe.randn(4, 3)
    assert np.array_equal(model(x).detach().numpy(), other(x).detach().numpy())


def test_safetensors_rejects_bad_files(tmp_path):
    p = tmp_path / "bad.safetensors"
    p.write_bytes(b"\x01")
    with pytest.raises(ValueError, match="too short"):
        pe.load_safetensors(p)
    hdr = json.dumps({"x": {"dtype": "F32", "shape": [4], "data_offsets": [0, 8]}}).encode()
    p.write_bytes(struct.pack("<Q", len(hdr)) + hdr + b"\0" * 8)
    with pytest.raises(ValueError, match="byte range"):
        pe.load_safetensors(p)
    hdr = json.dumps({"x": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                      "y": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}).encode()
    p.write_bytes(struct.pack("<Q", len(hdr)) + hdr + b"\0" * 12)
    with pytest.raises(ValueError, match="overlap"):
        pe.load_safetensors(p)
    p.write_bytes(struct.pack("<Q", 1 << 40) + b"{}")
    with pytest.raises(ValueError, match="header length"):
        pe.load_safetensors(p)
    with pytest.raises(TypeError, match="not a tensor"):
        pe.save_safetensors({"a": "text"}, tmp_path / "x.safetensors")


def test_safetensors_package_reads_and_writes_ours(tmp_path):
    st = pytest.importorskip("safetensors.numpy")
    p = tmp_path / "ours.safetensors"
    pe.save_safetensors(_sample(), p)
    theirs = st.load_file(str(p))
    for k, v in _sample().items():
        assert np.array_equal(theirs[k], v.numpy()) and theirs[k].dtype == v.numpy().dtype
    q = tmp_path / "theirs.safetensors"
    st.save_file({"a": np.arange(5, dtype=np.int32), "z": np.ones((2, 2), np.float64)}, str(q),
                 metadata={"k": "v"})
    got, meta = pe.load_safetensors(q, return_metadata=True)
    assert got["a"].tolist() == [0, 1, 2, 3, 4] and got["z"].dtype == pe.float64
    assert meta == {"k": "v"}
