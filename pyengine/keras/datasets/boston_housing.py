"""Boston housing prices: load_data(path, test_split=0.2, seed=113) -> ((x_train, y_train),
(x_test, y_test)); x (n, 13) float64, y (n,) float64 prices in k$ (Keras' shuffle and split)."""
import numpy as np

from ._fetch import KERAS_ORIGIN, get_file, load_npz

SHA256 = "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"
OP = "boston_housing.load_data"


def load_data(path="boston_housing.npz", test_split=0.2, seed=113):
    if not 0 <= test_split < 1:
        raise ValueError(f"[{OP}] test_split must be in [0, 1), got {test_split}")
    dest = get_file(path, KERAS_ORIGIN + "boston_housing.npz", SHA256, OP)
    d = load_npz(dest, ["x", "y"], OP)
    x, y = d["x"], d["y"]
    idx = np.arange(len(x))
    np.random.RandomState(seed).shuffle(idx)
    x, y = x[idx], y[idx]
    cut = int(len(x) * (1 - test_split))
    return (np.array(x[:cut]), np.array(y[:cut])), (np.array(x[cut:]), np.array(y[cut:]))
