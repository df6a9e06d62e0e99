"""Reading CIFAR batches straight out of the Python-version tarball (no extraction)."""
import tarfile

import numpy as np

from ._fetch import safe_pickle_load


def read_batches(path, members, label_key, op):
    """(x (n, 32, 32, 3) uint8 channels-last, y (n, 1) uint8) from the named tar members."""
    xs, ys = [], []
    try:
        with tarfile.open(path, "r:gz") as tar:
            for m in members:
                try:
                    f = tar.extractfile(m)
                except KeyError:
                    f = None
                if f is None:
                    raise ValueError(f"[{op}] {path} has no member {m!r}: not a CIFAR "
                                     "python-version archive")
                d = safe_pickle_load(f, op)
                d = {k.decode("utf8") if isinstance(k, bytes) else k: v for k, v in d.items()}
                if "data" not in d or label_key not in d:
                    raise ValueError(f"[{op}] {m} lacks 'data' or {label_key!r}")
                data = np.asarray(d["data"], dtype=np.uint8)
                xs.append(data.reshape(data.shape[0], 3, 32, 32))
                ys.append(np.asarray(d[label_key], dtype=np.uint8))
    except tarfile.TarError as e:
        raise ValueError(f"[{op}] {path} is not a gzipped tar archive ({e})") from None
    x = np.concatenate(xs).transpose(0, 2, 3, 1)
    y = np.concatenate(ys).reshape(-1, 1)
    return np.ascontiguousarray(x), y
