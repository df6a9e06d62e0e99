"""CIFAR-10: load_data() -> ((x_train, y_train), (x_test, y_test)); uint8 images (n, 32, 32, 3)
(channels-last, as Keras) and uint8 labels (n, 1), read from cifar-10-python.tar.gz in
$PYENGINE_HOME/datasets/ (downloaded there when missing, SHA-256 checked)."""
from ._cifar import read_batches
from ._fetch import get_file

URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
SHA256 = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"
OP = "cifar10.load_data"


def load_data():
    path = get_file("cifar-10-python.tar.gz", URL, SHA256, OP)
    train = read_batches(path, [f"cifar-10-batches-py/data_batch_{i}" for i in range(1, 6)],
                         "labels", OP)
    test = read_batches(path, ["cifar-10-batches-py/test_batch"], "labels", OP)
    return train, test
