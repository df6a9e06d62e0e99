"""Shared by the Keras dataset loaders: the cache folder ($PYENGINE_HOME/datasets, default
~/.pyengine/datasets), downloads checked against a SHA-256 (64 hex) or MD5 (32 hex) digest
and renamed into place only when they match, and a clear error when the machine is offline.
Also a pickle reader restricted to lists, dicts and NumPy arrays, for the Keras files that
store Python objects (imdb / reuters word lists, the CIFAR batches): no other class loads."""
import hashlib
import io
import os
import pickle
import tempfile
import urllib.request

import numpy as np

KERAS_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


def cache_dir():
    home = os.environ.get("PYENGINE_HOME") or os.path.join(os.path.expanduser("~"), ".pyengine")
    return os.path.join(home, "datasets")


def _digest(file_hash):
    return hashlib.sha256() if len(file_hash) == 64 else hashlib.md5()


def download(origin, dest, file_hash=None):
    """Stream `origin` into `dest` through a temporary file in dest's folder, renamed into place
    only once complete and, when `file_hash` (SHA-256 or MD5 hex) is given, matching it; any
    failure removes the temporary file and propagates (OSError for a checksum mismatch)."""
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(dest), prefix=".tmp-download-")
    try:
        digest = None if file_hash is None else _digest(file_hash)
        with os.fdopen(fd, "wb") as f, urllib.request.urlopen(origin, timeout=30) as r:
            for block in iter(lambda: r.read(1 << 20), b""):
                f.write(block)
                if digest is not None:
                    digest.update(block)
        if digest is not None and digest.hexdigest() != file_hash:
            raise OSError(f"checksum mismatch for {origin}")
        os.replace(tmp, dest)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def get_file(fname, origin, file_hash, op, what=None):
    """Path of `fname` in the cache folder (an absolute path is used as is), downloaded from
    `origin` when missing. `op` names the loader in errors; `what` describes the file."""
    dest = os.path.join(cache_dir(), os.fspath(fname))
    if os.path.exists(dest):
        return dest
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    try:
        download(origin, dest, file_hash)
    except (OSError, ValueError) as e:
        raise OSError(f"[{op}] {dest} is missing and downloading it from {origin} failed "
                      f"({e}). If this machine is offline, copy {what or 'a Keras-format ' + os.path.basename(dest)} "
                      f"to {dest} (or set PYENGINE_HOME)") from None
    return dest


class _SafeUnpickler(pickle.Unpickler):
    _ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
                ("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "scalar"),
                ("numpy._core.multiarray", "scalar"), ("builtins", "list"), ("copy_reg", "_reconstructor"),
                ("copyreg", "_reconstructor"), ("_codecs", "encode")}  # bytes in protocol 2

    def find_class(self, module, name):
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a dataset file "
                                         "(only lists, dicts and NumPy arrays are allowed)")
        return super().find_class(module, name)


def safe_pickle_load(f, op):
    try:
        return _SafeUnpickler(f, encoding="bytes").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError) as e:
        raise ValueError(f"[{op}] not a valid dataset file: {e}") from None


def load_npz(path, keys, op):
    """The arrays `keys` of a Keras .npz, object arrays (lists of word ids) included, read
    without np.load's unrestricted pickle."""
    import zipfile
    fmt = np.lib.format
    out = {}
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            for k in keys:
                if k + ".npy" not in names:
                    raise ValueError(f"[{op}] {path} is not a Keras-format file (missing {k!r})")
                f = io.BytesIO(z.read(k + ".npy"))
                version = fmt.read_magic(f)
                shape, fortran, dtype = (fmt.read_array_header_1_0(f) if version == (1, 0)
                                         else fmt.read_array_header_2_0(f))
                if dtype.hasobject:
                    arr = safe_pickle_load(f, op)
                    if not isinstance(arr, np.ndarray):
                        arr = np.asarray(arr, dtype=object)
                else:
                    f.seek(0)
                    arr = fmt.read_array(f, allow_pickle=False)
                out[k] = arr
    except zipfile.BadZipFile as e:
        raise ValueError(f"[{op}] {path} is not a Keras-format .npz ({e})") from None
    return out
