"""pe.save / pe.load: nested containers of arrays, Tensors and plain values, without pickle;
and `load_npz_checked`, the bounded `.npz` reader the Keras loaders use.

File layout (safetensors-style, format 2)::

    MAGIC (10 bytes) | header length (8 bytes LE) | CRC-32 of header (4 bytes LE)
    | CRC-32 of data (4 bytes LE) | JSON header (space-padded so data starts 64-aligned) | raw data

The JSON header describes the object tree: dicts (str or int keys, order kept), lists, tuples,
None/bool/int/float/str, and arrays/Tensors as {dtype, shape, offset, nbytes} into the raw part
(each aligned to 64 bytes). Loading never executes code: a file that is not ours, truncated,
inconsistent, bit-flipped (the two checksums), misaligned or nested deeper than MAX_DEPTH raises
ValueError. Format-1 files (no checksums) still load.

Saving to a path writes a temporary file ``.<name>.pe-save-<host>-<pid>-<rand>.tmp`` in the same
directory, fsyncs it and renames it over the target, so a crash mid-write leaves any previous
file intact; temp files left by a killed process (its pid is gone) are removed by the next save
or load of the same target. The new file gets the mode of the file it replaces, else
0666 & ~umask (like ``open(path, "wb")``). A symlink is written through: the file it points to is
replaced and the link stays.
"""
import errno
import json
import os
import stat
import struct
import tempfile
import zlib

import numpy as np

from .tensor import Tensor

MAGIC = b"\x93PYENGINE2"
_MAGIC_V1 = b"\x93PYENGINE1"
_PREFIX = len(MAGIC) + 8 + 8  # magic, header length, two CRC-32s
_ALIGN = 64
MAX_DEPTH = 200  # containers nested deeper than this are refused by save and load
_DTYPES = {np.dtype(t).str for t in (np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8,
                                     np.uint16, np.uint32, np.uint64, np.float16, np.float32,
                                     np.float64)}


def _encode(obj, blobs, offset, where, depth=0):
    """JSON-able description of obj; array payloads are appended to blobs."""
    if obj is None or isinstance(obj, (bool, str)):
        return obj, offset
    if isinstance(obj, (int, float)):
        return obj, offset
    if isinstance(obj, np.generic) and obj.dtype.str in _DTYPES:
        return obj.item(), offset
    if isinstance(obj, (np.ndarray, Tensor)):
        arr = obj._data if isinstance(obj, Tensor) else obj
        arr = arr if arr.flags.c_contiguous else arr.copy(order="C")  # keeps 0-d arrays 0-d
        if arr.dtype.str not in _DTYPES:
            raise TypeError(f"[save] {where}: arrays of dtype {arr.dtype} cannot be saved "
                            "(numeric and bool dtypes only)")
        pad = -offset % _ALIGN
        if pad:
            blobs.append(b"\0" * pad)
            offset += pad
        blobs.append(arr.reshape(-1).view(np.uint8))  # no copy of the payload
        node = {"t": "tensor" if isinstance(obj, Tensor) else "array", "dtype": arr.dtype.str,
                "shape": list(arr.shape), "offset": offset, "nbytes": arr.nbytes}
        if isinstance(obj, Tensor) and obj.requires_grad:
            node["requires_grad"] = True
        return node, offset + arr.nbytes
    if isinstance(obj, (dict, list, tuple)) and depth >= MAX_DEPTH:
        raise ValueError(f"[save] {where}: containers nested deeper than {MAX_DEPTH} levels")
    if isinstance(obj, dict):
        items = []
        for k, v in obj.items():
            if not isinstance(k, (str, int)) or isinstance(k, bool):
                raise TypeError(f"[save] {where}: dict keys must be str or int, got {k!r}")
            enc, offset = _encode(v, blobs, offset, f"{where}[{k!r}]", depth + 1)
            items.append([k, enc])
        return {"t": "dict", "items": items}, offset
    if isinstance(obj, (list, tuple)):
        items = []
        for i, v in enumerate(obj):
            enc, offset = _encode(v, blobs, offset, f"{where}[{i}]", depth + 1)
            items.append(enc)
        return {"t": "tuple" if isinstance(obj, tuple) else "list", "items": items}, offset
    hint = "; save its .state_dict() instead" if hasattr(obj, "state_dict") else ""
    raise TypeError(f"[save] {where}: cannot save an object of type {type(obj).__name__} "
                    f"(supported: dict, list, tuple, Tensor, ndarray, numbers, str, None){hint}")


def _crc(parts):
    c = 0
    for p in parts:
        c = zlib.crc32(p, c)
    return c


def _umask():
    """The process umask, read without changing it where Linux allows (os.umask(x) would race
    with other threads creating files)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    old = os.umask(0o022)
    os.umask(old)
    return old


def _temp_prefix(path):
    return f".{os.path.basename(path)}.pe-save-{os.uname().nodename}-"


def _remove_stale_temps(path):
    """Deletes temp files of earlier saves of `path` on this host whose process is gone
    (killed mid-save); temp files of live processes are left alone."""
    folder, prefix = os.path.dirname(path) or ".", _temp_prefix(path)
    try:
        names = [n for n in os.listdir(folder) if n.startswith(prefix) and n.endswith(".tmp")]
    except OSError:
        return
    for n in names:
        pid = n[len(prefix):].split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
            continue  # alive (or not ours to signal): maybe still saving
        except ProcessLookupError:
            pass
        except OSError:
            continue
        try:
            os.unlink(os.path.join(folder, n))
        except OSError:
            pass


def _resolve_target(f):
    """The file a save to `f` replaces: symlinks are followed so the link itself survives."""
    path = os.path.abspath(os.fspath(f))
    if os.path.islink(path):
        path = os.path.realpath(path)
    folder = os.path.dirname(path)
    if not os.path.isdir(folder):
        raise FileNotFoundError(errno.ENOENT, f"[save] cannot write {os.fspath(f)}: directory "
                                f"{folder} does not exist")
    return path


def save(obj, f):
    """Write `obj` (e.g. a model's or optimizer's state_dict) to a path or a binary file object.

    >>> pe.save({"model": model.state_dict(), "optim": opt.state_dict(), "epoch": 3}, "ckpt.pe")
    """
    blobs = []
    tree, _ = _encode(obj, blobs, 0, "obj")
    header = json.dumps(tree, separators=(",", ":"), allow_nan=True).encode("utf-8")
    header += b" " * (-(_PREFIX + len(header)) % _ALIGN)  # data starts 64-aligned in the file
    prefix = MAGIC + struct.pack("<QII", len(header), zlib.crc32(header), _crc(blobs))
    parts = [prefix, header] + blobs
    if hasattr(f, "write"):
        for p in parts:
            f.write(p)
        return
    path = _resolve_target(f)
    _remove_stale_temps(path)
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    try:
        fd, tmp = tempfile.mkstemp(prefix=f"{_temp_prefix(path)}{os.getpid()}-", suffix=".tmp",
                                   dir=os.path.dirname(path))
    except OSError as e:
        raise type(e)(e.errno, f"[save] cannot write {os.fspath(f)}: {e.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as out:
            os.fchmod(out.fileno(), mode)
            for p in parts:
                out.write(p)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _corrupt(name, why):
    return ValueError(f"[load] {name} is corrupt or not a pyengine file: {why}")


def _decode(node, data, name, depth=0):
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    if not isinstance(node, dict) or "t" not in node:
        raise _corrupt(name, f"unexpected header entry {str(node)[:60]!r}")
    t = node["t"]
    if t in ("dict", "list", "tuple") and depth >= MAX_DEPTH:
        raise _corrupt(name, f"containers nested deeper than {MAX_DEPTH} levels")
    if t == "dict":
        return {k: _decode(v, data, name, depth + 1) for k, v in node["items"]}
    if t in ("list", "tuple"):
        items = [_decode(v, data, name, depth + 1) for v in node["items"]]
        return tuple(items) if t == "tuple" else items
    if t in ("array", "tensor"):
        dtype, shape, off, nb = node["dtype"], tuple(node["shape"]), node["offset"], node["nbytes"]
        if dtype not in _DTYPES:
            raise _corrupt(name, f"unsupported dtype {dtype!r}")
        dt = np.dtype(dtype)
        if (any(not isinstance(s, int) or s < 0 for s in shape) or not isinstance(off, int)
                or off < 0 or nb != dt.itemsize * _prod(shape) or off + nb > len(data)):
            raise _corrupt(name, f"array entry {shape} {dtype} at {off} does not fit the file")
        if off % dt.itemsize:
            raise _corrupt(name, f"array entry {shape} {dtype} at offset {off} is misaligned")
        arr = np.frombuffer(data, dtype=dt, count=nb // dt.itemsize, offset=off).reshape(shape)
        if t == "array":
            return arr
        out = Tensor._wrap(arr)
        if node.get("requires_grad"):
            out.requires_grad_(True)
        return out
    raise _corrupt(name, f"unknown entry type {t!r}")


def _prod(shape):
    n = 1
    for s in shape:  # Python ints: no int64 wrap-around on forged shapes
        n *= s
    return n


def _aligned_buffer(nbytes):
    """A writeable, 64-byte aligned uint8 array of nbytes."""
    raw = np.empty(nbytes + _ALIGN, np.uint8)
    skip = -raw.ctypes.data % _ALIGN
    return raw[skip:skip + nbytes]


def _read_all(f, mmap=False):
    if mmap:
        return _map_file(f)
    if hasattr(f, "read"):
        raw = f.read()
        buf = _aligned_buffer(len(raw))
        buf[:] = np.frombuffer(raw, np.uint8)
        return buf, getattr(f, "name", "<file>")
    name = os.fspath(f)
    _remove_stale_temps(os.path.abspath(os.path.realpath(name)))
    with open(name, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        buf = _aligned_buffer(size)
        got = fh.readinto(memoryview(buf))
    return buf[:got], name


def _map_file(f):
    """load(mmap=True): the file mapped copy-on-write (torch's MAP_PRIVATE): tensors read their
    pages from the file on demand and writes to them never reach the file."""
    if hasattr(f, "read") or not isinstance(f, (str, bytes, os.PathLike)):
        raise ValueError("[load] mmap=True needs a file path, not a file object")
    name = os.fspath(f)
    _remove_stale_temps(os.path.abspath(os.path.realpath(name)))
    if os.path.getsize(name) == 0:
        return np.empty((0,), np.uint8), name
    return np.memmap(name, dtype=np.uint8, mode="c"), name


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None):
    """Read what `save` wrote. Arrays come back as NumPy arrays and Tensors as Tensors (writeable,
    sharing one buffer); nothing is ever unpickled. ValueError on a foreign or corrupt file.

    torch.load's arguments, as the PyTorch tutorials pass them: weights_only (True or False)
    changes nothing, since a pyengine file holds only tensors, arrays, numbers, strings and
    containers and pe.load is always "weights only"; map_location may name the CPU (a device,
    its string, or a {saved: "cpu"} dict), where every pyengine tensor lives; pickle_module and
    mmap=True maps the file instead of reading it (a path only): the tensors' pages come
    from the file as they are touched (the checksums still read it once), and writing to a
    loaded tensor changes it, never the file. pickle_module is refused (nothing is
    unpickled)."""
    _check_load_arguments(map_location, pickle_module, weights_only, mmap)
    buf, name = _read_all(f, bool(mmap))
    raw = memoryview(buf)
    magic = bytes(raw[:len(MAGIC)])
    if magic not in (MAGIC, _MAGIC_V1):
        hint = ""
        if magic[:1] == b"\x80":
            hint = " (it looks like a pickle, which pe.load refuses to run)"
        elif magic[:2] == b"PK":
            hint = " (it looks like a zip/.npz/torch file)"
        raise ValueError(f"[load] {name} is not a pyengine file: bad magic bytes{hint}")
    start = _PREFIX if magic == MAGIC else len(MAGIC) + 8
    if len(raw) < start:
        raise _corrupt(name, "truncated header")
    (hlen,) = struct.unpack("<Q", raw[len(MAGIC):len(MAGIC) + 8])
    if hlen > len(raw) - start:
        raise _corrupt(name, f"header length {hlen} exceeds the file size {len(raw)}")
    header, data = raw[start:start + hlen], buf[start + hlen:]
    if magic == MAGIC:
        crc_h, crc_d = struct.unpack("<II", raw[len(MAGIC) + 8:_PREFIX])
        if zlib.crc32(header) != crc_h or zlib.crc32(memoryview(data)) != crc_d:
            raise _corrupt(name, "checksum mismatch (the file was damaged after it was written)")
    if data.ctypes.data % _ALIGN:  # format 1 (or a foreign writer): data starts anywhere
        aligned = _aligned_buffer(len(data))
        aligned[:] = data
        data = aligned
    try:
        tree = json.loads(bytes(header).decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise _corrupt(name, f"unreadable header ({type(e).__name__}: {e})") from None
    try:
        return _decode(tree, data, name)
    except (KeyError, TypeError, ValueError) as e:
        if isinstance(e, ValueError) and str(e).startswith("[load]"):
            raise
        raise _corrupt(name, f"malformed header ({type(e).__name__}: {e})") from None


def _check_load_arguments(map_location, pickle_module, weights_only, mmap):
    from .backend import CPU, checked_device
    if weights_only not in (None, True, False):
        raise TypeError(f"[load] weights_only must be a bool, got {weights_only!r}")
    if pickle_module is not None:
        raise ValueError("[load] pickle_module is not supported: pe.load never unpickles")
    if mmap not in (None, True, False):
        raise TypeError(f"[load] mmap must be a bool, got {mmap!r}")
    targets = (list(map_location.values()) if isinstance(map_location, dict)
               else [] if map_location is None else [map_location])
    for target in targets:
        if callable(target) and not isinstance(target, str):
            raise NotImplementedError("[load] a callable map_location is not supported; pass a "
                                      "device ('cpu')")
        if checked_device(target) != CPU:
            raise ValueError(f"[load] map_location={target!r}: pyengine loads tensors onto the "
                             "CPU only; move them afterwards with .to(device)")


# ---- bounded .npz reading (Keras weights and models) -------------------------------------------
NPZ_MAX_BYTES = 1 << 30  # default cap on the total uncompressed size of an .npz (1 GiB)
NPZ_MAX_MEMBERS = 65536


def load_npz_checked(path, max_bytes=None, max_members=None, op="load_npz"):
    """The arrays of an `.npz` file as ``{name: ndarray}`` (file order), read without pickle and
    with every size checked before anything is decompressed or allocated.

    Each member's declared uncompressed size is summed and must stay within `max_bytes`
    (default ``pe.io.NPZ_MAX_BYTES`` = 1 GiB; pass a larger value, or set the module attribute,
    for bigger models); each `.npy` header's shape x itemsize must equal the member's declared
    size, and decompression stops at that size, so a zip bomb or a forged header cannot make it
    allocate more. Every failure (not a zip, truncated, CRC error, bad `.npy` header, object
    dtype, over a limit) is a ValueError starting with ``[op]``; a missing file stays
    FileNotFoundError.

    >>> weights = pe.io.load_npz_checked("model.npz", max_bytes=4 << 30)
    """
    import zipfile  # here, not at the top: `import pyengine` stays light

    max_bytes = NPZ_MAX_BYTES if max_bytes is None else int(max_bytes)
    max_members = NPZ_MAX_MEMBERS if max_members is None else int(max_members)
    name = os.fspath(path) if not hasattr(path, "read") else getattr(path, "name", "<file>")

    def bad(why):
        return ValueError(f"[{op}] cannot read {name}: {why}")

    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            if len(infos) > max_members:
                raise bad(f"{len(infos)} members, more than the limit of {max_members}")
            total = sum(i.file_size for i in infos)
            if total > max_bytes:
                raise bad(f"{total} bytes uncompressed, more than the limit of {max_bytes} "
                          "(pass max_bytes= or set pe.io.NPZ_MAX_BYTES to allow it)")
            out = {}
            for info in infos:
                key = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
                with zf.open(info) as fp:
                    out[key] = _read_npy_member(fp, info, bad)
            return out
    except FileNotFoundError:
        raise
    except ValueError as e:
        if str(e).startswith(f"[{op}]"):
            raise
        raise bad(f"{type(e).__name__}: {e}") from None
    except (zipfile.BadZipFile, EOFError, OSError, zlib.error, NotImplementedError,
            RuntimeError) as e:
        raise bad(f"not a valid .npz ({type(e).__name__}: {e})") from None


def _read_npy_member(fp, info, bad):
    fmt = np.lib.format
    version = fmt.read_magic(fp)
    if version == (1, 0):
        shape, fortran, dtype = fmt.read_array_header_1_0(fp)
    elif version in ((2, 0), (3, 0)):
        shape, fortran, dtype = fmt.read_array_header_2_0(fp)
    else:
        raise bad(f"member {info.filename!r}: unsupported .npy version {version}")
    if dtype.hasobject:
        raise bad(f"member {info.filename!r} holds Python objects (dtype {dtype}), which would "
                  "need pickle")
    nbytes = _prod(shape) * dtype.itemsize
    if nbytes != info.file_size - fp.tell():
        raise bad(f"member {info.filename!r}: header declares {shape} {dtype} ({nbytes} bytes) "
                  f"but the member holds {info.file_size - fp.tell()}")
    arr = np.empty(shape[::-1] if fortran else shape, dtype)
    view = memoryview(arr.reshape(-1).view(np.uint8)) if nbytes else memoryview(b"")
    got = 0
    while got < nbytes:
        n = fp.readinto(view[got:])
        if not n:
            raise bad(f"member {info.filename!r} is truncated")
        got += n
    fp.read(1)  # reaches the end, where zipfile checks the CRC
    return arr.T if fortran else arr


# tf.io's file functions and image codecs (`import pyengine as tf; tf.io.read_file(path)`,
# tf.io.decode_image ...), pyengine/tf_io.py
from .tf_io import (decode_bmp, decode_image, decode_jpeg, decode_png, decode_raw,  # noqa: E402,F401,E501
                    encode_png, read_file, write_file)
# tf.io.gfile (glob, exists, makedirs, GFile ...), pyengine/tf_gfile.py
from . import tf_gfile as gfile  # noqa: E402,F401
from .data.csv_dataset import decode_csv  # noqa: E402,F401  (tf.io.decode_csv)
