"""Checkpoint hardening (issue 13 item 2): kill -9 during saves, temp-file cleanup, file mode,
symlinks, checksums, forged offsets, deep nesting; and the bounded .npz reader."""
import json
import os
import signal
import struct
import subprocess
import sys
import time
import zipfile
import zlib

import numpy as np
import pytest

import pyengine as pe
import pyengine.io as peio

from hardening_battery import package_path


def forge(path, tree, data=b""):
    """A format-2 file with valid checksums around an arbitrary header and data."""
    header = tree if isinstance(tree, bytes) else json.dumps(tree).encode()
    header += b" " * (-(peio._PREFIX + len(header)) % 64)
    prefix = peio.MAGIC + struct.pack("<QII", len(header), zlib.crc32(header), zlib.crc32(data))
    with open(path, "wb") as f:
        f.write(prefix + header + data)


def temps(folder):
    return [n for n in os.listdir(folder) if ".pe-save-" in n]


def test_kill_during_save_never_corrupts_and_temps_are_cleaned(tmp_path):
    path = tmp_path / "ckpt.pe"
    pe.save({"step": -1}, path)
    script = ("import sys, numpy as np, pyengine as pe\n"
              "big = np.random.rand(4_000_000)\n"  # 32 MB: a kill lands mid-write
              "for i in range(10**6):\n"
              f"    pe.save({{'step': i, 'w': big}}, {str(path)!r})\n"
              "    print(i, flush=True)\n")
    env = dict(os.environ, PYTHONPATH=package_path())
    left = 0
    for kill in range(3):
        p = subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE,
                             cwd=package_path())
        p.stdout.readline()  # one save done
        deadline = time.time() + 30
        while not temps(tmp_path) and time.time() < deadline:
            time.sleep(0.001)  # the next save's temp file exists: it is writing now
        p.send_signal(signal.SIGKILL)
        p.wait()
        p.stdout.close()
        left += len(temps(tmp_path))
        obj = pe.load(path)  # always the previous or the new complete file, never a torn one
        assert obj["step"] >= 0 and obj["w"].shape == (4_000_000,)
        assert temps(tmp_path) == []  # the load removed the dead saver's temp file
    assert left >= 1, "no kill landed mid-save: the test did not exercise the cleanup"
    pe.save({"ok": 1}, path)
    assert temps(tmp_path) == [] and pe.load(path) == {"ok": 1}


def test_temp_of_a_live_saver_is_kept(tmp_path):
    path = tmp_path / "a.pe"
    live = tmp_path / f"{peio._temp_prefix(str(path))}{os.getppid()}-x.tmp"
    live.write_bytes(b"partial")
    pe.save({"v": 1}, path)
    assert live.exists()  # its owner (our parent process) is alive and may still be saving


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_mode_follows_umask(tmp_path, umask):
    old = os.umask(umask)
    try:
        pe.save({"v": 1}, tmp_path / "m.pe")
    finally:
        os.umask(old)
    assert os.stat(tmp_path / "m.pe").st_mode & 0o777 == 0o666 & ~umask


def test_overwrite_keeps_the_files_mode(tmp_path):
    path = tmp_path / "m.pe"
    pe.save({"v": 1}, path)
    os.chmod(path, 0o640)
    pe.save({"v": 2}, path)
    assert os.stat(path).st_mode & 0o777 == 0o640 and pe.load(path) == {"v": 2}


def test_symlink_is_written_through(tmp_path):
    real = tmp_path / "real.pe"
    pe.save({"v": 1}, real)
    link = tmp_path / "link.pe"
    link.symlink_to(real)
    pe.save({"v": 2}, link)
    assert link.is_symlink() and pe.load(real) == {"v": 2} and pe.load(link) == {"v": 2}


def test_missing_directory_names_the_target(tmp_path):
    target = tmp_path / "nope" / "ckpt.pe"
    with pytest.raises(FileNotFoundError, match=r"\[save\].*nope/ckpt\.pe.*does not exist"):
        pe.save({"v": 1}, target)


def test_every_single_bit_flip_is_detected(tmp_path):
    path = tmp_path / "c.pe"
    pe.save({"w": np.arange(40, dtype=np.float32), "n": 3, "s": "x"}, path)
    raw = bytearray(path.read_bytes())
    rng = np.random.default_rng(0)
    for bit in rng.choice(len(raw) * 8, size=400, replace=False):
        bad = bytearray(raw)
        bad[bit // 8] ^= 1 << (bit % 8)
        path.write_bytes(bytes(bad))
        with pytest.raises(ValueError, match=r"\[load\]"):
            pe.load(path)


def test_format1_files_still_load(tmp_path):
    header = json.dumps({"t": "array", "dtype": "<f4", "shape": [3], "offset": 0,
                         "nbytes": 12}).encode()
    data = np.arange(3, dtype=np.float32).tobytes()
    path = tmp_path / "v1.pe"
    path.write_bytes(b"\x93PYENGINE1" + struct.pack("<Q", len(header)) + header + data)
    back = pe.load(path)
    np.testing.assert_array_equal(back, [0, 1, 2])
    assert back.ctypes.data % 16 == 0


def test_misaligned_offset_is_rejected(tmp_path):
    path = tmp_path / "f.pe"
    forge(path, {"t": "array", "dtype": "<f8", "shape": [2], "offset": 4, "nbytes": 16},
          bytes(32))
    with pytest.raises(ValueError, match="misaligned"):
        pe.load(path)


def test_forged_huge_shape_is_rejected(tmp_path):
    path = tmp_path / "f.pe"
    forge(path, {"t": "array", "dtype": "<f4", "shape": [2 ** 62, 2 ** 62], "offset": 0,
                 "nbytes": 0}, bytes(64))
    with pytest.raises(ValueError, match="does not fit"):
        pe.load(path)


def test_deep_nesting_is_a_clear_error(tmp_path):
    path = tmp_path / "d.pe"
    deep = []
    for _ in range(5000):
        deep = [deep]
    with pytest.raises(ValueError, match=r"\[save\].*nested deeper"):
        pe.save(deep, path)
    tree = {"t": "list", "items": []}
    for _ in range(peio.MAX_DEPTH + 5):
        tree = {"t": "list", "items": [tree]}
    forge(path, tree)
    with pytest.raises(ValueError, match=r"\[load\].*nested deeper"):
        pe.load(path)
    forge(path, b"[" * 100000 + b"]" * 100000)  # json itself would recurse too deep
    with pytest.raises(ValueError, match=r"\[load\]"):
        pe.load(path)


# ---- pe.io.load_npz_checked ----------------------------------------------------------------
def test_npz_round_trip_and_fortran_order(tmp_path):
    a, b = np.arange(6.0).reshape(2, 3), np.asfortranarray(np.ones((3, 2), np.float32))
    np.savez(tmp_path / "w.npz", a=a, b=b, __config__=np.array('{"k": 1}'))
    out = peio.load_npz_checked(tmp_path / "w.npz")
    assert list(out) == ["a", "b", "__config__"]
    np.testing.assert_array_equal(out["a"], a)
    np.testing.assert_array_equal(out["b"], b)
    assert str(out["__config__"]) == '{"k": 1}'


def test_npz_zip_bomb_is_refused_before_decompressing(tmp_path):
    path = tmp_path / "bomb.npz"
    np.savez_compressed(path, z=np.zeros(2 ** 24, np.float32))  # 64 MB in about 65 KB
    with pytest.raises(ValueError, match="limit of 1000000.*max_bytes"):
        peio.load_npz_checked(path, max_bytes=10 ** 6)
    assert peio.load_npz_checked(path, max_bytes=2 ** 27)["z"].shape == (2 ** 24,)


def test_npz_lying_header_is_refused(tmp_path):
    path = tmp_path / "lie.npz"
    npy = np.lib.format
    import io
    buf = io.BytesIO()
    npy.write_array_header_1_0(buf, {"descr": "<f4", "fortran_order": False,
                                     "shape": (2 ** 30,)})
    buf.write(bytes(16))
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("x.npy", buf.getvalue())
    with pytest.raises(ValueError, match="header declares"):
        peio.load_npz_checked(path)


@pytest.mark.parametrize("damage", ["truncated", "not a zip", "crc", "object dtype", "members"])
def test_npz_failures_are_value_errors(tmp_path, damage):
    path = tmp_path / "w.npz"
    np.savez(path, a=np.arange(1000.0))
    raw = path.read_bytes()
    kw = {}
    if damage == "truncated":
        path.write_bytes(raw[:len(raw) // 2])
    elif damage == "not a zip":
        path.write_bytes(b"hello")
    elif damage == "crc":
        i = raw.index(b"\x00\x00\x00\x00\x00\x00\xf0\x3f")  # 1.0 in the data
        path.write_bytes(raw[:i + 7] + b"\x40" + raw[i + 8:])
    elif damage == "object dtype":
        np.savez(path, a=np.array([None, 1], dtype=object))
    else:
        kw = {"max_members": 0}
    with pytest.raises(ValueError, match=r"\[load_npz\] cannot read"):
        peio.load_npz_checked(path, **kw)


def test_npz_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        peio.load_npz_checked(tmp_path / "absent.npz")


# ---- the Keras loaders read through load_npz_checked ------------------------------------------
def _keras_model():
    from pyengine import keras
    m = keras.Sequential([keras.layers.Dense(2, input_shape=(3,))])
    m.compile(optimizer="sgd", loss="mse")
    return m


def test_keras_load_weights_checks_sizes_before_decompressing(tmp_path, monkeypatch):
    m = _keras_model()
    path = tmp_path / "w.weights.npz"
    np.savez_compressed(path, **{"0000": np.zeros(2 ** 22, np.float32), "0001": np.zeros(2)})
    monkeypatch.setattr(peio, "NPZ_MAX_BYTES", 10 ** 6)
    with pytest.raises(ValueError, match=r"\[load_weights\] cannot read .*limit of 1000000"):
        m.load_weights(path)


@pytest.mark.parametrize("damage", ["truncated", "not a zip"])
def test_keras_loaders_wrap_every_failure_in_value_error(tmp_path, damage):
    from pyengine import keras
    m = _keras_model()
    for name, save, load in (("w.weights.npz", m.save_weights, m.load_weights),
                             ("m.keras", m.save, keras.saving.load_model)):
        path = tmp_path / name
        save(path)
        raw = path.read_bytes()
        path.write_bytes(raw[:len(raw) // 2] if damage == "truncated" else b"hello")
        with pytest.raises(ValueError, match=r"\[load_(weights|model)\] cannot"):
            load(path)
