"""The data a preprocessing layer's adapt(data, batch_size, steps) reads (Keras 2's arguments):
`steps` batches at most, each of `batch_size` samples (32 by default) when data is an array,
or the first `steps` batches of a dataset / generator. A batch_size with a dataset is an error
(its batches are already made). Without `steps` every sample is read, and the statistics adapt
computes (exact mean / variance, token counts) do not depend on batch_size."""
import itertools
import numbers

import numpy as np

from ...tensor import Tensor

_ARRAYS = (np.ndarray, Tensor, list, tuple, str)


def _positive(value, what, owner):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
        raise ValueError(f"[{owner}.adapt] {what} must be a positive int. Received: "
                         f"{what}={value!r}")
    return int(value)


def adapt_data(data, batch_size, steps, owner, arrays=_ARRAYS):
    """`data` cut to what adapt reads; `arrays` are the types taken as one array of samples."""
    is_array = isinstance(data, arrays) or np.isscalar(data)
    if batch_size is not None:
        batch_size = _positive(batch_size, "batch_size", owner)
        if not is_array:
            raise ValueError(f"[{owner}.adapt] batch_size={batch_size} applies to arrays only; "
                             "a dataset or generator already yields batches")
    if steps is None:
        return data
    steps = _positive(steps, "steps", owner)
    if not is_array:
        return itertools.islice(iter(data), steps)
    if isinstance(data, str) or np.isscalar(data):
        return data
    return data[:steps * (batch_size or 32)]
