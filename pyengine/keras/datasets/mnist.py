"""MNIST digits: load_data() -> ((x_train, y_train), (x_test, y_test)), uint8 (n, 28, 28) images
and uint8 labels, from a Keras-format mnist.npz in $PYENGINE_HOME/datasets/ (default
~/.pyengine/datasets/), downloaded there when missing."""
import numpy as np

from ._fetch import cache_dir, get_file  # noqa: F401  (cache_dir: part of this module's API)

URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"


def load_data(path="mnist.npz"):
    """The MNIST train and test sets. `path`: file name inside the cache folder, or an
    absolute path to a Keras-format mnist.npz."""
    dest = get_file(path, URL, SHA256, "mnist.load_data", "a Keras-format mnist.npz")
    with np.load(dest, allow_pickle=False) as f:
        missing = {"x_train", "y_train", "x_test", "y_test"} - set(f.files)
        if missing:
            raise ValueError(f"[mnist.load_data] {dest} is not a Keras-format mnist.npz "
                             f"(missing {sorted(missing)})")
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
