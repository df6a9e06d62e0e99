"""CIFAR-100: load_data(label_mode="fine"|"coarse") -> ((x_train, y_train), (x_test, y_test));
uint8 images (n, 32, 32, 3) and uint8 labels (n, 1), from cifar-100-python.tar.gz in
$PYENGINE_HOME/datasets/ (downloaded there when missing, SHA-256 checked)."""
from ._cifar import read_batches
from ._fetch import get_file

URL = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
SHA256 = "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7"
OP = "cifar100.load_data"


def load_data(label_mode="fine"):
    if label_mode not in ("fine", "coarse"):
        raise ValueError(f"[{OP}] label_mode must be one of 'fine' or 'coarse'. Received: "
                         f"label_mode={label_mode}.")
    path = get_file("cifar-100-python.tar.gz", URL, SHA256, OP)
    key = label_mode + "_labels"
    return (read_batches(path, ["cifar-100-python/train"], key, OP),
            read_batches(path, ["cifar-100-python/test"], key, OP))
