"""keras.utils.timeseries_dataset_from_array (also keras.preprocessing.): sliding windows over
an array as batches that Model.fit / evaluate / predict take."""
import math

import numpy as np

from ...data.dataset import Dataset


class TimeseriesDataset(Dataset):
    """A pe.data.Dataset (Keras returns a tf.data.Dataset) of batches (x (batch,
    sequence_length, ...), y (batch, ...)), or x alone when targets is None, as pe Tensors;
    iterate it once per epoch; .take / .map / .prefetch / as_numpy_iterator() as on any
    Dataset. len() is the number of batches."""

    def __init__(self, data, targets, starts, sequence_length, sampling_rate, batch_size,
                 shuffle, seed):
        self.data, self.targets, self.starts = data, targets, starts
        self.offsets = np.arange(sequence_length) * sampling_rate
        self.batch_size, self.shuffle = batch_size, shuffle
        self._rng = np.random.default_rng(seed)
        n = len(starts) if batch_size is None else math.ceil(len(starts) / batch_size)
        super().__init__(self._windows, n)

    def _item(self, starts):
        x = self.data[starts[..., None] + self.offsets]
        return x if self.targets is None else (x, self.targets[starts])

    def _windows(self):  # the Dataset's recipe: NumPy batches, a fresh pass each call
        starts = self.starts
        if self.shuffle:  # Keras shuffles the windows once, then batches again each epoch
            starts = starts[self._rng.permutation(len(starts))]
        if self.batch_size is None:
            for s in starts:
                yield self._item(np.asarray(s))
            return
        for i in range(0, len(starts), self.batch_size):
            yield self._item(starts[i:i + self.batch_size])


def timeseries_dataset_from_array(data, targets, sequence_length, sequence_stride=1,
                                  sampling_rate=1, batch_size=128, shuffle=False, seed=None,
                                  start_index=None, end_index=None):
    """Windows data[i], data[i + r], ..., data[i + (sequence_length - 1) r] (r = sampling_rate)
    for i = start_index, start_index + sequence_stride, ...; the target of the window starting
    at i is targets[i] (Keras' rule: to predict the step after the window, pass
    targets=data[sequence_length:]). Only rows in [start_index, end_index) are used.

    >>> ds = timeseries_dataset_from_array(np.arange(10), np.arange(3, 10), 3, batch_size=2)
    >>> x, y = next(iter(ds)); x.tolist(), y.tolist()
    ([[0, 1, 2], [1, 2, 3]], [3, 4])
    """
    data = np.asarray(data)
    if data.ndim < 1:
        raise ValueError("[timeseries_dataset_from_array] data must be an array of time steps")
    for name, v, low in (("sequence_length", sequence_length, 1),
                         ("sequence_stride", sequence_stride, 1),
                         ("sampling_rate", sampling_rate, 1)):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < low:
            raise ValueError(f"[timeseries_dataset_from_array] {name} must be a positive "
                             f"integer. Received: {name}={v!r}")
    if batch_size is not None and (not isinstance(batch_size, (int, np.integer)) or
                                   batch_size < 1):
        raise ValueError(f"[timeseries_dataset_from_array] batch_size must be a positive "
                         f"integer or None. Received: batch_size={batch_size!r}")
    start = 0 if start_index is None else int(start_index)
    end = len(data) if end_index is None else int(end_index)
    if not 0 <= start < len(data):
        raise ValueError(f"[timeseries_dataset_from_array] start_index must be in [0, "
                         f"{len(data)}). Received: start_index={start_index}")
    if not start < end <= len(data):
        raise ValueError(f"[timeseries_dataset_from_array] end_index must be in ({start}, "
                         f"{len(data)}]. Received: end_index={end_index}")
    if targets is not None:
        targets = np.asarray(targets)  # may be shorter than data (targets=data[n:]): only
        # windows that have a target are made
    num = end - start - (sequence_length - 1) * sampling_rate
    if targets is not None:
        num = min(num, len(targets) - start)
    starts = start + np.arange(0, max(num, 0), sequence_stride, dtype=np.int64)
    return TimeseriesDataset(data, targets, starts, sequence_length, sampling_rate, batch_size,
                             shuffle, seed)
