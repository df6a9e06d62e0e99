"""Exchange with other libraries: DLPack (zero-copy with NumPy, PyTorch, JAX ... on the CPU) and
the safetensors weight format (readable and writable by the `safetensors` package).

safetensors layout: an 8-byte little-endian header length N, N bytes of JSON
``{name: {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, "__metadata__": {...}}``
(padded with spaces to a multiple of 8), then the tensors' little-endian C-order bytes,
offsets relative to the end of the header.
"""
import json
import os
import struct
import tempfile

import numpy as np

from .tensor import Tensor

_ST_DTYPES = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "I64": np.int64,
              "I32": np.int32, "I16": np.int16, "I8": np.int8, "U8": np.uint8, "U16": np.uint16,
              "U32": np.uint32, "U64": np.uint64, "BOOL": np.bool_}
_ST_NAMES = {np.dtype(v).newbyteorder("<"): k for k, v in _ST_DTYPES.items()}
_MAX_HEADER = 100 << 20  # the safetensors package's own limit


def from_dlpack(ext_tensor):
    """A Tensor sharing memory with any object exporting ``__dlpack__`` on the CPU (a NumPy
    array, a torch tensor ...). No copy: writes show through both ways."""
    if isinstance(ext_tensor, Tensor):
        return ext_tensor
    try:
        arr = np.from_dlpack(ext_tensor)
    except (TypeError, BufferError, RuntimeError, AttributeError) as e:
        raise TypeError(f"[from_dlpack] can't import {type(ext_tensor).__name__} by DLPack "
                        f"(CPU memory only): {e}") from None
    return Tensor._wrap(arr)


def _state(obj, op):
    if hasattr(obj, "state_dict") and callable(obj.state_dict):
        obj = obj.state_dict()
    if not isinstance(obj, dict):
        raise TypeError(f"[{op}] expected a dict of tensors or a Module, got "
                        f"{type(obj).__name__}")
    out = {}
    for k, v in obj.items():
        if not isinstance(k, str):
            raise TypeError(f"[{op}] tensor names must be str, got {k!r}")
        a = v._data if isinstance(v, Tensor) else v
        if not isinstance(a, np.ndarray):
            raise TypeError(f"[{op}] {k!r} is a {type(v).__name__}, not a tensor or array")
        if a.dtype.newbyteorder("<") not in _ST_NAMES:
            raise TypeError(f"[{op}] {k!r} has dtype {a.dtype}, which safetensors can't store")
        out[k] = a
    return out


def save_safetensors(tensors, path, metadata=None):
    """Write a dict of tensors/arrays (or a Module's state_dict) to `path` in the safetensors
    format; `metadata`: optional dict of str -> str. Written to a temp file, then renamed.

    >>> pe.save_safetensors(model, "model.safetensors")
    """
    arrays = _state(tensors, "save_safetensors")
    header, offset = {}, 0
    if metadata is not None:
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
            raise TypeError("[save_safetensors] metadata must map str to str")
        header["__metadata__"] = dict(metadata)
    for name, a in arrays.items():
        n = a.nbytes
        header[name] = {"dtype": _ST_NAMES[a.dtype.newbyteorder("<")], "shape": list(a.shape),
                        "data_offsets": [offset, offset + n]}
        offset += n
    hb = json.dumps(header, separators=(",", ":")).encode()
    hb += b" " * (-len(hb) % 8)
    path = os.fspath(path)
    fd, tmp = tempfile.mkstemp(prefix=".pe-st-", dir=os.path.dirname(os.path.abspath(path)))
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(struct.pack("<Q", len(hb)))
            f.write(hb)
            for a in arrays.values():
                f.write(np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<")).tobytes())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def load_safetensors(path, return_metadata=False):
    """Read a safetensors file into {name: Tensor} (names in file order). Every entry is
    checked (dtype, shape x itemsize == byte range, ranges inside the file and not
    overlapping) before any data is read; a bad file raises ValueError."""
    path = os.fspath(path)
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        raw = f.read(8)
        if len(raw) != 8:
            raise ValueError(f"[load_safetensors] {path} is too short to be a safetensors file")
        (n,) = struct.unpack("<Q", raw)
        if n > _MAX_HEADER or 8 + n > size:
            raise ValueError(f"[load_safetensors] {path}: header length {n} is invalid for a "
                             f"{size}-byte file")
        try:
            header = json.loads(f.read(n))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ValueError(f"[load_safetensors] {path}: the header is not JSON ({e})") from None
        if not isinstance(header, dict):
            raise ValueError(f"[load_safetensors] {path}: the header is not a JSON object")
        metadata = header.pop("__metadata__", None) or {}
        data_len = size - 8 - n
        spans = []
        for name, e in header.items():
            try:
                dt = np.dtype(_ST_DTYPES[e["dtype"]]).newbyteorder("<")
                shape = tuple(int(d) for d in e["shape"])
                begin, end = (int(v) for v in e["data_offsets"])
            except (KeyError, TypeError, ValueError):
                raise ValueError(f"[load_safetensors] {path}: entry {name!r} is malformed or has "
                                 f"an unsupported dtype: {e}") from None
            if any(d < 0 for d in shape) or not 0 <= begin <= end <= data_len or \
                    int(np.prod(shape, dtype=np.int64)) * dt.itemsize != end - begin:
                raise ValueError(f"[load_safetensors] {path}: entry {name!r} (shape {shape}, "
                                 f"{e['dtype']}) does not match its byte range [{begin}, {end}) "
                                 f"of {data_len} data bytes")
            spans.append((begin, end, name, dt, shape))
        ordered = sorted(spans)
        for (_, e1, a, *_), (b2, _, b, *_) in zip(ordered, ordered[1:]):
            if b2 < e1:
                raise ValueError(f"[load_safetensors] {path}: entries {a!r} and {b!r} overlap")
        out = {}
        for begin, end, name, dt, shape in spans:
            f.seek(8 + n + begin)
            buf = f.read(end - begin)
            out[name] = Tensor._wrap(np.frombuffer(buf, dtype=dt).astype(dt.newbyteorder("="))
                                     .reshape(shape))
    return (out, metadata) if return_metadata else out
