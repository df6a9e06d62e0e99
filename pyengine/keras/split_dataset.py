"""keras.utils.split_dataset: a dataset (NumPy arrays, a tuple / dict of them, or a pe.data
Dataset) cut into a left and a right Dataset of elements (Keras 3's arguments and size rules),
and keras.utils.pack_x_y_sample_weight / unpack_x_y_sample_weight (the forms of a train_step's
`data`)."""
import numpy as np

from ..data import structure as _st
from ..data.dataset import Dataset
from .batching import pack as pack_x_y_sample_weight  # noqa: F401  (Keras' name)
from .batching import unpack_x_y_sample_weight  # noqa: F401

_OP = "split_dataset"


def _sizes(n, left_size, right_size):
    """(left, right) counts from Keras' fractions in (0, 1), counts, or None (the rest)."""
    def count(v, what):
        if v is None:
            return None
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
            raise TypeError(f"[{_OP}] {what} must be a float in (0, 1), an int or None. "
                            f"Received: {what}={v!r}")
        if isinstance(v, (float, np.floating)):
            if not 0 < v < 1:
                raise ValueError(f"[{_OP}] a fractional {what} must be in (0, 1). Received: "
                                 f"{what}={v}")
            return int(round(v * n))
        if v < 0 or v > n:
            raise ValueError(f"[{_OP}] {what}={v} is outside [0, {n}] (the dataset's size)")
        return int(v)
    left, right = count(left_size, "left_size"), count(right_size, "right_size")
    if left is None and right is None:
        left = int(round(0.5 * n))  # Keras: both None splits in half
    if left is None:
        left = n - right
    if right is None:
        right = n - left
    if left + right > n:
        raise ValueError(f"[{_OP}] left_size + right_size = {left + right} exceeds the "
                         f"dataset's {n} elements")
    if left == 0 and right == 0:
        raise ValueError(f"[{_OP}] both splits would be empty")
    return left, right


def split_dataset(dataset, left_size=None, right_size=None, shuffle=False, seed=None,
                  data_format=None):
    """(left, right) pe.data Datasets of single elements. The elements keep their order unless
    shuffle=True (seeded by `seed`, else pyengine's generator); right takes the last
    right_size elements of that order when left_size + right_size is less than the whole."""
    if data_format not in (None, "channels_last"):
        raise ValueError(f"[{_OP}] only data_format=None / 'channels_last' is supported")
    if isinstance(dataset, Dataset):
        elements = list(dataset._iter())  # the raw elements (iterating gives Tensors)
        n = len(elements)
        take = lambda idx: [elements[i] for i in idx]  # noqa: E731
    else:
        if isinstance(dataset, list):
            dataset = tuple(dataset)  # Keras: a list of arrays is a tuple of components
        data = _st.normalize(dataset, _OP)
        arrays = _st.leaves(data)
        sizes = {a.shape[0] if a.ndim else None for a in arrays}
        if len(sizes) != 1 or None in sizes:
            raise ValueError(f"[{_OP}] every array needs the same first dimension; got "
                             f"{[a.shape for a in arrays]}")
        n = sizes.pop()
        take = lambda idx: _st.map_leaves(lambda a: a[idx], data)  # noqa: E731
    left, right = _sizes(n, left_size, right_size)
    order = np.arange(n)
    if shuffle:
        from .. import random as _random
        gen = np.random.default_rng(seed) if seed is not None else _random.get_generator()
        order = gen.permutation(n)
    li, ri = order[:left], order[n - right:]
    if isinstance(dataset, Dataset):
        def as_dataset(idx):
            chosen = take(idx)
            return Dataset(lambda: iter(chosen), len(chosen), dataset._spec)
        return as_dataset(li), as_dataset(ri)
    return Dataset.from_tensor_slices(take(li)), Dataset.from_tensor_slices(take(ri))
