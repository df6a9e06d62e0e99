"""Fashion-MNIST: load_data() -> ((x_train, y_train), (x_test, y_test)), uint8 (n, 28, 28) images
and uint8 labels 0-9, from Keras' four gzipped IDX files in $PYENGINE_HOME/datasets/fashion-mnist/
(downloaded there when missing, each checked against its published MD5)."""
import gzip

import numpy as np

from ._fetch import KERAS_ORIGIN, get_file

FILES = {"train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
         "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
         "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
         "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79"}
OP = "fashion_mnist.load_data"


def _read(name, offset, what):
    path = get_file(f"fashion-mnist/{name}", KERAS_ORIGIN + name, FILES[name], OP)
    try:
        with gzip.open(path, "rb") as f:
            return np.frombuffer(f.read(), np.uint8, offset=offset)
    except (OSError, ValueError) as e:
        raise ValueError(f"[{OP}] {path} is not a gzipped IDX {what} file ({e})") from None


def load_data():
    """The Fashion-MNIST train and test sets (Keras' layout and dtypes)."""
    out = []
    for prefix in ("train", "t10k"):
        labels = _read(f"{prefix}-labels-idx1-ubyte.gz", 8, "label")
        images = _read(f"{prefix}-images-idx3-ubyte.gz", 16, "image")
        if images.size != labels.size * 784:
            raise ValueError(f"[{OP}] {prefix} images hold {images.size} bytes, expected "
                             f"{labels.size} x 28 x 28")
        out.append((images.reshape(len(labels), 28, 28), labels))
    return tuple(out)
