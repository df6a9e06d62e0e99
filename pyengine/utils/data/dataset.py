"""Map-style and iterable datasets (torch.utils.data names): Dataset, IterableDataset,
TensorDataset, StackDataset, Subset, ConcatDataset, ChainDataset and random_split."""
import bisect
import math

import numpy as np

from ...tensor import Tensor
from .sampler import _randperm


class Dataset:
    """A map-style dataset: ``__getitem__(index)`` and ``__len__()``. ``a + b`` concatenates."""

    def __getitem__(self, index):
        raise NotImplementedError(f"[{type(self).__name__}] a Dataset subclass must define "
                                  "__getitem__")

    def __add__(self, other):
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A stream: ``__iter__()`` yields samples. With ``DataLoader(num_workers=n)`` every worker
    iterates its own ``iter(dataset)``; use `get_worker_info()` inside ``__iter__`` to shard."""

    def __iter__(self):
        raise NotImplementedError(f"[{type(self).__name__}] an IterableDataset subclass must "
                                  "define __iter__")

    def __getitem__(self, index):
        raise TypeError(f"[{type(self).__name__}] an IterableDataset is not indexable")

    def __add__(self, other):
        return ChainDataset([self, other])


def _length(x):
    return x.shape[0] if isinstance(x, (Tensor, np.ndarray)) else len(x)


class TensorDataset(Dataset):
    """Samples are tuples ``(t[i] for t in tensors)``; every tensor has the same first dim."""

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("[TensorDataset] needs at least one tensor")
        for i, t in enumerate(tensors):
            if not isinstance(t, (Tensor, np.ndarray)) or t.ndim == 0:
                raise TypeError(f"[TensorDataset] argument {i} must be a tensor with a first "
                                f"dimension, got {type(t).__name__}")
        n = _length(tensors[0])
        sizes = [_length(t) for t in tensors]
        if any(s != n for s in sizes):
            raise ValueError(f"[TensorDataset] size mismatch between tensors: first dimensions "
                             f"{sizes}")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self):
        return _length(self.tensors[0])


class StackDataset(Dataset):
    """Zips datasets of equal length: ``StackDataset(a, b)[i] == (a[i], b[i])``;
    keyword form ``StackDataset(x=a, y=b)[i] == {"x": a[i], "y": b[i]}``."""

    def __init__(self, *args, **kwargs):
        if args and kwargs:
            raise ValueError("[StackDataset] give datasets positionally or by keyword, not both")
        self.datasets = args or kwargs
        parts = list(args) if args else list(kwargs.values())
        if not parts:
            raise ValueError("[StackDataset] needs at least one dataset")
        sizes = [len(d) for d in parts]
        if any(s != sizes[0] for s in sizes):
            raise ValueError(f"[StackDataset] size mismatch between datasets: {sizes}")
        self._length = sizes[0]

    def __getitem__(self, index):
        if isinstance(self.datasets, dict):
            return {k: d[index] for k, d in self.datasets.items()}
        return tuple(d[index] for d in self.datasets)

    def __len__(self):
        return self._length


class Subset(Dataset):
    """The samples of `dataset` at `indices`, in that order."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = [int(i) for i in indices]

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __len__(self):
        return len(self.indices)


class ConcatDataset(Dataset):
    """Map-style datasets one after the other; negative indices count from the end."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("[ConcatDataset] datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise TypeError("[ConcatDataset] does not support IterableDataset (use "
                                "ChainDataset)")
        self.cumulative_sizes = list(np.cumsum([len(d) for d in self.datasets]).tolist())

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx):
        n = len(self)
        if idx < 0:
            if -idx > n:
                raise IndexError(f"[ConcatDataset] index {idx} out of range for length {n}")
            idx += n
        if idx >= n:
            raise IndexError(f"[ConcatDataset] index {idx} out of range for length {n}")
        d = bisect.bisect_right(self.cumulative_sizes, idx)
        start = 0 if d == 0 else self.cumulative_sizes[d - 1]
        return self.datasets[d][idx - start]


class ChainDataset(IterableDataset):
    """Iterable datasets chained one after the other (lazily)."""

    def __init__(self, datasets):
        self.datasets = list(datasets)

    def __iter__(self):
        for d in self.datasets:
            yield from d

    def __len__(self):
        return sum(len(d) for d in self.datasets)


def random_split(dataset, lengths, generator=None):
    """Split `dataset` into non-overlapping random `Subset`s of the given lengths. Lengths may
    be fractions summing to 1: each gets floor(frac * n) and the remainder is dealt one by one
    round-robin, as PyTorch does. Reproducible under ``pe.manual_seed`` or with `generator`.

    >>> train, val = random_split(ds, [0.8, 0.2], generator=pe.Generator().manual_seed(42))
    """
    n = len(dataset)
    lengths = list(lengths)
    if lengths and math.isclose(sum(lengths), 1) and sum(lengths) <= 1 and \
            any(isinstance(x, float) for x in lengths):
        for i, frac in enumerate(lengths):
            if frac < 0 or frac > 1:
                raise ValueError(f"[random_split] fraction at index {i} is not between 0 and 1")
        sizes = [int(math.floor(n * frac)) for frac in lengths]
        for i in range(n - sum(sizes)):
            sizes[i % len(sizes)] += 1
        lengths = sizes
    if any((not isinstance(x, (int, np.integer))) or x < 0 for x in lengths):
        raise ValueError(f"[random_split] lengths must be non-negative ints or fractions summing "
                         f"to 1, got {lengths}")
    if sum(lengths) != n:
        raise ValueError(f"[random_split] sum of input lengths {sum(lengths)} does not equal the "
                         f"length of the input dataset {n}")
    perm = _randperm(n, generator).tolist()
    out, offset = [], 0
    for length in lengths:
        out.append(Subset(dataset, perm[offset:offset + length]))
        offset += length
    return out
