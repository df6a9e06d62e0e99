"""pe.save / pe.load: nested containers of arrays, Tensors and plain values, without pickle.

File layout (safetensors-style)::

    MAGIC (10 bytes) | header length (8 bytes, little-endian) | JSON header | raw array bytes

The JSON header describes the object tree: dicts (str or int keys, order kept), lists, tuples,
None/bool/int/float/str, and arrays/Tensors as {dtype, shape, offset, nbytes} into the raw part
(each aligned to 64 bytes). Loading never executes code: a file that is not ours, truncated or
inconsistent raises ValueError. Saving to a path writes a temporary file in the same directory
and renames it over the target, so a crash mid-write leaves any previous file intact.
"""
import json
import os
import struct
import tempfile

import numpy as np

from .tensor import Tensor

MAGIC = b"\x93PYENGINE1"
_ALIGN = 64
_DTYPES = {np.dtype(t).str for t in (np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8,
                                     np.uint16, np.uint32, np.uint64, np.float16, np.float32,
                                     np.float64)}


def _encode(obj, blobs, offset, where):
    """JSON-able description of obj; array payloads are appended to blobs."""
    if obj is None or isinstance(obj, (bool, str)):
        return obj, offset
    if isinstance(obj, (int, float)):
        return obj, offset
    if isinstance(obj, np.generic) and obj.dtype.str in _DTYPES:
        return obj.item(), offset
    if isinstance(obj, (np.ndarray, Tensor)):
        arr = obj.data if isinstance(obj, Tensor) else obj
        arr = arr if arr.flags.c_contiguous else arr.copy(order="C")  # keeps 0-d arrays 0-d
        if arr.dtype.str not in _DTYPES:
            raise TypeError(f"[save] {where}: arrays of dtype {arr.dtype} cannot be saved "
                            "(numeric and bool dtypes only)")
        pad = -offset % _ALIGN
        if pad:
            blobs.append(b"\0" * pad)
            offset += pad
        blobs.append(arr.tobytes())
        node = {"t": "tensor" if isinstance(obj, Tensor) else "array", "dtype": arr.dtype.str,
                "shape": list(arr.shape), "offset": offset, "nbytes": arr.nbytes}
        if isinstance(obj, Tensor) and obj.requires_grad:
            node["requires_grad"] = True
        return node, offset + arr.nbytes
    if isinstance(obj, dict):
        items = []
        for k, v in obj.items():
            if not isinstance(k, (str, int)) or isinstance(k, bool):
                raise TypeError(f"[save] {where}: dict keys must be str or int, got {k!r}")
            enc, offset = _encode(v, blobs, offset, f"{where}[{k!r}]")
            items.append([k, enc])
        return {"t": "dict", "items": items}, offset
    if isinstance(obj, (list, tuple)):
        items = []
        for i, v in enumerate(obj):
            enc, offset = _encode(v, blobs, offset, f"{where}[{i}]")
            items.append(enc)
        return {"t": "tuple" if isinstance(obj, tuple) else "list", "items": items}, offset
    hint = "; save its .state_dict() instead" if hasattr(obj, "state_dict") else ""
    raise TypeError(f"[save] {where}: cannot save an object of type {type(obj).__name__} "
                    f"(supported: dict, list, tuple, Tensor, ndarray, numbers, str, None){hint}")


def save(obj, f):
    """Write `obj` (e.g. a model's or optimizer's state_dict) to a path or a binary file object.

    >>> pe.save({"model": model.state_dict(), "optim": opt.state_dict(), "epoch": 3}, "ckpt.pe")
    """
    blobs = []
    tree, _ = _encode(obj, blobs, 0, "obj")
    header = json.dumps(tree, separators=(",", ":"), allow_nan=True).encode("utf-8")
    parts = [MAGIC, struct.pack("<Q", len(header)), header] + blobs
    if hasattr(f, "write"):
        for p in parts:
            f.write(p)
        return
    path = os.fspath(f)
    fd, tmp = tempfile.mkstemp(prefix=".pe-save-", dir=os.path.dirname(os.path.abspath(path)))
    try:
        with os.fdopen(fd, "wb") as out:
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


def _decode(node, data, name):
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    if not isinstance(node, dict) or "t" not in node:
        raise _corrupt(name, f"unexpected header entry {str(node)[:60]!r}")
    t = node["t"]
    if t == "dict":
        return {k: _decode(v, data, name) for k, v in node["items"]}
    if t in ("list", "tuple"):
        items = [_decode(v, data, name) for v in node["items"]]
        return tuple(items) if t == "tuple" else items
    if t in ("array", "tensor"):
        dtype, shape, off, nb = node["dtype"], tuple(node["shape"]), node["offset"], node["nbytes"]
        if dtype not in _DTYPES:
            raise _corrupt(name, f"unsupported dtype {dtype!r}")
        dt = np.dtype(dtype)
        if (any(not isinstance(s, int) or s < 0 for s in shape) or not isinstance(off, int)
                or off < 0 or nb != dt.itemsize * int(np.prod(shape, dtype=np.int64))
                or off + nb > len(data)):
            raise _corrupt(name, f"array entry {shape} {dtype} at {off} does not fit the file")
        arr = np.frombuffer(data, dtype=dt, count=nb // dt.itemsize, offset=off).reshape(shape)
        if t == "array":
            return arr
        out = Tensor._wrap(arr)
        if node.get("requires_grad"):
            out.requires_grad_(True)
        return out
    raise _corrupt(name, f"unknown entry type {t!r}")


def load(f):
    """Read what `save` wrote. Arrays come back as NumPy arrays and Tensors as Tensors (writeable,
    sharing one buffer); nothing is ever unpickled. ValueError on a foreign or corrupt file."""
    if hasattr(f, "read"):
        raw, name = f.read(), getattr(f, "name", "<file>")
    else:
        name = os.fspath(f)
        with open(name, "rb") as fh:
            raw = fh.read()
    if not raw.startswith(MAGIC):
        hint = ""
        if raw[:1] == b"\x80":
            hint = " (it looks like a pickle, which pe.load refuses to run)"
        elif raw[:2] == b"PK":
            hint = " (it looks like a zip/.npz/torch file)"
        raise ValueError(f"[load] {name} is not a pyengine file: bad magic bytes{hint}")
    start = len(MAGIC) + 8
    if len(raw) < start:
        raise _corrupt(name, "truncated header")
    (hlen,) = struct.unpack("<Q", raw[len(MAGIC):start])
    if hlen > len(raw) - start:
        raise _corrupt(name, f"header length {hlen} exceeds the file size {len(raw)}")
    try:
        tree = json.loads(raw[start:start + hlen].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise _corrupt(name, f"unreadable header ({e})") from None
    data = bytearray(raw[start + hlen:])  # writeable: loaded arrays can be trained further
    try:
        return _decode(tree, data, name)
    except (KeyError, TypeError, ValueError) as e:
        if isinstance(e, ValueError) and str(e).startswith("[load]"):
            raise
        raise _corrupt(name, f"malformed header ({type(e).__name__}: {e})") from None
