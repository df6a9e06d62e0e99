"""tf.data.TextLineDataset: the lines of text files as a Dataset of strings (one 0-d str
array per line, decoded as UTF-8, without its line terminator "\\n" or "\\r\\n"), file after
file; with num_parallel_reads=n, n files at a time are read in turn, one line from each
(TensorFlow's interleaved order). Compressed files: compression_type "GZIP" or "ZLIB"."""
import gzip
import io
import zlib

import numpy as np

from .dataset import UNKNOWN_CARDINALITY, Dataset, _positive
from .interleave import interleave_iterators as _interleave

_ZLIB_WBITS = 15


def TextLineDataset(filenames, compression_type=None, buffer_size=None, num_parallel_reads=None,
                    name=None):
    """A Dataset of the lines of `filenames` (a path, a list of paths, or a Dataset of them).
    buffer_size is the read buffer in bytes (the lines are the same whatever it is)."""
    paths = _paths(filenames)
    kind = (compression_type or "").upper()
    if kind not in ("", "GZIP", "ZLIB"):
        raise ValueError(f"[TextLineDataset] compression_type must be None, '', 'GZIP' or "
                         f"'ZLIB'. Received: compression_type={compression_type!r}")
    buffering = -1 if buffer_size is None else _positive(buffer_size, "buffer_size",
                                                        "TextLineDataset")
    cycle = 1 if num_parallel_reads is None else _positive(
        num_parallel_reads, "num_parallel_reads", "TextLineDataset", allow_autotune=True)

    def lines(path):
        for line in _open(path, kind, buffering):
            if line.endswith("\n"):
                line = line[:-2] if line.endswith("\r\n") else line[:-1]
            yield np.asarray(line, dtype=np.str_)

    def make():
        return _interleave([lines(p) for p in paths], cycle)
    return Dataset(make, UNKNOWN_CARDINALITY)


def _paths(filenames):
    if isinstance(filenames, Dataset):
        filenames = [str(f) for f in filenames.as_numpy_iterator()]
    elif isinstance(filenames, (str, bytes)) or hasattr(filenames, "__fspath__"):
        filenames = [filenames]
    out = []
    for f in np.asarray(filenames, dtype=object).reshape(-1):
        if isinstance(f, bytes):
            f = f.decode("utf-8")
        if not isinstance(f, str) and not hasattr(f, "__fspath__"):
            raise TypeError(f"[TextLineDataset] filenames must be paths (str); received {f!r}")
        out.append(f)
    if not out:
        raise ValueError("[TextLineDataset] filenames is empty")
    return out


def _open(path, kind, buffering):
    if kind == "GZIP":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    if kind == "ZLIB":
        with open(path, "rb") as f:
            data = zlib.decompress(f.read(), _ZLIB_WBITS)
        return io.StringIO(data.decode("utf-8"), newline="")
    return open(path, encoding="utf-8", newline="", buffering=buffering)
