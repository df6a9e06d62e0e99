"""keras.preprocessing.sequence.TimeseriesGenerator (Keras 2; Keras 3 replaced it with
keras.utils.timeseries_dataset_from_array): a Sequence of (windows, targets) batches over a
series. Batch i holds, for rows r = start_index + length + (i * batch_size + k) * stride
(k < batch_size, r <= end_index), the window data[r - length : r : sampling_rate] and the
target targets[r]: each window's target is the step right after it. shuffle=True draws
batch_size rows at random (with replacement) instead; reverse=True flips each window's time
axis."""
import numbers

import numpy as np

from ..data_adapters import PyDataset


def _count(value, what, minimum):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"[TimeseriesGenerator] {what} must be an int >= {minimum}. "
                         f"Received: {what}={value!r}")
    return int(value)


class TimeseriesGenerator(PyDataset):
    def __init__(self, data, targets, length, sampling_rate=1, stride=1, start_index=0,
                 end_index=None, shuffle=False, reverse=False, batch_size=128):
        super().__init__()
        if len(data) != len(targets):
            raise ValueError(f"[TimeseriesGenerator] data and targets must have the same "
                             f"length. Received: len(data)={len(data)}, "
                             f"len(targets)={len(targets)}")
        self._series, self.targets = data, targets
        self.length = _count(length, "length", 1)
        self.sampling_rate = _count(sampling_rate, "sampling_rate", 1)
        self.stride = _count(stride, "stride", 1)
        self.start_index = _count(start_index, "start_index", 0) + self.length
        self.end_index = len(data) - 1 if end_index is None else _count(end_index, "end_index",
                                                                         0)
        self.shuffle, self.reverse = bool(shuffle), bool(reverse)
        self.batch_size = _count(batch_size, "batch_size", 1)
        if self.start_index > self.end_index:
            raise ValueError(f"[TimeseriesGenerator] start_index + length "
                             f"({self.start_index}) > end_index ({self.end_index}): no "
                             "window fits in the data")

    @property
    def data(self):
        """The series the windows are cut from (Keras' attribute)."""
        return self._series

    def __len__(self):
        step = self.batch_size * self.stride
        return (self.end_index - self.start_index + step) // step

    def __getitem__(self, index):
        if self.shuffle:
            rows = np.random.randint(self.start_index, self.end_index + 1, size=self.batch_size)
        else:
            if not 0 <= index < len(self):
                raise IndexError(f"[TimeseriesGenerator] batch index {index} out of range "
                                 f"[0, {len(self)})")
            i = self.start_index + self.batch_size * self.stride * index
            rows = np.arange(i, min(i + self.batch_size * self.stride, self.end_index + 1),
                             self.stride)
        samples = np.array([self._series[r - self.length:r:self.sampling_rate] for r in rows])
        targets = np.array([self.targets[r] for r in rows])
        if self.reverse:
            return samples[:, ::-1, ...], targets
        return samples, targets
