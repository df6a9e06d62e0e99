"""MNIST digits: load_data() -> ((x_train, y_train), (x_test, y_test)), uint8 (n, 28, 28) images
and uint8 labels, from a Keras-format mnist.npz in $PYENGINE_HOME/datasets/ (default
~/.pyengine/datasets/), downloaded there when missing."""
import hashlib
import os
import tempfile
import urllib.request

import numpy as np

URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"


def cache_dir():
    home = os.environ.get("PYENGINE_HOME") or os.path.join(os.path.expanduser("~"), ".pyengine")
    return os.path.join(home, "datasets")


def _download(dest):
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(dest), prefix=".tmp-mnist-")
    try:
        with os.fdopen(fd, "wb") as f, urllib.request.urlopen(URL, timeout=30) as r:
            digest = hashlib.sha256()
            for block in iter(lambda: r.read(1 << 20), b""):
                f.write(block)
                digest.update(block)
        if digest.hexdigest() != SHA256:
            raise OSError(f"checksum mismatch for {URL}")
        os.replace(tmp, dest)
    except BaseException as e:
        if os.path.exists(tmp):
            os.remove(tmp)
        if isinstance(e, (OSError, ValueError)):
            raise OSError(f"[mnist.load_data] {dest} is missing and downloading it from {URL} "
                          f"failed ({e}). If this machine is offline, copy a Keras-format "
                          f"mnist.npz to {dest} (or set PYENGINE_HOME)") from None
        raise


def load_data(path="mnist.npz"):
    """The MNIST train and test sets. `path`: file name inside the cache folder, or an
    absolute path to a Keras-format mnist.npz."""
    dest = os.path.join(cache_dir(), os.fspath(path))
    if not os.path.exists(dest):
        _download(dest)
    with np.load(dest, allow_pickle=False) as f:
        missing = {"x_train", "y_train", "x_test", "y_test"} - set(f.files)
        if missing:
            raise ValueError(f"[mnist.load_data] {dest} is not a Keras-format mnist.npz "
                             f"(missing {sorted(missing)})")
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
