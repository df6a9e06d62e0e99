"""Giving each rank its part of the data: shard() for arrays, Tensors, (x, y) tuples, map-style
datasets and tf.data-like pipelines, and DistributedSampler (PyTorch's name) for DataLoaders.

Every rank must run the same number of steps per epoch (each step is a collective), so by default
shard() gives every rank the same number of samples: rank r takes samples r, r + size, r + 2 size,
... of the data padded to a multiple of size() by wrapping around to its first samples (PyTorch's
DistributedSampler does the same); drop_remainder=True drops the last len % size samples
instead. Batches of one epoch then line up across ranks, the last (smaller) one included."""
import math

import numpy as np

from ..tensor import Tensor
from . import _mpi


def _rank_size(rank, size, what):
    rank = _mpi.rank() if rank is None else rank
    size = _mpi.size() if size is None else size
    for name, v in (("rank", rank), ("size", size)):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool):
            raise TypeError(f"[{what}] {name} must be an int, got {v!r}")
    if size < 1 or not 0 <= rank < size:
        raise ValueError(f"[{what}] need 0 <= rank < size, got rank={rank}, size={size}")
    return int(rank), int(size)


def shard_indices(n, rank, size, drop_remainder=False):
    """The sample indices of `rank` among `size` ranks for n samples (see the module doc)."""
    if drop_remainder:
        total = (n // size) * size
        return np.arange(rank, total, size, dtype=np.int64)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    total = math.ceil(n / size) * size
    return np.arange(rank, total, size, dtype=np.int64) % n


class ShardedDataset:
    """A map-style dataset restricted to some indices of another (len + integer indexing)."""

    def __init__(self, dataset, indices):
        self.dataset, self.indices = dataset, indices

    def __len__(self):
        return len(self.indices)

    def __getitem__(self, i):
        return self.dataset[int(self.indices[i])]


def shard(data, rank=None, size=None, drop_remainder=False):
    """This rank's part of `data` (rank and size default to this process' rank() and size()).

    data may be: a NumPy array or Tensor (sharded along the first axis), a tuple / list of them
    with the same first dimension (x and y sharded alike), a map-style dataset with __len__ and
    __getitem__ (e.g. pe.utils.data.TensorDataset; returns a ShardedDataset), or a tf.data-like
    pipeline with a ``shard(num_shards, index)`` method (e.g. pe.data.Dataset; shard it before
    shuffle and batch), whose own shard is called and, when its cardinality() is known, evened
    out like arrays (wrap-around with repeat().take(), or take() for drop_remainder); with an
    unknown or infinite length, keep step counts equal yourself (fit's steps_per_epoch).
    A DataLoader cannot be re-sharded after it is built: shard its dataset, or build it with
    ``sampler=DistributedSampler(dataset)``.

    >>> x_train, y_train = hvd.shard((x_train, y_train))   # same samples of x and y per rank
    """
    rank, size = _rank_size(rank, size, "shard")
    if isinstance(data, (np.ndarray, Tensor)):
        if data.ndim == 0:
            raise ValueError("[shard] cannot shard a 0-d array")
        return data[shard_indices(len(data), rank, size, drop_remainder)]
    if isinstance(data, (tuple, list)):
        lengths = {len(d) for d in data if isinstance(d, (np.ndarray, Tensor))}
        if len(lengths) != 1 or not all(isinstance(d, (np.ndarray, Tensor)) for d in data):
            raise ValueError("[shard] a tuple / list must hold arrays or Tensors with the same "
                             f"first dimension, got {[type(d).__name__ for d in data]} of lengths "
                             f"{[len(d) if hasattr(d, '__len__') else None for d in data]}")
        idx = shard_indices(lengths.pop(), rank, size, drop_remainder)
        return type(data)(d[idx] for d in data)
    if hasattr(data, "dataset") and hasattr(data, "batch_size") and hasattr(data, "__iter__"):
        raise TypeError("[shard] a DataLoader cannot be re-sharded after it is built: pass "
                        "shard(dataset) to the DataLoader, or "
                        "sampler=pyengine.distributed.DistributedSampler(dataset)")
    if callable(getattr(data, "shard", None)):
        return _shard_pipeline(data, rank, size, drop_remainder)
    if hasattr(data, "__len__") and hasattr(data, "__getitem__"):
        return ShardedDataset(data, shard_indices(len(data), rank, size, drop_remainder))
    raise TypeError(f"[shard] cannot shard a {type(data).__name__}: expected an array, a "
                    "Tensor, a tuple of them, a map-style dataset or a pipeline with .shard()")


def _shard_pipeline(data, rank, size, drop_remainder):
    """A tf.data-like pipeline's own shard (every size-th element from rank), evened out when
    its length is known: cut to len // size elements (drop_remainder) or wrapped around to its
    first ones up to ceil(len / size) (.repeat().take()), so that every rank gets as many."""
    part = data.shard(size, rank)
    cardinality = getattr(data, "cardinality", None)
    n = int(cardinality()) if callable(cardinality) else -1
    if n < 0:  # infinite or unknown: the caller keeps step counts equal (steps_per_epoch)
        return part
    mine = len(range(rank, n, size))
    want = n // size if drop_remainder else math.ceil(n / size)
    if mine > want:
        return part.take(want)
    if mine < want:
        return part.repeat().take(want)
    return part


class DistributedSampler:
    """Indices of this rank's samples for a DataLoader, PyTorch's DistributedSampler: each
    epoch, one permutation of all samples (seeded by seed + epoch, the same on every rank),
    padded or cut to a multiple of size(), then every size-th index from rank.
    Call set_epoch(epoch) before each epoch for a new order.

    >>> sampler = hvd.DistributedSampler(train_set)
    >>> loader = DataLoader(train_set, batch_size=64, sampler=sampler)
    """

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0,
                 drop_last=False):
        self.rank, self.num_replicas = _rank_size(rank, num_replicas, "DistributedSampler")
        self.n = len(dataset)
        self.shuffle, self.seed, self.drop_last = bool(shuffle), int(seed), bool(drop_last)
        self.epoch = 0

    def set_epoch(self, epoch):
        self.epoch = int(epoch)

    def __len__(self):
        return len(shard_indices(self.n, self.rank, self.num_replicas, self.drop_last))

    def __iter__(self):
        order = (np.random.default_rng(self.seed + self.epoch).permutation(self.n)
                 if self.shuffle else np.arange(self.n))
        idx = shard_indices(self.n, self.rank, self.num_replicas, self.drop_last)
        return iter(order[idx].tolist())
